"""Published documents into `source_documents`, `constituents` and `constituent_changes`."""

import dagster as dg
import polars as pl

from russell_pipeline.defs.commit import Check, Write, commit, refuse, reports_failure, specs
from russell_pipeline.defs.metadata import (
    CSV,
    OWNERS,
    PDF,
    no_nulls,
    partition_facts,
    table_definition,
    with_table_facts,
)
from russell_pipeline.defs.partitions import LAKE_POOL, LAKE_RETRY, recon_years, single_run
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lake.staged import Staged
from russell_pipeline.lib import table_checks
from russell_pipeline.lib.calendar.projection import rank_day
from russell_pipeline.lib.documents import ingest, list_checks
from russell_pipeline.lib.documents.holdings import HOLDINGS_COLUMNS
from russell_pipeline.lib.documents.reading import CHANGE_COLUMNS, CONSTITUENT_COLUMNS
from russell_pipeline.lib.documents.sec_tickers import SEC_COLUMNS
from russell_pipeline.lib.documents.universe import UNIVERSE_COLUMNS
from russell_pipeline.planning import digests

# A year's documents on its partition (defs/commit.py's facts; build prints them: runner/runs.py).

raw_documents = dg.AssetSpec(
    "raw_documents",
    deps=["published_documents"],
    partitions_def=recon_years,
    group_name="documents",
    kinds={PDF},
    owners=OWNERS,
    description="The published FTSE Russell files under `raw/<year>/` (PDF or extracted text), as fetched by "
    "published_documents or dropped there by hand.",
)

