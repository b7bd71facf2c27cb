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
    data, expected, bad = render(layout)
    path = tmp_path / f"layout-{seed}.pdf"
    path.write_bytes(data)
    doc = read_document(path)
    named = f"layout {layout}"  # seed and parameters: the failure says which layout to draw again
    assert doc.doc_type == layout.kind, named
    sector = pl.col("sector") if "sector" in doc.rows.columns else pl.lit(None, pl.String)
    got = doc.rows.select("source_page", "company", "symbol", sector.alias("sector")).rows()
    assert got == expected, named
    if bad is None:
        assert doc.unread.rows() == [], named
    else:  # the one bad row, strictly inside a table, is named by its page and line, and nothing else is
        ((page, _, text),) = doc.unread.rows()
        assert page == bad[0] and bad[1] in text, named
    stats = doc.page_stats
    assert stats["rows"].sum() == len(expected) and stats["candidate_lines"].sum() == len(expected) + (
        bad is not None
    )
    lines = {(p, n): " ".join(t.split()) for p, n, t in doc.lines}
    for page, line, company, symbol in doc.rows.select(
        "source_page", "source_line", "company", "symbol"
    ).rows():
        assert company.split()[0] in lines[(page, line)].split() and symbol in lines[(page, line)].split(), (
            named
        )
