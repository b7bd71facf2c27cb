"""How a full backfill and a night grow with the number of constituents and years: `build` at 1x and 10x.

    .venv/bin/python bench/scaling_bench.py [--stocks 3000 30000] [--end 2026-11-20]
        [--years 30 | --from-year 1996]

For each universe size N it writes the built-in synthetic feed with N stocks (to the session before
--end; from 2018-01-02, or --years years before --end, or the first session of --from-year) into a
market-data folder, with memberships from the first year of prices (the first review of that year whose
stocks have traded long enough; the feed's own 2019-03 without --years or --from-year), so the weights
and levels cover every review from there, then runs `russell-pipeline build` on a fresh temporary lake (the
committed documents in raw/, its own DAGSTER_HOME), each build a fresh process under /usr/bin/time,
three times: the full backfill, a build with nothing new, and a build after the feed gains one session
(--end). Per build it prints the wall time, the build process's peak RSS, the runs it launched and
their Dagster events and asset materializations (read from the instance), and after the backfill the
size on disk of the lake tables, the warehouse and the instance. docs/scaling.md has the model.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def generate(stocks: int, end: str, folder: str, start: str = "") -> None:
    """Write the synthetic feed (called in its own process so its memory is not the bench's)."""
    from datetime import date

    from russell_pipeline.lib.market.contract import write_market_data
    from russell_pipeline.lib.market.synthetic import synthetic_market_data

    write_market_data(
        synthetic_market_data(date.fromisoformat(end), n_stocks=stocks, **feed_start(start)), folder
    )


def feed_start(start: str) -> dict:
    """The synthetic feed's start from `start` ("" for its own): prices from that day, memberships from
    the March review of its year (the first with seasoned stocks is the first to hold any)."""
    from datetime import date

    return {"start": date.fromisoformat(start), "members_from": f"{start[:4]}-03"} if start else {}


def history_start(end: str, years: int | None, from_year: int | None = None) -> str:
    """The first day of `years` years of history to `end`, or the first session of `from_year` ("" for
    the feed's own start, 2018-01-02)."""
    from datetime import date

    from russell_pipeline.lib.sessions import FIRST_DAY, next_session

    if from_year is not None:
        return next_session(date(from_year - 1, 12, 31)).isoformat()
    if years is None:
        return ""
    last = date.fromisoformat(end)
    start = last.replace(year=last.year - years)
    if start < FIRST_DAY:
        sys.exit(
            f"--years {years}: the history would start {start}, before the NYSE calendar known here "
            f"({FIRST_DAY}); ask for at most "
            f"{last.year - FIRST_DAY.year - (last.replace(year=FIRST_DAY.year) < FIRST_DAY)} years to {last}"
        )
    return start.isoformat()


def du_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6 if path.exists() else 0.0


def timed_build(env: dict) -> tuple[float, float, str, list[str]]:
    """(wall seconds, peak RSS in MB, stdout, failure lines) of one `russell-pipeline build` in a fresh
    process."""
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "russell_pipeline.cli", "build"]
    started = time.perf_counter()
    done = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if peak is None:
        sys.exit(f"build did not run:\n{done.stderr[-4000:]}")
    failures = [line for line in done.stderr.splitlines() if ": FAILED: " in line] if done.returncode else []
    if done.returncode and not failures:
        sys.exit(f"build failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-4000:]}")
    return took, int(peak.group(1)) / 1024, done.stdout, failures