ROWS_MATCH_PAGES = Check(
    "source_documents",
    "rows_match_pages",
    "Every line of a list that holds data was read "
    "as a row (or as the wrapped rest of a name): a lost row is named by file, page and line.",
    "block",
)
NO_SKIPPED_FILES = Check(
    "source_documents",
    "no_skipped_files",
    "No file under `raw/YEAR/` was left unread (editor and OS files are listed).",
    "warn",
)
NULLS = {name: no_nulls(name) for name in ("constituents", "constituent_changes")}
DUPLICATES = {
    name: Check(name, "no_duplicate_symbols", "No symbol twice within one list.")
    for name in ("constituents", "constituent_changes")
}
HEADERS = {
    name: Check(name, "no_header_rows", "No header, footer or disclaimer line became a row.")
    for name in ("constituents", "constituent_changes")
}
DISJOINT = Check(
    "constituent_changes",
    "additions_deletions_disjoint",
    "Additions and deletions of one index and stage do not overlap (a re-used ticker can).",
    "warn",
)
COUNT_CHANGE = Check(
    "constituents",
    "member_count_change",
    f"Consecutive membership lists of one index differ in "
    f"size by at most ±{table_checks.MEMBER_COUNT_CHANGE:.0%}.",
    "warn",
)
LIST_SIZE = Check(
    "constituents",
    "list_size",
    f"Each full membership list of a Russell 1000/2000/3000/3000E/"
    f"Microcap holds its nominal count within ±{list_checks.LIST_SIZE_TOLERANCE:.0%}.",
    "warn",
)
CHECKS = [
    ROWS_MATCH_PAGES,
    NO_SKIPPED_FILES,
    *NULLS.values(),
    *DUPLICATES.values(),
    *HEADERS.values(),
    DISJOINT,
    COUNT_CHANGE,
    LIST_SIZE,
]
TABLES = {
    "source_documents": (
        ingest.SOURCE_COLUMNS,
        "Every file under `raw/<year>/`, classified by content.",
        ["raw_documents"],
    ),
    "constituents": (
        CONSTITUENT_COLUMNS,
        "Index membership lists, one row per company, traced to page and line.",
        ["source_documents"],
    ),
    "constituent_changes": (
        CHANGE_COLUMNS,
        "Addition and deletion lists, traced to page and line.",
        ["source_documents"],
    ),
    "universe_securities": (
        UNIVERSE_COLUMNS,
        (
            "Every security of the rank-day universe files (the Nasdaq screener's layout), traced to its "
            "line: what reconstitution_forecast ranks."
        ),
        ["source_documents"],
    ),
    "sec_tickers": (
        SEC_COLUMNS,
        (
            "Every ticker of the SEC's ticker maps with its company's CIK, traced to the map's entry: what "
            "securities follows a company through its tickers by."
        ),
        ["source_documents"],
    ),
    "fund_holdings": (
        HOLDINGS_COLUMNS,
        (
            "Every row of the ETF holdings files (iShares layout), traced to its line: a listed equity row "
            "is evidence of membership in the fund's index on its date."
        ),
        ["source_documents"],
    ),
}
_CSV_TABLES = ("universe_securities", "sec_tickers", "fund_holdings")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            name,
            deps=deps,
            code_version=digests.CODE_VERSIONS["documents"],
            **table_definition(name, schema, description, kinds={CSV if name in _CSV_TABLES else PDF}),
        )
        for name, (schema, description, deps) in TABLES.items()
    ],
    group_name="documents",
    pool=LAKE_POOL,
    retry_policy=LAKE_RETRY,
    partitions_def=recon_years,
    backfill_policy=single_run,
    check_specs=specs(CHECKS, recon_years),
)
@reports_failure
def documents(context: dg.AssetExecutionContext, pipeline: Pipeline):
    """One parse of each year's documents feeds the three document tables."""
    years = [int(k) for k in context.partition_keys]
    with pipeline.writing() as lake:
        # The other years' lists: for member_count_change against neighbouring years, and so that a list
        # equal to another year's (the same list under other dates) is refused.
        stored = {
            name: lake.tables.read(name, "recon_year", without=years)
            for name in ("constituents", "constituent_changes", "source_documents")
        }
        others = ingest.stored_lists(*stored.values())
        parsed = {}
        for y in years:  # a list equal to one of an earlier year of this run is refused too
            parsed[y] = ingest.read_year(lake.raw, y, pipeline.settings.limits, rank_day(y), others)
            if not parsed[y].refusal:
                others = others | {key: f"{path}, read for {y}" for key, path in parsed[y].lists}
        tables = {
            name: pl.concat([getattr(p, name) for p in parsed.values()], how="vertical_relaxed")
            for name in (*TABLES, "unread")
        }
        refused = [p.refusal for p in parsed.values() if p.refusal]
        if refused:  # the year is atomic: nothing of it is written, the stored partitions stay
            if tables["unread"].height:  # lines no row was read from: the check that stops them is red
                yield _rows_match_pages(tables)
            refuse(
                "; ".join(refused),
                {str(y): _document_facts(parsed[y]) for y in years},
                [str(y) for y in years if parsed[y].refusal],
            )
        skipped = [line for p in parsed.values() for line in p.skipped]
        for line in skipped:
            context.log.warning(line)
        results = _results(tables, years, skipped, stored)
        staged = {name: Staged(name, tables[name], "recon_year", years) for name in TABLES}
        yield from commit(
            context,
            Write(
                lake=lake,
                checks=CHECKS,
                results=results,
                staged=list(staged.values()),
                lineage={"documents": {str(y): digests.year_inputs(lake.raw, y) for y in years}},
                facts={
                    name: with_table_facts(
                        lake,
                        staged[name],
                        {
                            str(y): partition_facts(
                                str(y), getattr(parsed[y], name), **_year_facts(parsed[y], y, name)
                            )
                            for y in years
                        },
                    )
                    for name in TABLES
                },
            ),
        )


def _results(tables: dict, years: list[int], skipped: list[str], stored: dict) -> list[dg.AssetCheckResult]:
    cons, changes = tables["constituents"], tables["constituent_changes"]
    skipped_frame = pl.DataFrame({"skipped": skipped}, schema=[("skipped", pl.String)])
    sizes = list_checks.list_sizes(cons, tables["source_documents"])
    return [
        _rows_match_pages(tables),
        *[NULLS[name].frame(table_checks.null_contract_cells(tables[name], name), "nulls") for name in NULLS],
        NO_SKIPPED_FILES.frame(skipped_frame, "skipped files"),
        *[
            DUPLICATES[name].frame(list_checks.duplicate_symbols(rows), "duplicates")
            for name, rows in (("constituents", cons), ("constituent_changes", changes))
        ],
        *[
            HEADERS[name].frame(list_checks.non_rows(rows), "header rows")
            for name, rows in (("constituents", cons), ("constituent_changes", changes))
        ],
        DISJOINT.frame(list_checks.overlapping_changes(changes), "overlap"),
        _list_size_check(sizes),
        _list_count_check(tables, years, sizes, stored["constituents"], stored["source_documents"]),
    ]


