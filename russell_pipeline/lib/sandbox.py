"""Work done where the operating system bounds it: a child process, and a kernel rule against writing.

`run_in_child` runs a function in a child process (a fork, or a fresh interpreter) after a `prepare`
step (resource limits for an untrusted PDF, `forbid_writes` for an untrusted query) and brings back
its result, its error, or how it died (`start_child` starts it and leaves the wait for later);
`running` says whether a process (a lock's or a spill folder's owner) still runs. `forbid_writes` uses
Landlock (Linux 5.13+): once applied, the process and its threads cannot create, write, truncate, rename
or remove any file outside the folders named, whatever a library inside it is asked to do. Reading is
not restricted by it.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While inside (in the main thread), SIGTERM raises KeyboardInterrupt, as SIGINT does: `finally`
    blocks run (a child is killed, a temporary folder removed) instead of the process ending where it
    stands."""
    try:
        old = signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread: nothing to change
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


# How many stop signals `_interrupt` has raised: one raised inside fork()'s hooks is printed and dropped
# by Python, so `run_in_child` counts them across its fork and raises a dropped one again.
_STOPS = [0]


def _interrupt(signum: int, _frame) -> None:
    _STOPS[0] += 1
    raise KeyboardInterrupt(signal.Signals(signum).name)


@dataclass(frozen=True)
class Outcome:
    """What became of the child: `ok` (value), `error` (value: the exception, or its text when it
    cannot be pickled), `died` (value: the signal that ended it, or None), or `killed` (wall time)."""

    kind: str
    value: object = None


def run_in_child(
    fn: Callable,
    *args,
    prepare: Callable[[], None] | None = None,
    wall: float | None = None,
    keep: tuple[type[BaseException], ...] = (Exception,),
    fresh: bool = False,
) -> Outcome:
    """`fn(*args)` in a child process, after `prepare()` there. An exception of the `keep` kinds comes
    back as `error`; any other end of the child (a signal, a limit) is `died`; past `wall` seconds
    the child is killed (`killed`).

    The child is a fork of this process, or with `fresh` a new interpreter, to which `fn`, `args` and
    `prepare` are pickled (functions by name). A fork copies every library's state but only the calling
    thread: a library whose threads hold its state (DuckDB's scheduler, an object store's event loop)
    can crash in the fork, whatever this process did before; a fresh interpreter starts clean, for
    about 0.3 s of start-up."""
    return start_child(fn, *args, prepare=prepare, wall=wall, keep=keep, fresh=fresh).outcome()


def start_child(
    fn: Callable,
    *args,
    prepare: Callable[[], None] | None = None,
    wall: float | None = None,
    keep: tuple[type[BaseException], ...] = (Exception,),
    fresh: bool = False,
) -> Child:
    """`run_in_child`'s child started, its outcome not yet waited for: this process works on meanwhile,
    then asks for `Child.outcome()`, or ends the child unheard with `Child.stop()`. `wall` counts from
    now."""
    for stream in (sys.stdout, sys.stderr):  # what the parent printed is not printed again by the child
        stream.flush()
    read, write = os.pipe()
    stops = _STOPS[0]
    try:
        pid = _spawn(write, prepare, fn, args, keep) if fresh else _fork(read, write, prepare, fn, args, keep)
    except BaseException:  # no child to wait for (or one already ended): its pipe goes too
        os.close(read)
        raise
    finally:
        os.close(write)
    child = Child(pid, read, None if wall is None else time.monotonic() + wall)
    if _STOPS[0] != stops:  # a stop signal landed inside fork() and its exception was dropped there
        child.stop()
        raise KeyboardInterrupt("a stop signal during the fork")
    return child


class Child:
    """A child process `start_child` started: its answer is read once, by `outcome()`."""

    def __init__(self, pid: int, answer: int, deadline: float | None) -> None:
        self.pid, self._answer, self._deadline = pid, answer, deadline

    def outcome(self) -> Outcome:
        """Waits for the child's end: what became of it."""
        try:
            data, killed = _collect(self._answer, self.pid, self._deadline)
        except BaseException:  # interrupted (a stop signal): the child does not outlive the wait for it
            self.stop()
            raise
        os.close(self._answer)
        self._answer = None
        _, status = os.waitpid(self.pid, 0)
        if killed:
            return Outcome("killed")
        if data:
            return pickle.loads(data)
        return Outcome("died", os.WTERMSIG(status) if os.WIFSIGNALED(status) else None)

    def stop(self) -> None:
        """The child killed and reaped, unless its outcome was read already."""
        if self._answer is None:
            return
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self._answer)
        self._answer = None


def _fork(read: int, write: int, prepare, fn: Callable, args: tuple, keep: tuple) -> int:
    """The forked child's pid; the child serves the request and never returns."""
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os._exit(_serve(parent, write, prepare, fn, args, keep))
    return pid


