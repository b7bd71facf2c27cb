"""Every list layout of the family reads row-exact or is refused with its place, and every
schedule gives its dates: PDFs rendered from randomly drawn layouts (layouts.py: every family, with
pages that are not part of the table, core and embedded TrueType fonts, text drawn out of order,
turned and cropped pages, pages moved along the line), seeded, `--layouts N` of them (16 by default,
a few seconds; `bench/layouts_bench.py --documents 5000` reads thousands)."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from russell_pipeline.lib.documents.reading import read_document
from russell_pipeline_tests.documents.layouts import FURNITURE, Layout, draw, outcome, render


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "seed" in metafunc.fixturenames:
        metafunc.parametrize("seed", range(metafunc.config.getoption("layouts")))


def test_a_drawn_layout_reads_row_exact_or_is_refused_naming_its_bad_row(tmp_path, seed):
    layout = draw(seed)
    data, expected, bad, past = render(layout)
    path = tmp_path / f"layout-{seed}.pdf"
    path.write_bytes(data)
    doc = read_document(path)  # the parser's own line accounting holds on every page, or it raises
    named = f"layout {layout}"  # seed and parameters: the failure says which layout to draw again
    # Exact, or refused with the lines it could not read named by page and line: the bad row (a layout
    # holding one), a row whose name runs past the next column's edge when it is not read whole.
    got_outcome = outcome(layout, expected, bad, doc=doc)
    assert got_outcome in (
        {"refused-located"} if bad else {"exact", "refused-located"} if past else {"exact"}
    ), f"{got_outcome}: {named}"
    if layout.schedule:  # its calendar rows, exact (outcome): a schedule has no list rows
        return
    unread = doc.unread.rows()
    sector = pl.col("sector") if "sector" in doc.rows.columns else pl.lit(None, pl.String)
    got = doc.rows.select("source_page", "company", "symbol", sector.alias("sector")).rows()
    # Only a name run past the next column's edge may leave its row unread; every other row is read.
    assert {e for e in expected if e not in set(got)} <= past, named
    stats = doc.page_stats
    assert stats["rows"].sum() == len(got) and stats["candidate_lines"].sum() == len(got) + len(unread)
    lines = {(p, n): " ".join(t.split()) for p, n, t in doc.lines}
    for page, line, company, symbol in doc.rows.select(
        "source_page", "source_line", "company", "symbol"
    ).rows():
        assert company.split()[0] in lines[(page, line)].split() and symbol in lines[(page, line)].split(), (
            named
        )
    # Every page the layout added beside its table is named as furniture, none of the table's.
    table_pages = {p for p, *_ in expected} | ({bad[0]} if bad else set())
    assert not table_pages & {p for p, _ in doc.furniture}, named


def test_the_sample_draws_every_kind_of_page_font_order_and_turn():
    """The seeded sample the suite reads holds each feature the generator draws at least once."""
    layouts = [draw(seed) for seed in range(16)]
    assert {k for layout in layouts for _, k in layout.furniture} == set(FURNITURE)
    assert {layout.kind for layout in layouts} == {"membership_list", "additions", "deletions", "schedule"}
    assert any(layout.ipo for layout in layouts) and any(layout.two_up for layout in layouts)
    assert any(layout.embedded for layout in layouts) and any(not layout.embedded for layout in layouts)
    assert any(layout.shuffled for layout in layouts) and any(layout.cropped for layout in layouts)
    assert {t for layout in layouts for t in layout.turned} == {0, 90, 270}
    assert any(layout.bad_row is not None for layout in layouts)
    assert any(layout.shift and not layout.header_every_page for layout in layouts)


# Contact pages set in close columns between table pages (issue 42; seed 3800 of the bench, as drawn):
# region heads in capitals stand side by side where the table's columns start (`EMEA` under the ticker
# column of an IPO list, `NORTH AMERICA` under its company column) and read as a row, or look like one;
# the address lines under them run into one another.
EMEA, NORTH_AMERICA, ASIA_PACIFIC = 0, 1, 2  # layouts._REGIONS


def _contact_between(seed: int, *contact: tuple[str, float, int]) -> Layout:
    """Seed `seed`'s table with one contact page halfway through it, its columns (("column", k): at the
    table's k-th column start; ("at", f): f of the width between the margins) and regions as given."""
    return replace(draw(seed), furniture=((0.5, "contact"),), contact=contact, bad_row=None, long_names="")


CLOSE_CONTACTS = {
    "bench-seed-3800": draw(3800),
    "ipo-2-columns": _contact_between(3800, ("column", 0, EMEA), ("column", 1, NORTH_AMERICA)),
    "ipo-3-columns": _contact_between(
        3800, ("column", 0, EMEA), ("column", 1, NORTH_AMERICA), ("at", 0.315, ASIA_PACIFIC)
    ),
    "additions-2-columns": _contact_between(9, ("column", 0, NORTH_AMERICA), ("column", 1, EMEA)),
    "additions-3-columns": _contact_between(
        9, ("column", 0, ASIA_PACIFIC), ("column", 1, EMEA), ("column", 2, NORTH_AMERICA)
    ),
    "two-up-3-columns": _contact_between(
        1, ("column", 0, NORTH_AMERICA), ("column", 1, EMEA), ("column", 2, ASIA_PACIFIC)
    ),
    # After a two-up table: moved along the line, `NORTH AMERICA  EMEA` read as a row with `NORTH` cut off.
    "bench-seed-3585": draw(3585),
}


@pytest.mark.parametrize("name", sorted(CLOSE_CONTACTS))
def test_a_contact_page_in_close_columns_between_table_pages_is_furniture(tmp_path, name):
    """Its region heads are no row: a column holding two runs of text is not where a row's cell
    sits, and a line under them holding text set in columns as no list prints it (an address, a
    telephone number) makes them the heading of a block. The page is furniture, named with why; every
    row of the list reads exact."""
    layout = CLOSE_CONTACTS[name]
    data, expected, bad, _ = render(layout)
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    doc = read_document(path)
    assert outcome(layout, expected, bad, doc=doc) == "exact", layout
    assert {p for p, _ in doc.furniture} == set(range(1, doc.pages + 1)) - {p for p, *_ in expected}


@pytest.mark.parametrize("drawn", [4989, 4359], ids=["one-row", "one-row-ticker-first"])
def test_the_last_page_of_a_list_moved_along_the_line_with_one_row_reads_it(tmp_path, drawn):
    """A list whose header is on its first page alone, every other page moved along the line (layouts of
    the bench, as drawn): its last page holds one row, at the moved columns. One row is evidence enough of
    where the page prints the table, and it is read; before, it was dropped with the page."""
    layout = replace(draw(drawn), long_names="")
    data, expected, bad, _ = render(layout)
    path = tmp_path / f"layout-{drawn}.pdf"
    path.write_bytes(data)
    doc = read_document(path)
    assert outcome(layout, expected, bad, doc=doc) == "exact", layout
    last = [row for row in expected if row[0] == expected[-1][0]]
    assert len(last) == 1  # the last page holds one row
