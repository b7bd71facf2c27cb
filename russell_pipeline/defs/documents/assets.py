"""Published documents into `source_documents`, `constituents` and `constituent_changes`."""


import dagster as dg
import polars as pl

from russell_pipeline.defs.checks import frame_check
from russell_pipeline.defs.metadata import OWNERS, add_partition_facts, partition_facts, table_definition
from russell_pipeline.defs.partitions import lake_writer, recon_years
from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.lib import ingest, lineage
from russell_pipeline.lib.documents import CHANGE_COLUMNS, CONSTITUENT_COLUMNS
from russell_pipeline.lib.errors import InputError

raw_documents = dg.AssetSpec(
    "raw_documents", deps=["published_documents"], partitions_def=recon_years, group_name="documents",
    kinds={"pdf"}, owners=OWNERS,
    description="The published FTSE Russell files under raw/<year>/ (PDF or extracted text), as fetched by "
                "published_documents or dropped there by hand.",
)

CHECKS = [
    dg.AssetCheckSpec("rows_match_pages", asset="source_documents", blocking=True,
                      description="Rows parsed equal the data lines present, page by page (blocks the write)."),
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
TABLES = {
    "source_documents": (ingest.SOURCE_COLUMNS, "Every file under raw/<year>/, classified by content.",
                         ["raw_documents"]),
    "constituents": (CONSTITUENT_COLUMNS, "Index membership lists, one row per company, traced to page and line.",
                     ["source_documents"]),
    "constituent_changes": (CHANGE_COLUMNS, "Addition and deletion lists, traced to page and line.",
                            ["source_documents"]),
}


@dg.multi_asset(
    specs=[dg.AssetSpec(name, deps=deps, code_version=lineage.CODE_VERSIONS["documents"],
                        **table_definition(name, schema, description, kinds={"pdf"}))
           for name, (schema, description, deps) in TABLES.items()],
    check_specs=CHECKS,
    **lake_writer("documents", recon_years),
)
def documents(context: dg.AssetExecutionContext, lake: LakeResource):
    """One parse of each year's documents feeds the three document tables."""
    years = [int(k) for k in context.partition_keys]
    with lake.writing() as store:
        try:
            parsed = {y: ingest.ingest_year(store.raw, y) for y in years}
        except InputError as err:
            # Nothing has been written: the lake keeps its previous partitions.
            raise dg.Failure(description=str(err), allow_retries=False) from None
        tables = {
            name: pl.concat([getattr(p, name) for p in parsed.values()], how="vertical_relaxed")
            for name in (*TABLES, "page_stats")
        }
        mismatches = ingest.page_mismatches(tables["page_stats"])
        yield frame_check("source_documents", "rows_match_pages", mismatches, "mismatch")
        if mismatches.height:
            raise dg.Failure(description=f"{mismatches.height} page(s) where rows parsed differ from the data "
                             "lines present (see rows_match_pages); nothing written", allow_retries=False)
        for name in TABLES:
            store.write(name, tables[name], "recon_year", years)
        store.record_lineage("documents", {str(y): lineage.documents_inputs(lineage.year_files(store.raw, y))
                                           for y in years})
    for name in TABLES:
        add_partition_facts(context, name, {
            str(y): partition_facts(store, name, getattr(parsed[y], name), **_year_facts(parsed[y], y))
            for y in years})
        yield dg.MaterializeResult(asset_key=name)
    cons, changes = tables["constituents"], tables["constituent_changes"]
    skipped = [line for p in parsed.values() for line in p.skipped]
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


def _year_facts(parsed: ingest.YearTables, year: int) -> dict:
    docs = parsed.source_documents
    return {
        "documents": dg.MetadataValue.md("\n".join(
            f"- `{r['path']}`: {r['doc_type']}, {r['index_name'] or '-'}, {r['stage'] or '-'}, {r['rows']} rows"
            for r in docs.iter_rows(named=True))) if docs.height else "none",
        "empty_because": f"no documents under raw/{year}/" if not docs.height else "no rows in this year's documents",
    }
