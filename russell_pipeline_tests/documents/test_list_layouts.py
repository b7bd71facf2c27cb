"""List layouts beyond the seeds: columns in any order (ticker-first IPO additions), how a list
says what it is, and documents that say nothing recognizable (never 0 rows with success)."""

from __future__ import annotations

import itertools
import pickle
import re

import polars as pl
import pytest

from russell_pipeline.cli import main
from russell_pipeline.lib.documents.ingest import ingest_year
from russell_pipeline.lib.documents.lists import LayoutError, find_header, parse_list
from russell_pipeline.lib.documents.reading import read_document
from russell_pipeline.lib.documents.textlayer import Line, Page, Word
from russell_pipeline.lib.errors import InputError
from russell_pipeline_tests.documents.test_parsing import _pdf, _table
from russell_pipeline_tests.helpers import run_main

IPO_ROWS = [
    ("AAPL", "APPLE INC", "Technology"),
    ("BRK.B", "BERKSHIRE HATHAWAY CL B", "Financials"),
    ("CAVA", "CAVA GROUP", "Consumer Discretionary"),
    ("HEI.A", "HEICO CORP CL A", "Industrials"),
    ("KVYO", "KLAVIYO (A)", "Technology"),
    ("T", "AT&T INC", "Telecommunications"),
]
TITLES = {"symbol": "Ticker", "company": "Company Name", "sector": "Industry"}
KEYS = ("symbol", "company", "sector")


def _text_list(order: tuple[str, ...], sep: str, title: str = "Russell 3000® Index - IPO Additions") -> str:
    """A list with its columns in `order`, cells joined by `sep`, and a footer after the rows."""
    rows = [sep.join(dict(zip(KEYS, r))[c] for c in order) for r in IPO_ROWS]
    return "\n".join(
        [
            title,
            "",
            sep.join(TITLES[c] for c in order),
            *rows,
            "",
            "FTSE Russell | Quarterly IPO additions 1",
            "",
        ]
    )


def _expected(order: tuple[str, ...]) -> list[tuple]:
    with_sector = "sector" in order
    return [(company, symbol, sector if with_sector else None) for symbol, company, sector in IPO_ROWS]


ORDERS = [o for n in (2, 3) for o in itertools.permutations(KEYS, n) if {"symbol", "company"} <= set(o)]


@pytest.mark.parametrize("sep", ["\t", " "], ids=["tabs", "spaces"])
@pytest.mark.parametrize("order", ORDERS, ids=lambda o: "-".join(o))
def test_columns_in_any_order_parse_row_exact(tmp_path, order, sep):
    path = tmp_path / "ipo.txt"
    path.write_text(_text_list(order, sep), encoding="utf-8")
    doc = read_document(path)
    assert (doc.doc_type, doc.index_name, doc.stage) == ("additions", "Russell 3000", "final")
    assert doc.classification == ("ICB" if "sector" in order else None)
    assert doc.rows.select("company", "symbol", "sector").rows() == _expected(order)
    assert doc.rows["source_line"].to_list() == [4, 5, 6, 7, 8, 9]
    assert doc.page_stats.rows() == [(1, 6, 6)]


def test_ticker_first_pdf_parses_row_exact(tmp_path):
    """FTSE Russell's quarterly IPO additions layout: Ticker, then Company Name, no sector."""
    xs = (38, 110)
    page = [
        (38, 60, "Russell US Indexes", 9),
        (38, 90, "Quarterly IPO additions", 14),
        (38, 130, "Ticker", 8),
        (110, 130, "Company Name", 8),
        *_table(145, [(s, c) for s, c, _ in IPO_ROWS[:3]], xs=xs),
        (110, 145 + 2 * 12 + 7, "HOLDINGS", 7),  # CAVA's name wraps inside its cell
        *_table(145 + 4 * 12, [(s, c) for s, c, _ in IPO_ROWS[3:]], xs=xs),
        (38, 770, "FTSE Russell | Final IPO additions", 7),
        (571, 770, "1", 7),
    ]
    page_2 = [
        (38, 60, "Ticker", 8),
        (110, 60, "Company Name", 8),
        *_table(75, [("ZETA", "ZETA GLOBAL")], xs=xs),
    ]
    path = tmp_path / "final-ipo-additions-1-qtr-r3000.pdf"
    path.write_bytes(_pdf([page, page_2]))
    doc = read_document(path)
    assert (doc.doc_type, doc.stage, doc.classification, doc.index_name) == (
        "additions",
        "final",
        None,
        "Russell US",
    )
    assert doc.rows.select("company", "symbol", "sector", "source_page").rows() == [
        ("APPLE INC", "AAPL", None, 1),
        ("BERKSHIRE HATHAWAY CL B", "BRK.B", None, 1),
        ("CAVA GROUP HOLDINGS", "CAVA", None, 1),
        ("HEICO CORP CL A", "HEI.A", None, 1),
        ("KLAVIYO (A)", "KVYO", None, 1),
        ("AT&T INC", "T", None, 1),
        ("ZETA GLOBAL", "ZETA", None, 2),
    ]
    assert doc.page_stats.rows() == [(1, 6, 6), (2, 1, 1)]


def test_side_by_side_ticker_first_tables_read_left_then_right(tmp_path):
    xs = (38, 100, 300, 362)
    page = [
        (38, 60, "Russell 2000® Index - IPO Additions", 12),
        *[(x, 100, t, 8) for x, t in zip(xs, ["Ticker", "Company Name"] * 2)],
        *_table(115, [("AAA", "ALPHA CORP", "CCC", "GAMMA INC"), ("BBB", "BETA LTD", "", "")], xs=xs),
    ]
    path = tmp_path / "ipo.pdf"
    path.write_bytes(_pdf([page]))
    doc = read_document(path)
    assert (doc.doc_type, doc.index_name) == ("additions", "Russell 2000")
    assert doc.rows.select("symbol", "company").rows() == [
        ("AAA", "ALPHA CORP"),
        ("BBB", "BETA LTD"),
        ("CCC", "GAMMA INC"),
    ]


@pytest.mark.parametrize(
    ("title", "doc_type", "index_name"),
    [
        ("Russell 3000 Index - IPO Additions", "additions", "Russell 3000"),
        ("Russell 3000® Index – Quarterly IPO Additions", "additions", "Russell 3000"),
        ("Russell 2000 Index: Deletions", "deletions", "Russell 2000"),
        ("Quarterly IPO additions", "additions", None),
    ],
)
def test_titles_name_the_kind(tmp_path, title, doc_type, index_name):
    path = tmp_path / "list.txt"
    path.write_text(
        _text_list(("symbol", "company"), "\t", title).replace(
            "FTSE Russell | Quarterly IPO additions 1", ""
        ),
        encoding="utf-8",
    )
    doc = read_document(path)
    assert (doc.doc_type, doc.index_name, doc.rows.height) == (doc_type, index_name, 6)


UNTITLED = "Company\tSymbol\tSector\nACME CORP\tACME\tEnergy\nZETA INC\tZETA\tTechnology\n"


