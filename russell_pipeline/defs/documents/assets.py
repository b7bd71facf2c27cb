"""Published documents into `source_documents`, `constituents` and `constituent_changes`."""


import dagster as dg
import polars as pl

from russell_pipeline.defs.checks import frame_check
from russell_pipeline.defs.partitions import recon_years, single_run
from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.lib import ingest
from russell_pipeline.lib.errors import InputError

CHECKS = [
    dg.AssetCheckSpec("rows_match_pages", asset="source_documents",
                      description="Rows parsed equal the data lines present, page by page."),
    dg.AssetCheckSpec("no_skipped_files", asset="source_documents",
                      description="No file under raw/<year>/ was left unread (editor and OS files are listed)."),
    dg.AssetCheckSpec("no_duplicate_symbols", asset="constituents",
                      description="No symbol twice within one membership list."),
    dg.AssetCheckSpec("no_header_rows", asset="constituents",
                      description="No header, footer or disclaimer line became a row."),
    dg.AssetCheckSpec("no_duplicate_symbols", asset="constituent_changes",
                      description="No symbol twice within one addition or deletion list."),
    dg.AssetCheckSpec("no_header_rows", asset="constituent_changes",
                      description="No header, footer or disclaimer line became a row."),
    dg.AssetCheckSpec("additions_deletions_disjoint", asset="constituent_changes",
                      description="Additions and deletions of one index and stage do not overlap."),
]


@dg.multi_asset(
    specs=[
        dg.AssetSpec("source_documents", description="Every file under raw/<year>/, classified by content."),
        dg.AssetSpec("constituents", deps=["source_documents"],
                     description="Index membership lists, one row per company, traced to page and line."),
        dg.AssetSpec("constituent_changes", deps=["source_documents"],
                     description="Addition and deletion lists, traced to page and line."),
    ],
    check_specs=CHECKS,
    partitions_def=recon_years,
    backfill_policy=single_run,
    group_name="documents",
)
def documents(context: dg.AssetExecutionContext, lake: LakeResource):
    """One parse of each year's documents feeds the three document tables."""
    store = lake.lake()
    years = [int(k) for k in context.partition_keys]
    try:
        parsed = [ingest.ingest_year(store.raw, y) for y in years]
    except InputError as err:
        # Nothing has been written yet: the lake keeps its previous good partitions.
        raise dg.Failure(description=str(err)) from None
    tables = {
        name: pl.concat([getattr(p, name) for p in parsed], how="vertical_relaxed")
        for name in ("source_documents", "constituents", "constituent_changes", "page_stats")
    }
    for name in ("source_documents", "constituents", "constituent_changes"):
        store.write(name, tables[name], "recon_year", years)
        yield dg.MaterializeResult(
            asset_key=name,
            metadata={"rows": tables[name].height, "years": ", ".join(map(str, years))},
        )
    cons, changes = tables["constituents"], tables["constituent_changes"]
    yield frame_check("source_documents", "rows_match_pages", ingest.page_mismatches(tables["page_stats"]), "mismatch")
    skipped = [line for p in parsed for line in p.skipped]
    for line in skipped:
        context.log.warning(line)
    skipped_frame = pl.DataFrame({"skipped": skipped}, schema=[("skipped", pl.String)])
    yield frame_check("source_documents", "no_skipped_files", skipped_frame, "skipped files",
                      severity=dg.AssetCheckSeverity.WARN)
    for asset, rows in (("constituents", cons), ("constituent_changes", changes)):
        yield frame_check(asset, "no_duplicate_symbols", ingest.duplicate_symbols(rows), "duplicates")
        yield frame_check(asset, "no_header_rows", ingest.non_rows(rows), "header rows")
    yield frame_check("constituent_changes", "additions_deletions_disjoint", ingest.overlapping_changes(changes),
                 "overlap")


