"""Benchmark of russell_pipeline.lib.levels.all_levels against two pandas references.

    .venv/bin/python bench/levels_bench.py [--stocks 5000] [--years 30] [--pandas-years 3]

Generates a synthetic market (random-walk prices with gaps, splits, dividends, three
currencies, one review per quarter, stocks listing and delisting) into out/levels_bench/,
then times each implementation in a fresh subprocess so ru_maxrss is that run's own peak
(the parent stays small: Linux carries a parent's peak RSS into ru_maxrss across fork+exec).
The references are in bench/levels_pandas.py: a vectorised pandas/numpy implementation (per
review, a session x member matrix; row sums; chained) and a per-day loop. Nothing is
extrapolated: polars and vectorised pandas run on the full size; the day loop, too slow for
it, runs on the first --pandas-years with polars and vectorised pandas on that same size.
Every line names its size; all results are checked to agree (relative difference < 1e-10).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from russell_pipeline.lib.index.levels import all_levels
from russell_pipeline.lib.sessions import previous_session, sessions

FIRST = date(2005, 1, 1)
CURRENCIES = ["USD", "CAD", "EUR"]
TABLES = ["weights", "prices", "dividends", "splits", "fx"]


def _reviews(days: list[date]) -> list[tuple[str, int, int]]:
    """(review, cut-off index, effective index): third Friday of each quarter's last month."""
    index = {d: i for i, d in enumerate(days)}
    out = []
    for y in range(days[0].year, days[-1].year + 1):
        for m in (3, 6, 9, 12):
            first = date(y, m, 1)
            friday = first + timedelta(days=(4 - first.weekday()) % 7 + 14)
            eff = previous_session(friday)
            if days[0] < eff <= days[-1]:
                out.append((f"{y}-{m:02d}", index[previous_session(eff - timedelta(days=9))], index[eff]))
    return out


def generate(stocks: int, years: int, out: Path, seed: int = 90_10) -> None:
    rng = np.random.default_rng(seed)
    days = sessions(FIRST, date(FIRST.year + years - 1, 12, 31))
    n, reviews = len(days), _reviews(days)
    # ~1.25 % of stocks delist per quarter (mean life 20 years) and as many list
    births = np.concatenate([np.zeros(stocks, int), rng.integers(1, n, int(stocks * 0.0125 * len(reviews)))])
    u = len(births)
    deaths = births + rng.exponential(20 * 252, u).astype(int)
    cur = rng.choice(3, u, p=[0.92, 0.05, 0.03])
    base_shares, free_float = rng.lognormal(17, 1, u), rng.uniform(0.3, 1.0, u)
    c = np.where(rng.random(u) < 0.08, -0.3, 1.0) * rng.uniform(0.5, 1.5, u)  # ~8 % short side
    cols = {k: [] for k in ("day", "sym", "close", "wq", "wsym", "wpx", "wshares", "dday", "dsym", "damt")}
    split_rows = []
    for b0 in range(0, u, 1000):
        syms = np.arange(b0, min(b0 + 1000, u))
        _batch(
            syms, np.random.default_rng([seed, b0]), n, births, deaths, base_shares, reviews, cols, split_rows
        )
    names = np.array([f"S{s:05d}" for s in range(u)])
    day_arr = np.array(days, dtype="datetime64[D]")
    cat_idx = np.concatenate(cols["sym"])
    prices = pl.DataFrame(
        {
            "date": day_arr[np.concatenate(cols["day"])],
            "symbol": pl.Series(names[cat_idx], dtype=pl.Categorical),
            "close": np.concatenate(cols["close"]),
            "currency": pl.Series(np.array(CURRENCIES)[cur[cat_idx]], dtype=pl.Categorical),
        }
    ).sort("date", "symbol")
    fx_paths = {c_: 0.8 * np.exp(np.cumsum(rng.normal(0, 0.005, n))) for c_ in CURRENCIES[1:]}
    fx = pl.DataFrame(
        {
            "date": np.tile(day_arr, 2),
            "currency": np.repeat(CURRENCIES[1:], n),
            "usd_per_unit": np.concatenate(list(fx_paths.values())),
        }
    )
    weights = _weights(cols, reviews, day_arr, names, cur, fx_paths, free_float, c)
    dsym = np.concatenate(cols["dsym"])
    dividends = pl.DataFrame(
        {
            "ex_date": day_arr[np.concatenate(cols["dday"])],
            "symbol": names[dsym],
            "amount": np.concatenate(cols["damt"]),
        }
    ).sort("ex_date")
    sx, ss, sk = zip(*split_rows)
    splits = pl.DataFrame({"ex_date": day_arr[list(sx)], "symbol": names[list(ss)], "ratio": sk}).sort(
        "ex_date"
    )
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in zip(TABLES, [weights, prices, dividends, splits, fx]):
        frame.write_parquet(out / f"{name}.parquet")
    (out / "sessions.json").write_text(json.dumps([d.isoformat() for d in days]))