_FRESH_CHILD = "from russell_pipeline.lib.sandbox import fresh_child; fresh_child()"
_ANSWER_FD = 3  # where a fresh child writes its outcome


def _spawn(write: int, prepare, fn: Callable, args: tuple, keep: tuple) -> int:
    """A fresh interpreter's pid, its request (this pid, prepare, fn, args, keep) on its stdin, its
    outcome due on `write`; it imports this package from where this process did."""
    request = pickle.dumps((os.getpid(), prepare, fn, args, keep), protocol=pickle.HIGHEST_PROTOCOL)
    here = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    given, send = os.pipe()
    try:
        pid = os.posix_spawn(
            sys.executable,
            [sys.executable, "-c", _FRESH_CHILD],
            os.environ | {"PYTHONPATH": path},
            file_actions=[
                (os.POSIX_SPAWN_DUP2, given, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_DUP2, write, _ANSWER_FD),
            ],
        )
    finally:
        os.close(given)
    try:
        with os.fdopen(send, "wb") as out:  # a request larger than the pipe waits for the child to read it
            try:
                out.write(request)
            except BrokenPipeError:  # the child died before reading it: its end says how
                pass
    except BaseException:  # interrupted (a stop signal) before the child had its request: it ends here
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    return pid


def fresh_child() -> None:
    """The body of a fresh child (`run_in_child(fresh=True)`): its request from stdin, its outcome to
    fd 3."""
    try:
        parent, prepare, fn, args, keep = pickle.load(sys.stdin.buffer)
    except (EOFError, pickle.UnpicklingError):  # its parent stopped before sending all of it: no traceback
        os._exit(70)
    os._exit(_serve(parent, _ANSWER_FD, prepare, fn, args, keep))


def _serve(parent: int, write: int, prepare, fn: Callable, args: tuple, keep: tuple) -> int:
    """In the child: `prepare()`, then `fn(*args)`, its outcome pickled to `write`; the exit status."""
    try:
        _die_with(parent)
        # Its answer goes through the pipe: nothing it does may add to the parent's output.
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        if prepare is not None:
            prepare()
        try:
            outcome = Outcome("ok", fn(*args))
        except keep as err:
            outcome = Outcome("error", err)
        try:
            payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - an exception that does not pickle comes back as its text
            payload = pickle.dumps(Outcome("error", " ".join(str(outcome.value).split())))
        with os.fdopen(write, "wb") as out:
            out.write(payload)
    except BaseException:  # noqa: BLE001 - the parent reports the child's death
        return 70
    return 0


def _die_with(parent: int) -> None:
    """This (child) process is killed when its parent dies (Linux PR_SET_PDEATHSIG): a parent killed
    outright leaves no child working on."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before the rule was set
        os._exit(70)


def _collect(fd: int, pid: int, deadline: float | None) -> tuple[bytes, bool]:
    """Everything the child writes, until it closes the pipe or the `deadline` (monotonic) passes (killed)."""
    parts = []
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            os.kill(pid, signal.SIGKILL)
            return b"", True
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(parts), False
            parts.append(chunk)


# Landlock (include/uapi/linux/landlock.h): syscall numbers are the same on every Linux architecture.
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION, _RULE_PATH_BENEATH, _PR_SET_NO_NEW_PRIVS = 1, 1, 38
_PR_SET_PDEATHSIG = 1
# Every right that changes the file system, by the ABI version that introduced it.
_WRITES = {
    1: sum(1 << bit for bit in (1, 4, 5, 6, 7, 8, 9, 10, 11, 12)),  # write, remove, make
    2: 1 << 13,  # REFER: link or rename into another folder
    3: 1 << 14,
}  # TRUNCATE


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 where there is none (not Linux, too old, turned off)."""
    if not sys.platform.startswith("linux"):
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    version = libc.syscall(
        _CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION)
    )
    return max(int(version), 0)


def forbid_writes(allowed: list[Path]) -> bool:
    """From now on this process cannot change any file outside `allowed`; False where the kernel has no
    Landlock (nothing is restricted then). Irreversible: call it in a child."""
    abi = landlock_abi()
    if not abi:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    rights = sum(bits for version, bits in _WRITES.items() if version <= abi)
    attr = _RulesetAttr(rights)
    ruleset = libc.syscall(
        _CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0)
    )
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        for folder in allowed:
            fd = os.open(folder, os.O_PATH | os.O_DIRECTORY)
            try:
                rule = _PathBeneath(rights, fd)
                if (
                    libc.syscall(
                        _ADD_RULE,
                        ctypes.c_int(ruleset),
                        ctypes.c_int(_RULE_PATH_BENEATH),
                        ctypes.byref(rule),
                        ctypes.c_uint32(0),
                    )
                    < 0
                ):
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule {folder}")
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return True


def running(pid: int) -> bool:
    """Whether process `pid` exists on this host (another user's counts: it cannot be signalled, but runs)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
