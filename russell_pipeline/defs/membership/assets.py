"""Membership history, the members in force on each date, the reconciliation with the change lists,
the revisions of each list, and the market data's memberships checked against the lists."""

import dagster as dg
import polars as pl

from russell_pipeline.defs.commit import Check, Write, commit, reports_failure, specs
from russell_pipeline.defs.metadata import table_definition, table_facts
from russell_pipeline.defs.partitions import LAKE_POOL, LAKE_RETRY
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lake.staged import Staged
from russell_pipeline.lib.calendar.reviews import review_dates
from russell_pipeline.lib.membership.funds import RECONCILE_COLUMNS, reconcile_holdings
from russell_pipeline.lib.membership.history import HISTORY_COLUMNS, membership_tables, overlapping_intervals
from russell_pipeline.lib.membership.in_force import IN_FORCE_COLUMNS
from russell_pipeline.lib.membership.reconcile import DIFFERENCE_COLUMNS, SUMMARY_COLUMNS, UNACCOUNTED
from russell_pipeline.lib.membership.revisions import REVISION_COLUMNS
from russell_pipeline.lib.membership.vendor import unlisted_members
from russell_pipeline.lib.securities.master import SECURITY_COLUMNS, TICKER_CHANGE_COLUMNS, master, sightings
from russell_pipeline.planning import digests
from russell_pipeline.planning.stale import MEMBERSHIP_KEY, membership_inputs

TABLES = {
    "membership_history": (
        HISTORY_COLUMNS,
        (
            "For each index and symbol, the intervals [start_date, end_date) in "
            "which it was a member, traced to the document rows that open and close each one."
        ),
    ),
    "membership_in_force": (
        IN_FORCE_COLUMNS,
        (
            "For each index and member, the spans in which one document row is "
            "in force for it (its name, sector and trace as that document prints them), whether the "
            "index's membership is complete there, and the derived Russell 1000; members_on reads "
            "it."
        ),
    ),
    "membership_reconciliation": (
        DIFFERENCE_COLUMNS,
        (
            "Symbols where previous membership list + final additions "
            "- final deletions differs from the next list, with the cause the documents show."
        ),
    ),
    "membership_reconciliation_summary": (
        SUMMARY_COLUMNS,
        (
            "Per index and documented reconstitution, what "
            "could be reconciled (scope, note) and the counts behind it."
        ),
    ),
    "list_revisions": (
        REVISION_COLUMNS,
        (
            "Names that entered or left between consecutive versions (preliminary, "
            "updates, final) of each addition and deletion list."
        ),
    ),
    "securities": (
        SECURITY_COLUMNS,
        (
            "The security master: each security the documents show, the tickers it carried and when "
            "(spans of valid_from/valid_to), its company (the SEC's CIK where a ticker map gives one) and "
            "the first and last document that show each ticker."
        ),
    ),
    "holdings_reconciliation": (
        RECONCILE_COLUMNS,
        (
            "For each ETF holdings file, the companies the fund holds that the lake's members of its index "
            "lack on that date, and the members it does not hold, each with its likely reason."
        ),
    ),
    "ticker_changes": (
        TICKER_CHANGE_COLUMNS,
        (
            "Each ticker a security changed (renamed: same CIK, new ticker) and each ticker that passed to "
            "another company (reused), with the dates between which it happened and the evidence."
        ),
    ),
}
EMPTY = {
    "membership_reconciliation": "no differences, or nothing to reconcile (see the summary table)",
    "list_revisions": "no change list has more than one version",
    "securities": "no document names a security",
    "ticker_changes": "no security changed its ticker in the documents and maps stored",
    "holdings_reconciliation": "no holdings file, or none that differs from the members",
}
DISJOINT = Check(
    "membership_history", "intervals_disjoint", "No symbol is in one index twice at the same time.", "block"
)
PLACED = Check(
    "membership_history",
    "documents_placed",
    "Every list document is dated on a review of recon_calendar; the others are left out of the history.",
    "warn",
)
RECONCILES = Check(
    "membership_reconciliation",
    "membership_reconciles",
    "Previous list + final additions - final "
    "deletions equals the next list, except where an IPO list or a list revision explains it "
    "(counts by cause); a review whose change lists are not stored is named, not failed.",
    "warn",
)
VENDOR = Check(
    "membership_in_force",
    "vendor_memberships_listed",
    "Every member the market data's `memberships` "
    "names for a review is in the published index it belongs to (Small Cap Completeness: Russell 3000; "
    "Russell 2000 Growth: Russell 2000 and 3000) where a complete list covers the review's effective "
    "date; the synthetic feed's generated memberships are not compared.",
    "warn",
)
CHECKS = [DISJOINT, PLACED, RECONCILES, VENDOR]
DATED = {"membership_history": "start_date", "membership_in_force": "valid_from"}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            name,
            deps=[
                "source_documents",
                "constituents",
                "constituent_changes",
                "recon_calendar",
                "universe_securities",
                "sec_tickers",
                "fund_holdings",
            ],
            code_version=digests.CODE_VERSIONS["membership"],
            **table_definition(name, schema, description),
        )
        for name, (schema, description) in TABLES.items()
    ],
    group_name="membership",
    pool=LAKE_POOL,
    retry_policy=LAKE_RETRY,
    check_specs=specs(CHECKS),
)
@reports_failure
def membership(context: dg.AssetExecutionContext, pipeline: Pipeline):
    """One pass over every year's lists and review dates feeds the four membership tables."""
    with pipeline.writing() as lake:
        inputs, digest = membership_inputs(lake)
        securities = master(
            sightings(
                *(inputs[t] for t in ("sec_tickers", "constituents", "constituent_changes")),
                *(inputs[t] for t in ("universe_securities", "fund_holdings", "source_documents")),
            )
        )
        built = membership_tables(
            inputs["constituents"],
            inputs["constituent_changes"],
            inputs["source_documents"],
            inputs["recon_calendar"],
            securities.keyed,
        )
        frames = {
            "membership_history": built.history,
            "membership_in_force": built.in_force,
            "membership_reconciliation": built.reconciliation,
            "membership_reconciliation_summary": built.summary,
            "list_revisions": built.revisions,
            "securities": securities.securities,
            "ticker_changes": securities.changes,
            "holdings_reconciliation": reconcile_holdings(
                inputs["fund_holdings"].join(
                    inputs["source_documents"]
                    .select(source_sha256="sha256", path="path")
                    .unique("source_sha256"),
                    on="source_sha256",
                    how="left",
                ),
                securities.keyed,
                built.in_force,
                securities.securities,
            ),
        }
        results = [
            DISJOINT.frame(overlapping_intervals(built.history), "overlap"),
            PLACED.frame(built.unplaced, "unplaced document"),
            _reconciliation_check(built.reconciliation, built.summary),
            _vendor_check(inputs, built.in_force),
        ]
        yield from commit(
            context,
            Write(
                lake=lake,
                checks=CHECKS,
                results=results,
                staged=[Staged(name, frame) for name, frame in frames.items()],
                lineage={"membership": {MEMBERSHIP_KEY: digest}},
                facts={
                    name: table_facts(
                        lake,
                        name,
                        frame,
                        DATED.get(name),
                        empty_because=EMPTY.get(name, "no list document placed on a review"),
                    )
                    for name, frame in frames.items()
                },
                data_version=digest,
            ),
        )


