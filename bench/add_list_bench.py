"""What adding one membership list costs: a first build of the embedded defaults, then the same lake with a
real list dropped into raw/<year>/ and built again.

    .venv/bin/python bench/add_list_bench.py [--list ../shared/real/ru3000_membershiplist_20220624_0.pdf]
                                             [--year 2022] [--rounds 1]

Each round builds the repository's sample documents over the built-in synthetic feed (what `make run`
builds) into a new temporary lake and Dagster home with `russell-pipeline build` in a process of its own,
then copies `--list` into `raw/<year>/` and runs `build` again. It prints each build's CPU seconds (user +
system of the process and its children, from wait4) and wall seconds, the stages the second build ran
(its lines naming a run), whether it ran `market_data` or any review of weights or levels, and the CPU of
the second build as a ratio to the first's. The target: neither the market data nor a review of weights or
levels runs again, and the second build costs at most a third of the first.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIST = REPO.parent / "shared" / "real" / "ru3000_membershiplist_20220624_0.pdf"


def build(env: dict) -> tuple[float, float, str]:
    """(CPU seconds of the process and its children, wall seconds, stdout) of one `russell-pipeline build`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "russell_pipeline.cli", "build"],
        cwd=REPO,
        env=env,
        capture_output=True,
        check=False,
        text=True,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", type=Path, default=LIST)
    parser.add_argument("--year", default="2022")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if not args.list.is_file():
        raise SystemExit(f"{args.list}: no such list (the real lists live in ../shared/real)")
    for round_ in range(args.rounds):
        tmp = Path(tempfile.mkdtemp(prefix="add_list_bench_"))
        try:
            shutil.copytree(REPO / "data_lake" / "raw", tmp / "lake" / "raw")
            env = {k: v for k, v in os.environ.items() if not k.startswith(("RUSSELL_", "DAGSTER_"))}
            env |= {"RUSSELL_DATA_LAKE": str(tmp / "lake"), "DAGSTER_HOME": str(tmp / "home")}
            env.pop("PYTHONDONTWRITEBYTECODE", None)  # as `make run`: the bytecode is cached
            timed = []
            for step in ("first build", f"{args.list.name} added to raw/{args.year}/"):
                if timed:
                    (tmp / "lake" / "raw" / args.year).mkdir(exist_ok=True)
                    shutil.copy(args.list, tmp / "lake" / "raw" / args.year / args.list.name)
                timed.append((step, *build(env)))
            for step, cpu, wall, _ in timed:
                print(f"round {round_ + 1}: {step:<60} CPU {cpu:6.2f} s  wall {wall:6.2f} s")
            second = timed[1][3].splitlines()
            ran = [
                line.split(": ok")[0] for line in second if ": ok in " in line and not line.startswith(" ")
            ]
            print(f"  the second build ran: {', '.join(ran) or 'nothing'}")
            market = "market_data: up to date" not in second
            reviews = any(line.startswith(("quarterly_weights ", "index_levels ")) for line in ran)
            print(
                f"  market_data run again: {'yes' if market else 'no'}; "
                f"a review of weights or levels run again: {'yes' if reviews else 'no'}"
            )
            ratio = timed[1][1] / timed[0][1]
            passed = ratio <= 1 / 3 and not market and not reviews
            print(
                f"  second build / first build, CPU: {ratio:.2f} "
                f"(target <= 0.33: {'PASS' if passed else 'FAIL'})"
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