def _batch(
    syms: np.ndarray,
    brng: np.random.Generator,
    n: int,
    births: np.ndarray,
    deaths: np.ndarray,
    base_shares: np.ndarray,
    reviews: list[tuple[str, int, int]],
    cols: dict[str, list],
    split_rows: list[tuple[int, int, float]],
) -> None:
    """One batch of stocks, drawn from its own generator: closes (a random walk with splits, 2 % of
    sessions missing), each review's members and their cut-off prices and shares, quarterly dividends;
    appended to `cols` and `split_rows`."""
    adj = 20 * np.exp(np.cumsum(brng.normal(0.0002, 0.02, (n, len(syms))), axis=0))
    factor = np.ones_like(adj)  # cumulative split ratio in force on each day
    for j, s in enumerate(syms):
        lo, hi = births[s] + 1, min(deaths[s], n - 1) + 1
        for x in brng.integers(lo, hi, brng.poisson(1.0)) if lo < hi else []:
            k = brng.choice([2.0, 3.0, 1.5, 0.5])
            factor[x:, j] *= k
            split_rows.append((int(x), int(s), k))
    close = adj / factor
    alive = (np.arange(n)[:, None] >= births[syms]) & (np.arange(n)[:, None] <= deaths[syms])
    valid = alive & ((brng.random(close.shape) > 0.02) | (np.arange(n)[:, None] == births[syms]))
    d, j = np.nonzero(valid)
    cols["day"].append(d.astype(np.int32))
    cols["sym"].append(syms[j].astype(np.int32))
    cols["close"].append(close[d, j])
    last = np.maximum.accumulate(np.where(valid, np.arange(n)[:, None], -1), axis=0)
    for q, (_, t, _) in enumerate(reviews):
        member = (births[syms] <= t - 5) & (deaths[syms] >= t)
        cols["wq"].append(np.full(member.sum(), q))
        cols["wsym"].append(syms[member])
        cols["wpx"].append(close[last[t, member], np.nonzero(member)[0]])
        cols["wshares"].append(base_shares[syms[member]] * factor[t, member])
    payer = brng.random(len(syms)) < 0.6  # quarterly payers, 1.6 % a year
    for j in np.nonzero(payer)[0]:
        xs = np.arange(births[syms[j]] + brng.integers(1, 63), min(deaths[syms[j]] + 1, n), 63)
        cols["dday"].append(xs)
        cols["dsym"].append(np.full(len(xs), syms[j]))
        cols["damt"].append(0.004 * close[xs, j])


