"""Published documents into `source_documents`, `constituents` and `constituent_changes`."""


import dagster as dg
import polars as pl

from russell_pipeline.defs.checks import NO_NULLS, frame_check
from russell_pipeline.defs.metadata import OWNERS, add_partition_facts, partition_facts, table_definition
from russell_pipeline.defs.partitions import lake_writer, recon_years
from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.lib import ingest, lineage, quality
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
    *[dg.AssetCheckSpec("no_null_contract_columns", asset=name, blocking=True, description=NO_NULLS)
      for name in ("constituents", "constituent_changes")],
    dg.AssetCheckSpec("member_count_change", asset="constituents",
                      description=f"Consecutive membership lists of one index differ in size by at most "
                                  f"±{quality.MEMBER_COUNT_CHANGE:.0%} (WARN)."),
    dg.AssetCheckSpec("list_size", asset="constituents",
                      description=f"Each full membership list of a Russell 1000/2000/3000/3000E/Microcap holds its "
                                  f"nominal count within ±{quality.LIST_SIZE_TOLERANCE:.0%} (WARN)."),
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
        nulls = {name: quality.null_contract_cells(tables[name], name) for name in ("constituents", "constituent_changes")}
        for name, bad in nulls.items():
            yield frame_check(name, "no_null_contract_columns", bad, "nulls")
        if any(bad.height for bad in nulls.values()):
            raise dg.Failure(description="null in a contract column of " + ", ".join(
                f"{name} ({', '.join(bad['column'])})" for name, bad in nulls.items() if bad.height)
                + " (see no_null_contract_columns); nothing written", allow_retries=False)
        # The other years' lists, for member_count_change against the lists of neighbouring years.
        others = [store.read(name) for name in ("constituents", "source_documents")]
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
    sizes = quality.list_sizes(cons, tables["source_documents"])
    yield _list_size_check(sizes)
    yield _list_count_check(tables, years, sizes, *others)


def _list_count_check(tables: dict, years: list[int], run_sizes: pl.DataFrame, stored_lists: pl.DataFrame | None,
                      stored_docs: pl.DataFrame | None) -> dg.AssetCheckResult:
    """member_count_change over every year's lists; the pairs that touch this run's years."""
    sizes = quality.list_sizes(quality.after_write(stored_lists, tables["constituents"], "recon_year", years),
                               quality.after_write(stored_docs, tables["source_documents"], "recon_year", years))
    changes = quality.member_count_changes(quality.list_counts(sizes), over="index_name",
                                           touching=quality.list_counts(run_sizes)["review"].to_list())
    return frame_check("constituents", "member_count_change", changes, "change beyond the bound",
                       severity=dg.AssetCheckSeverity.WARN, bound=f"±{quality.MEMBER_COUNT_CHANGE:.0%}")


def _list_size_check(sizes: pl.DataFrame) -> dg.AssetCheckResult:
    checked = sizes.filter(pl.col("nominal").is_not_null())
    unchecked = sizes.filter(pl.col("nominal").is_null())
    return frame_check(
        "constituents", "list_size", checked.filter(~pl.col("within")).drop("within"), "list outside its bound",
        severity=dg.AssetCheckSeverity.WARN, lists_checked=checked.height,
        lists=dg.MetadataValue.md("\n".join(
            f"- `{r['path']}`: {r['index_name']}, {r['rows']} rows (nominal {r['nominal']}, bound "
            f"{r['low']}..{r['high']})" for r in checked.iter_rows(named=True))
            or "0 lists checked: no full membership list in these years"),
        not_checked=", ".join(f"{r['path']} ({r['index_name']}: no nominal size)"
                              for r in unchecked.iter_rows(named=True)) or "none",
    )


def _year_facts(parsed: ingest.YearTables, year: int) -> dict:
    docs = parsed.source_documents
    return {
        "documents": dg.MetadataValue.md("\n".join(
            f"- `{r['path']}`: {r['doc_type']}, {r['index_name'] or '-'}, {r['stage'] or '-'}, {r['rows']} rows"
            for r in docs.iter_rows(named=True))) if docs.height else "none",
        "empty_because": f"no documents under raw/{year}/" if not docs.height else "no rows in this year's documents",
    }
