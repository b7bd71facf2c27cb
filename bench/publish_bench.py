"""Publishing the warehouse: the cost after a build that changed a few tables, against making every view.

    .venv/bin/python bench/publish_bench.py [--lake PATH] [--rounds 7]

Without `--lake` it first builds a lake from the committed samples with a small synthetic feed
(about a minute), then, in this process and interleaved round by round:
- "one new day": the tables a night's build rewrites (the market tables, the last review's levels,
  the lake's bookkeeping) are rewritten with their own rows, then `Lake.warehouse.publish()`;
- "every view": the warehouse is removed, then `Lake.warehouse.publish()` makes every view (what every
  publish did before the warehouse was copied and only changed views made again).
It prints the median seconds of each and their ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEW_DAY = ("market_prices", "market_shares", "market_days", "market_source", "lineage", "written_versions")


def built_lake(folder: Path) -> Path:
    from russell_pipeline.lib.market.contract import write_market_data
    from russell_pipeline.lib.market.synthetic import synthetic_market_data

    root, market = folder / "lake", folder / "market"
    shutil.copytree(REPO / "data_lake" / "raw", root / "raw")
    write_market_data(synthetic_market_data(date(2026, 11, 20), n_stocks=600), market)
    env = os.environ | {
        "RUSSELL_DATA_LAKE": str(root),
        "DAGSTER_HOME": str(folder / "home"),
        "RUSSELL_MARKET_DATA": str(market),
    }
    subprocess.run(
        [sys.executable, "-m", "russell_pipeline.cli", "build"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return root


def timed(lake, before) -> float:
    """Seconds of one publish after `before`, with the writer lock held (as `build` publishes)."""
    with lake.lock.hold():
        before()
        started = time.perf_counter()
        assert lake.warehouse.publish()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lake", type=Path, default=None, help="a built lake (its tables are rewritten as they are)"
    )
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    from russell_pipeline.lake.lake_root import Lake

    with tempfile.TemporaryDirectory() as tmp:
        lake = Lake(args.lake or built_lake(Path(tmp)))
        last = lake.tables.read("index_levels")["review"].max()

        def new_day() -> None:
            for table in NEW_DAY:
                lake.tables.write(table, lake.tables.read(table), publish=False)
            lake.tables.write(
                "index_levels",
                lake.tables.read("index_levels", "review", [last]),
                "review",
                [last],
                publish=False,
            )

        runs: dict[str, list[float]] = {"one new day": [], "every view": []}
        timed(lake, new_day)  # warm the caches; the warehouse now has this code's registry
        for _ in range(args.rounds):
            runs["one new day"].append(timed(lake, new_day))
            runs["every view"].append(timed(lake, lambda: lake.warehouse.file.unlink()))
        views = len(lake.warehouse.published_versions())
        for name, samples in runs.items():
            print(f"publish, {name}: median {statistics.median(samples):.3f} s over {args.rounds} rounds")
        ratio = statistics.median(runs["one new day"]) / statistics.median(runs["every view"])
        print(
            f"ratio one new day / every view ({views} views, {len(NEW_DAY) + 1} tables rewritten): "
            f"{ratio:.2f} x"
        )


if __name__ == "__main__":
    main()