def test_untitled_list_fails_with_one_line(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text(UNTITLED, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_document(path)
    assert str(info.value) == (
        f"{path}: company list whose kind is not stated: no title, footer, file name or "
        "PDF title says membership list, additions or deletions"
    )


def test_untitled_list_keeps_its_rows_when_the_file_name_says_what_it_is(tmp_path):
    path = tmp_path / "r2000-deletions-20240628.txt"
    path.write_text(UNTITLED, encoding="utf-8")
    doc = read_document(path)
    assert (doc.doc_type, doc.index_name, doc.stage, doc.classification, doc.as_of_date.isoformat()) == (
        "deletions",
        None,
        "final",
        "RGS",
        "2024-06-28",
    )
    assert doc.rows.select("company", "symbol", "sector", "change").rows() == [
        ("ACME CORP", "ACME", "Energy", "deletion"),
        ("ZETA INC", "ZETA", "Technology", "deletion"),
    ]


def test_unrecognized_document_fails_ingestion_naming_the_file(tmp_lake):
    raw = tmp_lake.root / "raw"
    note = raw / "2020" / "notes.txt"
    note.write_text("Minutes of the weekly meeting.\nNothing about indexes.\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        ingest_year(raw, 2020)
    assert str(info.value) == (
        "raw/2020/notes.txt: not a recognized FTSE Russell document "
        "(no company list header, schedule or ground rules found)"
    )
    note.unlink()
    assert ingest_year(raw, 2020).constituent_changes.height == 256


def test_every_bad_document_of_a_year_is_named_in_one_error(tmp_lake):
    """Three bad files in one year: one error, one line, naming each file and its problem."""
    raw = tmp_lake.root / "raw"
    bad = {
        "a-notes.txt": "Minutes of the weekly meeting.\n",
        "b-list.txt": UNTITLED,
        "c-adds.txt": "Russell 2000 Index - Additions\nCompany\tSymbol\tSector\n\nthe end\n",
    }
    for name, text in bad.items():
        (raw / "2020" / name).write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        ingest_year(raw, 2020)
    message = str(info.value)
    assert "\n" not in message and message.startswith("raw/2020: 3 documents cannot be read: ")
    assert [part.split(": ")[0].rsplit("/", 1)[-1] for part in message.split("; ")][1:] == [
        "b-list.txt",
        "c-adds.txt",
    ]
    assert all(f"raw/2020/{name}: " in message for name in bad)
    assert pickle.loads(pickle.dumps(info.value)).args == info.value.args  # crosses worker processes


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("notes.txt", b"Minutes of the weekly meeting.\n", "not a recognized FTSE Russell document"),
        ("list.txt", UNTITLED.encode(), "company list whose kind is not stated"),
        (
            "adds.txt",
            b"Russell 2000 Index - Additions\nCompany\tSymbol\tSector\n\nthe end\n",
            "additions document: table header found but no rows could be read",
        ),
    ],
)
def test_parse_of_an_unreadable_document_exits_non_zero_with_one_line(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    done = run_main("parse", str(path), text=False)
    assert done.returncode == 1 and done.stdout == b""
    (line,) = done.stderr.decode().splitlines()
    assert re.fullmatch(rf"error: {re.escape(str(path))}: {problem}.*", line), line


def test_parse_of_a_titled_ticker_first_list_prints_its_rows(tmp_path):
    folder = tmp_path / "2024"
    folder.mkdir()
    path = folder / "ipo.txt"
    path.write_text(_text_list(("symbol", "company"), "\t"), encoding="utf-8")
    done = run_main("parse", str(path), text=False)
    assert done.returncode == 0, done.stderr.decode()
    rows = pl.read_csv(done.stdout)
    assert rows.select("recon_year", "symbol", "change").rows()[:2] == [
        (2024, "AAPL", "addition"),
        (2024, "BRK.B", "addition"),
    ]
    assert done.stderr.decode() == f"{path}: additions, Russell 3000, final, 6 rows, no date (folder)\n"


# --- The parser on positioned lines built by hand (edges the documents above do not reach) ------


def _line(number: int, y: float, *cells: tuple[float, str]) -> Line:
    """A PDF line: each (x, text) is one cell, its words 5 points apart."""
    words = tuple(
        Word(text, x + 5 * i, x + 5 * i + 4, cell)
        for cell, (x, value) in enumerate(cells)
        for i, text in enumerate(value.split())
    )
    return Line(number, y, words, "\t".join(value for _, value in cells))


HEADER = ((50.0, "Company"), (300.0, "Symbol"))


def test_a_wrapped_name_joins_the_row_above_only_when_closer_than_rows_are_apart():
    lines = (
        _line(1, 90, *HEADER),
        _line(2, 100, (50, "ALPHA HOLDINGS"), (300, "AAA")),  # 10 below the header: the pitch so far
        _line(3, 105, (50, "INTERNATIONAL")),  # 5 < 0.8 x 10: the first row's wrap
        _line(4, 110, (50, "BETA CORP"), (300, "BBB")),  # pitch 5, from where the wrap left off
        _line(5, 113, (50, "GROUP")),  # 3 < 0.8 x 5
        _line(6, 123, (50, "GAMMA INC"), (300, "GGG")),  # pitch 10
        _line(7, 131, (50, "EDGE TRUST")),  # 8 = 0.8 x 10 exactly: a line of its own, not a wrap
        _line(8, 200, (50, "FOOTER TRUST")),
    )  # far below: not a wrap
    parsed = parse_list((Page(1, lines),))
    assert [(r.line, r.company, r.symbol) for r in parsed.rows] == [
        (2, "ALPHA HOLDINGS INTERNATIONAL", "AAA"),
        (4, "BETA CORP GROUP", "BBB"),
        (6, "GAMMA INC", "GGG"),
    ]
    assert parsed.table_lines == {(1, 1), (1, 2), (1, 4), (1, 6)}  # the header and the rows
    assert parsed.page_stats == ((1, 3, 3),)


def test_a_word_left_of_the_first_column_is_dropped_and_its_row_kept():
    lines = (
        _line(1, 90, *HEADER),
        _line(2, 100, (10, "17"), (50, "DELTA CORP"), (300, "DDD")),
        _line(3, 110, (50, "EPSILON INC"), (300, "EEE")),
    )
    parsed = parse_list((Page(1, lines),))
    assert [(r.table, r.company, r.symbol) for r in parsed.rows] == [
        (0, "DELTA CORP", "DDD"),
        (0, "EPSILON INC", "EEE"),
    ]


def test_side_by_side_titles_in_one_text_cell_are_a_layout_error():
    line = Line(
        1,
        1.0,
        tuple(Word(t, 0, 0, 0) for t in ["Company", "Symbol", "Company", "Symbol"]),
        "Company Symbol Company Symbol",
    )
    with pytest.raises(LayoutError, match="^side-by-side tables without column positions cannot be split$"):
        find_header(line)
    assert find_header(Line(2, 2.0, (), "")) == ()  # an empty line opens no table


# --- Lines that hold data: the parser's own account agrees with its rows on every layout family ---

TWO_UP = ((50.0, "Company"), (200.0, "Ticker"), (300.0, "Company"), (450.0, "Ticker"))
WITH_SECTOR = ((50.0, "Company"), (250.0, "Symbol"), (330.0, "Sector"))


def _one_run(number: int, y: float, x: float, words: list[tuple[float, str]]) -> Line:
    """A line printed as one run of text (no column-sized gap), each word at its own x."""
    return Line(number, y, tuple(Word(t, wx, wx + 4, 0) for wx, t in words), " ".join(t for _, t in words))


def _read(*pages: tuple[Line, ...]):
    parsed = parse_list(tuple(Page(n, lines) for n, lines in enumerate(pages, start=1)))
    return parsed, [(r.page, r.table, r.company, r.symbol) for r in parsed.rows]


@pytest.mark.parametrize("sector", [True, False], ids=["with-sector", "without"])
def test_a_parsed_list_says_whether_its_tables_print_a_sector_column(sector):
    titles, cells = (WITH_SECTOR, [(330, "Energy")]) if sector else (HEADER, [])
    x = titles[1][0]  # the symbol's column
    lines = (_line(1, 90, *titles), _line(2, 102, (50, "ALPHA CORP"), (x, "AAA"), *cells))
    parsed, rows = _read(lines)
    assert rows == [(1, 0, "ALPHA CORP", "AAA")]
    assert parsed.sector_column is sector and parsed.classification == ("RGS" if sector else None)


def test_a_name_printed_up_to_its_ticker_at_the_foot_of_the_longer_two_up_column_is_a_row():
    """Two-up columns of unequal length: the last left row stands alone on its line, its long
    name printed up to the ticker in one run; the right column ended a row earlier."""
    lines = (
        _line(1, 90, *TWO_UP),
        _line(2, 100, (50, "ALPHA CORP"), (200, "AAA"), (300, "OMEGA INC"), (450, "OOO")),
        _line(3, 110, (50, "BETA INC"), (200, "BBB")),
        _one_run(4, 120, 50, [(50, "AVAGO"), (70, "TECHNOLOGIESLTD"), (200, "AVGO")]),
    )
    parsed, rows = _read(lines)
    assert rows == [
        (1, 0, "ALPHA CORP", "AAA"),
        (1, 0, "BETA INC", "BBB"),
        (1, 0, "AVAGO TECHNOLOGIESLTD", "AVGO"),
        (1, 1, "OMEGA INC", "OOO"),
    ]
    assert (parsed.unread, parsed.page_stats) == ((), ((1, 4, 4),))


def test_a_name_wrapped_at_the_foot_of_a_column_is_no_data_line_of_its_own():
    """The rest of the name on the line under it, as far below as rows are apart, beside a right-hand row."""
    lines = (
        _line(1, 90, *TWO_UP),
        _line(2, 100, (50, "ALPHA CORP"), (200, "AAA"), (300, "OMEGA INC"), (450, "OOO")),
        _line(3, 110, (50, "AVAGO TECHNOLOGIES"), (200, "AVGO"), (300, "PSI CORP"), (450, "PSI")),
        _line(4, 120, (50, "LTD"), (300, "RHO INC"), (450, "RHO")),
    )
    parsed, rows = _read(lines)
    assert [r[3] for r in rows] == ["AAA", "AVGO", "OOO", "PSI", "RHO"]
    assert (parsed.unread, parsed.page_stats) == ((), ((1, 5, 5),))


def test_a_name_wrapped_at_the_foot_of_a_page_is_no_data_line_of_its_own():
    """The rest of the last name of page 1 at the top of page 2 (tables carry over): not a lost row.
    It is not joined to the row either: nothing on page 2 says it is not a title."""
    page_1 = (
        _line(1, 90, *HEADER),
        _line(2, 100, (50, "ALPHA CORP"), (300, "AAA")),
        _line(3, 110, (50, "BETA INTERNATIONAL"), (300, "BBB")),
    )
    page_2 = (_line(1, 40, (50, "HOLDINGS")), _line(2, 50, (50, "GAMMA INC"), (300, "GGG")))
    parsed, rows = _read(page_1, page_2)
    assert rows == [
        (1, 0, "ALPHA CORP", "AAA"),
        (1, 0, "BETA INTERNATIONAL", "BBB"),
        (2, 0, "GAMMA INC", "GGG"),
    ]
    assert (parsed.unread, parsed.page_stats) == ((), ((1, 2, 2), (2, 1, 1)))


@pytest.mark.parametrize(
    "footer",
    [
        [
            (50, "FTSE"),
            (330, "Russell | Final index Deletes"),
            (560, "4"),
        ],  # a Word footer spread over the columns
        [(50, "FTSE RUSSELL | FINAL INDEX DELETES"), (560, "4")],  # the same in capitals
        [(50, "© 2025 LSE GROUP"), (330, "All rights reserved")],
    ],
    ids=["word-footer", "capitals", "notice"],
)
def test_a_last_page_with_a_footer_counts_only_its_rows(footer):
    lines = (
        _line(1, 90, *WITH_SECTOR),
        *[
            _line(n, 90 + 12 * (n - 1), (50, f"{name} INC"), (250, name), (330, "Health Care"))
            for n, name in enumerate(["ACAD", "BEAM", "CRSP", "DNLI"], start=2)
        ],
        _line(6, 770, *footer),
    )
    parsed, rows = _read(lines)
    assert [r[3] for r in rows] == ["ACAD", "BEAM", "CRSP", "DNLI"]
    assert (parsed.unread, parsed.page_stats) == ((), ((1, 4, 4),))


def test_a_page_with_a_single_row_and_a_footer():
    lines = (
        _line(1, 90, *WITH_SECTOR),
        _line(2, 102, (50, "ZETA GLOBAL"), (250, "ZETA"), (330, "Technology")),
        _line(3, 770, (50, "FTSE Russell | Final index Adds 9")),
    )
    parsed, rows = _read(lines)
    assert rows == [(1, 0, "ZETA GLOBAL", "ZETA")] and parsed.page_stats == ((1, 1, 1),) and not parsed.unread


@pytest.mark.parametrize(
    "bad, text",
    [
        ([(50, "ACME BROKEN HOLDINGS INC"), (330, "Health Care")], "ACME BROKEN HOLDINGS INC Health Care"),
        (
            [(50, "BERKSHIRE HATHAWAY"), (250, "BRK B"), (330, "Financials")],
            "BERKSHIRE HATHAWAY BRK B Financials",
        ),
    ],
    ids=["symbol-missing", "symbol-split"],
)
@pytest.mark.parametrize("where", [2, 3, 6], ids=["first-row", "mid-page", "last-row"])
def test_a_row_the_parser_cannot_read_is_named_by_page_and_line(bad, text, where):
    good = [
        _line(n, 90 + 12 * (n - 1), (50, f"{s} INC"), (250, s), (330, "Energy"))
        for n, s in zip([2, 4, 5, 6, 7], ["AAA", "CCC", "DDD", "EEE", "FFF"])
    ]
    lines = sorted(
        [
            _line(1, 90, *WITH_SECTOR),
            *[ln for ln in good if ln.number != where],
            _line(where, 90 + 12 * (where - 1), *bad),
        ],
        key=lambda ln: ln.number,
    )
    parsed, rows = _read(lines)
    assert len(rows) == (5 if where == 3 else 4)  # line 3 is an extra line, line 6 replaces a row
    assert [(u.page, u.line, u.text) for u in parsed.unread] == [(1, where, text)]
    assert parsed.page_stats == ((1, len(rows) + 1, len(rows)),)


TAB_LIST = [
    "Russell 2000® Index - Deletions",
    "",
    "Company\tSymbol\tSector",
    "ALPHA CORP\tAAA\tEnergy",
    "BETA INC\tBBB\tHealth Care",
    "GAMMA HOLDINGS\tGGG\tTechnology",
    "",
    "FTSE Russell | Final index Deletes 1",
]


@pytest.mark.parametrize(
    "line, at",
    [
        ("ACME BROKEN HOLDINGS INC\tHealth Care", 5),
        ("ACME BROKEN HOLDINGS INC\tHealth Care", 7),
        ("ACME CORP ACME Health Care", 5),
        ("ACME CORP ACME Health Care", 7),
        ("ACME CORP ACME Health\tCare", 5),  # typed with spaces but for a tab: in some cells, not all
        ("ACME CORP       ACME    Energy", 5),  # spaces lined up under the columns: no print position
        ("ACME CORP ACME Health\tCare", 7),
        ("ACME\tCORP ACME Health Care", 7),
        ("ACME CORP  ACME\t\tHealth Care", 7),
        ("HOLDINGS", 5),
        ("see the notes below", 5),
    ],
    ids=[
        "symbol-missing",
        "symbol-missing-last",
        "spaces",
        "spaces-last",
        "spaces-but-a-tab-in-the-sector",
        "spaces-lined-up-under-the-columns",
        "spaces-but-a-tab-in-the-sector-last",
        "spaces-but-a-tab-in-the-name-last",
        "a-tab-for-two-last",
        "name-alone",
        "prose",
    ],
)
def test_every_data_line_of_a_text_list_that_is_not_a_row_fails_naming_it(tmp_path, capsys, line, at):
    path = tmp_path / "deletions.txt"
    path.write_text("\n".join([*TAB_LIST[: at - 1], line, *TAB_LIST[at - 1 :]]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows.height == 3
    assert doc.unread.rows() == [(1, at, " ".join(line.split()))]
    assert main(["parse", str(path)]) == 1  # the command line, in this process
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == (
        f"error: {path}: 1 line(s) hold data no row was read from (not company, symbol and sector "
        f"in their columns): page 1 line {at}: {' '.join(line.split())!r}\n"
        f"deletions.txt,1,{at},not_a_row,,,\n"
    )


def test_a_text_list_with_only_rows_between_header_and_footer_reads_whole(tmp_path):
    path = tmp_path / "deletions.txt"
    path.write_text("\n".join(TAB_LIST) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"] and doc.unread.is_empty()


def test_a_text_list_carried_over_a_page_break_without_its_header_reads_every_page(tmp_path):
    """Pages of an extraction are parted by form feeds and the header is printed on the first alone; the
    later pages' cells are wider or narrower than the first's: every row is read, each on its page."""
    page_2 = ["DELTA INTERNATIONAL HOLDINGS GROUP\tDDDDD\tConsumer Discretionary", "EPSILON CO\tE\tEnergy"]
    path = tmp_path / "deletions.txt"
    path.write_text("\n".join([*TAB_LIST[:6], "\f" + page_2[0], page_2[1], *TAB_LIST[6:]]) + "\n")
    doc = read_document(path)
    assert doc.rows.select("source_page", "symbol").rows() == [
        (1, "AAA"),
        (1, "BBB"),
        (1, "GGG"),
        (2, "DDDDD"),
        (2, "E"),
    ]
    assert doc.unread.is_empty()


@pytest.mark.parametrize(
    "row", ["DELTA CORP\t  DDD\tEnergy", "DELTA CORP\tDDD\t  Energy"], ids=["symbol-padded", "sector-padded"]
)
def test_a_text_list_s_row_on_a_page_without_the_header_is_read_whatever_spaces_pad_its_cells(tmp_path, row):
    """A text line has no print positions: a cell of a row on a page the table is carried to without its
    header, padded with spaces after its tab, is still the row's, not a row out of its columns."""
    path = tmp_path / "deletions.txt"
    path.write_text("\n".join([*TAB_LIST[:6], "\f" + row, *TAB_LIST[6:]]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows.select("source_page", "company", "symbol", "sector").rows()[3:] == [
        (2, "DELTA CORP", "DDD", "Energy")
    ]
    assert doc.rows.height == 4 and doc.unread.is_empty()


@pytest.mark.parametrize("line", ["EMEA\tLONDON EC4M 7LS", "CONTACT\tLONDON OFFICE"])
def test_capitals_set_in_a_text_list_s_columns_on_a_page_without_the_header_that_read_as_no_row_are_furniture(
    tmp_path, line
):
    """A page after the table pages, without a header: a line in capitals split by a tab, its second cell no
    symbol (two words) and no row typed with spaces (no sector), is page furniture, not a row lost."""
    path = tmp_path / "deletions.txt"
    path.write_text("\n".join([*TAB_LIST[:6], "\f" + line, *TAB_LIST[6:]]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"] and doc.unread.is_empty()
    assert [page for page, _ in doc.furniture] == [2]


@pytest.mark.parametrize("first", [True, False], ids=["alone", "under-a-row"])
def test_a_row_typed_with_spaces_on_a_page_without_the_header_is_unread_not_furniture(tmp_path, first):
    """A page carried over without its header whose only row, or the row under another, is typed with
    spaces (but for a tab): unread, and the row above it read, never the heading of a block set in columns
    (the tab leaves a company cell without a capital, as a block's addresses are)."""
    spaced = "1-800\tFLOWERS.COM FLWS Consumer Discretionary"
    page_2 = [spaced] if first else ["DELTA CORP\tDDD\tEnergy", spaced]
    path = tmp_path / "deletions.txt"
    path.write_text("\n".join([*TAB_LIST[:6], "\f" + page_2[0], *page_2[1:], *TAB_LIST[6:]]) + "\n")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG", *([] if first else ["DDD"])]
    assert doc.unread.rows() == [(2, 1 if first else 2, " ".join(spaced.split()))]


# A membership list's text: no sector column.
NO_SECTOR = [
    "Russell 3000® Index",
    "",
    "Company\tSymbol",
    "ALPHA CORP\tAAA",
    "BETA INC\tBBB",
    "GAMMA CO\tGGG",
]
TYPED = "1-800\tFLOWERS.COM FLWS"  # a tab typed inside the name: its cells read as no row


@pytest.mark.parametrize(
    ("page_2", "rows", "unread"),
    [
        (["DELTA CORP\tDDD", TYPED], ["DDD"], [(2, 2)]),
        (["DELTA CORP\tDDD", TYPED, "EPSILON CO\tEEE"], ["DDD", "EEE"], [(2, 2)]),
        ([TYPED, "DELTA CORP\tDDD"], ["DDD"], [(2, 1)]),
        (None, [], [(1, 7)]),
    ],
    ids=["under-a-row", "between-rows", "over-a-row", "under-the-last-row-on-the-header-page"],
)
def test_a_row_typed_with_a_stray_tab_in_a_list_without_sectors_is_unread_and_the_rows_beside_it_read(
    tmp_path, page_2, rows, unread
):
    """A list without a sector column, a row whose tab is typed inside its name: its name cell without a
    capital is not an address under a contact block's heading, so the row above it is read, not taken for
    that heading (every row of the page was dropped as furniture, without a word), and the line itself is
    unread wherever it stands beside the table's rows."""
    body = [*NO_SECTOR, "\f" + page_2[0], *page_2[1:]] if page_2 else [*NO_SECTOR, TYPED]
    path = tmp_path / "ru3000_membershiplist_20220624.txt"
    path.write_text(
        "\n".join([*body, "", "FTSE Russell | Russell 3000 membership 1"]) + "\n", encoding="utf-8"
    )
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG", *rows]
    assert doc.unread.rows() == [(*at, "1-800 FLOWERS.COM FLWS") for at in unread]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("CONTACT\tLONDON OFFICE", "1 of prose; 2 in capitals not at the table's columns"),
        ("EMEA\tLONDON EC4M 7LS", "1 of prose; 2 in capitals not at the table's columns"),
        (
            "AMERICAS\tEMEA",
            "1 of prose; 1 in capitals not at the table's columns; 1 heading(s) of a block set in columns",
        ),
    ],
)
def test_a_contact_page_after_a_list_without_sectors_is_furniture_not_a_refusal(tmp_path, line, why):
    """The other side of the rule above: a page without the header and without a row, whose lines in
    capitals read as rows typed with a stray tab or with spaces (their last word a symbol's shape, as
    `CONTACT US`), refuses nothing."""
    block = ["\fCONTACT US", line, "+1 888 622 7343\t+44 20 7866 1810", "10 Hudson Yards\t10 Paternoster Row"]
    path = tmp_path / "ru3000_membershiplist_20220624.txt"
    path.write_text("\n".join([*NO_SECTOR, *block]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"] and doc.unread.is_empty()
    assert doc.furniture == ((2, f"4 line(s), no table header and no row of the table; {why}"),)


@pytest.mark.parametrize("typed", ["DELTA CORP DDD", "CO DD"])
@pytest.mark.parametrize("listed", [1, 3], ids=["one-row-a-page", "three-rows"])
@pytest.mark.parametrize(
    ("body", "rows", "unread"),
    [
        (["{}"], [], (1, 1)),
        (["{}", "END OF LIST"], [], (1, 1)),
        (["\f{}", "EPSILON CO\tEEE"], ["EEE"], (2, 1)),
    ],
    ids=["under-the-last-row", "over-a-notice", "over-the-first-row-of-a-page"],
)
def test_a_row_typed_with_spaces_in_a_tab_list_without_sectors_is_unread_beside_the_rows(
    tmp_path, typed, listed, body, rows, unread
):
    """A row of a tab list without a sector column whose tab is typed as a space is one run of capitals
    ending in a symbol's shape: under the last row or over a page's first it was taken for a title or a
    footer when short (its symbol under the symbol's title), and the row dropped without a word. It is
    unread: only a notice's words (`END OF LIST`) make such a line furniture."""
    path = tmp_path / "ru3000_membershiplist_20220624.txt"
    lines = [*NO_SECTOR[: 3 + listed], *(b.format(typed) for b in body)]
    path.write_text(
        "\n".join([*lines, "", "FTSE Russell | Russell 3000 membership 1"]) + "\n", encoding="utf-8"
    )
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"][:listed] + rows
    page, line = unread
    assert doc.unread.rows() == [(page, line + (3 + listed if page == 1 else 0), typed)]


@pytest.mark.parametrize("notice", ["END OF LIST", "CONTINUED ON NEXT PAGE", "Page 2 of 9", "SEE NOTES"])
@pytest.mark.parametrize("tabs", [True, False], ids=["tabs", "spaces"])
def test_a_notice_under_a_list_without_sectors_is_furniture_and_between_its_rows_unread(
    tmp_path, notice, tabs
):
    """A notice in capitals reads as a name and a symbol (`END OF` and `LIST`): under the last row it was a
    row of a list typed with spaces (a row the document does not hold) and would be unread in one typed
    with tabs. A line of a notice's words alone is furniture where it ends the table, and unread between
    its rows, where no notice stands."""
    rows = NO_SECTOR[3:] if tabs else [row.replace("\t", " ") for row in NO_SECTOR[3:]]
    head = NO_SECTOR[:3] if tabs else [*NO_SECTOR[:2], "Company Symbol"]
    for body, unread in (([*rows, notice], []), ([*rows[:2], notice, rows[2]], [(1, 6)])):
        path = tmp_path / "ru3000_membershiplist_20220624.txt"
        path.write_text("\n".join([*head, *body]) + "\n", encoding="utf-8")
        doc = read_document(path)
        assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"]
        assert doc.unread.rows() == [(*at, notice) for at in unread]


@pytest.mark.parametrize(
    "typed",
    ["DELTA CORP DDD", "CO DD", "DELTA\tCORP\tDDD", "&\tCORP DD", "& \tCO \tDD", "DELTA INTERNATIONAL DD"],
)
@pytest.mark.parametrize(
    "after",
    [
        [],
        ["END OF LIST"],
        ["", "ftserussell.com"],
        ["Page 2 of 2"],
        ["- 2 -"],
        ["\fCONTACT US", "+1 888 622 7343"],
    ],
    ids=["nothing", "a-notice", "the-web-address", "a-page-number", "a-dashed-page-number", "a-contact-page"],
)
def test_a_mangled_row_alone_on_a_page_of_a_list_without_sectors_is_unread(tmp_path, typed, after):
    """A list without a sector column whose last page holds one row, its tab typed as a space or in the
    name: no row on the page read, and the line, one run of capitals ending in a symbol's shape as a
    contact page's heading (`CONTACT US`) is, was furniture: the row dropped without a word. Where
    nothing else on its page is written (prose, a telephone number, an address), it is unread."""
    path = tmp_path / "ru3000_membershiplist_20220624.txt"
    path.write_text("\n".join([*NO_SECTOR, "\f" + typed, *after]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"]
    assert doc.unread.rows() == [(2, 1, " ".join(typed.split()))]


@pytest.mark.parametrize(
    "page_1, page_2",
    [
        ([], ["p. 2"]),
        (["p. 1"], ["p. 2"]),
        (["As of June 23, 2023"], ["As of June 23, 2023"]),
        ([], ["\fRussell 3000® Index", "DELTA CORP DDD"]),
        (
            ["Additions effective after the close of June 23, 2023"],
            ["Additions effective after the close of June 23, 2023"],
        ),
    ],
    ids=["a-page-label", "page-labels", "a-running-date", "a-running-head", "a-running-line-of-prose"],
)
def test_a_mangled_row_alone_on_a_page_beside_a_running_line_is_unread(tmp_path, page_1, page_2):
    """A line the pages before printed too (its numbers aside: a running head, a dated footer, a page
    label) is not what makes a page written: the lone row on the page beside it is unread, not furniture
    dropped without a word (`p. 2` is a page's label, never prose)."""
    second = page_2 if page_2[0].startswith("\f") else ["\fDELTA CORP DDD", *page_2]
    path = tmp_path / "ru3000_membershiplist_20220624.txt"
    path.write_text("\n".join([*NO_SECTOR, *page_1, *second]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"]
    assert [row[2] for row in doc.unread.rows()] == ["DELTA CORP DDD"]


def test_a_contact_page_whose_prose_the_pages_before_did_not_print_refuses_nothing(tmp_path):
    """The other side: a contact page's heading in capitals over prose of its own, after a list whose pages
    carry a running date, is furniture; the running date alone does not make the heading a row."""
    date = "As of June 23, 2023"
    path = tmp_path / "ru3000_membershiplist_20220624.txt"
    page_2 = ["\fCONTACT US", "Client services answer from 8am to 6pm, London time.", date]
    path.write_text("\n".join([*NO_SECTOR, date, *page_2]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"]
    assert doc.unread.rows() == []


@pytest.mark.parametrize(
    "page",
    [
        ["CONTACT US", "info@ftserussell.com", "+1 888 622 7343"],
        ["CONTACT US", "Client services answer from 8am to 6pm, London time."],
        ["CONTACT US", "AMERICAS\tEMEA", "+1 888 622 7343\t+44 20 7866 1810"],
        ["THIS PAGE INTENTIONALLY LEFT BLANK"],
        ["TERMS OF USE", "© FTSE Russell 2024", "+44 20 7866 1810"],
        ["CONTACT US", "(555) 0100"],
        ["ALL RIGHTS RESERVED"],
    ],
    ids=[
        "e-mail-and-telephone",
        "prose",
        "block-in-columns",
        "blank-notice",
        "telephone",
        "seven-digits",
        "no-symbol-last",
    ],
)
@pytest.mark.parametrize(
    "rows",
    [NO_SECTOR[3:], ["CO\tU", "BETA\tTH"], ["ALPHA BETA GAMMA HOLDINGS CORPORATION\tAAA"]],
    ids=["rows", "short-rows", "long-names"],
)
def test_a_page_without_rows_holding_something_written_refuses_nothing(tmp_path, page, rows):
    """The other side of the rule above: a heading in capitals that reads as a name and a symbol, on a
    page where something else is written (prose, a telephone number, an address set in columns), a
    notice's words alone, and a heading whose last word has no symbol's shape (`RESERVED`) are
    furniture; also after rows so short that the heading's last word falls where their symbols do (a
    text line of one cell stands at the columns by its characters' count only), and after names so long
    that a telephone number falls in the name's column alone."""
    path = tmp_path / "ru3000_membershiplist_20220624.txt"
    path.write_text("\n".join([*NO_SECTOR[:3], *rows, "\f" + page[0], *page[1:]]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == [row.split("\t")[1] for row in rows] and doc.unread.is_empty()
    assert [page for page, _ in doc.furniture] == [2]


@pytest.mark.parametrize("sector", [False, True], ids=["without-sectors", "with-sectors"])
def test_a_contact_block_s_heading_after_pages_of_one_row_each_is_furniture_not_a_row(tmp_path, sector):
    """Pages of one row each leave no row pitch to judge a contact block by: a text list's rows are a line
    apart at least, so its heading in capitals set in the columns, over an address a line below, is the
    block's (the heading was read as the row `AMERICAS`/`EMEA`, or named unread with a sector column)."""
    tail = "\tEnergy" if sector else ""
    lines = [
        "Russell 3000® Index",
        "",
        "Company\tSymbol" + ("\tSector" if sector else ""),
        "ALPHA CORP\tAAA" + tail,
    ]
    block = ["\fCONTACT US", "AMERICAS\tEMEA", "+1 888 622 7343\t+44 20 7866 1810"]
    path = tmp_path / "ru3000_membershiplist_20220624.txt"
    path.write_text("\n".join([*lines, "\fBETA INC\tBBB" + tail, *block]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB"] and doc.unread.is_empty()
    assert [page for page, _ in doc.furniture] == [3]


def test_a_contact_block_s_heading_two_lines_over_its_address_after_double_spaced_rows_is_furniture(tmp_path):
    """Once a text list's rows show their pitch (two lines here), a contact block is judged by it, not by
    the one line assumed before any pitch: an address two lines under its heading is still the block's."""
    rows = ["ALPHA CORP\tAAA", "", "BETA INC\tBBB", "", "GAMMA CO\tGGG"]
    block = ["\fCONTACT US", "AMERICAS\tEMEA", "", "+1 888 622 7343\t+44 20 7866 1810"]
    path = tmp_path / "ru3000_membershiplist_20220624.txt"
    path.write_text("\n".join([*NO_SECTOR[:3], *rows, *block]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"] and doc.unread.is_empty()
    assert [page for page, _ in doc.furniture] == [2]


@pytest.mark.parametrize("under", ["HOLDINGS", "END OF LIST", "INTERNATIONALHOLDINGS"])
def test_name_words_under_a_double_spaced_text_list_s_last_row_are_never_joined_to_its_name(tmp_path, under):
    """A text list prints a row on a line. Rows two lines apart, a line of capitals right under the last
    one is no part of its name (a footer's words were once joined to it), nor a row lost: a line of one
    cell stands in no column, even where its words run under the Symbol title (INTERNATIONALHOLDINGS)."""
    rows = [row for line in TAB_LIST[3:6] for row in (line, "")]
    path = tmp_path / "deletions.txt"
    path.write_text("\n".join([*TAB_LIST[:3], *rows[:-1], under, *TAB_LIST[6:]]) + "\n")
    doc = read_document(path)
    assert doc.rows["company"].to_list() == ["ALPHA CORP", "BETA INC", "GAMMA HOLDINGS"]
    assert doc.unread.is_empty()


def test_name_words_under_a_text_list_s_first_row_on_a_page_carried_on_are_unread_never_its_name(tmp_path):
    """Page 1 holds one row (no row pitch known), page 2 carries the table on, its rows two lines apart: a
    line of capitals right under page 2's first row is a line of its own (a text list prints a row on a
    line), unread, not the rest of that row's name as it would be in a PDF."""
    page_2 = ["\fDELTA CORP\tDDD\tEnergy", "HOLDINGS", "EPSILON CO\tEEE\tEnergy", "", "ZETA INC\tZZZ\tEnergy"]
    path = tmp_path / "deletions.txt"
    path.write_text("\n".join([*TAB_LIST[:4], *page_2, *TAB_LIST[6:]]) + "\n", encoding="utf-8")
    doc = read_document(path)
    page_2_names = [(2, name) for name in ("DELTA CORP", "EPSILON CO", "ZETA INC")]
    assert doc.rows.select("source_page", "company").rows() == [(1, "ALPHA CORP"), *page_2_names]
    assert doc.unread.rows() == [(2, 2, "HOLDINGS")]


# --- Page furniture and columns not left-aligned: samples of the families the column model reads ---

NOTICE = [
    "For more information about Russell Indexes call us or visit www.russell.com/indexes.",
    "Americas:",
    "+44-0-20-7024-6600",
    "© 2010 Russell Investments. All rights reserved.",
    *[
        f"Legal text line {k}: Russell Investments is the owner of the trademarks contained in this material"
        for k in range(10)
    ],
]


def test_a_two_up_membership_list_ends_with_a_notice_spanning_both_tables(tmp_path):
    """The last page's tables end, then a notice block starts at x=72 across both of them."""
    xs = (38, 234, 292, 488)
    names = [(f"ALPHA {k} CORP", f"AL{chr(65 + k)}", f"OMEGA {k} INC", f"OM{chr(65 + k)}") for k in range(12)]
    page_1 = [
        (38, 60, "Russell US Indexes", 9),
        (38, 82, "Membership list", 14),
        (38, 130, "Russell 3000® Index", 12),
        *[(x, 157, h, 8) for x, h in zip(xs, ["Company", "Ticker"] * 2)],
        *_table(171, names[:8], xs=xs, pitch=11.8),
        (36, 755, "June 25, 2010", 7),
        (571, 755, "1", 7),
    ]
    last = names[8:]
    page_2 = [
        (38, 60, "Russell US Indexes", 9),
        (38, 82, "Membership list", 14),
        *[(x, 157, h, 8) for x, h in zip(xs, ["Company", "Ticker"] * 2)],
        *_table(171, [r[:2] for r in last], xs=xs, pitch=11.8),
        *_table(171, [("", "", *r[2:]) for r in last[:2]], xs=xs, pitch=11.8),
        *[(72, 230 + 14 * k, text, 8) for k, text in enumerate(NOTICE)],
        (36, 755, "June 25, 2010", 7),
        # the contact line printed across the tables: in the right one's company and ticker columns
        (300, 244, "+1-877-503-6437; APAC: +65-6880-5926;", 8),
        (490, 244, "EMEA:", 8),
        (571, 755, "2", 7),
    ]
    path = tmp_path / "ru3000_membershiplist_20100625.pdf"
    path.write_bytes(_pdf([page_1, page_2]))
    doc = read_document(path)
    assert doc.unread.is_empty()
    left, right = [r[:2] for r in names], [r[2:] for r in names]
    assert doc.rows.select("source_page", "company", "symbol").rows() == [
        *[(1, *r) for r in left[:8]],
        *[(1, *r) for r in right[:8]],
        *[(2, *r) for r in left[8:]],
        *[(2, *r) for r in right[8:10]],
    ]
    assert doc.page_stats.rows() == [(1, 16, 16), (2, 6, 6)]


SYMBOLS_CENTRED = [
    ("XBIOTECH INC", "XBIT", 239.7),
    ("XENCOR INC", "XNCR", 241.1),
    ("XERIS BIOPHARMA", "XERS", 242.0),
    ("XOMA CORP", "XOMA", 241.3),
    ("ZYMEWORKS", "ZYME", 244.0),
]


def test_a_symbol_column_centred_on_one_page_reads_whole(tmp_path):
    """A Word-made list: one page prints its Symbol column centred, a symbol starting 2.6 pt left of
    its title; the other pages are left-aligned."""
    header = [(38, 150, "Company", 8), (242.3, 150, "Symbol", 8), (363, 150, "Sector", 8)]
    page_1 = [
        (38, 100, "Russell 3000® Index - Deletions", 12),
        *header,
        *_table(
            165,
            [("ACME CORP", "ACME", "Technology"), ("BETA INC", "BETA", "Health Care")],
            xs=(38, 242.3, 363),
        ),
    ]
    page_2 = [
        *header,
        *[
            (x, 165 + 12 * k, text, 7)
            for k, (name, symbol, at) in enumerate(SYMBOLS_CENTRED)
            for x, text in ((38, name), (at, symbol), (363, "Health Care"))
        ],
        (38, 770, "FTSE Russell | Final index Deletes", 7),
        (571, 770, "2", 7),
    ]
    path = tmp_path / "ru3000-deletions-final-20250627.pdf"
    path.write_bytes(_pdf([page_1, page_2]))
    doc = read_document(path)
    assert doc.unread.is_empty()
    assert doc.rows.filter(pl.col("source_page") == 2).select("company", "symbol").rows() == [
        (name, symbol) for name, symbol, _ in SYMBOLS_CENTRED
    ]
    assert doc.page_stats.rows() == [(1, 2, 2), (2, 5, 5)]


def test_a_ticker_first_list_with_three_title_lines_on_every_page(tmp_path):
    xs = (38, 110)
    titles = [
        (38, 40, "Russell US Indexes", 9),
        (38, 62, "Quarterly IPO additions - Q3 2025", 14),
        (38, 84, "RUSSELL 3000 INDEX", 10),
    ]
    header = [(38, 120, "Ticker", 8), (110, 120, "Company Name", 8)]
    rows = [(f"T{chr(65 + k)}{chr(66 + k)}", f"IPO COMPANY {k} INC") for k in range(8)]
    pages = [
        [
            *titles,
            *header,
            *_table(135, rows[:5], xs=xs),
            (38, 770, "ftserussell.com", 7),
            (571, 770, "1", 7),
        ],
        [
            *titles,
            *header,
            *_table(135, rows[5:], xs=xs),
            (38, 770, "ftserussell.com", 7),
            (571, 770, "2", 7),
        ],
    ]
    path = tmp_path / "ipo-additions-q3-2025.pdf"
    path.write_bytes(_pdf(pages))
    doc = read_document(path)
    assert doc.unread.is_empty() and doc.doc_type == "additions"
    assert doc.rows.select("symbol", "company").rows() == rows
    assert doc.page_stats.rows() == [(1, 5, 5), (2, 3, 3)]


def test_a_row_lost_inside_a_table_still_refuses_while_the_notice_after_it_does_not():
    """The accounting stays: a line between the header and the last row that is not a row is named;
    the notice block under the last row (further than a row pitch, or prose across the columns) is not."""
    lines = (
        _line(1, 40, (50, "RUSSELL 3000 INDEX")),  # a title in capitals above the header
        _line(2, 90, *WITH_SECTOR),
        _line(3, 102, (50, "ALPHA CORP"), (250, "AAA"), (330, "Energy")),
        _line(4, 114, (50, "BETA CORP"), (250, "BE TA"), (330, "Energy")),
        _line(5, 126, (50, "GAMMA CORP"), (250, "GGG"), (330, "Energy")),
        _one_run(6, 138, 50, [(50, "Americas:"), (90, "+1-877-503-6437;"), (250, "APAC:"), (330, "EMEA:")]),
        _line(7, 170, (50, "CONTACT US"), (330, "EMEA")),
    )  # capitals, three pitches down
    parsed, rows = _read(lines)
    assert [r[3] for r in rows] == ["AAA", "GGG"]
    assert [(u.page, u.line, u.text) for u in parsed.unread] == [(1, 4, "BETA CORP BE TA Energy")]


@pytest.mark.parametrize(
    ("line", "unread"),
    [
        ("ACME CORP ACME Health Care", True),
        ("ACME CORPORATION HOLDINGS ACME Energy", True),  # across all three columns
        ("ACME CORPORATION HOLDINGS GROUP ACME", False),  # no sector: a run across the columns, as prose
    ],
    ids=["short-name", "long-name", "no-sector"],
)
def test_a_line_typed_with_spaces_under_a_tab_list_s_last_row_is_unread_when_it_ends_in_a_sector(
    tmp_path, line, unread
):
    """Under the last row, a line of one cell is a lost row when split at spaces it reads as a whole row,
    its known sector the evidence; without one it crosses the columns as a notice does: furniture."""
    path = tmp_path / "deletions.txt"
    path.write_text("\n".join([*TAB_LIST[:6], line, *TAB_LIST[6:]]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"]
    assert doc.unread.rows() == ([(1, 7, line)] if unread else [])


@pytest.mark.parametrize("line", ["Health Care", "Technology", "ACME"])
@pytest.mark.parametrize("order", [o for o in ORDERS if o[0] == "sector"], ids=lambda o: "-".join(o))
def test_a_line_between_the_rows_of_a_space_separated_list_that_is_no_row_is_unread_as_printed(
    tmp_path, order, line
):
    """A sector printed first, then the company and the symbol: a line of a sector name alone (or of one
    word) between two rows is named unread with its words as printed, each once."""
    lines = _text_list(order, " ").split("\n")
    path = tmp_path / "ipo.txt"
    path.write_text("\n".join([*lines[:4], line, *lines[4:]]), encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == [symbol for symbol, _, _ in IPO_ROWS]
    assert doc.unread.rows() == [(1, 5, line)]


@pytest.mark.parametrize(
    ("line", "blank_lines", "unread"),
    [
        ("ACME BROKEN HOLDINGS\tHEALTH", 0, True),
        ("ACME BROKEN HOLDINGS\tHEALTH", 1, False),
        ("ACME BROKEN HOLDINGS\tHEALTH", 2, False),
        ("ACME BROKEN HOLDINGS INC\tHealth Care", 0, True),
        ("ACME BROKEN HOLDINGS INC\tHealth Care", 1, True),
        ("ACME BROKEN HOLDINGS INC\tHealth Care", 2, True),
    ],
)
def test_a_lost_row_of_a_text_list_belongs_to_it_within_one_and_a_half_lines_or_when_it_names_its_sector(
    tmp_path, line, blank_lines, unread
):
    """In a text list rows are a line apart: a line that looks like a lost row (capitals beside another
    column) is unread right under the last row, page furniture once a blank line sets it apart; a line
    that reads as a whole row typed with spaces, its sector named, is unread however far below it."""
    path = tmp_path / "deletions.txt"
    path.write_text(
        "\n".join([*TAB_LIST[:6], *[""] * blank_lines, line, *TAB_LIST[6:]]) + "\n", encoding="utf-8"
    )
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"]
    shown = " ".join(line.split())
    assert doc.unread.rows() == ([(1, 7 + blank_lines, shown)] if unread else [])


@pytest.mark.parametrize("row", [0, 1, 2])
def test_a_name_wrapped_over_three_lines_is_read_whole_on_any_row(row):
    """Rows 12 pt apart; one name printed over three lines, each 4 pt under the one before."""
    names = [("ALPHA CORP", "AAA"), ("BETA INC", "BBB"), ("GAMMA HOLDINGS", "GGG")]
    lines, y = [_line(1, 90, *HEADER)], 90.0
    for k, (name, symbol) in enumerate(names):
        y += 12
        lines.append(_line(len(lines) + 1, y, (50, name), (300, symbol)))
        if k == row:
            lines += [
                _line(len(lines) + 1, y + 4, (50, "INTERNATIONAL")),
                _line(len(lines) + 2, y + 8, (50, "GROUP")),
            ]
            y += 8
    parsed, rows = _read(tuple(lines))
    whole = [f"{name} INTERNATIONAL GROUP" if k == row else name for k, (name, _) in enumerate(names)]
    assert [r[2] for r in rows] == whole
    assert (parsed.unread, parsed.page_stats) == ((), ((1, 3, 3),))


@pytest.mark.parametrize("order", [o for o in ORDERS if len(o) == 3], ids=lambda o: "-".join(o))
def test_a_lost_row_right_under_the_last_row_of_a_space_separated_list_is_unread(tmp_path, order):
    """A space-separated list with a sector column, its columns in any order: a line right under the last
    row that reads as a row but for its sector is unread, as under a tab list's."""
    line = "ACME CORP ACME"
    lines = _text_list(order, " ").split("\n")
    path = tmp_path / "ipo.txt"
    path.write_text("\n".join([*lines[:9], line, *lines[9:]]), encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == [symbol for symbol, _, _ in IPO_ROWS]
    assert doc.unread.rows() == [(1, 10, line)]  # its words as printed, whatever the columns' order


def _moved_page(
    dx: float, symbols: list[str], header: bool = False, two_up: bool = False, indent: float = 0.0
) -> tuple:
    """A page of `symbols`' rows (the header first, with `header`) set `dx` points right of where the
    first page sets them, each cell `indent` points right of its title; with `two_up`, each line also
    holds a row of a second table 400 points right, its symbol and name ending in `R`."""
    tables = {"": 0.0, "R": 400.0} if two_up else {"": 0.0}
    head = [_line(1, 90, *[(x + at + dx, title) for at in tables.values() for x, title in WITH_SECTOR])]
    body = [
        _line(
            k + 1 + header,
            102 + 12 * k,
            *[
                (x + at + dx + indent, text)
                for end, at in tables.items()
                for x, text in ((50, f"{s}{end} INC"), (250, s + end), (330, "Energy"))
            ],
        )
        for k, s in enumerate(symbols)
    ]
    return tuple(head + body if header else body)


@pytest.mark.parametrize("dx", [-30.0, -3.0, 3.0, 12.5, 45.0])
@pytest.mark.parametrize("two_up", [False, True], ids=["one-table", "two-up"])
def test_pages_without_a_header_set_with_other_margins_read_whole(dx, two_up):
    """A two-sided document moves every other page's text along the line (its margins): a page without a
    header prints the table carried over to it at its own place, every column moved alike. Its rows are
    the table's, read whole, and each page says how far it is moved; before, such a page was furniture and
    its rows were dropped without a word."""
    symbols = [[f"S{p}{k}" for k in "ABCD"] for p in "ABCD"]  # four rows on each of four pages
    pages = [_moved_page(dx if n % 2 else 0.0, symbols[n], n == 0, two_up) for n in range(4)]
    parsed, rows = _read(*pages)
    ends = ("", "R") if two_up else ("",)
    expected = [(p + 1, s + end) for p in range(4) for end in ends for s in symbols[p]]
    assert [(p, s) for p, *_, s in rows] == expected
    assert not parsed.unread
    # Each page against the page before it: moved, back, moved again.
    held = f"no header; {4 * len(ends)} row(s) at the columns of the pages before, moved"
    assert [k.reason for k in parsed.pages[1:]] == [f"{held} {d:+.1f} pt" for d in (dx, -dx, dx)]


@pytest.mark.parametrize(("dx", "symbols"), [(0.0, ["DD", "EE"]), (30.0, ["DD"]), (-12.5, ["DD"])])
def test_a_carried_page_says_how_far_it_is_moved_and_not_at_all_at_the_same_place(dx, symbols):
    """A page without a header at the place of the page before reads at its columns, unmoved (no shift
    said); one moved along the line reads at its own place, though it holds one row only."""
    parsed, rows = _read(_moved_page(0.0, ["AA", "BB", "CC"], header=True), _moved_page(dx, symbols))
    assert [s for *_, s in rows] == ["AA", "BB", "CC", *symbols] and not parsed.unread
    moved = f", moved {dx:+.1f} pt" if dx else ""
    held = f"no header; {len(symbols)} row(s) at the columns of the pages before{moved}"
    assert [k.reason for k in parsed.pages] == ["table header on line 1", held]


@pytest.mark.parametrize("dx", [20.0, -15.0])
def test_a_moved_page_of_rows_set_off_their_titles_is_measured_from_where_the_rows_sit(dx):
    """Rows whose cells stand a few points right of their titles (as most lists set them): a page moved
    along the line is moved by how far its rows are from where the first page's rows sit, not from the
    titles; its rows read whole at the move."""
    first = _moved_page(0.0, ["AA", "BB", "CC"], header=True, indent=4.0)
    moved = list(_moved_page(dx, ["DD", "EE"], indent=4.0))
    # A longer name, its run past the company title: its words are placed by where the rows start.
    moved[0] = _line(1, 102, (54 + dx, "DELTA INTERNATIONAL INC"), (254 + dx, "DD"), (334 + dx, "Energy"))
    parsed, rows = _read(first, tuple(moved))
    assert [s for *_, s in rows] == ["AA", "BB", "CC", "DD", "EE"] and not parsed.unread
    assert (
        parsed.pages[1].reason
        == f"no header; 2 row(s) at the columns of the pages before, moved {dx:+.1f} pt"
    )


def test_of_two_moves_that_each_read_one_row_the_nearer_one_is_taken_and_the_other_row_unread():
    """Two lines of a page without a header, each a row at its own move and at no other: the page is set
    at the nearer move (of equal evidence, the smaller change), and the other line is named unread."""
    far, near = _moved_page(40.0, ["DD"])[0], _moved_page(-25.0, ["EE"])[0]
    near = Line(2, 114.0, near.words, near.text)
    parsed, rows = _read(_moved_page(0.0, ["AA", "BB", "CC"], header=True), (far, near))
    assert [s for *_, s in rows] == ["AA", "BB", "CC", "EE"]
    assert [(u.page, u.line, u.text) for u in parsed.unread] == [(2, 1, "DD INC DD Energy")]
    assert parsed.pages[1].reason == "no header; 1 row(s) at the columns of the pages before, moved -25.0 pt"


def test_a_block_s_heading_a_move_reads_as_a_row_leaves_the_next_page_set_against_the_pages_before():
    """A page without a header whose only line that reads as a row at some move heads a block set in
    columns (a region over an address) is furniture, and keeps no move: the page after it, at the first
    pages' place, reads there, unmoved."""
    at = 30.0
    block = (
        _line(1, 102, (50 + at, "AMERICAS INC"), (250 + at, "EMEA"), (330 + at, "Energy")),
        _line(2, 114, (50 + at, "10 Hudson Yards"), (250 + at, "10 Paternoster"), (330 + at, "London")),
    )
    parsed, rows = _read(
        _moved_page(0.0, ["AA", "BB", "CC"], header=True), block, _moved_page(0.0, ["DD", "EE"])
    )
    assert [s for *_, s in rows] == ["AA", "BB", "CC", "DD", "EE"] and not parsed.unread
    assert [k.kind for k in parsed.pages] == ["table", "furniture", "table"]
    assert parsed.pages[2].reason == "no header; 2 row(s) at the columns of the pages before"


@pytest.mark.parametrize("dx", [0.0, 20.0])
def test_a_header_alone_at_a_page_s_foot_opens_the_table_the_next_page_prints(dx):
    """A header printed at the foot of a page, no row under it: the next page's rows are the table's, read
    at the header's columns (no page with rows before it to measure a move against)."""
    parsed, rows = _read(_moved_page(0.0, [], header=True), _moved_page(dx, ["AA", "BB"]))
    assert [s for *_, s in rows] == ["AA", "BB"] and not parsed.unread
    assert [k.reason for k in parsed.pages] == [
        "table header on line 1",
        "no header; 2 row(s) at the columns of the pages before",
    ]


def test_a_row_the_parser_cannot_read_on_a_moved_page_is_named_by_page_and_line():
    """On a page moved along the line, a row with its symbol split in two is unread, named by page and
    line, as on a page at the first page's place; the rows around it are read."""
    moved = list(_moved_page(20.0, ["EE", "FF", "GG", "HH"]))
    moved[1] = _line(2, 114, (70, "BROKEN CORP"), (270, "BR K"), (350, "Energy"))
    parsed, rows = _read(_moved_page(0.0, ["AA", "BB", "CC", "DD"], header=True), tuple(moved))
    assert [s for *_, s in rows] == ["AA", "BB", "CC", "DD", "EE", "GG", "HH"]
    assert [(u.page, u.line, u.text) for u in parsed.unread] == [(2, 2, "BROKEN CORP BR K Energy")]


@pytest.mark.parametrize(
    "place",
    [
        lambda x: 1.05 * x + 5,
        lambda x: x + 6 if x == 250 else x,
        lambda x: x + 48 if x == 250 else x,
        lambda x: x + 8 if x == 330 else x,
    ],
    ids=["scaled", "symbol-column-moved", "symbol-column-moved-far", "sector-column-moved"],
)
def test_rows_a_page_without_a_header_prints_at_other_columns_are_named_unread(place):
    """A page without a header whose rows stand at columns no earlier page set, not all moved alike (the
    page scaled, one column moved): its rows are not read at columns the parser cannot place, and not
    dropped with the page either; each is named unread (page and line), and the document refused."""
    first = _moved_page(0.0, ["AA", "BB", "CC"], header=True)
    other = tuple(
        _line(
            k + 1,
            102 + 12 * k,
            *[(place(x), text) for x, text in ((50, f"{s} INC"), (250, s), (330, "Energy"))],
        )
        for k, s in enumerate(["DD", "EE", "FF"])
    )
    parsed, rows = _read(first, other)
    assert [s for *_, s in rows] == ["AA", "BB", "CC"]
    assert [(u.page, u.line, u.text) for u in parsed.unread] == [
        (2, k + 1, f"{s} INC {s} Energy") for k, s in enumerate(["DD", "EE", "FF"])
    ]


@pytest.mark.parametrize("count", [1, 2])
def test_one_line_at_columns_no_shift_places_is_furniture_and_two_are_unread(count):
    """The threshold of the rule above (UNPLACED_ROWS): one line in capitals at columns no earlier page set
    may be a heading (a contact block's region names), and stays furniture; two are rows, named unread."""
    first = _moved_page(0.0, ["AA", "BB", "CC"], header=True)
    symbols = ["DD", "EE"][:count]
    other = tuple(
        _line(k + 1, 102 + 12 * k, (50, f"{s} INC"), (298, s), (330, "Energy")) for k, s in enumerate(symbols)
    )
    parsed, rows = _read(first, other)
    assert [s for *_, s in rows] == ["AA", "BB", "CC"]
    unread = [(2, k + 1, f"{s} INC {s} Energy") for k, s in enumerate(symbols)] if count == 2 else []
    assert [(u.page, u.line, u.text) for u in parsed.unread] == unread
    assert parsed.pages[1].kind == "furniture"  # never a table page: its rows are not read at these columns


def test_a_heading_a_nearer_move_would_set_under_the_company_title_does_not_move_the_page():
    """A page without a header set 30 pt right of the first, a heading in capitals over its one row, set
    further left than the rows: a move of 5 pt would set the heading under the Company title, but a heading
    reads as no row there, at no move. The page is moved by its row, which is read (at 5 pt it stands at no
    column, and would be dropped with the page)."""
    row = _moved_page(30.0, ["DD"])[0]
    page = (_line(1, 90, (55, "NORTH AMERICA")), Line(2, row.y, row.words, row.text))
    parsed, rows = _read(_moved_page(0.0, ["AA", "BB", "CC"], header=True), page)
    assert [s for *_, s in rows] == ["AA", "BB", "CC", "DD"] and not parsed.unread
    assert parsed.pages[1].reason == "no header; 1 row(s) at the columns of the pages before, moved +30.0 pt"


def test_a_page_moved_one_point_its_words_a_fraction_of_a_point_off_reads_every_row_at_that_move():
    """A page without a header set 1 pt right of the first, its words a fraction of a point either way of
    that (as a PDF places them): no line stands at the first page's columns (a symbol 2 pt or more off its
    column's), both stand at 1 pt, and one of them at 2 pt too. The nearest move that reads the most rows is
    1 pt: both rows are read there, none named unread."""
    near = _line(1, 102, (51, "DD INC"), (252, "DD"), (331, "Energy"))  # at the columns moved 1 pt and 2 pt
    off = _line(2, 114, (49.6, "EE INC"), (252.4, "EE"), (330, "Energy"))  # at 1 pt only
    parsed, rows = _read(_moved_page(0.0, ["AA", "BB", "CC"], header=True), (near, off))
    assert [s for *_, s in rows] == ["AA", "BB", "CC", "DD", "EE"] and not parsed.unread
    assert parsed.pages[1].reason == "no header; 2 row(s) at the columns of the pages before, moved +1.0 pt"


def test_rows_of_a_text_list_typed_one_tab_in_on_a_page_without_the_header_are_unread_never_read_at_a_move(
    tmp_path,
):
    """A text line has no margins, and a page of a text list is never set further along the line: rows typed
    with a tab before their names, on a page the table is carried to without its header, stand a column to
    the right of their own. Each is named unread, though the columns moved by a column's width (the name
    column as wide as the symbol one) would read them as rows."""
    page_2 = ["\tDELTA CORP\tDDD", "\tEPSILON CO\tEEE"]
    path = tmp_path / "ru3000_membershiplist_20220624.txt"
    path.write_text("\n".join([*NO_SECTOR, "\f" + page_2[0], page_2[1]]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"]
    assert doc.unread.rows() == [(2, 1, "DELTA CORP DDD"), (2, 2, "EPSILON CO EEE")]


def test_a_row_lost_under_a_footer_printed_between_the_rows_of_a_text_list_is_unread(tmp_path):
    """A text extraction without form feeds prints a page's footer between the list's rows: the footer is
    furniture, and a row typed with spaces under it, between two rows, is named unread as anywhere in the
    table (not lost to the line accounting, which would refuse the list)."""
    footer, typed = "FTSE Russell | Final index Deletes 1", "ACME CORP ACME Health Care"
    path = tmp_path / "deletions.txt"
    path.write_text("\n".join([*TAB_LIST[:5], footer, typed, *TAB_LIST[5:]]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"]
    assert doc.unread.rows() == [(1, 7, typed)]


def _header_at(number: int, y: float, dx: float) -> Line:
    """The WITH_SECTOR header on a page set `dx` points right of the first."""
    return _line(number, y, *[(x + dx, title) for x, title in WITH_SECTOR])


def _row_at(number: int, y: float, symbol: str, dx: float) -> Line:
    """A row `<symbol> INC`, `symbol`, Energy under that header."""
    return _line(number, y, (50 + dx, f"{symbol} INC"), (250 + dx, symbol), (330 + dx, "Energy"))


def test_rows_carried_above_a_page_s_own_header_on_a_page_set_with_other_margins_are_read():
    """A page set 15 pt left of the first (the other side of a two-sided document) carries the table on for
    two rows, then prints a header of its own and two rows under it. The carried rows are the table's, read
    at the page's own place, as the rows under its header are."""
    dx = -15.0
    carried = [_row_at(k + 1, 40 + 12 * k, s, dx) for k, s in enumerate(["DD", "EE"])]
    header = _header_at(3, 90, dx)
    under = [_row_at(4 + k, 102 + 12 * k, s, dx) for k, s in enumerate(["FF", "GG"])]
    parsed, rows = _read(_moved_page(0.0, ["AA", "BB", "CC"], header=True), (*carried, header, *under))
    assert [s for *_, s in rows] == ["AA", "BB", "CC", "DD", "EE", "FF", "GG"] and not parsed.unread


@pytest.mark.parametrize("dx", [0.0, -15.0, 20.0], ids=["in-place", "moved-left", "moved-right"])
@pytest.mark.parametrize(
    "above, unread",
    [
        ([((50, "DD INC"), (250, "DD"))], ["DD INC DD"]),
        ([((50, "DD INC"), (250, "DD")), ((50, "EE INC"), (250, "EE"))], ["DD INC DD", "EE INC EE"]),
        ([((50, "Russell 3000 Index membership list"),)], []),
        ([((50, "NORTH AMERICA"),)], []),
        ([((50, "NORTH AMERICA"), (262, "EMEA"))], []),
        ([((50, "NORTH AMERICA"), (250, "EMEA")), ((50, "10 Hudson Yards"), (250, "London EC4M"))], []),
    ],
    ids=[
        "a-row-without-its-sector",
        "two-such-rows",
        "a-running-head",
        "a-heading-in-capitals",
        "a-heading-off-the-columns",
        "a-contact-block-s-heading",
    ],
)
def test_lines_carried_above_a_page_s_own_header_that_read_as_no_row_are_unread_where_they_look_like_rows(
    dx, above, unread
):
    """A page carries the table on above a header of its own, where no line of it reads as a row (a row
    that lost its sector). Such lines were taken for titles and running heads above the header and dropped
    without a word; a line that looks like a row there (at the carried columns, set where the page's own
    header sets its titles) is named unread, and a running head, a heading off the columns or a contact
    block's heading over its addresses stays furniture."""
    carried = [
        _line(k + 1, 40 + 12 * k, *[(x + dx, cell) for x, cell in cells]) for k, cells in enumerate(above)
    ]
    header, under = _header_at(5, 90, dx), _row_at(6, 102, "FF", dx)
    parsed, rows = _read(_moved_page(0.0, ["AA", "BB", "CC"], header=True), (*carried, header, under))
    assert [s for *_, s in rows] == ["AA", "BB", "CC", "FF"]
    assert [(u.page, u.text) for u in parsed.unread] == [(2, text) for text in unread]
    assert parsed.accounts[1].unread == len(unread)


@pytest.mark.parametrize(
    "above, unread",
    [
        (["DELTA CORP DDD"], ["DELTA CORP DDD"]),
        (["DELTA\tCORP\tDDD"], ["DELTA CORP DDD"]),
        (["RUSSELL 3000 INDEX"], []),
        (["RUSSELL 3000 INDEX", "THIS PAGE CONTINUES THE LIST"], []),
    ],
    ids=["a-row-typed-with-spaces", "a-row-with-a-stray-tab", "the-title-again", "the-title-and-a-notice"],
)
def test_a_text_list_s_lines_above_a_page_s_own_header_are_unread_where_they_read_as_a_row(
    tmp_path, above, unread
):
    """A text list whose second page prints the header again: a row typed over it with its tab lost was
    taken for a title and dropped without a word, and is named unread; the first page's title printed
    again there, as it is, is a running head and refuses nothing."""
    first = ["RUSSELL 3000 INDEX", "", "Company\tSymbol", "ALPHA CORP\tAAA", "BETA INC\tBBB"]
    second = [*above, "Company\tSymbol", "GAMMA CO\tGGG"]
    path = tmp_path / "ru3000_membershiplist_20220624.txt"
    path.write_text("\n".join([*first, "\f" + second[0], *second[1:]]) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG"]
    assert [row[2] for row in doc.unread.rows()] == unread


def test_a_page_set_with_other_margins_is_placed_by_its_first_header_though_it_prints_two():
    """A page set 15 pt left carries a row that lost its sector above a header of its own, then prints a
    second header further down (a new table). The carried row is judged where the first header sets the
    page: unread, not dropped for want of one move that suits both headers."""
    dx = -15.0
    header = [_header_at(n, y, dx) for n, y in ((2, 90), (4, 130))]
    rows = [_row_at(n, y, s, dx) for n, y, s in ((3, 102, "FF"), (5, 142, "GG"))]
    carried = _line(1, 40, (50 + dx, "DD INC"), (250 + dx, "DD"))
    parsed, got = _read(
        _moved_page(0.0, ["AA", "BB", "CC"], header=True), (carried, header[0], rows[0], header[1], rows[1])
    )
    assert [s for *_, s in got] == ["AA", "BB", "CC", "FF", "GG"]
    assert [(u.page, u.line, u.text) for u in parsed.unread] == [(2, 1, "DD INC DD")]


def test_a_carried_part_that_reads_rows_above_a_page_s_own_header_is_judged_by_its_rows():
    """Above a page's own header, the carried part reads a row, then a line that lost its sector over an
    address set in columns. It is judged as any table's rows are: the lost line under the row is unread,
    not taken for a contact block's heading as on a page without a row."""
    dx = -15.0
    row = _row_at(1, 40, "DD", dx)
    lost = _line(2, 52, (50 + dx, "EE INC"), (250 + dx, "EE"))
    address = _line(3, 64, (50 + dx, "10 Hudson Yards"), (250 + dx, "London EC4M"))
    header, under = _header_at(4, 90, dx), _row_at(5, 102, "FF", dx)
    parsed, got = _read(
        _moved_page(0.0, ["AA", "BB", "CC"], header=True), (row, lost, address, header, under)
    )
    assert [s for *_, s in got] == ["AA", "BB", "CC", "DD", "FF"]
    assert [(u.page, u.line, u.text) for u in parsed.unread] == [(2, 2, "EE INC EE")]


def test_a_running_line_is_one_any_page_before_printed_not_only_the_last(tmp_path):
    """A dated footer on the first page, none on the second, and again on the third beside a row alone
    with its tab typed as a space: the footer is a running line (the pages before printed it), so the
    row is unread, not dropped with the page as furniture."""
    date = "As of June 23, 2023"
    pages = [[*NO_SECTOR, date], ["DELTA CORP\tDDD"], ["EPSILON CO EEE", date]]
    path = tmp_path / "ru3000_membershiplist_20220624.txt"
    path.write_text("\n\f".join("\n".join(page) for page in pages) + "\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["AAA", "BBB", "GGG", "DDD"]
    assert [row[2] for row in doc.unread.rows()] == ["EPSILON CO EEE"]


@pytest.mark.parametrize("spread", [0.0, 1.0, 1.5])
def test_a_page_s_own_header_whose_titles_moved_within_the_tolerance_sets_one_move(spread):
    """A page set 15 pt left prints its own header with the Sector title up to 1.5 pt (TOLERANCE) further
    than the others, as a PDF places titles: one move, the mean of the titles' own, sets the carried
    columns, and the row above the header that lost its sector is unread there."""
    moves = (-15.0, -15.0, -15.0 + spread)
    header = _line(2, 90, *[(x + m, title) for (x, title), m in zip(WITH_SECTOR, moves, strict=True)])
    carried = _line(1, 40, (35, "DD INC"), (235, "DD"))
    under = _line(3, 102, (35, "FF INC"), (235, "FF"), (315 + spread, "Energy"))
    parsed, rows = _read(_moved_page(0.0, ["AA", "BB", "CC"], header=True), (carried, header, under))
    assert [s for *_, s in rows] == ["AA", "BB", "CC", "FF"]
    assert [(u.page, u.line, u.text) for u in parsed.unread] == [(2, 1, "DD INC DD")]