def _weights(cols, reviews, day_arr, names, cur, fx_paths, free_float, c) -> pl.DataFrame:
    """The weights of each review: its members at their cut-off prices, shares, free float and fx, the
    short side (`c` < 0) weighted negatively."""
    wq, wsym = np.concatenate(cols["wq"]), np.concatenate(cols["wsym"])
    wfx = np.array(
        [1.0 if cur[s] == 0 else fx_paths[CURRENCIES[cur[s]]][reviews[q][1]] for q, s in zip(wq, wsym)]
    )
    mcap = np.concatenate(cols["wpx"]) * np.concatenate(cols["wshares"]) * free_float[wsym] * wfx
    return pl.DataFrame(
        {
            "review": np.array([r[0] for r in reviews])[wq],
            "cutoff_date": day_arr[[reviews[q][1] for q in wq]],
            "effective_date": day_arr[[reviews[q][2] for q in wq]],
            "symbol": names[wsym],
            "price": np.concatenate(cols["wpx"]),
            "shares": np.concatenate(cols["wshares"]),
            "free_float": free_float[wsym],
            "fx": wfx,
            "scc_fraction": 1.0,
            "r2g_fraction": 0.0,
            "final_mcap": mcap * c[wsym],
            "weight": 0.0,
            "weighting_factor": c[wsym],
        }
    ).with_columns(weight=pl.col("final_mcap") / pl.col("final_mcap").sum().over("review"))


def _load(data: Path) -> tuple[dict[str, pl.DataFrame], list[date]]:
    frames = {name: pl.read_parquet(data / f"{name}.parquet") for name in TABLES}
    return frames, [date.fromisoformat(d) for d in json.loads((data / "sessions.json").read_text())]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # all threads of this process
    return usage.ru_utime + usage.ru_stime


def run(engine: str, data: Path, end: date, out: Path) -> dict:
    """One timed run (called in a fresh subprocess); writes the levels to `out`."""
    f, days = _load(data)
    loaded_mb = _peak_mb()
    if end < days[-1]:  # a shorter run sees only the market data up to its end, like a user would
        f = {
            k: v.filter(pl.col("ex_date" if k in ("dividends", "splits") else "date") <= end)
            if k != "weights"
            else v
            for k, v in f.items()
        }
    args = (f["weights"], end, f["prices"], f["dividends"], f["splits"], f["fx"], days)
    if engine in ("pandas", "pandas_vec"):
        from levels_pandas import pandas_levels, pandas_levels_vectorised

        args = tuple(a.to_pandas() if isinstance(a, pl.DataFrame) else a for a in args)
        impl = pandas_levels if engine == "pandas" else pandas_levels_vectorised
        t0, c0 = time.perf_counter(), _cpu_seconds()
        levels = pl.from_pandas(impl(*args)).with_columns(pl.col("date").cast(pl.Date))
    else:
        t0, c0 = time.perf_counter(), _cpu_seconds()
        levels = all_levels(*args)
    seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    levels.write_parquet(out)
    return {
        "engine": engine,
        "end": end.isoformat(),
        "seconds": seconds,
        "cpu": cpu,
        "rows": levels.height,
        "loaded_mb": loaded_mb,
        "peak_mb": _peak_mb(),
    }