def _markdown(frame: pl.DataFrame) -> dg.MetadataValue:
    if not frame.height:
        return dg.MetadataValue.md("none")
    cells = [[("" if v is None else str(v)) for v in row] for row in frame.iter_rows()]
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.width]
    return dg.MetadataValue.md("\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells]))


def _reconciliation_check(differences: pl.DataFrame, summary: pl.DataFrame) -> dg.AssetCheckResult:
    """Fails on differences no document accounts for; reviews whose documents are missing are a state,
    listed with what is missing."""
    unaccounted = differences.filter(pl.col("cause").is_in(UNACCOUNTED))
    counts = (
        differences.group_by("review", "index_name", "difference", "cause")
        .len("symbols")
        .sort("review", "index_name", "difference", "cause")
    )
    incomplete = summary.filter(pl.col("note") != "")
    return RECONCILES.result(
        unaccounted.height == 0,
        differences=differences.height,
        unaccounted=unaccounted.height,
        missing_document=differences.filter(pl.col("cause") == "missing_document").height,
        documents_missing=_markdown(incomplete.select("review", "index_name", "scope", "note")),
        by_cause=_markdown(counts),
        reviews=_markdown(summary.drop("recon_year")),
        examples=_markdown(
            unaccounted.select(
                "review",
                "index_name",
                "difference",
                "cause",
                "symbol",
                "company",
                "source_path",
                "source_page",
                "source_line",
            ).head(20)
        ),
    )


def _vendor_check(inputs: dict[str, pl.DataFrame], in_force: pl.DataFrame) -> dg.AssetCheckResult:
    if inputs["market_source"]["synthetic"].any():
        return VENDOR.result(
            True,
            compared="none: the market data is the synthetic feed, whose memberships are "
            "generated from borrowed tickers, not a vendor's",
        )
    unlisted, compared = unlisted_members(
        inputs["market_memberships"], in_force, review_dates(inputs["recon_calendar"])
    )
    done = sorted(set(compared.filter(pl.col("compared"))["review"]))
    reviews = compared["review"].n_unique()
    return VENDOR.frame(
        unlisted,
        "market-data member absent from the published list in force",
        compared=(
            f"{len(done)} of {reviews} reviews"
            + (f" ({', '.join(done)})" if done else "")
            + ": the others have no complete published list on their effective date"
            if reviews
            else "none: no membership list or no market-data memberships are stored"
        ),
    )
