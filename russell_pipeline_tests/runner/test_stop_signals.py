"""A stop signal ends `build` at its next safe point, as a user (Ctrl-C) or a supervisor (`timeout`,
systemd, Kubernetes: SIGTERM) sends it: non-zero, saying so, its child processes ended, nothing
published, what was committed kept for the next build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.runner.build import TABLES
from russell_pipeline.runner.stop import Stopped, descendants, stop_signals
from russell_pipeline_tests.helpers import COMMAND
from russell_pipeline_tests.lake.test_failed_builds import published
from russell_pipeline_tests.lakes import sample_lake

pytestmark = pytest.mark.cpu(36)


def _start_build(lake, stderr: int = subprocess.PIPE) -> subprocess.Popen:
    """`russell-pipeline build` on `lake` in a subprocess, its lines read as a user watches them."""
    return subprocess.Popen(
        [*COMMAND, "build"],
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=os.environ | lake.env(),
        text=True,
    )


def _watch(pid: int, seconds: float) -> set[int]:
    """Every process `pid` started (and those they started) seen over `seconds`, looked up every 10 ms."""
    seen: set[int] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen |= set(descendants(pid))
        time.sleep(0.01)
    return seen


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_ends_the_build_at_its_next_safe_point(tmp_path, small_market, lakes, signum):
    """Before: the build ran on (a SIGTERM 19 s in: exit 0, the interrupted run's tables published
    empty; under `timeout 300`, past 20 minutes). Now: signalled once the market data is committed and a
    run is going, it exits 128 + the signal within seconds, says it was stopped, leaves no process of
    its own behind and publishes nothing; the next build ends with the tables of a fresh build."""
    folder = sample_lake(tmp_path / "lake", small_market, tmp_path / "home")
    root = folder.root
    build = _start_build(folder)
    try:
        seen = []
        for line in build.stdout:  # as the user watches it
            seen.append(line)
            if line.startswith("reviews: "):  # the market data committed, the weights' run starting
                break
        else:
            pytest.fail(f"the build ended before the market data:\n{''.join(seen)}{build.stderr.read()}")
        started = _watch(build.pid, 0.5)  # inside the run: every process the build starts meanwhile
        build.send_signal(signum)
        signalled = time.monotonic()
        _, err = build.communicate(timeout=120)
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
    assert build.returncode == 128 + signum, err[-2000:]
    assert time.monotonic() - signalled < 30
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith(
        f"build stopped by {signal.Signals(signum).name}: what was committed stays in the lake (the next "
        "build continues from it), nothing of this build is published"
    ), err
    assert not [pid for pid in started if _alive(pid)]  # its children did not outlive it
    assert not (root / "warehouse.duckdb").exists()  # nothing published: a fresh lake has no warehouse yet
    assert Lake(root).tables.version("market_prices") is not None  # what was committed stays
    if signum == signal.SIGTERM:  # the next build continues from it, to the tables of a fresh build
        _rebuilt_as_fresh(folder, lakes)


class _SignalsWhenCollected:
    def __init__(self, signum: int = signal.SIGTERM):
        self.signum = signum

    def __del__(self):
        os.kill(os.getpid(), self.signum)


@pytest.mark.parametrize("interrupt", ["dagster", "python"])
def test_an_interrupt_another_handler_raises_inside_a_finalizer_is_noted_without_a_traceback(
    capfd, monkeypatch, interrupt
):
    """Inside a run Dagster's handler takes SIGINT and raises its own interrupt (outside one, Python's raises
    KeyboardInterrupt); landing in a finalizer, it printed "Exception ignored ... Traceback" (the full
    suite's SIGINT build test, once). Now: nothing printed, and the build still stops with the signal."""
    from dagster import DagsterExecutionInterruptedError

    raised = {"dagster": DagsterExecutionInterruptedError, "python": KeyboardInterrupt}[interrupt]

    def handler(_signum, _frame):
        raise raised()

    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)  # Python's, as `build` runs with it
    with stop_signals() as stop:
        previous = signal.signal(signal.SIGINT, handler)  # as a run installs it
        try:
            _SignalsWhenCollected(signal.SIGINT)
        finally:
            signal.signal(signal.SIGINT, previous)
        with pytest.raises(Stopped) as stopped:
            stop.check()
    assert stopped.value.signum == signal.SIGINT
    assert capfd.readouterr().err == ""


