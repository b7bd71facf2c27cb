"""Does a `quarterly_weights` backfill grow with the history, or with the reviews only?

    .venv/bin/python bench/weights_bench.py [--stocks 3000] [--years 4 16] [--rounds 2]

For each history length Y it writes the built-in synthetic feed with --stocks stocks from 2018-01-02
to the end of 2018 + Y (memberships from the first review, 2019-03: 4 reviews a year) into the
market tables of a fresh temporary lake, as `market_data` stores them (date order). Then, each in a
fresh process (so its peak RSS is its own), it runs the weights backfill of every review the two
ways, each with its SQL recomputation (`recompute.weight_mismatches`) as `quarterly_weights` runs it:

- `whole history`: every market table read whole (`stored_market_data(lake)`), as `quarterly_weights`
  did before it read per review;
- `per review`: each review reads only its window (`review_market_data`), as `quarterly_weights` does.

It prints per (way, Y) the wall time of the backfill (the fastest of --rounds runs, interleaved: the
machine is shared), its time per review and the process's peak RSS (and what the process took
after its imports), then the ratios long/short history: time
should grow with the number of reviews (linear in history), memory not at all. Both ways must give
the same weights (their digest is printed and compared).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

WAYS = ("whole history", "per review")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(root: str, stocks: int, years: int) -> None:
    """The synthetic feed's market tables in a lake at `root` (its own process: not measured)."""
    from russell_pipeline.lake.lake_root import Lake
    from russell_pipeline.lib.market.contract import SCHEMAS
    from russell_pipeline.lib.market.synthetic import synthetic_market_data

    md = synthetic_market_data(date(2018 + years, 12, 31), n_stocks=stocks)
    Path(root).mkdir(parents=True)
    lake = Lake(root)
    for name in SCHEMAS:
        lake.tables.write(f"market_{name}", getattr(md, name), publish=False)
    print(json.dumps({"prices": md.prices.height, "reviews": len(md.reviews)}))


def backfill(root: str, way: str) -> None:
    """The weights of every stored review, the `way` given; prints time, peak RSS and a digest."""
    import polars as pl

    from russell_pipeline.lake.lake_root import Lake
    from russell_pipeline.lake.market_tables import review_market_data, stored_market_data, stored_reviews
    from russell_pipeline.lib.calendar.projection import project_calendar
    from russell_pipeline.lib.calendar.reviews import rebalance_dates
    from russell_pipeline.lib.index import recompute
    from russell_pipeline.lib.index.weights import compute_weights

    imported = _peak_mb()
    lake = Lake(root)
    keys = stored_reviews(lake)
    years = sorted({int(k[:4]) for k in keys})
    dates = rebalance_dates(pl.concat([project_calendar(y) for y in years])).filter(
        pl.col("review").is_in(keys)
    )
    digest = hashlib.sha256()
    started = time.perf_counter()
    if way == WAYS[0]:  # all tables read whole, every review computed, then one SQL recomputation of them all
        md = stored_market_data(lake)
        frames = [compute_weights(md, *row, 10) for row in dates.iter_rows()]
        bad = recompute.weight_mismatches(pl.concat(frames), md).height
    else:  # each review from its own window, with its SQL recomputation on that window
        frames, bad = [], 0
        for row in dates.iter_rows():
            md = review_market_data(lake, row[0], row[1], 10)
            frames.append(compute_weights(md, *row, 10))
            bad += recompute.weight_mismatches(frames[-1], md).height
    took = time.perf_counter() - started
    if bad:
        sys.exit(f"{way}: the SQL recomputation disagrees on {bad} rows")
    for weights in frames:
        digest.update(weights.write_ipc(None).getvalue())
    print(
        json.dumps(
            {
                "seconds": took,
                "reviews": dates.height,
                "peak": _peak_mb(),
                "imported": imported,
                "digest": digest.hexdigest()[:16],
            }
        )
    )


def _child(*args: str, script: str = __file__) -> dict:
    done = subprocess.run([sys.executable, script, *args], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def run(
    doc: str, prepare, backfill, ways: tuple[str, ...], script: str = __file__
) -> tuple[list[int], dict] | None:
    """A bench run as this one: as a child, `--prepare` a lake or run one `--backfill`, and None;
    else a lake per history length, then every (way, history) backfill in a fresh process, --rounds
    times, and the history lengths with the results keyed by (way, years) (the fastest round each)."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stocks", type=int, default=3000)
    p.add_argument(
        "--years", type=int, nargs=2, default=[4, 16], help="short and long history (years of reviews)"
    )
    p.add_argument("--rounds", type=int, default=2, help="runs of each (way, history); the fastest counts")
    p.add_argument("--prepare", nargs=3, help=argparse.SUPPRESS)
    p.add_argument("--backfill", nargs=2, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.prepare:
        return prepare(a.prepare[0], int(a.prepare[1]), int(a.prepare[2]))
    if a.backfill:
        return backfill(*a.backfill)
    results: dict[tuple[str, int], dict] = {}
    tmp = Path(tempfile.mkdtemp(prefix=f"{Path(script).stem}_"))
    try:
        for years in a.years:
            feed = _child("--prepare", str(tmp / f"lake_{years}"), str(a.stocks), str(years), script=script)
            print(
                f"{a.stocks} stocks, reviews 2019-{2018 + years}: {feed['prices']:,} price rows, "
                f"{feed['reviews']} reviews",
                flush=True,
            )
        # Rounds interleave the sizes and ways, and each keeps its fastest: the machine is shared.
        for _ in range(a.rounds):
            for years in a.years:
                for way in ways:
                    r = _child("--backfill", str(tmp / f"lake_{years}"), way, script=script)
                    best = results.setdefault((way, years), r)
                    results[way, years] = min(best, r, key=lambda x: x["seconds"])
                    if r["digest"] != best["digest"]:
                        sys.exit(f"{way}, {years} years: the rounds gave different results")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return a.years, results


def main() -> None:
    done = run(__doc__, prepare, backfill, WAYS)
    if done is not None:
        report(
            *done,
            WAYS,
            lambda way, years, r: (
                f"{way:>13}, {years:>2} years of reviews: backfill {r['seconds']:.1f} s "
                f"({1000 * r['seconds'] / r['reviews']:.0f} ms/review), peak RSS {r['peak']:.0f} MB "
                f"({r['peak'] - r['imported']:.0f} MB after imports), weights {r['digest']}"
            ),
            "weights",
        )


def report(history: list[int], results: dict, ways: tuple[str, ...], line, what: str) -> None:
    """`line(way, years, result)` per (history, way); the ways must agree (`digest`) at each history."""
    for years in history:
        for way in ways:
            print(line(way, years, results[way, years]), flush=True)
        if len({results[way, years]["digest"] for way in ways}) > 1:
            sys.exit(f"{years} years: the two ways gave different {what}")
    ratios(history, results, ways)


def ratios(years: list[int], results: dict, ways: tuple[str, ...]) -> None:
    """Per way, long against short history: time (against the reviews) and peak RSS."""
    short, long = years
    for way in ways:
        s, g = results[way, short], results[way, long]
        print(
            f"ratio {long}/{short} years, {way}: time {g['seconds'] / s['seconds']:.2f}x "
            f"({g['reviews'] / s['reviews']:.1f}x the reviews), peak RSS {g['peak'] / s['peak']:.2f}x, "
            f"after imports {(g['peak'] - g['imported']) / (s['peak'] - s['imported']):.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
