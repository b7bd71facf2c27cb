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
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.market_tables import price_label
from russell_pipeline.lib import collector
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
    "sec_tickers",
    "fund_holdings",
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
    "securities",
    "ticker_changes",
    "holdings_reconciliation",
    "research_prices",
    "reconstitution_paths",
    "reconstitution_effect",
    "reconstitution_forecast",
    "forecast_breaks",
    "forecast_score",
    "forecast_misses",
    "reconstitution_demand",
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
    collector.freeze_survivors()  # until runs.py settles: Dagster's objects live as long as the process
    lake = Lake.from_settings(settings)
    lake.lock.check_writable()
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
    with lake.lock.hold():
        with lake.tables.pinned():  # each table opened once for the questions (nothing here writes)
            damaged = lake.tables.damaged()
            # The file check, asked once: the full planner starts from it when there is work.
            checked = None if damaged else checksums.check(lake)
            planned = None if damaged else nothing_to_do(lake, settings, checked)
            if planned is not None:  # no run: the tables stay as opened for the vacuum and the warehouse
                for line in planned:
                    print(line, flush=True)
                stop.check()
                _vacuum_and_publish(lake)
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
            outcome = Outcome([], [])
        else:
            if settings.market_data:  # a grown CSV's first bytes hashed while Dagster loads (market_update)
                from russell_pipeline.planning import digests, market_update

                market_update.prove_early(lake, settings.market_data, digests.CODE_VERSIONS["market_data"])
            from russell_pipeline.runner.runs import run_stages  # Dagster: only for a build with work

            outcome = run_stages(lake, settings, checked, verbose, stop)
            stop.check()
            if outcome.halted is None:
                with lake.tables.pinned():  # after the runs: their commits are opened afresh here
                    _vacuum_and_publish(lake)
    _summary(lake)
    return _failures(lake, outcome)


def _vacuum_and_publish(lake: Lake) -> None:
    """The end of a build that did not halt: the files no version needs removed, then the warehouse
    published (inside `pinned`, with the lock held)."""
    removed = lake.vacuum()
    if removed:
        print(f"vacuum: removed {removed} data files replaced more than {lake.retention_hours} hours ago")
    lake.warehouse.publish()


def _published_state(lake: Lake, new: bool) -> str:
    """Which build the warehouse shows, in words."""
    if not lake.warehouse.file.exists():
        return "no warehouse is published yet"
    when = datetime.fromtimestamp(lake.warehouse.file.stat().st_mtime).isoformat(" ", "seconds")
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
    if lake.lineage.changed_outside():
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
    counts = lake.warehouse.counts()  # the tables the warehouse has a view of
    if not counts:
        return
    print(f"tables in {lake.warehouse.file}:")
    shown = [t for t in TABLES if t in counts]
    width = max(map(len, shown), default=0) + 2
    for table in shown:
        print(f"  {table:<{width}}{counts[table]:>12,} rows")
    if "reconstitution_forecast" in counts:
        for line in forecast_lines(
            lake.warehouse.published("reconstitution_forecast"), _universe_files(lake)
        ):
            print(line)
    if provenance.is_synthetic(price_label(lake)):
        print(
            provenance.synthetic_note("the market tables and every row whose price_source is `synthetic`"),
            file=sys.stderr,
            flush=True,
        )


def _universe_files(lake: Lake) -> pl.DataFrame:
    """The published universe files of every year, each placed on the review it serves (lib/forecast/
    inputs.py `placed_files`: `role` universe on a rank day, history within the 30 days before one)."""
    from russell_pipeline.lib.forecast.inputs import Calendar, placed_files, reviews

    universe, documents = (
        lake.warehouse.published("universe_securities"),
        lake.warehouse.published("source_documents"),
    )
    calendar = lake.warehouse.published("recon_calendar")
    if universe is None or documents is None or calendar is None or not universe.height:
        return pl.DataFrame(schema=FILES)
    files = universe.select("recon_year", "source_sha256", "as_of_date").unique()
    calendar = Calendar(calendar)
    placed = [
        placed_files(mine, documents, reviews(calendar, year)).with_columns(
            rank_day=pl.col("review").replace_strict(
                {r.review: r.rank_day for r in reviews(calendar, year)}, default=None, return_dtype=pl.Date
            )
        )
        for (year,), mine in files.group_by("recon_year")
    ]
    return pl.concat(placed).select(list(FILES)).sort("as_of_date", "path")


FILES = {
    "path": pl.String,
    "as_of_date": pl.Date,
    "role": pl.String,
    "review": pl.String,
    "rank_day": pl.Date,
}


def _universe(source: str) -> str:
    """A forecast's `price_source` as the summary says it: the synthetic feed named as such."""
    return (
        "the market data, SYNTHETIC (the built-in feed, not market data)"
        if provenance.is_synthetic(source)
        else source
    )


def forecast_lines(rows: pl.DataFrame | None, files: pl.DataFrame | None = None) -> list[str]:
    """The latest forecast review in a line (its actions and what its universe is: `forecast YEAR`); which
    universe each forecast review rests on; and each universe file dated off its review's rank day where
    that review has no file on it (its forecast rests on the market data, or there is none), so a file
    dated a day off is never passed over without a word. `files`: the universe files, placed
    (`_universe_files`)."""
    rows = (
        rows if rows is not None else pl.DataFrame(schema={"review": pl.String, provenance.COLUMN: pl.String})
    )
    files = files if files is not None else pl.DataFrame(schema=FILES)
    lines = []
    if rows.height:
        review = rows["review"].max()
        mine = rows.filter(pl.col("review") == review)
        counts = mine.group_by("action").len().sort("len", descending=True)
        said = ", ".join(
            f"{a} {n:,}" for a, n in counts.iter_rows() if a in ("add", "delete", "move_up", "move_down")
        )
        source = _universe(", ".join(sorted(set(mine[provenance.COLUMN].drop_nulls()))))
        lines.append(
            f"forecast of the {review} reconstitution (rank day {mine['rank_day'][0]}, universe: {source}): "
            f"{said or 'no change'}; `russell-pipeline forecast {review[:4]} --summary` has the breaks"
        )
    by_review = dict(rows.group_by("review").agg(pl.col(provenance.COLUMN).drop_nulls().first()).iter_rows())
    if len(by_review) > 1:  # consecutive forecast reviews on one universe in a run: `first..last on it`
        runs: list[list] = []
        for review, source in sorted(by_review.items()):
            if runs and runs[-1][2] == source:
                runs[-1][1] = review
            else:
                runs.append([review, review, source])
        lines.append(
            "forecasts by universe: "
            + "; ".join(
                f"{a}{'..' + b if b != a else ''} on {_universe(source or 'unknown')}"
                for a, b, source in runs
            )
        )
    on_day = set(files.filter(pl.col("role") == "universe")["review"].to_list())
    off = files.filter(pl.col("role") == "history", ~pl.col("review").is_in(list(on_day)))
    for path, as_of, _, review, rank_day in off.iter_rows():
        rests = (
            f"{review}'s forecast rests on {_universe(by_review[review])} instead"
            if by_review.get(review)
            else f"{review} has no forecast (no market-data close on its rank day either)"
        )
        lines.append(
            f"{path}: dated {as_of}, not {review}'s rank day {rank_day}: {rests}; the file gives only the "
            "closes before rank day (a member's average price). A file's date is the close it holds: a "
            f"universe of the {rank_day} close is dated {rank_day}"
        )
    return lines
