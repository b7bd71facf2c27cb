"""Helpers the tests share: the command line as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli(*args: str, env: dict | None = None, cwd: Path | None = None, text: bool = False,
        timeout: float = 600) -> subprocess.CompletedProcess:
    """`russell-pipeline ARGS` in a subprocess with `env` added to this environment; never raises on exit code."""
    return subprocess.run(
        [sys.executable, "-m", "russell_pipeline.cli", *args],
        capture_output=True, env={**os.environ, **(env or {})}, cwd=cwd, text=text, timeout=timeout, check=False,
    )


def text_layer_bomb(chars: int, run: int = 4096) -> bytes:
    """A valid one-page PDF whose Flate content stream draws `chars` characters: `(A...A) Tj` repeated,
    a few hundred KB on disk for hundreds of millions of characters (a compressed text-layer bomb)."""
    import zlib

    op = b"(" + b"A" * run + b") Tj\n"
    comp = zlib.compressobj(9)
    parts = [comp.compress(b"BT /F1 1 Tf 10 10 Td\n")]
    for _ in range(max(1, chars // run)):
        parts.append(comp.compress(op))
    parts.append(comp.compress(b"ET\n") + comp.flush())
    stream = b"".join(parts)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def flip_bytes(path: Path, restore_time: bool = False) -> None:
    """XOR 64 bytes in the middle of a file, in place: its size kept, and its time too if asked."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(b ^ 0xFF for b in data[middle:middle + 64])
    path.write_bytes(bytes(data))
    if restore_time:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
