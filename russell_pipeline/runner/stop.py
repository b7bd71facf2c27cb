"""A stop signal (SIGTERM, SIGINT) ends a `build` at its next safe point.

Between runs the build stops at once: nothing it does there is half-written (each table commit is
one Delta commit, the warehouse one rename). Inside a Dagster run, Dagster's own handlers take the
signal and interrupt the step (a commit is whole or absent); the run ends failed, and the build stops
before the next one. Either way the build publishes nothing (the warehouse keeps the previous build),
kills the processes it started (PDF readers, worker pools), and exits with
128 + the signal's number, saying it was stopped. What was committed stays: the next build plans on it.

Dagster replaces the handlers while a run goes and puts them back after, so the signal is also noted
where no handler can lose it: the wakeup descriptor of Python's signal module, written by the
interpreter for every signal that has a Python handler, whoever's handler it is.

A signal that lands while the interpreter runs a finalizer (a weakref callback, `__del__`: a thread
pool being collected, say) raises `Stopped` where Python can only drop it and print "Exception
ignored ... Traceback"; the stop is noted all the same (`check` raises it at the next safe point), so
that one is dropped without a word (`_quiet`). So is the one that lands while SQLAlchemy resets a pooled
connection of the run's event storage: SQLAlchemy logs it ("Exception during reset or similar" and its
traceback, through Python's last-resort handler) and lets it go on (`_said_by_pool`).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopped(BaseException):  # not an Exception: no `except Exception` on the way out keeps it
    """A stop signal arrived: the build ends at this point."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


class StopSignals:
    """While a build runs: a stop signal raises `Stopped` where the build's own code runs, and is noted
    for `check` where Dagster's handlers took it."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._pipe: tuple[int, int] | None = None

    def _handler(self, signum: int, _frame) -> None:
        self.received = self.received or signum
        raise Stopped(signum)

    def check(self) -> None:
        """`Stopped` when a stop signal arrived since the build started (during a run included)."""
        if self._pipe is not None:
            try:
                noted = os.read(self._pipe[0], 4096)
            except BlockingIOError:
                noted = b""
            for signum in noted:
                if signum in STOP_SIGNALS:
                    self.received = self.received or signum
        if self.received:
            raise Stopped(self.received)


@contextmanager
def stop_signals() -> Iterator[StopSignals]:
    """The build's stop-signal handling, undone on the way out (a build inside a test process leaves
    that process as it was). Outside the main thread there is no signal to handle."""
    stop = StopSignals()
    try:
        read, write = os.pipe()
    except OSError:
        yield stop
        return
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    try:
        old_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        old = {s: signal.signal(s, stop._handler) for s in STOP_SIGNALS}
    except ValueError:  # not the main thread
        os.close(read)
        os.close(write)
        yield stop
        return
    stop._pipe = (read, write)
    hook, sys.unraisablehook = sys.unraisablehook, _quiet(sys.unraisablehook)
    pool, said = logging.getLogger("sqlalchemy.pool"), _said_by_pool()
    pool.addHandler(said)
    try:
        yield stop
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        signal.set_wakeup_fd(old_fd)
        sys.unraisablehook = hook
        pool.removeHandler(said)
        os.close(read)
        os.close(write)


def _by_a_stop(raised: BaseException | None) -> bool:
    """Whether a stop signal raised `raised`: `Stopped`, Python's `KeyboardInterrupt`, or, inside a run,
    Dagster's interrupt (its handlers take SIGINT and SIGTERM there)."""
    dagster = sys.modules.get("dagster")  # not imported: none of its errors was raised
    interrupted = getattr(dagster, "DagsterExecutionInterruptedError", None)
    return isinstance(raised, (Stopped, KeyboardInterrupt, *((interrupted,) if interrupted else ())))


def _quiet(hook):
    """`hook` (sys.unraisablehook), except for what a stop signal raises in a finalizer. The signal itself
    is noted through the wakeup pipe, so nothing is lost."""

    def unraisable(raised) -> None:
        if not _by_a_stop(raised.exc_value):
            hook(raised)

    return unraisable


def _said_by_pool() -> logging.Handler:
    """What SQLAlchemy's connection pools log at WARNING and above, said on stderr as Python's last-resort
    handler says it, except a record of what a stop signal raised (noted through the wakeup pipe)."""
    said = logging.StreamHandler()
    said.setLevel(logging.WARNING)
    said.addFilter(lambda record: not _by_a_stop(record.exc_info[1] if record.exc_info else None))
    return said


def descendants(pid: int) -> list[int]:
    """Every living process started by `pid`, or by one it started, and so on (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdecimal():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so split after its last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def end_descendants(grace: float = 2.0) -> list[int]:
    """Ask every process this one started to end (SIGTERM), then kill what is left after `grace`
    seconds (SIGKILL); the ids it found."""
    found = descendants(os.getpid())
    for pid in found:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid) for pid in found):
        time.sleep(0.05)
    for pid in found:
        _signal(pid, signal.SIGKILL)
    for pid in found:  # reap our own children (a grandchild is reaped by its parent, or by init)
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
    return found


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :][:1] != b"Z"  # a zombie has ended