def test_a_stop_signal_inside_a_finalizer_is_noted_without_a_traceback(capfd, monkeypatch):
    """A signal landing while Python collects an object (a thread pool's weakref callback, in a build):
    no "Exception ignored ... Traceback" on the user's terminal, and the build still stops at its next
    safe point."""
    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)  # Python's, as `build` runs with it
    with stop_signals() as stop:
        _SignalsWhenCollected()  # collected at once: the signal arrives inside its __del__
        with pytest.raises(Stopped) as stopped:
            stop.check()
    assert stopped.value.signum == signal.SIGTERM
    assert capfd.readouterr().err == ""


def test_a_stop_signal_while_a_pooled_connection_is_reset_is_noted_without_a_traceback(
    capfd, tmp_path, monkeypatch
):
    """A signal landing while SQLAlchemy resets a pooled connection (the run's event storage, in a build):
    SQLAlchemy logged "Exception during reset or similar" and its traceback on the user's terminal (the
    suite's SIGINT build test, once). Now nothing is said of it, the build still stops at its next safe point,
    and a pool's other warnings are still said."""
    import logging

    from sqlalchemy import create_engine, event, text

    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # none, as in `build`: not pytest's capture
    engine = create_engine(f"sqlite:///{tmp_path / 'events.db'}")
    event.listen(engine.pool, "reset", lambda *_: os.kill(os.getpid(), signal.SIGINT))  # lands in the reset
    with stop_signals() as stop:
        with pytest.raises(Stopped), engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        with pytest.raises(Stopped) as stopped:
            stop.check()
        logging.getLogger(engine.pool.logger.name).error("a pool's own trouble")
    engine.dispose()
    assert stopped.value.signum == signal.SIGINT
    assert capfd.readouterr().err == "a pool's own trouble\n"


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.slow
def test_no_process_of_a_build_outlives_a_sigkill(tmp_path, small_market):
    """Before: each step's stdout and stderr were mirrored by a `tail -F .../compute_logs/...` process
    (with a watcher polling every second for its parent), and one was found under PID 1 ten minutes
    after a SIGKILL. Now: a build killed with SIGKILL inside a run leaves no process it started alive,
    none holding its Dagster home, and it started no log tailer at all."""
    folder = sample_lake(tmp_path / "lake", small_market, tmp_path / "home")
    build = _start_build(folder, stderr=subprocess.DEVNULL)
    try:
        started: set[int] = set()
        for line in build.stdout:
            started |= _watch(build.pid, 0)
            if line.startswith("reviews: "):  # the documents' and the market data's runs done
                break
        else:
            pytest.fail("the build ended before its reviews")
        started |= _watch(build.pid, 1.0)  # inside the weights' run
        commands = {pid: _command(pid) for pid in started}
        build.send_signal(signal.SIGKILL)
        build.wait(timeout=30)
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
    time.sleep(0.2)  # the kernel's SIGKILL of a child bound to the build (PR_SET_PDEATHSIG) is delivered
    survivors = [f"{pid} {commands[pid]}" for pid in started if _alive(pid)]
    assert not survivors, survivors
    home = str(tmp_path / "home")
    holding = [
        f"{p} {_command(int(p))}" for p in os.listdir("/proc") if p.isdecimal() and home in _command(int(p))
    ]
    assert not holding, holding
    assert not [c for c in commands.values() if "compute_logs" in c or "watch_orphans" in c], commands


