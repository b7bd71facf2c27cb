"""Start-up cost of the CLI verbs that run no Dagster job, as ratios to `python -c "import polars"`.

    .venv/bin/python bench/startup_bench.py [--rounds 7]

Each round runs, in a fresh process each and interleaved (so a busy machine slows all alike):
`import polars`, `russell-pipeline parse` of a small sample list, `russell-pipeline calendar 2024`
(which needs the NYSE calendar) and `russell-pipeline --help`. It prints the median CPU seconds
(user + system of the child, from wait4) and wall seconds of each, and each one's CPU ratio to
`import polars`. Target (issue 18): `parse` of a small list at most 2.5x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMALL_LIST = min((REPO / "data_lake" / "raw" / "2023").iterdir())


def measure(command: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of `command`."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "russell_pipeline.cli"]
    commands = {
        "import polars": [sys.executable, "-c", "import polars"],
        f"parse {SMALL_LIST.name}": [*cli, "parse", str(SMALL_LIST)],
        "calendar 2024": [*cli, "calendar", "2024"],
        "--help": [*cli, "--help"],
    }
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for name, command in commands.items():  # a first run of each warms the bytecode and file caches
        measure(command)
    for _ in range(args.rounds):
        for name, command in commands.items():
            runs[name].append(measure(command))
    base = statistics.median(cpu for cpu, _ in runs["import polars"])
    print(f"{'command':<40}{'CPU s':>8}{'wall s':>8}{'CPU / import polars':>22}")
    for name, samples in runs.items():
        cpu, wall = statistics.median(c for c, _ in samples), statistics.median(w for _, w in samples)
        print(f"{name:<40}{cpu:>8.2f}{wall:>8.2f}{cpu / base:>21.2f}x")


if __name__ == "__main__":
    main()
