"""Python's cyclic garbage collector in a process that makes many long-lived objects before it works.

A full collection looks at every container object the process holds, and it comes each time their
number has grown by a quarter: importing Dagster for a build takes the process from about 50,000 to
270,000 objects, with five full collections on the way (0.5 of a build's 17 CPU-s), and a test process,
whose objects grow as its tests run, spent 1.9 of 55 CPU-s in them (docs/performance.md, the
collector). Nearly all of those objects (modules, classes, definitions, caches) live as long as the
process.

`freeze_survivors()` moves what each full collection leaves out of later collections' sight
(`gc.freeze`): the next one looks only at objects made since. When full collections come is unchanged
(the count of survivors still decides it), and a frozen object is still freed the moment nothing refers
to it; only a reference cycle among frozen objects waits, for `release`, at the process's exit, so that
the interpreter's last collection frees it as it would have. Only the process that asked freezes: a
forked child (lib/sandbox.py) collects as usual."""

from __future__ import annotations

import atexit
import gc
import os

_owner: list[int] = []  # the pid of the process that asked, once one has


def freeze_survivors() -> None:
    """From now on in this process, freeze what each full collection leaves (until `release`)."""
    if not _owner:
        atexit.register(release)
    _owner[:] = [os.getpid()]
    if _freeze not in gc.callbacks:
        gc.callbacks.append(_freeze)


def release() -> None:
    """Stop freezing and hand every frozen object back to the collector."""
    if _freeze in gc.callbacks:
        gc.callbacks.remove(_freeze)
    gc.unfreeze()


def _freeze(phase: str, info: dict) -> None:
    if phase == "stop" and info["generation"] == 2 and _owner == [os.getpid()]:
        gc.freeze()
