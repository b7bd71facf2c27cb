"""Membership history, its reconciliation with the change lists, and the revisions of each list."""


import dagster as dg
import polars as pl

from russell_pipeline.defs.metadata import table_definition, table_facts
from russell_pipeline.defs.partitions import lake_writer
from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.lake.commit import Check, Staged, commit, reports_failure, specs
from russell_pipeline.lib.membership.history import HISTORY_COLUMNS, membership_tables, overlapping_intervals
from russell_pipeline.lib.membership.reconcile import DIFFERENCE_COLUMNS, SUMMARY_COLUMNS, UNACCOUNTED
from russell_pipeline.lib.membership.revisions import REVISION_COLUMNS
from russell_pipeline.planning import digests
from russell_pipeline.planning.stale import MEMBERSHIP_KEY, membership_inputs

TABLES = {
    "membership_history": (HISTORY_COLUMNS, ("For each index and symbol, the intervals [start_date, end_date) in "
                           "which it was a member, traced to the document rows that open and close each one.")),
    "membership_reconciliation": (DIFFERENCE_COLUMNS, ("Symbols where previous membership list + final additions "
                                  "- final deletions differs from the next list, with the cause the documents show.")),
    "membership_reconciliation_summary": (SUMMARY_COLUMNS, ("Per index and documented reconstitution, what "
                                          "could be reconciled (scope, note) and the counts behind it.")),
    "list_revisions": (REVISION_COLUMNS, ("Names that entered or left between consecutive versions (preliminary, "
                       "updates, final) of each addition and deletion list.")),
}
EMPTY = {"membership_reconciliation": "no differences, or nothing to reconcile (see the summary table)",
         "list_revisions": "no change list has more than one version"}
DISJOINT = Check("membership_history", "intervals_disjoint", "No symbol is in one index twice at the same time.",
                 "block")
PLACED = Check("membership_history", "documents_placed", "Every list document is dated on a review of "
               "recon_calendar; the others are left out of the history.", "warn")
RECONCILES = Check("membership_reconciliation", "membership_reconciles", "Previous list + final additions - final "
                   "deletions equals the next list, except where an IPO list or a list revision explains it "
                   "(counts by cause).", "warn")
CHECKS = [DISJOINT, PLACED, RECONCILES]


@dg.multi_asset(
    specs=[dg.AssetSpec(name, deps=["source_documents", "constituents", "constituent_changes", "recon_calendar"],
                        code_version=digests.CODE_VERSIONS["membership"],
                        **table_definition(name, schema, description))
           for name, (schema, description) in TABLES.items()],
    check_specs=specs(CHECKS),
    **lake_writer("membership"),
)
@reports_failure
def membership(context: dg.AssetExecutionContext, lake: LakeResource):
    """One pass over every year's lists and review dates feeds the four membership tables."""
    with lake.writing() as store:
        inputs, digest = membership_inputs(store)
        built = membership_tables(inputs["constituents"], inputs["constituent_changes"],
                                  inputs["source_documents"], inputs["recon_calendar"])
        frames = {"membership_history": built.history, "membership_reconciliation": built.reconciliation,
                  "membership_reconciliation_summary": built.summary, "list_revisions": built.revisions}
        results = [DISJOINT.frame(overlapping_intervals(built.history), "overlap"),
                   PLACED.frame(built.unplaced, "unplaced document"),
                   _reconciliation_check(built.reconciliation, built.summary)]
        yield from commit(
            context, store, CHECKS, results, [Staged(name, frame) for name, frame in frames.items()],
            {"membership": {MEMBERSHIP_KEY: digest}},
            {name: table_facts(store, name, frame, "start_date" if name == "membership_history" else None,
                               empty_because=EMPTY.get(name, "no list document placed on a review"))
             for name, frame in frames.items()},
            data_version=digest,
        )


def _markdown(frame: pl.DataFrame) -> dg.MetadataValue:
    if not frame.height:
        return dg.MetadataValue.md("none")
    cells = [[("" if v is None else str(v)) for v in row] for row in frame.iter_rows()]
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.width]
    return dg.MetadataValue.md("\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells]))


def _reconciliation_check(differences: pl.DataFrame, summary: pl.DataFrame) -> dg.AssetCheckResult:
    unaccounted = differences.filter(pl.col("cause").is_in(UNACCOUNTED))
    counts = differences.group_by("review", "index_name", "difference", "cause").len("symbols").sort(
        "review", "index_name", "difference", "cause")
    return RECONCILES.result(
        unaccounted.height == 0,
        differences=differences.height,
        unaccounted=unaccounted.height,
        by_cause=_markdown(counts),
        reviews=_markdown(summary.drop("recon_year")),
        examples=_markdown(unaccounted.select("review", "index_name", "difference", "cause", "symbol", "company",
                                              "source_path", "source_page", "source_line").head(20)),
    )
