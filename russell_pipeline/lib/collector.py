"""Python's cyclic garbage collector in a process that makes many long-lived objects before it works.

A full collection looks at every container object the process holds, and it comes each time their
number has grown by a quarter: importing Dagster for a build takes the process from about 50,000 to
270,000 objects, with five full collections on the way (0.5 of a build's 17 CPU-s), and every full
collection after that looks at all of them again. Nearly all of them (modules, classes, definitions)
live as long as the process.

A build calls `freeze_survivors()` at its start and `settle()` once Dagster is imported and its instance
open: in between, what each full collection leaves is frozen (`gc.freeze`), so the next one looks only
at objects made since; after, what the work makes and drops is collected as before. A test process calls
`freeze_now()` at its start and between two test files, when what is alive is what lives on (modules,
definitions, the shared lakes' caches), not what a test made. A frozen object is still freed the moment
nothing refers to it; only a reference cycle among frozen objects waits, for `release` at the process's
exit (the interpreter's last collection then frees it as it would have). Freezing at every full
collection of a test process froze its tests' objects too: 1.1 s of full collections against 6.9 s over
`index/` and `documents/test_parsing.py`, but a peak of 1,070 MB against 788 (docs/performance.md). Only
the process that asked freezes: a forked child (lib/sandbox.py) collects as usual."""

from __future__ import annotations

import atexit
import gc
import os

_owner: list[int] = []  # the pid of the process that asked, once one has


def freeze_survivors() -> None:
    """From now on in this process, freeze what each full collection leaves, until `settle`. Once per
    process: one that has asked before (a test process, whose tests run builds) is left as it is."""
    if not _asked():
        gc.callbacks.append(_freeze)


def settle() -> None:
    """The start-up is over: what full collections leave is no longer frozen. (Nothing more is frozen
    now: `gc.freeze` takes every object, garbage not yet collected included, and that would never be
    freed.)"""
    if _freeze in gc.callbacks:
        gc.callbacks.remove(_freeze)


def freeze_now() -> None:
    """A quiet point (a test process between two test files): collect, then freeze what is left alive.
    What full collections leave is not frozen after it (a build's `freeze_survivors` in this process
    leaves that so)."""
    _asked()
    settle()
    gc.collect()
    gc.freeze()


def release() -> None:
    """Stop freezing and hand every frozen object back to the collector."""
    settle()
    gc.unfreeze()


def _asked() -> bool:
    """Whether this process (or the one it was forked from) asked before; from now on it has, and its
    frozen objects are released at its exit."""
    if _owner:
        return True
    _owner.append(os.getpid())
    atexit.register(release)
    return False


def _freeze(phase: str, info: dict) -> None:
    if phase == "stop" and info["generation"] == 2 and _owner == [os.getpid()]:
        gc.freeze()
