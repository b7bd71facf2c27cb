"""Does opening a table cost more the more nights have committed to it?

    .venv/bin/python bench/delta_log_bench.py [--commits 120]

Commits one small partition again and again to a table, as a build does to `lineage` several times a
night: once through `Lake.tables.write` (a checkpoint every CHECKPOINT_EVERY commits) and once through
deltalake's own writer (a checkpoint every 100, Delta's default), and after every 10 commits prints
the median time of opening each table and reading its version (what `changed_outside`, `lineage` and
every scan do first). The lake's open should stay flat; the other grows with the commits since its
last checkpoint.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl
from deltalake import DeltaTable, write_deltalake

from russell_pipeline.lake.delta import CHECKPOINT_EVERY
from russell_pipeline.lake.lake_root import Lake


def _open_ms(uri: str, repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        DeltaTable(uri).version()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--commits", type=int, default=120)
    a = p.parse_args()
    frame = pl.DataFrame({"asset": ["a"] * 3, "partition": ["1", "2", "3"], "inputs": ["x", "y", "z"]})
    with tempfile.TemporaryDirectory() as tmp:
        lake, plain = Lake(tmp), str(Path(tmp) / "plain")
        print(
            f"{'commits':>7} {'lake open ms':>13} {'delta default ms':>17}  (checkpoint every "
            f"{CHECKPOINT_EVERY} / 100)"
        )
        worst = {"lake": 0.0, "plain": 0.0}
        for n in range(1, a.commits + 1):
            lake.tables.write("t", frame, "asset", ["a"], publish=False)
            write_deltalake(
                plain,
                frame.to_arrow(),
                mode="overwrite",
                partition_by=["asset"],
                predicate="\"asset\" IN ('a')",
            )
            if n % 10 == 0:
                ours, theirs = _open_ms(lake.tables.uri("t")), _open_ms(plain)
                worst = {"lake": max(worst["lake"], ours), "plain": max(worst["plain"], theirs)}
                print(f"{n:>7} {ours:>13.2f} {theirs:>17.2f}", flush=True)
        print(
            f"slowest open over {a.commits} commits: lake {worst['lake']:.2f} ms, Delta's default "
            f"{worst['plain']:.2f} ms ({worst['plain'] / worst['lake']:.1f}x)"
        )


if __name__ == "__main__":
    main()
