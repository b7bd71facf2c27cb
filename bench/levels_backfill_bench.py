"""Does an `index_levels` backfill's memory grow with the history, or stay at one chunk of reviews?

    .venv/bin/python bench/levels_backfill_bench.py [--stocks 3000] [--years 4 16] [--rounds 2]

For each history length Y it writes the built-in synthetic feed (as `weights_bench.py` does: --stocks
stocks, reviews 2019 to 2018 + Y) into the market tables of a fresh temporary lake, and the
`quarterly_weights` of every review (each from its own window, as the asset computes them): all
untimed, in its own process. Then, each in a fresh process (so its peak RSS is its own), it runs
the levels backfill of every review with its level checks (`level_findings`) the two ways:

- `all at once`: the market data of the whole run read at once (from `history_needed` of all the
  reviews on), every period computed from it (`all_levels`) and checked over the whole span, as
  `index_levels` did before it read per chunk;
- `chunked`: `levels.backfill`, as `index_levels` runs it: `CHUNK_REVIEWS` periods at a time, each
  chunk reading only its own span (`stored_market_data(lake, since, until)`) and checked with the
  session before it.

It prints per (way, Y) the wall time (the fastest of --rounds interleaved runs: the machine is
shared), the peak RSS (and after imports), then the ratios long/short history. Both ways must give
the same levels and check findings (their digests are printed and compared).
"""

from __future__ import annotations

import hashlib
import json
import time

from weights_bench import _peak_mb, report, run
from weights_bench import prepare as prepare_market

WAYS = ("all at once", "chunked")


def prepare(root: str, stocks: int, years: int) -> None:
    """The market tables (weights_bench.prepare), then every review's weights into the same lake."""
    import polars as pl

    from russell_pipeline.lake.lake_root import Lake
    from russell_pipeline.lake.market_tables import review_market_data, stored_reviews
    from russell_pipeline.lib.calendar.projection import project_calendar
    from russell_pipeline.lib.calendar.reviews import rebalance_dates
    from russell_pipeline.lib.index.weights import compute_weights

    prepare_market(root, stocks, years)
    lake = Lake(root)
    keys = stored_reviews(lake)
    dates = rebalance_dates(pl.concat([project_calendar(y) for y in sorted({int(k[:4]) for k in keys})]))
    frames = [
        compute_weights(review_market_data(lake, row[0], row[1], 10), *row, 10)
        for row in dates.filter(pl.col("review").is_in(keys)).iter_rows()
    ]
    lake.tables.write("quarterly_weights", pl.concat(frames, how="vertical_relaxed"), publish=False)


def backfill(root: str, way: str) -> None:
    """The levels of every review with weights, the `way` given; prints time, peak RSS and digests."""
    import polars as pl

    from russell_pipeline.lake.lake_root import Lake
    from russell_pipeline.lake.market_tables import last_close, stored_market_data
    from russell_pipeline.lib.index import levels as lv
    from russell_pipeline.lib.index.recompute import level_findings
    from russell_pipeline.lib.sessions import sessions

    imported = _peak_mb()
    lake = Lake(root)
    weights = lake.tables.read("quarterly_weights")
    keys = sorted(weights["review"].unique().to_list())
    findings = []
    started = time.perf_counter()
    if way == WAYS[0]:  # the whole run's market data at once, every period from it, one check of the span
        md = stored_market_data(lake, lv.history_needed(weights, keys))
        last_day = md.prices["date"].max()
        levels = lv.all_levels(
            weights,
            last_day,
            md.prices,
            md.dividends,
            md.splits,
            md.fx,
            sessions(lv.effective_date(weights, keys[0]), last_day),
        )
        findings.append(level_findings(levels, levels.clear(), weights, md))
    else:
        # a chunk of reviews at a time, each from its own span of the market data, checked with the row before
        previous = []

        def check(part, md):
            findings.append(
                level_findings(part, previous[-1].tail(1) if previous else part.clear(), weights, md)
            )
            previous.append(part)

        levels = lv.backfill(
            weights,
            keys,
            last_close(lake),
            None,
            lambda since, until: stored_market_data(lake, since, until),
            check,
        )
    took = time.perf_counter() - started
    found = {name: pl.concat([f[name] for f in findings], how="vertical_relaxed") for name in findings[0]}
    rows = hashlib.sha256(levels.write_ipc(None).getvalue()).hexdigest()[:16]
    checks = hashlib.sha256(
        b"".join(found[n].sort(found[n].columns).write_ipc(None).getvalue() for n in found)
    )
    print(
        json.dumps(
            {
                "seconds": took,
                "reviews": len(keys),
                "sessions": levels.height,
                "peak": _peak_mb(),
                "imported": imported,
                "levels": rows,
                "checks": checks.hexdigest()[:16],
                "digest": f"{rows} {checks.hexdigest()[:16]}",
                "rebalances": found["rebalances"].height,
            }
        )
    )


def main() -> None:
    done = run(__doc__, prepare, backfill, WAYS, __file__)
    if done is None:
        return
    history, results = done
    report(
        history,
        results,
        WAYS,
        lambda way, years, r: (
            f"{way:>11}, {years:>2} years of reviews: levels backfill {r['seconds']:.1f} s ({r['reviews']} "
            f"reviews, {r['sessions']:,} sessions, {r['rebalances']} rebalances checked), peak RSS "
            f"{r['peak']:.0f} MB ({r['peak'] - r['imported']:.0f} MB after imports), levels {r['levels']}, "
            f"checks {r['checks']}"
        ),
        "levels or check findings",
    )
    for years in history:
        c, w = results[WAYS[1], years], results[WAYS[0], years]
        print(
            f"{years} years, chunked / all at once: time {c['seconds'] / w['seconds']:.2f}x, "
            f"peak RSS {c['peak'] / w['peak']:.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
