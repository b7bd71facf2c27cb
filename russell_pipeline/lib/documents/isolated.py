"""Untrusted PDFs are read where the operating system enforces the bounds.

Two layers, cheapest first:
1. `check_decoded_size`: every Flate stream of the file is inflated once, in bounded pieces and
   thrown away, before pdfium sees the file. Real FTSE Russell PDFs inflate to 4-11x their size;
   a compressed text-layer bomb (a few hundred KB drawing hundreds of millions of characters)
   inflates to hundreds of times its size and is refused here in well under a second.
2. `run_isolated`: the extraction itself runs in a forked child process (lib/sandbox.py) whose address space
   may grow by at most `MEMORY_BYTES` and whose CPU time is capped at `CPU_SECONDS` (RLIMIT_AS and
   RLIMIT_CPU, enforced by the kernel), and whose wall time is capped at `WALL_SECONDS` (killed).
   Whatever pdfium does with a hostile file, the reading process stays as it was: the child's
   death is one InputError naming the file and the limit.
"""

from __future__ import annotations

import faulthandler
import os
import re
import resource
import signal
import zlib
from collections.abc import Callable
from pathlib import Path

from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.sandbox import start_child

# Inflated stream bytes allowed per byte of file (real documents: 4-11), never less than the floor.
DECODED_PER_BYTE = 100
DECODED_FLOOR = 20_000_000
MEMORY_BYTES = 1_000_000_000  # what the child may add to the address space it was forked with
CPU_SECONDS = 60
WALL_SECONDS = 120
_STREAM = re.compile(rb"stream\r?\n")
_PIECE = 1 << 20


def check_decoded_size(path: str | Path, data: bytes) -> int:
    """The bytes all Flate streams of `data` inflate to; InputError when over the bound.

    Streams that are not Flate (images, fonts stored raw) are skipped; a stream cut short counts
    what it gave. Memory: one piece at a time."""
    limit = max(DECODED_FLOOR, DECODED_PER_BYTE * len(data))
    total = 0
    for m in _STREAM.finditer(data):
        inflate, at = zlib.decompressobj(), m.end()
        try:
            while not inflate.eof and at < len(data):
                chunk = inflate.decompress(inflate.unconsumed_tail or data[at : at + _PIECE], _PIECE)
                if not inflate.unconsumed_tail:
                    at += _PIECE
                total += len(chunk)
                if total > limit:
                    raise InputError(
                        path,
                        f"compressed content inflates to more than {limit:,} bytes "
                        f"({DECODED_PER_BYTE}x the file's size): a compression bomb, not read",
                    )
                if not chunk and not inflate.unconsumed_tail and inflate.eof:
                    break
        except zlib.error:
            continue
    return total


def run_isolated(path: str | Path, fn: Callable, *args):
    """`fn(*args)` in a forked child under the memory, CPU and wall-time limits; its result or
    its InputError comes back; its death (a limit reached, a crash) is an InputError naming `path`."""
    return Isolated(path, fn, *args).result()


class Isolated:
    """`run_isolated` in two halves: the child starts at construction, `result()` waits for it; `stop()`
    ends it unheard (a caller that stopped needing it)."""

    def __init__(self, path: str | Path, fn: Callable, *args) -> None:
        self.path = path
        self._child = start_child(
            fn, *args, prepare=_bounded, wall=WALL_SECONDS, keep=(InputError, MemoryError)
        )

    def result(self):
        outcome = self._child.outcome()
        if outcome.kind == "ok":
            return outcome.value
        if outcome.kind == "killed":
            raise InputError(self.path, f"reading the PDF took longer than {WALL_SECONDS} s: stopped")
        if outcome.kind == "error":
            if isinstance(outcome.value, InputError):
                raise outcome.value
            raise _limit_error(self.path, "memory")
        sig = outcome.value
        raise _limit_error(
            self.path, "cpu" if sig in (signal.SIGXCPU, signal.SIGKILL) else "memory" if sig else "crash"
        )

    def stop(self) -> None:
        self._child.stop()


def _bounded() -> None:
    """In the child: a limit reached inside pdfium aborts it, and its dying words are noise (the parent
    reports one line); the kernel bounds its address space and CPU time. Its death writes no core file
    either (abort and SIGXCPU dump one where the machine allows it: a copy of the whole process it was
    forked from, gigabytes in the folder a build runs in)."""
    faulthandler.disable()
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    base = _address_space()
    if base is not None:  # Linux; elsewhere the CPU and wall limits still hold
        resource.setrlimit(resource.RLIMIT_AS, (base + MEMORY_BYTES, base + MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5))


def _limit_error(path: str | Path, what: str) -> InputError:
    problem = {
        "memory": f"reading the PDF needed more than {MEMORY_BYTES // 1_000_000:,} MB of memory: stopped",
        "cpu": f"reading the PDF needed more than {CPU_SECONDS} s of CPU: stopped",
        "crash": "the PDF reader crashed on this file",
    }[what]
    return InputError(path, problem)


def _address_space() -> int | None:
    """This process's virtual size now (bytes), the base the child's limit adds to; None without /proc."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None
