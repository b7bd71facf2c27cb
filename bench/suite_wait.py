"""How much of its time the test suite's workers wait rather than compute: the suite's wall time is set by
what each worker waits on (a disk sync, a server, another worker's shared build) as much as by its CPU.

    .venv/bin/python bench/suite_wait.py [--every 0.5] [--top 15] [--output FILE] [-- PYTEST ARGS...]

Runs `python -m pytest -q` (with the given arguments) and, every `--every` seconds, reads each xdist
worker's whole process tree (its build subprocesses, servers and browser included): the test it runs
(from the worker's process title) and the CPU time the tree used since the last look. Prints pytest's
summary line (its whole output goes to `--output`), then the workers' time on the CPU over their time
sampled, how busy the machine's cores were, the programs of the workers' trees by their CPU (the browser,
the servers, each verb: a process seen in no look, one shorter than `--every`, counts in none), and the
test files and tests that waited longest (wall minus CPU) and that used the most CPU.
Run it alone on the machine: other work takes the CPU the workers would use, and shows as waiting.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from suite_cpu import program, summary_line  # bench/ is this script's folder

TITLE = "[pytest-xdist running] "


def _tree_cpu(process: psutil.Process, programs: dict[tuple, tuple[str, float]]) -> float | None:
    """The CPU seconds of `process` and every process below it (those that ended counted in their
    parent's children times); each one's own CPU seconds so far go into `programs`, by its pid and start
    time (a pid is used again by a later process over a whole suite)."""
    try:
        tree = [process, *process.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0.0
    for member in tree:
        try:
            t, key = member.cpu_times(), (member.pid, member.create_time())
            if key not in programs:
                argv = member.cmdline()
                programs[key] = ("pytest worker" if " ".join(argv).startswith(TITLE) else program(argv), 0.0)
        except psutil.Error:
            continue
        total += t.user + t.system + t.children_user + t.children_system
        programs[key] = (programs[key][0], t.user + t.system)
    return total


def _workers() -> list[tuple[psutil.Process, str]]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        title = " ".join(process.info["cmdline"] or [])
        if title.startswith(TITLE):
            found.append((process, title.removeprefix(TITLE).split()[0]))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=0.5, help="seconds between looks")
    parser.add_argument("--top", type=int, default=15, help="how many files and tests to list")
    parser.add_argument("--output", help="where to write pytest's whole output")
    parser.add_argument("pytest_args", nargs="*", help="after --: pytest's arguments")
    args = parser.parse_args()
    output = Path(args.output or Path(tempfile.gettempdir()) / "suite_wait.log")
    with output.open("w") as log:
        run = subprocess.Popen([sys.executable, "-m", "pytest", "-q", *args.pytest_args], stdout=log)
    wall, cpu = collections.Counter(), collections.Counter()
    last: dict[int, float] = {}
    programs: dict[tuple, tuple[str, float]] = {}
    machine = psutil.cpu_times()
    while run.poll() is None:
        for process, test in _workers():
            used = _tree_cpu(process, programs)
            if used is None:
                continue
            if process.pid in last:
                wall[test] += args.every
                cpu[test] += max(used - last[process.pid], 0.0)
            last[process.pid] = used
        time.sleep(args.every)
    lines = output.read_text().splitlines()
    print(summary_line("\n".join(lines)) or "no summary")
    print(f"pytest's output: {output}")
    if not wall:
        print("no xdist worker seen: run with -n 2 or more")
        return run.returncode
    total_wall, total_cpu = sum(wall.values()), sum(cpu.values())
    print(f"workers: {total_wall:.0f} s sampled, {total_cpu:.0f} s on the CPU ({total_cpu / total_wall:.0%})")
    now = psutil.cpu_times()
    idle = sum(getattr(now, f) - getattr(machine, f) for f in ("idle", "iowait"))
    busy = sum(getattr(now, f) - getattr(machine, f) for f in ("user", "nice", "system", "irq", "softirq"))
    print(f"the machine's cores: {busy:.0f} CPU-s busy, {idle:.0f} idle ({busy / (busy + idle):.0%} busy)")
    by_program = collections.Counter()
    for name, seconds in programs.values():
        by_program[name] += seconds
    print("programs the workers ran, by their own CPU seconds (each process as last seen):")
    for name, seconds in by_program.most_common(args.top):
        print(f"  {seconds:7.1f}  {name}")
    files_wall, files_cpu = collections.Counter(), collections.Counter()
    for test in wall:
        files_wall[test.split("::")[0]] += wall[test]
        files_cpu[test.split("::")[0]] += cpu[test]
    for title, w, c in (("file", files_wall, files_cpu), ("test", wall, cpu)):
        for what, most in (("waited longest", lambda k, w=w, c=c: w[k] - c[k]), ("used the most CPU", c.get)):
            print(f"{title}s that {what}: wall, CPU, waited")
            for name in sorted(w, key=most, reverse=True)[: args.top]:
                print(f"  {w[name]:7.1f} {c[name]:7.1f} {w[name] - c[name]:7.1f}  {name}")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
