"""Incremental `build`: seconds and files written for a build with nothing new and after one new document.

Builds a lake from the committed samples with the built-in synthetic feed fixed to an end date (so
"nothing new" really is nothing new), then times, as a user runs them (a fresh process each):
  1. a second build with no change,
  2. a build after one new schedule document for 2019 (its year, and the reviews whose dates move).
"Files written" counts files under the lake folder and DAGSTER_HOME created or modified by the run.

    .venv/bin/python bench/incremental_bench.py [--stocks 3000] [--end 2026-11-20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AMENDED_2019 = """Russell US Indexes - Annual Reconstitution 2019 (amended)

Friday 10 May 2019: Rank day.
Friday 07 June 2019: Preliminary membership lists are published after market close.
Friday 21 June 2019: The Russell US reconstitution is implemented after market close.
"""


def snapshot(*folders: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for f in folders for p in f.rglob("*") if p.is_file()}


def timed_build(env: dict, folders: tuple[Path, ...]) -> tuple[float, int, str]:
    before = snapshot(*folders)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "russell_pipeline.cli", "build"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    took = time.perf_counter() - started
    after = snapshot(*folders)
    written = sum(1 for p, m in after.items() if before.get(p) != m)
    return took, written, done.stdout


def startup(env: dict) -> float:
    """A process that imports the pipeline and exits: the part of a build that is not the build."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import russell_pipeline.cli; from russell_pipeline.definitions import defs"],
        env=env,
        check=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stocks", type=int, default=3000)
    parser.add_argument("--end", default="2026-11-20", help="last session of the synthetic feed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, home, market = Path(tmp) / "lake", Path(tmp) / "home", Path(tmp) / "market"
        shutil.copytree(REPO / "data_lake" / "raw", root / "raw")
        sys.path.insert(0, str(REPO))
        from datetime import date

        from russell_pipeline.lib.market.contract import write_market_data
        from russell_pipeline.lib.market.synthetic import synthetic_market_data

        write_market_data(synthetic_market_data(date.fromisoformat(args.end), n_stocks=args.stocks), market)
        env = os.environ | {
            "RUSSELL_DATA_LAKE": str(root),
            "DAGSTER_HOME": str(home),
            "RUSSELL_MARKET_DATA": str(market),
        }
        first, _, _ = timed_build(env, (root,))
        print(f"first build: {first:.1f} s ({args.stocks} synthetic stocks to {args.end})")
        base = startup(env)
        took, written, out = timed_build(env, (root, home))
        print(
            f"no-change build: {took:.2f} s, {written} files written "
            f"(of which {base:.2f} s is starting Python and importing the pipeline)"
        )
        assert "reviews: 0 out of date" in out, out
        (root / "raw" / "2019" / "zz_amended_2019.txt").write_text(AMENDED_2019)
        took, written, out = timed_build(env, (root, home))
        runs = [line.split(": ok")[0] for line in out.splitlines() if ": ok in" in line]
        print(f"one-new-document build: {took:.2f} s, {written} files written; runs: {', '.join(runs)}")


if __name__ == "__main__":
    main()
