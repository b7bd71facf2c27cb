"""`build`, the main job: every out-of-date partition of every asset, then one new warehouse.

Years first (documents and calendar), then the market data, then the reviews (weights and
levels), then the membership tables over every year, then the reconstitution effect of each year
(it reads the levels) and its forecast (it reads the membership tables), then the pro-forma weights
(the upcoming review's read its forecast), each only where its inputs changed (planning/stale.py,
planning/research.py, planning/forecast.py). A build first asks the lake, without importing Dagster,
whether any of these is out of date, or any table changed behind a build, or any data file differs
from its commit: when none is, it says so stage by stage, exactly as the full planner would, and
launches nothing; otherwise the full planner (planning/runs.py) runs the stages as recorded Dagster
runs.
"""

from __future__ import annotations

import sys

import polars as pl

from russell_pipeline.lake import checksums
from russell_pipeline.lake.store import Lake
from russell_pipeline.lake.tables import ingested_lists, price_label
from russell_pipeline.lib.market import provenance
from russell_pipeline.planning import forecast, research, stale
from russell_pipeline.settings import Settings

TABLES = (
    "source_documents",
    "constituents",
    "constituent_changes",
    "universe_securities",
    "recon_calendar",
    "market_prices",
    "market_memberships",
    "market_source",
    "quarterly_weights",
    "index_levels",
    "pro_forma_weights",
    "membership_history",
    "membership_in_force",
    "membership_reconciliation",
    "membership_reconciliation_summary",
    "list_revisions",
    "research_prices",
    "reconstitution_paths",
    "reconstitution_effect",
    "reconstitution_forecast",
    "forecast_breaks",
    "forecast_score",
    "forecast_misses",
)


def build(settings: Settings, verbose: bool = False) -> int:
    """Every out-of-date partition, then one new warehouse: readers see the tables of the previous
    build until this one ends, then all of this one's (lake/commit.py leaves publishing to it).

    The build holds the lake's writer lock from before it plans until it has published, so builds
    started together run one after the other, and each plans on what the one before it left."""
    lake = Lake.from_settings(settings)
    lake.check_writable()
    with lake.locked():
        with lake.pinned():  # each table opened once for the questions (nothing here writes)
            planned = nothing_to_do(lake, settings)
        if planned is not None:
            for line in planned:
                print(line, flush=True)
            failed_runs, failed_checks = [], []
        else:
            from russell_pipeline.planning.runs import run_stages  # Dagster: only for a build with work

            failed_runs, failed_checks = run_stages(lake, settings, verbose)
        with lake.pinned():  # after the runs: their commits are opened afresh here
            removed = lake.vacuum()
            if removed:
                print(
                    f"vacuum: removed {removed} data files replaced more than "
                    f"{lake.retention_hours} hours ago"
                )
            lake.publish()
    _summary(lake)
    return _failures(failed_runs, failed_checks)


def _failures(failed_runs: list[str], failed_checks: list[str]) -> int:
    """The exit code, like `dbt build`'s: 1 when a run failed (its partitions keep what they held) or
    an error-level check failed on what a run wrote (warn-level ones were printed and pass); the
    summary says which kind each failure is."""
    if not failed_runs and not failed_checks:
        return 0
    said = [
        f"{len(lines)} {what}"
        for lines, what in (
            (failed_runs, "run(s) failed, their partitions keep what they held"),
            (failed_checks, "error-level check(s) failed on rows that were written"),
        )
        if lines
    ]
    print(f"build finished with failures: {'; '.join(said)}:", file=sys.stderr)
    for line in failed_runs + failed_checks:
        print(f"  {line}", file=sys.stderr)
    return 1


def nothing_to_do(lake: Lake, settings: Settings) -> list[str] | None:
    """The lines the full planner prints when it launches no run (every stage up to date), or None
    when it has work: the same questions as planning/runs.py `_build`, in its order, asked of the
    locked lake. Nothing is written. (When no stage is out of date the full planner changes
    nothing between stages, so asking every stage up front gives its answers.)"""
    if lake.changed_outside():
        return None
    damage, unrecorded, _ = checksums.check(lake)
    if damage or unrecorded:  # rebuilt, or recorded as found: the full planner writes
        return None
    years, _, todo = stale.years_out_of_date(lake)
    if todo or stale.market_stale(lake, stale.market_fingerprint(settings, ingested_lists(lake))):
        return None
    _, reviews = stale.reviews_out_of_date(lake)
    if any(reviews[a] for a in stale.INDEX_ASSETS) or stale.membership_stale(lake):
        return None
    research_years, _, todo = research.years_out_of_date(lake)
    if todo:
        return None
    forecast_years, _, todo = forecast.years_out_of_date(lake)
    if todo or reviews[stale.PRO_FORMA]:
        return None
    return [
        f"years: 0 of {len(years)} out of date",
        "market_data: up to date",
        "reviews: 0 out of date",
        "membership: up to date",
        f"{research.ASSET}: 0 of {len(research_years)} years out of date",
        f"{forecast.ASSET}: 0 of {len(forecast_years)} years out of date",
        f"{stale.PRO_FORMA}: 0 out of date",
    ]


def _summary(lake: Lake) -> None:
    counts = lake.counts()  # the tables the warehouse has a view of
    if not counts:
        return
    print(f"tables in {lake.warehouse}:")
    shown = [t for t in TABLES if t in counts]
    width = max(map(len, shown), default=0) + 2
    for table in shown:
        print(f"  {table:<{width}}{counts[table]:>12,} rows")
    if "reconstitution_forecast" in counts:
        for line in forecast_lines(lake.published("reconstitution_forecast")):
            print(line)
    if provenance.is_synthetic(price_label(lake)):
        print(
            provenance.synthetic_note("the market tables and every row whose price_source is `synthetic`"),
            file=sys.stderr,
            flush=True,
        )


def forecast_lines(rows: pl.DataFrame | None) -> list[str]:
    """The latest forecast review in a line: its actions and what its universe is (`forecast YEAR`)."""
    if rows is None or not rows.height:
        return []
    review = rows["review"].max()
    mine = rows.filter(pl.col("review") == review)
    counts = mine.group_by("action").len().sort("len", descending=True)
    said = ", ".join(
        f"{a} {n:,}" for a, n in counts.iter_rows() if a in ("add", "delete", "move_up", "move_down")
    )
    source = ", ".join(sorted(set(mine[provenance.COLUMN].drop_nulls())))
    if provenance.is_synthetic(source):
        source = "the market data, SYNTHETIC (the built-in feed, not market data)"
    return [
        (
            f"forecast of the {review} reconstitution (rank day {mine['rank_day'][0]}, universe: {source}): "
            f"{said or 'no change'}; `russell-pipeline forecast {review[:4]} --summary` has the breaks"
        )
    ]
