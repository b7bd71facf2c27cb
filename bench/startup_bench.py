"""Start-up cost of the CLI verbs that run no Dagster job, and of a `build` with nothing to do.

    .venv/bin/python bench/startup_bench.py [--rounds 7]

It first builds a lake from the committed samples with a market-data folder of the synthetic feed
(--stocks, default 3000; a folder, so a second build has nothing to do). Each round then runs, in a fresh
process each and interleaved (so a busy machine slows all alike): `import polars`, the import of the pipeline
a build needs (`import russell_pipeline.cli` and the definitions Dagster loads,
`from russell_pipeline.definitions import defs`), `russell-pipeline build` on that lake with nothing to do,
`russell-pipeline parse` of a small sample list, `russell-pipeline calendar 2024` (which needs the NYSE
calendar) and `russell-pipeline --help`. It prints the median CPU seconds (user + system of the child, from
wait4) and wall seconds of each, each one's CPU ratio to `import polars`, and the build's to the pipeline's
import. Targets: `parse` of a small list at most 2.5x `import polars`; the no-change build at most 1.3x the
pipeline's import.
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
SMALL_LIST = min((REPO / "data_lake" / "raw" / "2023").iterdir())


def measure(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of `command`."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--stocks", type=int, default=3000, help="stocks of the built lake's market data")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "russell_pipeline.cli"]
    tmp = Path(tempfile.mkdtemp(prefix="startup_bench_"))
    try:
        lake_env = built_lake(tmp, cli, args.stocks)
        run(args.rounds, cli, lake_env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def built_lake(tmp: Path, cli: list[str], stocks: int) -> dict:
    """The environment of a lake built once from the samples and a synthetic market-data folder."""
    sys.path.insert(0, str(REPO))
    from russell_pipeline.lib.market.contract import write_market_data
    from russell_pipeline.lib.market.synthetic import synthetic_market_data

    shutil.copytree(REPO / "data_lake" / "raw", tmp / "lake" / "raw")
    write_market_data(synthetic_market_data(date(2026, 11, 20), n_stocks=stocks), tmp / "market")
    env = os.environ | {
        "RUSSELL_DATA_LAKE": str(tmp / "lake"),
        "DAGSTER_HOME": str(tmp / "home"),
        "RUSSELL_MARKET_DATA": str(tmp / "market"),
    }
    subprocess.run([*cli, "build"], env=env, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
    return env


def run(rounds: int, cli: list[str], lake_env: dict) -> None:
    build = "build (nothing to do)"
    pipeline = "import the pipeline"
    commands = {
        "import polars": [sys.executable, "-c", "import polars"],
        pipeline: [
            sys.executable,
            "-c",
            "import russell_pipeline.cli; from russell_pipeline.definitions import defs",
        ],
        build: [*cli, "build"],
        f"parse {SMALL_LIST.name}": [*cli, "parse", str(SMALL_LIST)],
        "calendar 2024": [*cli, "calendar", "2024"],
        "--help": [*cli, "--help"],
    }
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    envs = {build: lake_env, pipeline: lake_env}  # the definitions load over the lake's settings
    for name, command in commands.items():  # a first run of each warms the bytecode and file caches
        measure(command, envs.get(name))
    for _ in range(rounds):
        for name, command in commands.items():
            runs[name].append(measure(command, envs.get(name)))
    base = statistics.median(cpu for cpu, _ in runs["import polars"])
    print(f"{'command':<40}{'CPU s':>8}{'wall s':>8}{'CPU / import polars':>22}")
    for name, samples in runs.items():
        cpu, wall = statistics.median(c for c, _ in samples), statistics.median(w for _, w in samples)
        print(f"{name:<40}{cpu:>8.2f}{wall:>8.2f}{cpu / base:>21.2f}x")
    cpu = {name: statistics.median(c for c, _ in samples) for name, samples in runs.items()}
    print(
        f"{build}: {cpu[build] / cpu[pipeline]:.2f}x the CPU of {pipeline} "
        "(`import russell_pipeline.cli; from russell_pipeline.definitions import defs`), "
        f"{cpu[build] / base:.2f}x import polars"
    )


if __name__ == "__main__":
    main()