def _end_when_created(monkeypatch, job: str, end) -> list[str]:
    """`end()` called the moment the build has created a run of `job`, before the run starts (where
    Dagster's own signal handlers are not yet in place): the ids of the runs so created."""
    import dagster as dg

    created, create = [], dg.DagsterInstance.create_run_for_job

    def create_then_end(self, job_def, *args, **kwargs):
        run = create(self, job_def, *args, **kwargs)
        if job_def.name == job and not created:
            created.append(run.run_id)
            end()
        return run

    monkeypatch.setattr(dg.DagsterInstance, "create_run_for_job", create_then_end)
    return created


def _rebuilt_as_fresh(folder, lakes) -> subprocess.CompletedProcess:
    """The next build on `folder`, which ends with the tables of a fresh build; what it printed."""
    again = folder.build()
    assert again.returncode == 0, again.stderr[-2000:]
    fresh, now = published(lakes.built().root), published(folder.root)
    data = [t for t in TABLES if t != "market_source" and t in fresh]
    assert len(data) >= 20 and {t: now.get(t) for t in data} == {t: fresh[t] for t in data}
    return again


@pytest.mark.slow
def test_a_stop_between_creating_a_run_and_starting_it_cancels_the_run_and_the_next_build_runs_it(
    tmp_path, small_market, lakes, monkeypatch
):
    """Before: a SIGTERM landing after the weights' run was created and before it started left the run
    NOT_STARTED for good, a run "still going" with those inputs: the next build did not launch the weights
    (exit 0, the levels computed on no weights, `quarterly_weights` absent). Now: the stopped build cancels
    the run it created, and the next build ends with the tables of a fresh build."""
    import dagster as dg

    folder = sample_lake(tmp_path / "lake", small_market, tmp_path / "home")
    created = _end_when_created(monkeypatch, "reviews_job", lambda: os.kill(os.getpid(), signal.SIGTERM))
    stopped = folder.build()
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr[-2000:]
    assert stopped.stderr.splitlines()[-1].startswith("build stopped by SIGTERM"), stopped.stderr
    instance = dg.DagsterInstance.from_config(str(tmp_path / "home"))
    assert len(created) == 1 and instance.get_run_by_id(created[0]).status == dg.DagsterRunStatus.CANCELED
    monkeypatch.undo()
    again = _rebuilt_as_fresh(folder, lakes)
    assert "still going" not in again.stdout, again.stdout


class _Killed(BaseException):
    """The process ending where it stands, as a SIGKILL ends it: nothing of the build's runs on."""


@pytest.mark.slow
def test_a_run_a_killed_build_created_and_never_started_is_marked_failed_and_run_again(
    tmp_path, small_market, lakes, monkeypatch
):
    """A build killed after creating a run and before starting it leaves the run NOT_STARTED, under the
    build's process: the next build marks it failed, as it does a started run whose process died, and
    ends with the tables of a fresh build."""
    import dagster as dg

    from russell_pipeline.planning.attempts import PID_TAG

    folder = sample_lake(tmp_path / "lake", small_market, tmp_path / "home")

    def killed() -> None:
        raise _Killed

    created = _end_when_created(monkeypatch, "reviews_job", killed)
    with pytest.raises(_Killed):
        folder.build()
    monkeypatch.undo()
    instance = dg.DagsterInstance.from_config(str(tmp_path / "home"))
    run = instance.get_run_by_id(created[0])
    assert run.status == dg.DagsterRunStatus.NOT_STARTED and run.tags[PID_TAG] == str(os.getpid())
    # The build's process, as it is once killed: a process that has ended.
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    instance.add_run_tags(run.run_id, {PID_TAG: ended.stdout.strip()})
    again = _rebuilt_as_fresh(folder, lakes)
    assert f"marked run {run.run_id} failed" in again.stdout, again.stdout
    assert "still going" not in again.stdout, again.stdout
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
