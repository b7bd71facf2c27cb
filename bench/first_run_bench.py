"""What a newcomer waits for: `git clone` then `make run`, with the package cache warm.

    .venv/bin/python bench/first_run_bench.py [--rev HEAD] [--repo .]

It clones `--repo` at `--rev` into a temporary folder (no ../shared beside it), then runs in it
`make setup` (the environment from the runtime lock) then `make run` (the build on the embedded
defaults, every `.pyc` compiled on the way), timing each; then `make run` again (nothing to do),
`make clean` and `make run` (the same build, its bytecode now compiled: the difference from the
first is what compiling and first loading the modules cost) and `python -c "import polars"` in the
new environment, the anchor. It prints the wall and CPU seconds
(user + system of the children, from wait4) of each step, each step's build lines, the packages
installed, and the first run's CPU as a ratio to the anchor's, so a busy machine's figures compare.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the command and its children, its output)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUSSELL_", "DAGSTER_", "VIRTUAL_ENV"))}
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{out[-3000:]}")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(REPO))
    parser.add_argument("--rev", default="HEAD")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="first_run_bench_"))
    try:
        clone = tmp / "clone"
        steps = {"git clone": timed(["git", "clone", "-q", args.repo, str(clone)], tmp)}
        subprocess.run(["git", "checkout", "-q", args.rev], cwd=clone, check=True)
        for name, command in (
            ("make setup", ["make", "setup"]),
            ("make run", ["make", "run"]),
            ("make run again", ["make", "run"]),
            ("make clean", ["make", "clean"]),
            ("make run, warm", ["make", "run"]),
            ("import polars", [".venv/bin/python", "-c", "import polars"]),
        ):
            steps[name] = timed(command, clone)
        installed = re.search(r"Installed (\d+) packages", steps["make setup"][2])
        head = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=clone, text=True).strip()
        print(f"{args.rev} ({head}), {installed.group(1) if installed else '?'} packages installed")
        for line in steps["make run"][2].splitlines():
            if re.match(r"^\S.*: ok in |^\S.*FAILED|^years:|^reviews:", line):
                print(f"  {line}")
        for name, (wall, cpu, _) in steps.items():
            print(f"{name:16s} wall {wall:6.1f} s  cpu {cpu:6.1f} s")
        first = [sum(steps[s][i] for s in ("git clone", "make setup", "make run")) for i in (0, 1)]
        print(
            f"git clone + make run: wall {first[0]:.1f} s, cpu {first[1]:.1f} s = "
            f"{first[1] / steps['import polars'][1]:.0f}x the CPU of import polars"
        )
        compiling = [steps["make run"][i] - steps["make run, warm"][i] for i in (0, 1)]
        print(
            f"of make run: wall {compiling[0]:.1f} s, cpu {compiling[1]:.1f} s compiling and first loading "
            f"its modules (make run less the same build with their bytecode kept)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
