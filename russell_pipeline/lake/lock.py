"""One writer at a time: the lake's writer lock, and the scratch space beside the lake it guards.

The lock is an flock on `<lake>/.lake.lock`, so the OS releases it when its holder dies (a SIGKILL
included); the file holds the holder's process id, named when a second writer gives up waiting.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from russell_pipeline.lib.errors import LakeError

LOCK = ".lake.lock"
SCRATCH = ".scratch"  # writers' temporary files, beside the lake


class WriterLock:
    """The writer lock of the lake folder `root` (`location`: the object store an object-store lake's
    tables live in, its lock being the local folder's): `Lake.lock` (lake_root.py)."""

    # lock path -> (fd, depth, hold): the lock is re-entrant per process; `hold` numbers each time this
    # process took it (`hold_id`)
    _held: ClassVar[dict[str, tuple[int, int, int]]] = {}
    _holds: ClassVar[Iterator[int]] = itertools.count(1)

    def __init__(self, root: Path, location: str | None, timeout: float):
        """`timeout`: seconds a second writer waits for the lock before it gives up."""
        self.root, self.location, self.timeout = root, location, timeout

    @contextmanager
    def hold(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the lake's writer lock (an flock, which the OS releases when the process dies).

        A second writer waits up to `timeout` seconds (default the lock's own), then
        gives up with one line. Re-entrant within a process, so a build can hold it around its runs.
        """
        path = str((self.root / LOCK).absolute())
        if path in WriterLock._held:
            fd, depth, hold = WriterLock._held[path]
            WriterLock._held[path] = (fd, depth + 1, hold)
            try:
                yield
            finally:
                # Gone when the outer holder let go first: an interrupted step's generator closed late.
                if path in WriterLock._held:
                    fd, depth, hold = WriterLock._held[path]
                    WriterLock._held[path] = (fd, depth - 1, hold)
            return
        if self.location:
            self.root.mkdir(parents=True, exist_ok=True)
        if not self.root.is_dir():
            raise LakeError(f"{self.root}: lake folder does not exist")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise LakeError(f"{path}: cannot open the lake lock ({err.strerror})") from None
        try:
            _acquire(fd, path, self.timeout if timeout is None else timeout)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            WriterLock._held[path] = (fd, 1, next(WriterLock._holds))
            # Scratch space of a writer that died (a SIGKILL mid-step): no other writer can be using it.
            shutil.rmtree(self.root / SCRATCH, ignore_errors=True)
            try:
                yield
            finally:
                del WriterLock._held[path]
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def held(self) -> bool:
        """Whether this process holds the lake's writer lock now."""
        return self.hold_id() is not None

    def hold_id(self) -> int | None:
        """Which of this process's holds of the lock is open now (a number no other hold in the process
        has had), None when it does not hold it: while one hold lasts, no other process commits to the
        lake, so what this process read of it in that hold stays true until it commits itself."""
        held = WriterLock._held.get(str((self.root / LOCK).absolute()))
        return None if held is None else held[2]

    def check_writable(self) -> None:
        """One line now, rather than a failed step later, when the lake folder cannot be written."""
        path = self.root / LOCK
        try:
            if self.location:
                self.root.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o644))
        except OSError as err:
            raise LakeError(f"{path}: the lake cannot be written ({err.strerror})") from None

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A private folder beside the lake (same file system, so a file made here can be renamed in),
        removed afterwards; what a killed writer leaves is removed when the next writer takes the lock."""
        with self.hold():
            folder = self.root / SCRATCH / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
            folder.mkdir(parents=True)
            try:
                yield folder
            finally:
                shutil.rmtree(folder, ignore_errors=True)


def _acquire(fd: int, path: str, timeout: float) -> None:
    deadline, told = time.monotonic() + timeout, False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
                raise LakeError(
                    f"{path}: the lake is being written by process {holder}; "
                    f"gave up after {timeout:.0f} s (RUSSELL_LOCK_TIMEOUT)"
                ) from None
            if not told:
                told = True
                print(f"waiting for the lake lock {path} (another build or run is writing)", flush=True)
            time.sleep(0.2)
