"""Pages that are not part of a list's table (lib/documents/furniture.py): a contact block in one,
two or three columns, an about page, a methodology note between table pages, a blank page. Each is
recorded as furniture and never refuses the list; a line on such a page that stands where the
table's rows stand and looks like one is still named."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from russell_pipeline.lib.documents.ingest import read_year
from russell_pipeline.lib.documents.reading import read_document
from russell_pipeline.lib.errors import InputError
from russell_pipeline_tests.helpers import run_main

if TYPE_CHECKING:
    from fpdf import FPDF

COLUMNS = (36.0, 200.0, 320.0, 484.0)  # company, ticker, company, ticker of a two-up list
ROWS = [(f"ACME {a}{b} HOLDINGS INC", f"A{a}{b}") for a in "BCD" for b in "KLMNO"]
ABOUT = (
    "FTSE Russell is a leading global provider of benchmarking, analytics and data solutions for",
    "investors, giving them a precise view of the market relevant to their investment process.",
)
CONTACT = [
    ("EMEA", "NORTH AMERICA", "ASIA-PACIFIC"),
    ("10 Paternoster Square", "1 Liberty Plaza", "18 Harbour Road"),
    ("LONDON EC4M 7LS", "NEW YORK NY 10006", "HONG KONG"),
    ("+44 (0) 20 7866 1810", "+1 877 503 6437", "+852 2164 3333"),
]


def _list(path, *extra, rows_per_page: int = 5, headers: str = "every", contact_at: tuple = ()) -> None:
    """A two-up membership list of ROWS, 2 x `rows_per_page` a page; `extra` pages (`about`,
    `contact`, `note`, `blank`, or a callable drawing on the PDF) after the table pages, or a
    (position, page) pair to put one before page `position` (0-based) of the table pages."""
    from fpdf import FPDF  # imported where used: every xdist worker collects this module

    pdf = FPDF(unit="pt", format=(612, 792))
    pdf.set_auto_page_break(False)
    pages = [ROWS[i : i + 2 * rows_per_page] for i in range(0, len(ROWS), 2 * rows_per_page)]
    inserted = dict(e for e in extra if isinstance(e, tuple))
    after = [e for e in extra if not isinstance(e, tuple)]
    for k, chunk in enumerate(pages):
        if k in inserted:
            _furniture(pdf, inserted[k], contact_at)
        pdf.add_page()
        pdf.set_font("helvetica", size=14)
        pdf.text(36, 40, "Russell US Indexes")
        pdf.text(36, 62, "Membership list")
        if k == 0 or headers == "every":
            pdf.set_font("helvetica", style="B", size=8)
            for x, title in zip(COLUMNS, ("Company", "Ticker") * 2, strict=True):
                pdf.text(x, 90, title)
        pdf.set_font("helvetica", size=8)
        for j, (company, symbol) in enumerate(chunk):
            t, r = divmod(j, rows_per_page)
            pdf.text(COLUMNS[2 * t], 108 + 13 * r, company)
            pdf.text(COLUMNS[2 * t + 1], 108 + 13 * r, symbol)
        pdf.text(36, 760, "June 24, 2022")
    for page in after:
        _furniture(pdf, page, contact_at)
    path.write_bytes(bytes(pdf.output()))


def _furniture(pdf: FPDF, page, contact_at: tuple) -> None:
    pdf.add_page()
    pdf.set_font("helvetica", size=8)
    if callable(page):
        page(pdf)
        return
    y = 60.0
    if page in ("about", "contact"):
        pdf.set_font("helvetica", size=12)
        pdf.text(36, y, "About FTSE Russell")
        pdf.set_font("helvetica", size=8)
        for line in ABOUT:
            y += 12
            pdf.text(36, y, line)
    if page == "contact":
        y += 24
        for line in CONTACT:
            for x, cell in zip(contact_at, line, strict=False):
                pdf.text(x, y, cell)
            y += 12
    if page == "note":
        pdf.text(36, y, "Methodology note: the lists below are ranked by total market capitalization.")
        pdf.text(36, y + 12, "RUSSELL US INDEXES")
    pdf.text(36, 760, "ftserussell.com")


def _read(path):
    doc = read_document(path)
    return doc, doc.rows.select("company", "symbol").rows()


@pytest.mark.parametrize(
    "contact_at",
    [(36.0,), (36.0, 200.0), (36.0, 320.0), (200.0, 320.0), (36.0, 200.0, 484.0), (36.0, 250.0, 420.0)],
    ids=[
        "one-column",
        "at-company-and-ticker",
        "at-both-companies",
        "at-ticker-and-company",
        "three",
        "free",
    ],
)
def test_a_contact_page_after_the_table_is_furniture_and_the_list_reads_whole(tmp_path, contact_at):
    """The issue's list: its last page holds the about text and a contact block whose region names
    stand side by side as column heads; with the second column under the ticker column, the page
    used to refuse the list (`EMEA NORTH AMERICA` and `LONDON EC4M 7LS NEW YORK NY 10006` unread)."""
    path = tmp_path / "ru3000_membershiplist_20220624.pdf"
    _list(path, "contact", contact_at=contact_at)
    doc, rows = _read(path)
    assert rows == ROWS and doc.unread.rows() == []
    ((page, why),) = doc.furniture
    assert page == 3 and "no table header and no row" in why and "of prose" in why


def test_furniture_before_between_and_after_table_pages_without_headers(tmp_path):
    """A cover page, a methodology note between table pages (the next one carries the table over
    without a header), a blank page and an about page after them: rows exact, four pages named."""
    cover = lambda pdf: pdf.text(36, 300, "Russell 3000 Index")
    path = tmp_path / "ru3000_membershiplist_20220624.pdf"
    _list(path, (0, cover), (2, "note"), "blank", "about", headers="first", rows_per_page=3)
    doc, rows = _read(path)
    assert rows == ROWS and doc.unread.rows() == []
    assert [p for p, _ in doc.furniture] == [1, 4, 6, 7]
    assert dict(doc.furniture)[1] == "before the first table header"
    assert dict(doc.furniture)[6].startswith("1 line(s)")  # the footer alone


def test_a_split_ticker_on_a_furniture_page_still_refuses_the_list_named(tmp_path):
    """A page without a header whose one line stands at the columns like a row, its ticker split in
    two: a row the parser cannot account for, named by page and line, not furniture."""
    lost = lambda pdf: (pdf.text(36, 108, "ACME ZZ HOLDINGS INC"), pdf.text(200, 108, "A ZZQ"))
    path = tmp_path / "ru3000_membershiplist_20220624.pdf"
    _list(path, lost, "about")
    doc, rows = _read(path)
    assert rows == ROWS
    assert doc.unread.rows() == [(3, 1, "ACME ZZ HOLDINGS INC A ZZQ")]
    assert "page 3 line 1" in doc.unread_problem()


def test_region_heads_that_read_as_a_row_above_an_address_block_are_no_row(tmp_path):
    """`NORTH AMERICA` under the company column and `EMEA` under the ticker column, at their
    alignment, read as a row; the address lines set in the same columns right under them say it is
    a contact block, not the table."""

    def contact(pdf):
        for k, (left, right) in enumerate(
            [("NORTH AMERICA", "EMEA"), ("1 Liberty Plaza", "10 Paternoster Sq")]
        ):
            pdf.text(36, 108 + 13 * k, left)
            pdf.text(200, 108 + 13 * k, right)

    path = tmp_path / "ru3000_membershiplist_20220624.pdf"
    _list(path, contact)
    doc, rows = _read(path)
    assert rows == ROWS and doc.unread.rows() == [] and [p for p, _ in doc.furniture] == [3]


def test_parse_and_source_documents_name_the_furniture_pages(tmp_path):
    raw = tmp_path / "raw"
    (raw / "2022").mkdir(parents=True)
    path = raw / "2022" / "ru3000_membershiplist_20220624.pdf"
    _list(path, "contact", contact_at=(36.0, 200.0))
    got = run_main("parse", str(path), "--format", "csv")
    assert got.returncode == 0, got.stderr
    assert got.stdout.count("\n") == len(ROWS) + 1
    assert f"{path}: page 3: furniture (" in got.stderr
    tables = read_year(raw, 2022)
    assert tables.refusal is None
    (furniture,) = tables.source_documents["furniture_pages"].to_list()
    assert furniture.startswith("3: ") and "of prose" in furniture


def test_a_list_whose_only_rows_are_on_no_page_still_fails(tmp_path):
    """Furniture is never a way to read a list as empty: a header with no row under it anywhere."""
    from fpdf import FPDF

    path = tmp_path / "ru3000_membershiplist_20220624.pdf"
    _list(path, "contact", contact_at=(36.0, 200.0), rows_per_page=5)
    doc, _ = _read(path)
    assert doc.rows.height == len(ROWS)
    empty = tmp_path / "empty_membershiplist_20220624.pdf"
    pdf = FPDF(unit="pt", format=(612, 792))
    pdf.add_page()
    pdf.set_font("helvetica", size=8)
    pdf.text(36, 40, "Membership list")
    for x, title in zip(COLUMNS, ("Company", "Ticker") * 2, strict=True):
        pdf.text(x, 90, title)
    pdf.text(36, 200, "About FTSE Russell: a leading global provider of benchmarks.")
    empty.write_bytes(bytes(pdf.output()))
    with pytest.raises(InputError, match="no rows could be read"):
        read_document(empty)
