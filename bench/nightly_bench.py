"""Does a nightly run cost the same with 3 years of history as with 30?

    .venv/bin/python bench/nightly_bench.py [--data out/levels_bench/5000x30]
    .venv/bin/python bench/nightly_bench.py --market [--stocks 15000] [--history 4 16]

Uses the data `levels_bench.py` generated (run that first). For histories of 3 and 30 years
it stores the series up to the last rebalance (untimed), then times what the nightly
`index_levels` run does: read the market data from two months before the period's cut-off
out of the date-sorted Parquet files (row groups before it are skipped), and compute the
period in force from the stored last row (`period_levels`).

Then the same night as Dagster runs it: on a lake built by `russell-pipeline build` (the
committed documents, the synthetic feed with --stocks stocks to --end, in a temporary folder),
it materializes `index_levels` for the latest review partition through the project's
definitions (`reviews_job`, in process, as `build` runs it) --repeat times, and prints the
asset's time from the run's event log (STEP_START to STEP_SUCCESS of the `index_levels` step:
locking the lake, reading the weights and market data, computing, checking, writing, reading the
whole series back and drawing the chart) beside the run's wall time and the core work alone
(read from two months before the cut-off + compute the period) on the same lake.

`--market`: does one new market day cost the same with 16 years of reviews as with 4? For each
--history length it writes the synthetic feed of --stocks stocks over those years to the session
--days sessions before --end as a user's CSV folder (memberships from the first year of prices, so
the longer history holds four times the reviews, weights and levels) and builds a lake from it; then for each
of those --days sessions up to --end, on each lake in turn (so both see the same machine), it times, each a
fresh `russell-pipeline build` process: a build with nothing new, and a build after that session's rows
are appended to the CSV files. It prints each night, the medians, and the two ratios of medians
against the targets:
the new day with the longest history over the shortest (<= 1.3x), and over the
no-change build of the same lake (<= 2.5x).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl

from russell_pipeline.lib.index.levels import CLOSE_LOOKBACK, LevelState, all_levels, period_levels

ROOT = Path(__file__).resolve().parents[1]

DATED = {"prices": "date", "dividends": "ex_date", "splits": "ex_date", "fx": "date"}


def _read(data: Path, since: date, end: date) -> dict[str, pl.DataFrame]:
    return {
        n: pl.scan_parquet(data / f"{n}.parquet").filter(pl.col(c).is_between(since, end)).collect()
        for n, c in DATED.items()
    }


def nightly(data: Path, weights: pl.DataFrame, days: list[date], end: date, repeat: int) -> tuple[float, int]:
    weights = weights.filter(pl.col("effective_date") <= end)
    last = weights["review"].max()
    own = weights.filter(pl.col("review") == last)
    history = _read(data, date.min, end)
    stored = all_levels(
        weights.filter(pl.col("review") != last),
        own["effective_date"][0],
        history["prices"],
        history["dividends"],
        history["splits"],
        history["fx"],
        days,
    )
    start = LevelState.last_of(stored)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        md = _read(data, own["cutoff_date"][0] - CLOSE_LOOKBACK, end)
        rows = period_levels(own, start, end, md["prices"], md["dividends"], md["splits"], md["fx"], days)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), stored.height + rows.height


def dagster_night(root: Path, repeat: int) -> dict:
    """Run in a subprocess whose environment points at the built lake (read at import)."""
    import dagster as dg

    from russell_pipeline.definitions import defs
    from russell_pipeline.lake.index_tables import stored_state
    from russell_pipeline.lake.lake_root import Lake
    from russell_pipeline.lake.market_tables import stored_market_data
    from russell_pipeline.lib.index.levels import effective_date, history_needed
    from russell_pipeline.lib.sessions import sessions

    lake = Lake(root)
    weights = lake.tables.read("quarterly_weights")
    last_day = lake.tables.scan("market_prices").select(pl.col("date").max()).collect().item()
    in_force = sorted(weights.filter(pl.col("effective_date") <= last_day)["review"].unique().to_list())
    key, previous = in_force[-1], in_force[-2]
    job = defs.resolve_job_def("reviews_job")
    instance = dg.DagsterInstance.get()
    steps, walls, cores = [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = job.execute_in_process(
            instance=instance,
            partition_key=key,
            asset_selection=[dg.AssetKey("index_levels")],
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        )
        walls.append(time.perf_counter() - t0)
        assert result.success
        stamps = {
            e.dagster_event.event_type_value: e.timestamp
            for e in instance.all_logs(result.run_id)
            if e.dagster_event is not None
            and e.step_key == "index_levels"
            and e.dagster_event.event_type_value in ("STEP_START", "STEP_SUCCESS")
        }
        steps.append(stamps["STEP_SUCCESS"] - stamps["STEP_START"])
        # the core of the same night on the same lake: read from two months before the cut-off, compute
        t0 = time.perf_counter()
        own = weights.filter(pl.col("review") == key)
        md = stored_market_data(lake, since=history_needed(weights, [key]))
        start = stored_state(lake, previous, key)
        rows = all_levels(
            own,
            md.prices["date"].max(),
            md.prices,
            md.dividends,
            md.splits,
            md.fx,
            sessions(effective_date(weights, key), md.prices["date"].max()),
            start,
        )
        cores.append(time.perf_counter() - t0)
    stored = lake.tables.read("index_levels", "review", [key])
    assert rows.select("date", "price_return").equals(stored.sort("date").select("date", "price_return")), (
        "core and asset disagree"
    )
    return {
        "key": key,
        "step": statistics.median(steps),
        "wall": statistics.median(walls),
        "core": statistics.median(cores),
        "sessions": rows.height,
        "history": lake.tables.read("index_levels").height,
    }


def dagster_bench(stocks: int, end: str, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root, home, market = Path(tmp) / "lake", Path(tmp) / "home", Path(tmp) / "market"
        shutil.copytree(ROOT / "data_lake" / "raw", root / "raw")
        home.mkdir()
        from russell_pipeline.lib.market.contract import write_market_data
        from russell_pipeline.lib.market.synthetic import synthetic_market_data

        write_market_data(synthetic_market_data(date.fromisoformat(end), n_stocks=stocks), market)
        env = os.environ | {
            "RUSSELL_DATA_LAKE": str(root),
            "DAGSTER_HOME": str(home),
            "RUSSELL_MARKET_DATA": str(market),
        }
        subprocess.run(
            [sys.executable, "-m", "russell_pipeline.cli", "build"], env=env, check=True, capture_output=True
        )
        out = subprocess.run(
            [sys.executable, __file__, "--dagster-run", str(root), "--repeat", str(repeat)],
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        r = json.loads(out.splitlines()[-1])
        print(
            f"in Dagster, {stocks} synthetic stocks to {end} ({r['history']:,} sessions stored): "
            f"index_levels {r['key']} asset step (STEP_START to STEP_SUCCESS) {r['step'] * 1000:.0f} ms, run "
            f"wall {r['wall'] * 1000:.0f} ms; core read + period in force on the same lake "
            f"{r['core'] * 1000:.0f} ms ({r['sessions']} sessions; median of {repeat})"
        )


def _market_lake(stocks: int, years: int, nights: list[date], tmp: Path) -> tuple[dict, Path, object]:
    """A lake built from `years` of the synthetic feed to the session before `nights` (a CSV folder, with
    the members of every review from the first year of prices); (its environment, the folder, the
    nights' rows)."""
    from scaling_bench import feed_start, history_start, timed_build

    from russell_pipeline.lib.market.synthetic import synthetic_market_data
    from russell_pipeline.lib.sessions import previous_session

    before = previous_session(date.fromordinal(nights[0].toordinal() - 1))
    start = date.fromisoformat(history_start(nights[-1].isoformat(), years))
    root, home, market = tmp / "lake", tmp / "home", tmp / "market"
    shutil.copytree(ROOT / "data_lake" / "raw", root / "raw")
    home.mkdir()
    market.mkdir()
    md = synthetic_market_data(before, n_stocks=stocks, **feed_start(start.isoformat()))
    for name in ("prices", "shares", "memberships", "dividends", "splits"):
        getattr(md, name).write_csv(market / f"{name}.csv")
    rows, reviews = md.prices.height, md.memberships["review"].n_unique()
    del md
    new = synthetic_market_data(nights[-1], n_stocks=stocks, start=start, since=nights[0])
    env = os.environ | {
        "RUSSELL_DATA_LAKE": str(root),
        "DAGSTER_HOME": str(home),
        "RUSSELL_MARKET_DATA": str(market),
    }
    full, peak, _, failures = timed_build(env)
    if failures:
        sys.exit(f"backfill failed: {failures}")
    print(
        f"history {years} years ({start} to {before}, {rows:,} price rows, {reviews} reviews): backfill "
        f"{full:.1f} s, peak {peak:.0f} MB",
        flush=True,
    )
    return env, market, new


def _night(years: int, day: date, env: dict, market: Path, new) -> dict:
    """One night on one lake: a no-change build, then `day`'s rows appended and a build."""
    from scaling_bench import timed_build

    still = timed_build(env)[0]
    for name, column in (
        ("prices", "date"),
        ("shares", "date"),
        ("dividends", "ex_date"),
        ("splits", "ex_date"),
    ):
        with open(market / f"{name}.csv", "a") as f:
            f.write(getattr(new, name).filter(pl.col(column) == day).write_csv(include_header=False))
    night, peak, out, failures = timed_build(env)
    if failures:
        sys.exit(f"one-new-day build failed: {failures}")
    ran = {
        ln.split(": ok in ")[0]: float(ln.split(": ok in ")[1].split("s")[0])
        for ln in out.splitlines()
        if ": ok in " in ln
    }
    wrote = next((ln.strip() for ln in out.splitlines() if "market_data wrote:" in ln), "")
    print(
        f"history {years} years, new day {day}: no-change build {still:.1f} s; one-new-day build "
        f"{night:.1f} s (peak {peak:.0f} MB; runs: {', '.join(f'{k} {v:.1f} s' for k, v in ran.items())}; "
        f"{wrote})",
        flush=True,
    )
    return {"still": still, "night": night, "market": ran.get("market_data", float("nan"))}


def market_bench(stocks: int, histories: list[int], end: str, days: int, keep: Path | None) -> None:
    """Both lakes first, then night by night on each in turn, so both see the same machine."""
    sys.path.insert(0, str(ROOT / "bench"))
    from russell_pipeline.lib.sessions import previous_session

    nights = [date.fromisoformat(end)]
    while len(nights) < days:
        nights.insert(0, previous_session(date.fromordinal(nights[0].toordinal() - 1)))
    folders = {
        years: Path(tempfile.mkdtemp(prefix=f"market_night_{stocks}x{years}_", dir=keep))
        for years in histories
    }
    try:
        lakes = {years: _market_lake(stocks, years, nights, folders[years]) for years in histories}
        got = {years: [] for years in histories}
        for day in nights:
            for years in histories:
                got[years].append(_night(years, day, *lakes[years]))
    finally:
        if keep is None:
            for folder in folders.values():
                shutil.rmtree(folder, ignore_errors=True)
    med = {
        years: {k: statistics.median(n[k] for n in got[years]) for k in ("still", "night", "market")}
        for years in histories
    }
    for years in histories:
        print(
            f"history {years} years, medians of {days} nights: no-change build {med[years]['still']:.1f} s, "
            f"one-new-day build {med[years]['night']:.1f} s, its market_data run {med[years]['market']:.1f} s"
        )
    short, long = med[min(histories)], med[max(histories)]
    print(
        f"{stocks} stocks, one new market day: {max(histories)} years of history / {min(histories)} years = "
        f"{long['night'] / short['night']:.2f}x (target <= 1.3x; market_data run alone "
        f"{long['market'] / short['market']:.2f}x)"
    )
    print(
        f"{stocks} stocks, {max(histories)} years: one-new-day build / no-change build = "
        f"{long['night'] / long['still']:.2f}x (target <= 2.5x)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT / "out" / "levels_bench" / "5000x30")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument(
        "--stocks",
        type=int,
        default=None,
        help="synthetic stocks of the lake run in Dagster (3000; --market: 15000)",
    )
    p.add_argument("--end", default="2026-11-20", help="last session of that lake's synthetic feed")
    p.add_argument("--dagster-run", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--market", action="store_true", help="the market-data night at --history lengths instead")
    p.add_argument("--history", type=int, nargs=2, default=[4, 16], help="years of market history compared")
    p.add_argument("--days", type=int, default=3, help="--market: new days appended one by one (medians)")
    p.add_argument("--keep", type=Path, default=None, help="make the --market lakes here and keep them")
    a = p.parse_args()
    if a.market:
        market_bench(15000 if a.stocks is None else a.stocks, a.history, a.end, a.days, a.keep)
        return
    if a.dagster_run:
        print(json.dumps(dagster_night(a.dagster_run, a.repeat)))
        return
    if not (a.data / "sessions.json").exists():
        sys.exit(f"{a.data}: no benchmark data; run bench/levels_bench.py first")
    weights = pl.read_parquet(a.data / "weights.parquet")
    days = [date.fromisoformat(d) for d in json.loads((a.data / "sessions.json").read_text())]
    for years in (3, 30):
        end = days[min(len(days), years * 252) - 1]
        seconds, rows = nightly(a.data, weights, days, end, a.repeat)
        print(
            f"history {years:>2} years (to {end}, {rows:,} sessions): nightly read + period in force "
            f"{seconds * 1000:.0f} ms (median of {a.repeat})"
        )
    dagster_bench(3000 if a.stocks is None else a.stocks, a.end, a.repeat)


if __name__ == "__main__":
    main()
