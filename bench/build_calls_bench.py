"""Where a build of the embedded defaults spends its time: the wall and CPU seconds inside a few named calls.

    .venv/bin/python bench/build_calls_bench.py [--repeat 2]

Each repeat builds the defaults (the repository's sample documents, the synthetic feed) into a new
temporary lake and Dagster home, in this process, with the bytecode already compiled; it prints the
build's wall and CPU time and, per call below, how many times it ran and the wall and CPU seconds inside
it (a wrapper around the real function: nothing is replaced). The CPU seconds are this process's, its
threads' included (polars'): the steadier figure on a shared machine. The events stored are told by type
under `handle_new_event`. Run it with another checkout's interpreter (`OTHER/.venv/bin/python
bench/build_calls_bench.py`), or with `PYTHONPATH=OTHER`, to put that checkout's code beside this one's.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

CALLS = [  # (module, qualified name): Dagster's through its public classes (an event is stored in
    # DagsterInstance.handle_new_event)
    ("dagster", "JobDefinition.execute_in_process"),
    ("dagster", "DagsterInstance.handle_new_event"),
    ("dagster", "DagsterInstance.create_run_for_job"),
    ("russell_pipeline.lib.index.recompute", "market_connection"),
    ("russell_pipeline.lib.index.recompute", "LevelFindings.visit"),
    ("russell_pipeline.lib.calendar.published", "year_calendar"),
    ("russell_pipeline.lake.staged", "write_staged"),
    ("russell_pipeline.lake.market_tables", "review_market_data"),
    ("russell_pipeline.lake.market_tables", "pro_forma_market_data"),
]


def _event_key(key: str, args: tuple) -> list[str]:
    """A stored event's type (`handle_new_event(instance, event)`), so the events' time is told by kind."""
    if key != "DagsterInstance.handle_new_event":
        return []
    event = args[1].dagster_event
    return [f"  {event.event_type_value if event else 'a log line'}"]


def _wrap(seconds: Counter, cpu: Counter, calls: Counter) -> None:
    for module, qualified in CALLS:
        owner = importlib.import_module(module)
        *path, name = qualified.split(".")
        for part in path:
            owner = getattr(owner, part)
        real = getattr(owner, name)

        @functools.wraps(real)
        def timed(*args, _real=real, _key=qualified, **kwargs):
            started, used = time.perf_counter(), time.process_time()
            try:
                return _real(*args, **kwargs)
            finally:
                keys = [_key, *_event_key(_key, args)]
                for key in keys:
                    seconds[key] += time.perf_counter() - started
                    cpu[key] += time.process_time() - used
                    calls[key] += 1

        setattr(owner, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    import russell_pipeline
    from russell_pipeline.cli import main as cli

    raw = Path(russell_pipeline.__file__).resolve().parents[1] / "data_lake" / "raw"
    seconds, cpu, calls = Counter(), Counter(), Counter()
    _wrap(seconds, cpu, calls)
    for repeat in range(args.repeat):
        tmp = Path(tempfile.mkdtemp(prefix="build_calls_"))
        shutil.copytree(raw, tmp / "lake" / "raw")
        (tmp / "home").mkdir()
        os.environ.update(RUSSELL_DATA_LAKE=str(tmp / "lake"), DAGSTER_HOME=str(tmp / "home"))
        seconds.clear(), cpu.clear(), calls.clear()
        sys.argv = ["russell-pipeline", "build"]
        started, used = time.perf_counter(), time.process_time()
        try:
            with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):  # the build's own lines
                cli()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        wall, used = time.perf_counter() - started, time.process_time() - used
        print(f"build {repeat + 1}: wall {wall:.2f} s, cpu {used:.2f} s")
        events = sorted((k for k in calls if k.startswith("  ")), key=lambda k: -cpu[k])
        for qualified in [q for _, q in CALLS[:2]] + events + [q for _, q in CALLS[2:]]:
            print(
                f"  {qualified:45s} {calls[qualified]:4d} calls {seconds[qualified]:6.2f} s"
                f"  cpu {cpu[qualified]:6.2f} s"
            )


if __name__ == "__main__":
    main()
