"""`build`, the main job: every out-of-date partition of every asset, then one new warehouse.

The stages of the stage table (planning/stages.py), in its order, each only where its inputs changed.
A build first asks the lake, without importing Dagster,
whether any of these is out of date, or any table changed behind a build, or any data file differs
from its commit: when none is, it says so stage by stage, exactly as the full planner would, and
launches nothing; otherwise the full planner (runner/runs.py) runs the stages as recorded Dagster
runs.
"""

from __future__ import annotations

import sys
from datetime import datetime

import polars as pl

from russell_pipeline.lake import checksums
from russell_pipeline.lake.market_tables import price_label
from russell_pipeline.lake.store import Lake
from russell_pipeline.lib.market import provenance
from russell_pipeline.planning.stages import STAGES
from russell_pipeline.runner.outcome import Outcome
from russell_pipeline.runner.stop import Stopped, StopSignals, end_descendants, stop_signals
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
    build until this one ends, then all of this one's (defs/commit.py leaves publishing to it).

    The published warehouse is always one whole build: this one, when every run succeeded or failed
    on its input only (its partitions keep what they held, and what reads them was built on that);
    else the previous one, unchanged: a table that cannot be used (named before any run), a run that
    failed on anything but its input (no later stage runs), or a stop signal (SIGTERM, SIGINT: the
    build ends at its next safe point, kills what it started and exits 128 + the signal's number).

    The build holds the lake's writer lock from before it plans until it has published, so builds
    started together run one after the other, and each plans on what the one before it left."""
    lake = Lake.from_settings(settings)
    lake.check_writable()
    with stop_signals() as stop:
        try:
            return _build(lake, settings, verbose, stop)
        except Stopped as stopped:
            ended = end_descendants()
            print(
                f"build stopped by {stopped.name}: what was committed stays in the lake (the next build "
                f"continues from it), nothing of this build is published"
                + (f", {len(ended)} process(es) it started ended" if ended else "")
                + f"; {_published_state(lake, new=False)}",
                file=sys.stderr,
                flush=True,
            )
            return 128 + stopped.signum


def _build(lake: Lake, settings: Settings, verbose: bool, stop: StopSignals) -> int:
    with lake.locked():
        with lake.pinned():  # each table opened once for the questions (nothing here writes)
            damaged = lake.damaged_tables()
            # The file check, asked once: the full planner starts from it when there is work.
            checked = None if damaged else checksums.check(lake)
            planned = None if damaged else nothing_to_do(lake, settings, checked)
        if damaged:  # not about a year nor a review: said once, before any run
            for line in damaged:
                print(f"error: {line}", file=sys.stderr)
            print(
                f"build: nothing was run: {len(damaged)} table(s) of the lake cannot be used; "
                f"{_published_state(lake, new=False)}",
                file=sys.stderr,
            )
            return 1
        if planned is not None:
            for line in planned:
                print(line, flush=True)
            outcome = Outcome([], [])
        else:
            from russell_pipeline.runner.runs import run_stages  # Dagster: only for a build with work

            outcome = run_stages(lake, settings, checked, verbose, stop)
        stop.check()
        if outcome.halted is None:
            with lake.pinned():  # after the runs: their commits are opened afresh here
                removed = lake.vacuum()
                if removed:
                    print(
                        f"vacuum: removed {removed} data files replaced more than "
                        f"{lake.retention_hours} hours ago"
                    )
                lake.publish()
    _summary(lake)
    return _failures(lake, outcome)


def _published_state(lake: Lake, new: bool) -> str:
    """Which build the warehouse shows, in words."""
    if not lake.warehouse.exists():
        return "no warehouse is published yet"
    when = datetime.fromtimestamp(lake.warehouse.stat().st_mtime).isoformat(" ", "seconds")
    return (
        f"the warehouse shows this build's tables (published {when})"
        if new
        else f"the warehouse still shows the previous build's tables (published {when})"
    )


def _failures(lake: Lake, outcome: Outcome) -> int:
    """The exit code, like `dbt build`'s: 1 when a run failed (its partitions keep what they held) or
    an error-level check failed on what a run wrote (warn-level ones were printed and pass); the
    summary says which kind each failure is, and which build the warehouse shows."""
    if not outcome.failures and not outcome.failed_checks and not outcome.halted:
        return 0
    said = [
        f"{len(lines)} {what}"
        for lines, what in (
            (outcome.failures, "run(s) failed, their partitions keep what they held"),
            (outcome.failed_checks, "error-level check(s) failed on rows that were written"),
        )
        if lines
    ]
    if said:
        print(f"build finished with failures: {'; '.join(said)}:", file=sys.stderr)
    for line in outcome.failures + outcome.failed_checks:
        print(f"  {line}", file=sys.stderr)
    if outcome.halted in outcome.failures:  # a run failed on something other than its input
        print(
            f"build halted: {outcome.halted.split(': ', 1)[0]} failed on something other than its input, so "
            f"no later stage ran and nothing of this build is published; {_published_state(lake, new=False)}",
            file=sys.stderr,
        )
    elif outcome.halted:  # outside any run (the Dagster instance)
        print(
            f"build halted: {outcome.halted}; nothing of this build is published; "
            f"{_published_state(lake, new=False)}",
            file=sys.stderr,
        )
    else:
        print(_published_state(lake, new=True), file=sys.stderr)
    return 1


def nothing_to_do(
    lake: Lake, settings: Settings, checked: checksums.Checked | None = None
) -> list[str] | None:
    """The lines the full planner prints when it launches no run (every stage up to date), or None
    when it has work: every stage of the stage table asked, in its order, of the locked lake. Nothing
    is written. (When no stage is out of date the full planner changes nothing between stages, so
    asking every stage up front gives its answers.) `checked`: what `checksums.check` said of the
    locked lake, when it was asked already."""
    if lake.changed_outside():
        return None
    damage, unrecorded, _ = checksums.check(lake) if checked is None else checked
    if damage or unrecorded:  # rebuilt, or recorded as found: the full planner writes
        return None
    lines = []
    for stage in STAGES:
        plan = stage.out_of_date(lake, settings)
        if not plan.empty:
            return None
        lines.append(stage.line(plan))
    return lines


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
