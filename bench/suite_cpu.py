"""Where the test suite's CPU goes: per test file, and per program its tests start (`russell-pipeline
build`, `query`, a server) or Dagster job they run in their own process. On 2 cores a suite of N
CPU-seconds takes N/2 seconds at best, so this, not the wall time, says what a faster suite must cut.

    .venv/bin/python bench/suite_cpu.py [--top 15] [--output FILE] [--records FILE] [-- PYTEST ARGS...]

Runs `python -m pytest -q -p suite_cpu` (with the given arguments; this file is the plugin, on every xdist
worker), with the bytecode cached as `make test` runs it (`PYTHONDONTWRITEBYTECODE` unset). Around each test
it reads the worker's CPU and that of its waited-for children (`getrusage`), around each `subprocess.run`
the child's, by the program and verb it ran, and around each `execute_in_process` the worker's own, by job.
A process started by `Popen` and killed (a server, a build a test kills) counts in its test's total only
when it was waited for. Prints pytest's summary line (its whole output goes to `--output`), then the totals,
the programs and jobs, and the files and tests that used the most CPU. `--records` keeps every record (one
JSON object a line: a test's CPU, or a program or job one of its tests ran) for a closer look.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

FOLDER = "SUITE_CPU_FOLDER"  # where each worker writes its records (one JSON line each)


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _record(**fields) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(Path(os.environ[FOLDER]) / f"{worker}.jsonl", "a") as out:
        out.write(json.dumps(fields) + "\n")


def program(args) -> str:
    """What a command runs, in a few words (suite_wait.py names a process's so too): `python -m
    russell_pipeline.cli build` -> `russell_pipeline.cli build`, `python -c ...` -> `python -c`, Chromium's
    `--type=renderer` process -> `chromium --type=renderer`; else the program's name and its first argument
    (`sh -c`, `python moto_server`), not a long option's."""
    argv = [str(a) for a in ([args] if isinstance(args, str | os.PathLike) else args)]
    if len(argv) > 2 and argv[1] == "-m":
        return " ".join(argv[2:4])
    if len(argv) > 1 and argv[1] == "-c":
        return f"{Path(argv[0]).name} -c"
    kind = [a for a in argv[1:] if a.startswith("--type=")][:1] or [
        Path(a).name for a in argv[1:2] if not a.startswith("--")
    ]
    return " ".join([Path(argv[0]).name, *kind]) if argv else "?"


# --- the plugin (loaded by `-p suite_cpu` on every worker) ---------------------------------------------

_test: list[str] = [""]


def pytest_configure(config) -> None:
    if FOLDER not in os.environ:
        return
    run = subprocess.run

    def timed_run(args, *a, **k):
        before = _cpu()[1]
        try:
            return run(args, *a, **k)
        finally:
            _record(test=_test[0], kind="program", name=program(args), cpu=_cpu()[1] - before)

    subprocess.run = timed_run
    from dagster import JobDefinition

    execute = JobDefinition.execute_in_process

    def timed_execute(self, *a, **k):
        before = time.process_time()
        try:
            return execute(self, *a, **k)
        finally:
            _record(test=_test[0], kind="job", name=self.name, cpu=time.process_time() - before)

    JobDefinition.execute_in_process = timed_execute


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if FOLDER not in os.environ:
        return (yield)
    _test[0] = item.nodeid
    own0, children0 = _cpu()
    try:
        return (yield)
    finally:
        own, children = _cpu()
        _record(
            test=item.nodeid,
            kind="test",
            own=own - own0,
            children=children - children0,
            worker=os.environ.get("PYTEST_XDIST_WORKER", "main"),
            end=time.time(),
        )


# --- the report -----------------------------------------------------------------------------------------

# pytest's last line with `-q`: "2513 passed, 6 warnings in 428.29s (0:07:08)", "1 failed, 2512 passed in ..."
_SUMMARY = re.compile(r"^(=+ )?(\d+ (passed|failed|errors?|skipped|deselected)|no tests ran)\b.* in [\d.]+s")


def summary_line(output: str) -> str:
    """pytest's summary line in `output`, after the line of each test that failed or erred; "" if none
    (pytest itself failed: the caller prints what it said)."""
    lines = output.splitlines()
    summary = next((line for line in reversed(lines) if _SUMMARY.match(line)), "")
    failed = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    return "\n".join([*failed, summary]) if summary else ""


def _tail(tests: list[dict]) -> None:
    """When each worker's last test ended, in seconds after the first test ended: from the first worker's
    end to the last one's, fewer workers than cores may have been busy (the suite's tail)."""
    if not tests:
        return
    ends: dict[str, float] = {}
    for r in tests:
        ends[r["worker"]] = max(ends.get(r["worker"], 0.0), r["end"])
    first = min(r["end"] for r in tests)
    last = ", ".join(f"{worker} {t - first:.0f} s" for worker, t in sorted(ends.items()))
    print(f"workers' last test ended at: {last}")


def _report(records: list[dict], top: int) -> None:
    tests = [r for r in records if r["kind"] == "test"]
    own, children = sum(r["own"] for r in tests), sum(r["children"] for r in tests)
    print(
        f"tests: {len(tests)}, CPU {own + children:.0f} s "
        f"({own:.0f} s in the workers, {children:.0f} s in their children)"
    )
    _tail(tests)
    calls = collections.defaultdict(lambda: [0, 0.0])
    for r in records:
        if r["kind"] in ("program", "job"):
            key = ("in-process job " if r["kind"] == "job" else "") + r["name"]
            calls[key][0] += 1
            calls[key][1] += r["cpu"]
    print(f"\n{'CPU s':>8} {'calls':>6} {'per call':>9}  program or job")
    for name, (n, cpu) in sorted(calls.items(), key=lambda kv: -kv[1][1])[:top]:
        print(f"{cpu:8.1f} {n:6d} {cpu / n:9.2f}  {name}")
    files = collections.Counter()
    for r in tests:
        files[r["test"].split("::")[0]] += r["own"] + r["children"]
    print(f"\n{'CPU s':>8}  test file")
    for name, cpu in files.most_common(top):
        print(f"{cpu:8.1f}  {name}")
    print(f"\n{'CPU s':>8}  test")
    for r in sorted(tests, key=lambda r: -(r["own"] + r["children"]))[:top]:
        print(f"{r['own'] + r['children']:8.1f}  {r['test']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=15, help="how many programs, files and tests to list")
    parser.add_argument("--output", help="where to write pytest's whole output")
    parser.add_argument("--records", help="where to write every record, one JSON object a line")
    parser.add_argument("pytest_args", nargs="*", help="after --: pytest's arguments")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        here = str(Path(__file__).resolve().parent)
        env = os.environ | {
            FOLDER: folder,
            "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")]),
        }
        # As `make test` (the Makefile unexports it): the bytecode is cached, so each program the tests
        # start (a `russell-pipeline` verb, a server) compiles nothing; with it set, each compiled its
        # modules again (`members` on a built lake: 1.6 CPU-s a process against 0.6 to 0.7).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "suite_cpu", *args.pytest_args]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if args.output:
            Path(args.output).write_text(done.stdout + done.stderr)
        print(summary_line(done.stdout) or done.stdout[-2000:] + done.stderr[-2000:])
        records = [
            json.loads(line)
            for path in Path(folder).glob("*.jsonl")
            for line in path.read_text().splitlines()
        ]
    if args.records:
        Path(args.records).write_text("".join(json.dumps(r) + "\n" for r in records))
    _report(records, args.top)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
