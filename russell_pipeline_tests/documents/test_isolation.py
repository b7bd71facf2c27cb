"""Hostile PDFs cost the reading process nothing: a compressed text-layer bomb is refused before
pdfium sees it, and whatever pdfium does runs in a child the kernel bounds (memory, CPU, wall time)."""

from __future__ import annotations

import os
import resource
import time

import pytest

from russell_pipeline.lib.documents import isolated
from russell_pipeline.lib.documents.limits import Limits
from russell_pipeline.lib.documents.pdftext import _read_pdf
from russell_pipeline.lib.documents.reading import read_document
from russell_pipeline.lib.errors import InputError
from russell_pipeline_tests.helpers import REAL, cli, text_layer_bomb


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_compressed_text_layer_bomb_is_refused_before_pdfium_reads_it(tmp_path):
    bomb = tmp_path / "ru3000-additions-20250627.pdf"
    bomb.write_bytes(text_layer_bomb(300_000_000))  # ~400 KB drawing 300 million characters
    before, started = _peak_mb(), time.monotonic()
    with pytest.raises(InputError) as err:
        read_document(bomb)
    assert str(err.value) == (
        f"{bomb}: compressed content inflates to more than 40,496,200 bytes (100x the file's "
        "size): a compression bomb, not read"
    )
    assert time.monotonic() - started < 5 and _peak_mb() - before < 100
    done = cli("parse", str(bomb), text=True)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "compression bomb" in done.stderr


def test_the_bounded_child_stops_pdfium_on_a_bomb_the_cheap_bound_lets_through(tmp_path, monkeypatch):
    """The second layer on its own: pdfium reading 50 million characters in a child allowed 300 MB."""
    monkeypatch.setattr(isolated, "MEMORY_BYTES", 300_000_000)
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(text_layer_bomb(50_000_000))
    before, started = _peak_mb(), time.monotonic()
    with pytest.raises(
        InputError, match=r"bomb\.pdf: reading the PDF needed more than 300 MB of memory: stopped$"
    ):
        isolated.run_isolated(bomb, _read_pdf, bomb, bomb.read_bytes(), Limits())
    assert time.monotonic() - started < 30 and _peak_mb() - before < 100  # the parent never held it


def _spin():
    while True:
        pass


def _sleep():
    time.sleep(60)


def _allocate():
    return [bytearray(50_000_000) for _ in range(100)]


@pytest.mark.parametrize(
    ("fn", "limit", "problem"),
    [
        (
            _allocate,
            ("MEMORY_BYTES", 200_000_000),
            "reading the PDF needed more than 200 MB of memory: stopped",
        ),
        (_spin, ("CPU_SECONDS", 1), "reading the PDF needed more than 1 s of CPU: stopped"),
        (_sleep, ("WALL_SECONDS", 1), "reading the PDF took longer than 1 s: stopped"),
    ],
    ids=["memory", "cpu", "wall"],
)
def test_each_kernel_limit_stops_the_child_with_one_line(monkeypatch, fn, limit, problem):
    monkeypatch.setattr(isolated, *limit)
    started = time.monotonic()
    with pytest.raises(InputError) as err:
        isolated.run_isolated("raw/2025/x.pdf", fn)
    assert str(err.value) == f"raw/2025/x.pdf: {problem}"
    assert time.monotonic() - started < 20


def test_a_child_stopped_by_a_limit_writes_no_core_file_even_where_the_caller_would():
    """SIGXCPU and abort (pdfium out of memory) dump a core where the limit allows one: the child's allows
    none, whatever its caller's is."""
    before = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (before[1], before[1]))
    try:
        assert isolated.run_isolated("x.pdf", resource.getrlimit, resource.RLIMIT_CORE) == (0, 0)
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, before)


def test_the_child_returns_results_and_input_errors_as_they_are():
    assert isolated.run_isolated("x.pdf", sorted, [3, 1, 2]) == [1, 2, 3]
    with pytest.raises(InputError, match=r"^x\.pdf: truncated PDF"):
        isolated.run_isolated("x.pdf", _read_pdf, "x.pdf", b"%PDF-1.7\n", Limits())


def _mark_and_sleep(marker: str) -> int:
    open(marker, "w").close()
    time.sleep(60)
    return 1


def _mark(marker: str) -> str:
    open(marker, "w").close()
    return "read"


def test_a_started_child_works_while_its_caller_does_and_a_stopped_one_leaves_nothing(tmp_path):
    """`Isolated` starts the child at once (the caller loads its libraries meanwhile: `parse`); its
    result comes when asked; a child stopped unheard is killed and reaped, its pipe closed."""
    marker = tmp_path / "started"
    reading = isolated.Isolated("x.pdf", _mark, str(marker))
    deadline = time.monotonic() + 20
    while not marker.exists() and time.monotonic() < deadline:  # it ran before anyone asked
        time.sleep(0.01)
    assert marker.exists() and reading.result() == "read"
    fds = len(os.listdir("/proc/self/fd"))
    marker.unlink()
    reading = isolated.Isolated("x.pdf", _mark_and_sleep, str(marker))
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    pid = reading._child.pid
    reading.stop()
    reading.stop()  # once is enough; again is nothing
    with pytest.raises(ChildProcessError):  # reaped: no such child is left
        os.waitpid(pid, os.WNOHANG)
    assert len(os.listdir("/proc/self/fd")) == fds


def test_a_started_childs_wall_time_counts_from_its_start(monkeypatch):
    """The wall limit runs while the caller works: asked after it passed, the answer is at once."""
    monkeypatch.setattr(isolated, "WALL_SECONDS", 1)
    reading = isolated.Isolated("raw/2025/x.pdf", _sleep)
    time.sleep(1.5)
    asked = time.monotonic()
    with pytest.raises(InputError, match=r"^raw/2025/x\.pdf: reading the PDF took longer than 1 s: stopped$"):
        reading.result()
    assert time.monotonic() - asked < 0.9


def test_real_documents_inflate_well_inside_the_bound():
    pdfs = sorted(REAL.glob("*.pdf"))  # ../shared/real, or RUSSELL_TEST_SHARED's real/
    if not pdfs:
        pytest.skip(f"{REAL} holds no PDF (the real FTSE Russell PDFs: docs/testing.md)")
    for pdf in pdfs:
        data = pdf.read_bytes()
        assert isolated.check_decoded_size(pdf, data) < 12 * len(data)
