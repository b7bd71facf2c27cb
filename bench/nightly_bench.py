"""Does a nightly run cost the same with 3 years of history as with 30?

    .venv/bin/python bench/nightly_bench.py [--data out/levels_bench/5000x30]

Uses the data `levels_bench.py` generated (run that first). For histories of 3 and 30 years
it stores the series up to the last rebalance (untimed), then times what the nightly
`index_levels` run does: read the market data from two months before the period's cut-off
out of the date-sorted Parquet files (row groups before it are skipped), and compute the
period in force from the stored last row (`period_levels`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from russell_pipeline.lib.levels import LevelState, all_levels, period_levels

ROOT = Path(__file__).resolve().parents[1]

DATED = {"prices": "date", "dividends": "ex_date", "splits": "ex_date", "fx": "date"}


def _read(data: Path, since: date, end: date) -> dict[str, pl.DataFrame]:
    return {n: pl.scan_parquet(data / f"{n}.parquet").filter(pl.col(c).is_between(since, end)).collect()
            for n, c in DATED.items()}


def nightly(data: Path, weights: pl.DataFrame, days: list[date], end: date, repeat: int) -> tuple[float, int]:
    weights = weights.filter(pl.col("effective_date") <= end)
    last = weights["review"].max()
    own = weights.filter(pl.col("review") == last)
    history = _read(data, date.min, end)
    stored = all_levels(weights.filter(pl.col("review") != last), own["effective_date"][0], history["prices"],
                        history["dividends"], history["splits"], history["fx"], days)
    start = LevelState.last_of(stored)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        md = _read(data, own["cutoff_date"][0] - timedelta(days=62), end)
        rows = period_levels(own, start, end, md["prices"], md["dividends"], md["splits"], md["fx"], days)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), stored.height + rows.height


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT / "out" / "levels_bench" / "5000x30")
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    if not (a.data / "sessions.json").exists():
        sys.exit(f"{a.data}: no benchmark data; run bench/levels_bench.py first")
    weights = pl.read_parquet(a.data / "weights.parquet")
    days = [date.fromisoformat(d) for d in json.loads((a.data / "sessions.json").read_text())]
    for years in (3, 30):
        end = days[min(len(days), years * 252) - 1]
        seconds, rows = nightly(a.data, weights, days, end, a.repeat)
        print(f"history {years:>2} years (to {end}, {rows:,} sessions): nightly read + period in force "
              f"{seconds * 1000:.0f} ms (median of {a.repeat})")


if __name__ == "__main__":
    main()