def _rows_match_pages(tables: dict) -> dg.AssetCheckResult:
    return ROWS_MATCH_PAGES.frame(
        list_checks.unread_lines(tables["unread"], tables["source_documents"]),
        "line holding data no row was read from",
    )


def _list_count_check(
    tables: dict,
    years: list[int],
    run_sizes: pl.DataFrame,
    stored_lists: pl.DataFrame | None,
    stored_docs: pl.DataFrame | None,
) -> dg.AssetCheckResult:
    """member_count_change over every year's lists; the pairs that touch this run's years."""
    after = table_checks.after_write
    sizes = list_checks.list_sizes(
        after(stored_lists, tables["constituents"], "recon_year", years),
        after(stored_docs, tables["source_documents"], "recon_year", years),
    )
    changes = table_checks.member_count_changes(
        list_checks.list_counts(sizes),
        over="index_name",
        touching=list_checks.list_counts(run_sizes)["review"].to_list(),
    )
    # Each change is in the year of its later list (`review`: `<as_of_date> <path>`; a list's date is in
    # the year it is filed under): the partition the check fails on.
    changes = changes.select(pl.col("review").str.slice(0, 4).cast(pl.Int64).alias("recon_year"), pl.all())
    return COUNT_CHANGE.frame(
        changes, "change beyond the bound", bound=f"±{table_checks.MEMBER_COUNT_CHANGE:.0%}"
    )


def _list_size_check(sizes: pl.DataFrame) -> dg.AssetCheckResult:
    checked = sizes.filter(pl.col("nominal").is_not_null())
    unchecked = sizes.filter(pl.col("nominal").is_null())
    return LIST_SIZE.frame(
        checked.filter(~pl.col("within")).drop("within"),
        "list outside its bound",
        lists_checked=checked.height,
        lists=dg.MetadataValue.md(
            "\n".join(
                f"- `{r['path']}`: {r['index_name']}, {r['rows']} rows (nominal {r['nominal']}, bound "
                f"{r['low']}..{r['high']})"
                for r in checked.iter_rows(named=True)
            )
            or "0 lists checked: no full membership list in these years"
        ),
        not_checked=", ".join(
            f"{r['path']} ({r['index_name']}: no nominal size)" for r in unchecked.iter_rows(named=True)
        )
        or "none",
    )


def _document_facts(parsed: ingest.YearTables) -> dict:
    """Each document of the year and what became of it (`read, N rows` / `refused: why`), the entries
    that would settle its unread lines, and the corrections applied: on the partition's
    materialization, or its observation when the year is refused."""
    entries = [entry for d in parsed.documents for entry in d.unread]
    return {
        ingest.DOCUMENTS_FACT: dg.MetadataValue.md(
            "\n".join(f"- {d.line()}" for d in parsed.documents) or "none"
        ),
        ingest.CORRECTIONS_FACT: parsed.corrections,
        **({ingest.UNREAD_FACT: "\n".join(entries)} if entries else {}),
    }


# The documents a table's rows come from: a year without one of them says so, naming what it holds.
HOLDS = {
    "constituents": (("membership_list",), "membership list"),
    "constituent_changes": (("additions", "deletions"), "addition or deletion list"),
    "universe_securities": (("universe",), "universe file"),
    "sec_tickers": (("sec_tickers",), "SEC ticker map"),
    "fund_holdings": (("holdings",), "ETF holdings file"),
}


def _year_facts(parsed: ingest.YearTables, year: int, name: str) -> dict:
    docs = parsed.source_documents
    kinds, what = HOLDS.get(name, ((), ""))
    held = docs["doc_type"].unique(maintain_order=True).to_list() if docs.height else []
    return {
        **{k.removeprefix("partition_"): v for k, v in _document_facts(parsed).items()},
        "empty_because": f"no documents under raw/{year}/"
        if not docs.height
        else f"no {what} among this year's documents"
        if kinds and not set(kinds) & set(held)
        else "no rows in this year's documents",
    }
