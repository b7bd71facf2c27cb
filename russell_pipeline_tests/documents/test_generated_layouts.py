"""Every list layout of the family reads row-exact: PDFs rendered from randomly drawn layouts
(layouts.py), seeded, `--layouts N` of them (500 by default; CI runs the default)."""

from __future__ import annotations

import polars as pl
import pytest

from russell_pipeline.lib.documents.reading import read_document
from russell_pipeline_tests.documents.layouts import draw, render


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "seed" in metafunc.fixturenames:
        metafunc.parametrize("seed", range(metafunc.config.getoption("layouts")))


def test_a_drawn_layout_reads_row_exact(tmp_path, seed):
    layout = draw(seed)
    data, expected, bad, past = render(layout)
    path = tmp_path / f"layout-{seed}.pdf"
    path.write_bytes(data)
    doc = read_document(path)  # the parser's own line accounting holds on every page, or it raises
    named = f"layout {layout}"  # seed and parameters: the failure says which layout to draw again
    assert doc.doc_type == layout.kind, named
    sector = pl.col("sector") if "sector" in doc.rows.columns else pl.lit(None, pl.String)
    got = doc.rows.select("source_page", "company", "symbol", sector.alias("sector")).rows()
    # A name run past the next column's edge is read whole or its line is unread; every other row is read.
    refused = [e for e in expected if e not in set(got)]
    assert set(refused) <= past, named
    assert got == [e for e in expected if e not in refused], named
    unread = doc.unread.rows()
    if bad is not None:  # the one bad row, strictly inside a table, is named by its page and line
        assert [(page, bad[1] in text) for page, _, text in unread].count((bad[0], True)) == 1, named
    for page, _, symbol, _ in refused:  # each refused row's line is named, with its symbol
        assert any(p == page and symbol in t.split() for p, _, t in unread), named
    assert len(unread) <= len(refused) + (bad is not None), named  # and nothing else
    stats = doc.page_stats
    assert stats["rows"].sum() == len(got) and stats["candidate_lines"].sum() == len(got) + len(unread)
    lines = {(p, n): " ".join(t.split()) for p, n, t in doc.lines}
    for page, line, company, symbol in doc.rows.select(
        "source_page", "source_line", "company", "symbol"
    ).rows():
        assert company.split()[0] in lines[(page, line)].split() and symbol in lines[(page, line)].split(), (
            named
        )