def _subprocess(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def _timed(engine: str, data: Path, end: date, out: Path) -> dict:
    return _subprocess("--run", engine, "--data", str(data), "--end", end.isoformat(), "--out", str(out))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stocks", type=int, default=5000)
    p.add_argument("--years", type=int, default=30)
    p.add_argument("--pandas-years", type=int, default=3)
    p.add_argument("--data", type=Path, default=ROOT / "out" / "levels_bench")
    p.add_argument("--run", choices=["polars", "pandas", "pandas_vec"])
    p.add_argument("--end", type=date.fromisoformat)
    p.add_argument("--out", type=Path)
    p.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--repeat", type=int, default=3, help="fresh-process runs of the full polars timing")
    a = p.parse_args()
    if a.run:
        print(json.dumps(run(a.run, a.data, a.end, a.out)))
        return
    data = a.data / f"{a.stocks}x{a.years}"
    if a.generate:
        generate(a.stocks, a.years, data)
        print(json.dumps({}))
        return
    if not (data / "sessions.json").exists():
        t0 = time.perf_counter()
        _subprocess("--generate", "--stocks", str(a.stocks), "--years", str(a.years), "--data", str(a.data))
        print(f"generated {data} in {time.perf_counter() - t0:.0f} s")
    rows = {t: pl.scan_parquet(data / f"{t}.parquet").select(pl.len()).collect().item() for t in TABLES}
    reviews = pl.scan_parquet(data / "weights.parquet").select(pl.col("review").n_unique()).collect().item()
    days = [date.fromisoformat(d) for d in json.loads((data / "sessions.json").read_text())]
    print(
        f"data: {rows['prices']:,} prices, {reviews} reviews, {rows['weights'] / reviews:,.0f} constituents"
        f"/review, {rows['dividends']:,} dividends, {rows['splits']:,} splits, {len(days):,} sessions"
    )
    size = f"{a.stocks} stocks x {a.years} years ({len(days):,} sessions)"
    runs = [_timed("polars", data, days[-1], data / "levels_polars.parquet") for _ in range(a.repeat)]
    full = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    times = ", ".join(f"{r['seconds']:.2f} ({r['cpu']:.1f} CPU)" for r in runs)
    print(
        f"polars all_levels, {size}, {a.repeat} fresh processes, wall (CPU) s: {times}; "
        f"median {full['seconds']:.2f} s on {os.cpu_count()} cores; peak RSS "
        f"{max(r['peak_mb'] for r in runs):.0f} MB, {full['loaded_mb']:.0f} MB of it the loaded inputs; "
        f"{full['rows']:,} rows"
    )
    vec = _timed("pandas_vec", data, days[-1], data / "levels_pandas_vec.parquet")
    print(f"pandas vectorised, {size}: {vec['seconds']:.2f} s, peak RSS {vec['peak_mb']:.0f} MB")
    print(f"ratio vectorised pandas / polars, {size}: {vec['seconds'] / full['seconds']:.1f} x")

    short_days = sessions(FIRST, date(FIRST.year + a.pandas_years - 1, 12, 31))
    short_end, short = (
        short_days[-1],
        f"{a.stocks} stocks x {a.pandas_years} years ({len(short_days):,} sessions)",
    )
    small = _timed("polars", data, short_end, data / "levels_polars_short.parquet")
    small_vec = _timed("pandas_vec", data, short_end, data / "levels_pandas_vec_short.parquet")
    ref = _timed("pandas", data, short_end, data / "levels_pandas_short.parquet")
    print(f"polars all_levels, {short}: {small['seconds']:.2f} s")
    print(f"pandas vectorised, {short}: {small_vec['seconds']:.2f} s, peak RSS {small_vec['peak_mb']:.0f} MB")
    print(f"pandas day loop, {short}: {ref['seconds']:.1f} s, peak RSS {ref['peak_mb']:.0f} MB")
    print(f"ratio vectorised pandas / polars, {short}: {small_vec['seconds'] / small['seconds']:.1f} x")
    print(f"ratio pandas day loop / polars, {short}: {ref['seconds'] / small['seconds']:.0f} x")

    _agree(data, size, short, a.years, a.pandas_years)


def _agree(data: Path, size: str, short: str, years: int, pandas_years: int) -> None:
    """Print the largest relative difference of each run against polars' (and of the short polars run
    against the prefix of the full one); fail above 1e-10."""

    def rel(got: pl.DataFrame, want: pl.DataFrame) -> float:
        assert got["date"].equals(want["date"]) and got["review"].equals(want["review"])
        return max(
            ((got[c] - want[c]).abs() / want[c].abs()).max()
            for c in ("price_return", "total_return", "divisor")
        )

    def read(name: str) -> pl.DataFrame:
        return pl.read_parquet(data / f"levels_{name}.parquet")

    diffs = {
        f"vectorised pandas, {size}": rel(read("polars"), read("pandas_vec")),
        f"vectorised pandas, {short}": rel(read("polars_short"), read("pandas_vec_short")),
        f"pandas day loop, {short}": rel(read("polars_short"), read("pandas_short")),
    }
    got = read("polars_short")
    prefix = read("polars").head(got.height)
    drift = max(((prefix[c] - got[c]).abs() / got[c].abs()).max() for c in ("price_return", "total_return"))
    for what, d in diffs.items():
        print(f"max relative difference polars vs {what}: {d:.2e} (limit 1e-10)")
    print(f"{pandas_years}-year run vs prefix of the {years}-year run: {drift:.2e}")
    assert max(diffs.values()) < 1e-10, "polars and pandas disagree"


if __name__ == "__main__":
    main()