def run_counts(home: Path, known: set[str]) -> tuple[int, int, int, set[str]]:
    """(runs, events, materializations) of the runs in the instance at `home` not in `known`."""
    env = os.environ | {"DAGSTER_HOME": str(home)}
    code = (
        "import json, dagster as dg\n"
        "i = dg.DagsterInstance.get()\n"
        "out = {}\n"
        "for r in i.get_runs():\n"
        "    logs = i.all_logs(r.run_id)\n"
        "    out[r.run_id] = [len(logs), sum(1 for e in logs if e.dagster_event is not None and "
        "e.dagster_event.event_type_value == 'ASSET_MATERIALIZATION')]\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    counts = json.loads(done.stdout.splitlines()[-1])
    new = {k: v for k, v in counts.items() if k not in known}
    return len(new), sum(v[0] for v in new.values()), sum(v[1] for v in new.values()), set(counts)


def one_size(stocks: int, end: str, before: str, keep: Path | None, start: str = "") -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f"scaling_{stocks}_", dir=keep))
    try:
        root, home, market = tmp / "lake", tmp / "home", tmp / "market"
        shutil.copytree(REPO / "data_lake" / "raw", root / "raw")
        home.mkdir()
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--generate", str(stocks), before, str(market), start], check=True
        )
        print(
            f"N={stocks}: synthetic feed to {before} written in {time.perf_counter() - t0:.0f} s "
            f"({du_mb(market):.0f} MB of Parquet)",
            flush=True,
        )
        env = os.environ | {
            "RUSSELL_DATA_LAKE": str(root),
            "DAGSTER_HOME": str(home),
            "RUSSELL_MARKET_DATA": str(market),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        known: set[str] = set()
        for label in ("full backfill", "no-change build", "one-new-day build"):
            if label == "one-new-day build":
                subprocess.run(
                    [sys.executable, __file__, "--generate", str(stocks), end, str(market), start], check=True
                )
            took, peak, out, failures = timed_build(env)
            runs, events, mats, known = run_counts(home, known)
            if label == "no-change build" and runs:
                print(f"N={stocks} WARNING: the no-change build launched {runs} runs:\n{out}", flush=True)
            print(
                f"N={stocks} {label}: {took:.1f} s, peak RSS {peak:.0f} MB, {runs} runs, "
                f"{events} Dagster events ({events / runs if runs else 0:.0f} per run), {mats} "
                "materializations" + (f"; FAILED: {' | '.join(failures)}" if failures else ""),
                flush=True,
            )
            ran = [
                line.split(": ok in ")[0] + " " + line.split(": ok in ")[1].split()[0]
                for line in out.splitlines()
                if ": ok in " in line
            ]
            stale = [line for line in out.splitlines() if line.startswith("reviews: ")]
            print(f"N={stocks} {label} runs: {', '.join(ran) or 'none'}; {'; '.join(stale)}", flush=True)
            if label == "full backfill":
                print(
                    f"N={stocks} lake on disk: tables {du_mb(root / 'lake'):.0f} MB, warehouse "
                    f"{du_mb(root / 'warehouse.duckdb'):.1f} MB, instance {du_mb(home):.1f} MB",
                    flush=True,
                )
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stocks", type=int, nargs="+", default=[3000, 30000])
    p.add_argument("--end", default="2026-11-20", help="last session after the new day")
    p.add_argument("--keep", type=Path, default=None, help="make the temporary lakes here and keep them")
    p.add_argument(
        "--years", type=int, default=None, help="years of market history to --end (default: from 2018)"
    )
    p.add_argument(
        "--from-year", type=int, default=None, help="market history from the first session of this year"
    )
    p.add_argument("--generate", nargs="+", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.generate:
        generate(int(a.generate[0]), a.generate[1], a.generate[2], *a.generate[3:])
        return
    sys.path.insert(0, str(REPO))
    from datetime import date

    from russell_pipeline.lib.sessions import previous_session

    end = date.fromisoformat(a.end)
    if previous_session(end) != end:
        sys.exit(f"--end {end} is not a session")
    before = previous_session(date.fromordinal(end.toordinal() - 1)).isoformat()
    start = history_start(a.end, a.years, a.from_year)
    print(
        f"machine: {os.cpu_count()} cores; feed {'from ' + start + ' ' if start else ''}to {before}, then "
        f"one new session {end}",
        flush=True,
    )
    for stocks in a.stocks:
        started = time.perf_counter()
        one_size(stocks, a.end, before, a.keep, start)
        print(f"N={stocks}: bench wall time {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
