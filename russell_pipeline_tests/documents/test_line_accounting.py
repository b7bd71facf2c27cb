"""The list parser's own line accounting (lists.account_page): every line of a page is a row line,
page furniture or unread, and the parser refuses a document where one is none of them, so a change to
the column model cannot lose a row without a word. Hand-made pages: each word where it is printed."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from russell_pipeline.lib.documents import lists, page_columns
from russell_pipeline.lib.documents.furniture import PageKind
from russell_pipeline.lib.documents.lists import LostLineError, PageAccount, parse_list
from russell_pipeline.lib.documents.textlayer import Line, Page, Word

# Company left at 50; Symbol centred under its title (300-330). The symbols are wider than the title:
# the column's rows reach 5 pt left of it (295), which the column model learns from the rows.
TITLES = ((50.0, 90.0, "Company"), (300.0, 330.0, "Symbol"))
LONG = "AMERICAN INTERNATIONAL PHARMA HOLDINGS"  # printed up to its symbol: one cell with it


def _words(cell: int, x: float, text: str, x1: float | None = None) -> list[Word]:
    """`text`'s words from x, as wide as their letters (5 pt each) and 4 pt apart, or spread to end at x1."""
    out, at = [], x
    for word in text.split():
        out.append(Word(word, at, at + 5 * len(word), cell))
        at += 5 * len(word) + 4
    scale = 1.0 if x1 is None else (x1 - x) / (out[-1].x1 - x)
    return [Word(w.text, x + (w.x0 - x) * scale, x + (w.x1 - x) * scale, cell) for w in out]


def _row(number: int, y: float, company: str, symbol: str) -> Line:
    centred = 315 - 4 * len(symbol)  # 8 pt a letter: a five-letter symbol starts at 295
    words = (*_words(0, 50, company), Word(symbol, centred, centred + 8 * len(symbol), 1))
    return Line(number, y, words, f"{company}\t{symbol}")


def _long(number: int, y: float, symbol: str = "WIDEX") -> Line:
    """The long name ends 3 pt short of its symbol (295): no column-sized gap, one cell."""
    words = (*_words(0, 50, LONG, x1=292), Word(symbol, 295, 335, 0))
    return Line(number, y, words, f"{LONG} {symbol}")


def _broken(y: float, company: str = "ACME CORP", symbol: str = "AC ME") -> Line:
    """A row whose symbol is printed in two (two words of 8 pt a letter from 303): no row the parser reads."""
    first, second = symbol.split()
    x = 303 + 8 * len(first) + 2
    words = (Word(first, 303, 303 + 8 * len(first), 1), Word(second, x, x + 8 * len(second), 1))
    return Line(0, y, (*_words(0, 50, company), *words), "")


def _header(number: int, y: float) -> Line:
    return Line(number, y, tuple(Word(t, a, b, k) for k, (a, b, t) in enumerate(TITLES)), "Company\tSymbol")


def _text(number: int, y: float, text: str, x: float = 50) -> Line:
    return Line(number, y, tuple(_words(0, x, text)), text)


def _page(number: int, *lines: Line) -> Page:
    return Page(number, tuple(dataclasses.replace(line, number=n) for n, line in enumerate(lines, start=1)))


def _rows(y: float, *names: tuple[str, str]) -> list[Line]:
    return [_row(0, y + 12 * k, company, symbol) for k, (company, symbol) in enumerate(names)]


def _two_cells(y: float, company: str, other: str, x: float) -> Line:
    """`company` in the name column (from 50), `other` in a cell of its own from x."""
    return Line(0, y, (*_words(0, 50, company), *_words(1, x, other)), f"{company}\t{other}")


CLEAN = (("ALPHA CORP", "ALPHA"), ("BETA INC", "BET"), ("GAMMA CO", "GA"))  # centred: of every width


def _pages(at: str) -> tuple[tuple[Page, ...], tuple[int, int]]:
    """A list whose long-named row is `at` inside its table, its last row, or a carried table's first
    row on page 2; and that row's (page, line)."""
    title = _text(0, 40, "Russell 3000 Index Membership list", x=50)
    footer = _text(0, 760, "ftserussell.com")
    if at == "inside":
        lines = [title, _header(0, 80), *_rows(92, *CLEAN[:2]), _long(0, 116), *_rows(128, CLEAN[2]), footer]
        return (_page(1, *lines),), (1, 5)
    if at == "last":
        lines = [title, _header(0, 80), *_rows(92, *CLEAN), _long(0, 128), footer]
        return (_page(1, *lines),), (1, 6)
    first = _page(1, title, _header(0, 80), *_rows(92, *CLEAN), footer)
    second = _page(2, _long(0, 60), *_rows(72, ("DELTA CORP", "DELTA"), ("EPSILON CO", "EP")), footer)
    return (first, second), (2, 1)


def _title_edge(learned: page_columns.Model) -> page_columns.Model:
    """The bug: a centred column's left edge from its title alone, not from where its rows reach."""
    starts = tuple(
        c.x0 - page_columns.TOLERANCE if any(a == "centre" for a, _, _ in anchors) else start
        for c, start, anchors in zip(learned.columns, learned.starts, learned.anchors, strict=True)
    )
    return dataclasses.replace(learned, starts=starts)


@pytest.mark.parametrize("at", ["inside", "last", "carried-first"])
def test_a_column_model_that_loses_a_row_is_refused_by_the_line_accounting_not_read_without_it(
    monkeypatch, at
):
    pages, (page, line) = _pages(at)
    parsed = parse_list(pages)
    assert (page, line, LONG, "WIDEX") in [(r.page, r.line, r.company, r.symbol) for r in parsed.rows]
    assert parsed.unread == ()
    for a in parsed.accounts:
        assert a.lines == a.rows + a.furniture + a.unread == len(pages[a.page - 1].lines)

    learn = page_columns.learn
    monkeypatch.setattr(lists, "learn", lambda cols, lines: _title_edge(learn(cols, lines)))
    # and without the split that gives a centred column the words sitting where its rows sit, which
    # would read the row whole in spite of the start
    monkeypatch.setattr(page_columns, "_aligned_tail", lambda model, cell, last, at: at)
    with pytest.raises(LostLineError) as refused:
        parse_list(pages)
    assert str(refused.value).startswith(
        f"page {page}: 1 line(s) neither read as a row, recognised as page furniture, nor reported unread "
        f"(line {line}: '{LONG} WIDEX'): "
    )
    # What the accounting stops: without it the same model reads the list one row short, and says nothing.
    monkeypatch.setattr(lists, "account_page", lambda *args: None)
    quiet = parse_list(pages)
    assert len(quiet.rows) == len(parsed.rows) - 1 and quiet.unread == ()


def test_every_line_of_a_page_is_counted_once_as_a_row_furniture_or_unread():
    lines = [
        _text(0, 30, "Russell 3000 Index - Additions"),  # above the header: furniture
        _header(0, 80),  # furniture
        _row(0, 92, "ALPHA CORP", "ALPHA"),
        _text(0, 97, "HOLDINGS"),  # the rest of ALPHA's name: a row line
        _row(0, 104, "BETA INC", "BETAX"),
        _broken(116, "GAMMA CO", "GA MM"),  # unread
        _text(0, 121, "PHARMA"),  # the rest of the unread line's name: unread with it
        _row(0, 128, "DELTA CO", "DELTA"),
        _text(0, 400, "Past performance is no guarantee of future results."),  # beyond reach: furniture
        _text(0, 760, "FTSE Russell | Final index Adds 1"),  # furniture
    ]
    parsed = parse_list((_page(1, *lines),))
    assert [r.symbol for r in parsed.rows] == ["ALPHA", "BETAX", "DELTA"]
    assert parsed.rows[0].company == "ALPHA CORP HOLDINGS"
    assert [(u.line, u.text) for u in parsed.unread] == [(6, "GAMMA CO GA MM")]
    assert parsed.accounts == (PageAccount(1, lines=10, rows=4, furniture=4, unread=2),)


def test_a_lost_row_between_the_header_and_the_first_row_is_named_once():
    """Under the header, 6 pt over the first row (within reach of it, as a row over a carried first row
    would be): a line the parser cannot read as a row is unread, its words named once."""
    parsed = parse_list((_page(1, _header(0, 80), _broken(86), *_rows(92, *CLEAN)),))
    assert [r.symbol for r in parsed.rows] == [s for _, s in CLEAN]
    assert [(u.line, u.text, u.tables) for u in parsed.unread] == [(2, "ACME CORP AC ME", (0,))]
    assert parsed.accounts == (PageAccount(1, lines=5, rows=3, furniture=1, unread=1),)


def test_pages_without_a_table_count_every_line_as_furniture_and_each_page_says_why():
    cover = _page(1, _text(0, 40, "Russell US Indexes"), _text(0, 60, "RECONSTITUTION 2025"))
    table = _page(3, _text(0, 40, "Russell 3000 Index"), _header(0, 80), *_rows(92, *CLEAN))
    carried = _page(4, *_rows(60, ("DELTA CORP", "DELTA"), ("EPSILON CO", "EP")))
    notice = _page(5, _text(0, 40, "QUARTERLY IPO ADDITIONS"), _text(0, 60, "Data as of June 2025."))
    parsed = parse_list((cover, _page(2), table, carried, notice, _page(6)))  # pages 2 and 6 blank
    assert len(parsed.rows) == 5
    assert parsed.accounts == (
        PageAccount(1, lines=2, rows=0, furniture=2, unread=0),
        PageAccount(2, lines=0, rows=0, furniture=0, unread=0),
        PageAccount(3, lines=5, rows=3, furniture=2, unread=0),
        PageAccount(4, lines=2, rows=2, furniture=0, unread=0),
        PageAccount(5, lines=2, rows=0, furniture=2, unread=0),
        PageAccount(6, lines=0, rows=0, furniture=0, unread=0),
    )
    assert parsed.pages == (
        PageKind(1, "furniture", "before the first table header"),
        PageKind(2, "furniture", "blank: no text"),
        PageKind(3, "table", "table header on line 2"),
        PageKind(4, "table", "no header; 2 row(s) at the columns of the pages before"),
        PageKind(5, "furniture", "2 line(s), no table header and no row of the table; 1 of prose"),
        PageKind(6, "furniture", "blank: no text"),
    )


@pytest.mark.parametrize(
    ("lost", "shown"),
    [
        (_text(0, 104, "DELTA HOLDINGS"), "DELTA HOLDINGS"),  # name words alone, a row pitch below: no wrap
        (_text(0, 104, "continued on the next page"), "continued on the next page"),  # prose inside a table
        (_text(0, 104, "12", x=5), "12"),  # words left of every column
        (_text(0, 86, "DELTA HOLDINGS"), "DELTA HOLDINGS"),  # under the header, before any row: no wrap
        (_text(0, 86, "12", x=5), "12"),
    ],
    ids=[
        "name-words",
        "prose",
        "left-of-every-column",
        "name-words-over-the-first-row",
        "left-of-every-column-over-the-first-row",
    ],
)
def test_a_line_inside_a_table_that_is_no_row_and_not_unread_is_refused(lost, shown):
    rows = [_row(0, 92, "ALPHA CORP", "ALPHA"), _row(0, 116, "BETA INC", "BETAX")]
    lines = [_header(0, 80), *sorted([*rows, lost], key=lambda ln: ln.y)]
    with pytest.raises(
        LostLineError,
        match=rf"^page 1: 1 line\(s\) .* \(line {lines.index(lost) + 1}: '{shown}'\): 4 lines, 2 row lines, "
        "1 furniture, 0 unread$",
    ):
        parse_list((_page(1, *lines),))


def test_a_line_between_a_header_and_the_unread_line_under_it_is_inside_the_table():
    """Page 2's header has no row under it, only a line the parser cannot read as a row (unread): the
    table runs from the header to that line, and words left of every column between them are refused;
    name words alone under such a header are furniture (the rest of a name, or a title)."""
    first = _page(1, _header(0, 80), *_rows(92, *CLEAN))
    parsed = parse_list((first, _page(2, _header(0, 80), _text(0, 86, "HOLDINGS"))))
    assert parsed.unread == () and parsed.accounts[1] == PageAccount(2, 2, rows=0, furniture=2, unread=0)
    second = _page(2, _header(0, 80), _text(0, 86, "12", x=5), _broken(92))
    with pytest.raises(
        LostLineError,
        match=r"^page 2: 1 line\(s\) .* \(line 2: '12'\): 3 lines, 0 row lines, 1 furniture, 1 unread$",
    ):
        parse_list((first, second))


def test_a_refusal_names_the_first_three_lost_lines_of_a_page_and_counts_them_all():
    names = ["DELTA HOLDINGS", "EPSILON GROUP", "ZETA TRUST", "OMEGA PARTNERS"]  # a row pitch apart: no wraps
    lost = [_text(0, 104 + 12 * k, name) for k, name in enumerate(names)]
    lines = [_header(0, 80), _row(0, 92, "ALPHA CORP", "ALPHA"), *lost, _row(0, 152, "BETA INC", "BETAX")]
    shown = "line 3: 'DELTA HOLDINGS'; line 4: 'EPSILON GROUP'; line 5: 'ZETA TRUST'"
    with pytest.raises(LostLineError) as refused:
        parse_list((_page(1, *lines),))
    assert str(refused.value) == (
        "page 1: 4 line(s) neither read as a row, recognised as page furniture, nor reported unread "
        f"({shown}): 7 lines, 2 row lines, 1 furniture, 0 unread"
    )


def test_name_words_at_the_foot_of_a_table_are_furniture_unless_they_reach_another_column():
    """Below the last row, name words inside the name column are the rest of a name from the column before,
    or a title; name words that reach into the symbol's title are a row whose columns were lost."""
    table = [_header(0, 80), *_rows(92, *CLEAN[:2])]
    inside = parse_list((_page(1, *table, _text(0, 116, "HOLDINGS")),))
    assert inside.accounts == (PageAccount(1, lines=4, rows=2, furniture=2, unread=0),)
    reaching = Line(0, 116, (Word("OMEGA", 50, 75, 0), Word("TECHNOLOGIESLTD", 230, 302, 0)), "")
    with pytest.raises(
        LostLineError,
        match=r"\(line 4: 'OMEGA TECHNOLOGIESLTD'\): 4 lines, 2 row lines, 1 furniture, 0 unread$",
    ):
        parse_list((_page(1, *table, reaching),))


def _after_broken(line: Line) -> Page:
    """Rows 10 pt apart, the one at 100 broken (its symbol in two: unread), `line` under it."""
    rows = [("DELTA CO", "DELTA"), ("EPSILON CO", "EP"), ("ZETA INC", "ZETA")]
    return _page(
        1,
        _header(0, 80),
        _row(0, 90, "ALPHA CORP", "ALPHA"),
        _broken(100, "GAMMA CO", "GA MM"),
        line,
        *[_row(0, 120 + 10 * k, company, symbol) for k, (company, symbol) in enumerate(rows)],
    )


@pytest.mark.parametrize(
    ("below", "unread"),
    [
        (1.0, True),  # a point under it: the rest of its name
        (7.5, True),  # under 0.8 row pitches (8)
        (8.0, False),  # 0.8 row pitches: a line of its own, as a row's wrap would be
        (10.0, False),  # a whole row pitch
    ],
)
def test_the_rest_of_an_unread_line_s_name_is_unread_with_it_only_closer_than_rows_are_apart(below, unread):
    """Name words under an unread line inside a table are the rest of its name while closer than 0.8 row
    pitches, as a row's wrap is; further down they are a line of their own, lost."""
    page = _after_broken(_text(0, 100 + below, "PHARMA"))
    if not unread:
        with pytest.raises(
            LostLineError, match=r"\(line 4: 'PHARMA'\): 7 lines, 4 row lines, 1 furniture, 1 unread$"
        ):
            parse_list((page,))
        return
    parsed = parse_list((page,))
    assert [(u.line, u.text) for u in parsed.unread] == [(3, "GAMMA CO GA MM")]
    assert parsed.accounts == (PageAccount(1, lines=7, rows=4, furniture=1, unread=2),)


def test_the_rest_of_an_unread_line_s_name_over_two_lines_is_unread_with_it():
    """Rows 10 pt apart; under the unread line at 100 its name runs on over two lines, each 3 pt under the
    one before (a row's wrap over three lines, as the row's would be joined): both are unread with it."""
    rows = [("ALPHA CORP", "ALPHA"), ("DELTA CO", "DELTA"), ("EPSILON CO", "EP"), ("ZETA INC", "ZETA")]
    lines = [_row(0, y, company, symbol) for y, (company, symbol) in zip((90, 120, 130, 140), rows)]
    page = _page(
        1,
        _header(0, 80),
        *sorted([*lines, _broken(100), _text(0, 103, "PHARMA"), _text(0, 106, "GROUP")], key=lambda ln: ln.y),
    )
    parsed = parse_list((page,))
    assert [r.symbol for r in parsed.rows] == [s for _, s in rows]
    assert [(u.line, u.text) for u in parsed.unread] == [(3, "ACME CORP AC ME")]
    assert parsed.accounts == (PageAccount(1, lines=8, rows=4, furniture=1, unread=3),)


def test_prose_under_an_unread_line_is_no_rest_of_its_name():
    with pytest.raises(
        LostLineError, match=r"\(line 4: 'see below'\): 7 lines, 4 row lines, 1 furniture, 1 unread$"
    ):
        parse_list((_after_broken(_text(0, 105, "see below")),))


SHIFT = 350.0  # the right table of two side by side: the same columns, this far to the right


def _beside(left: Line, *others: Line | None) -> Line:
    """`left` and, SHIFT further to the right each, the words of `others` in cells of their own (None:
    nothing there)."""
    words, texts = list(left.words), [left.text]
    for k, other in enumerate(others, start=1):
        if other is not None:
            cells = 1 + max(w.cell for w in words)
            words += [Word(w.text, w.x0 + k * SHIFT, w.x1 + k * SHIFT, w.cell + cells) for w in other.words]
            texts.append(other.text)
    return Line(left.number, left.y, tuple(words), "\t".join(texts))


@pytest.mark.parametrize(
    ("tables", "t"), [(1, 0), (2, 0), (2, 1)], ids=["one-table", "left-of-two", "right-of-two"]
)
@pytest.mark.parametrize("start", [80.0, 230.0], ids=["long-word", "short-word"])
@pytest.mark.parametrize(
    ("end", "refused"),
    [(120.0, False), (298.4, False), (298.5, True), (310.0, True)],
    ids=["inside-its-column", "short-of-the-symbol-title", "at-its-tolerance", "under-it"],
)
def test_name_words_under_a_table_s_last_row_are_furniture_until_they_reach_its_symbol_title(
    tables, t, start, end, refused
):
    """A run of name words under the last row of one of the page's tables, its last word from `start` to
    `end` points from the table's left (its Symbol title spans 300-330, words within 1.5 pt of it touch
    it): the rest of a name or a title while it keeps to the name column, a row whose columns were lost
    once it touches the title."""
    names = (("ALPHA CORP", "ALPHA"), ("BETA INC", "BET"), ("GAMMA CO", "GA"))
    right = (("DELTA CORP", "DELTA"), ("EPSILON CO", "EP"), ("ZETA INC", "ZETA"))[: 3 if tables == 2 else 0]
    header = _beside(_header(0, 80), _header(0, 80) if tables == 2 else None)
    rows = [_beside(left, mine) for left, mine in itertools.zip_longest(_rows(92, *names), _rows(92, *right))]
    words = [("OMEGA", 50, 75), ("TECHNOLOGIESHOLDINGS", min(start, end - 10), end)]
    foot = Line(0, 128, tuple(Word(w, x0 + SHIFT * t, x1 + SHIFT * t, 0) for w, x0, x1 in words), "")
    page = _page(1, header, *rows, foot)
    if refused:
        with pytest.raises(
            LostLineError,
            match=r"\(line 5: 'OMEGA TECHNOLOGIESHOLDINGS'\): 5 lines, 3 row lines, 1 furniture",
        ):
            parse_list((page,))
        return
    parsed = parse_list((page,))
    assert len(parsed.rows) == 3 * tables and parsed.unread == ()
    assert parsed.accounts == (PageAccount(1, lines=5, rows=3, furniture=2, unread=0),)


@pytest.mark.parametrize(
    ("company", "symbol", "unread"),
    [
        ("ACME CORP", "AC ME", True),  # a row with its symbol in two: lost
        ("ACME", "AC ME", True),
        ("ACME CORP", "12", False),  # a page number beside a heading in capitals
        ("ACME CORP", "1 2", False),
        ("12 34", "ACME", False),  # no capital in the name column: not a name
        ("12", "ACME", False),
        ("Acme Corp", "AC ME", False),  # mixed case: prose, not a name
    ],
)
def test_a_line_under_the_last_row_is_a_lost_row_only_with_a_name_in_capitals_and_a_symbol_with_one(
    company, symbol, unread
):
    """One row pitch under the last row, a line with words in the name and the symbol column is a row the
    parser could not read when the name is in capitals and the symbol holds a capital letter; else it is
    page furniture (a heading and its page number), never unread."""
    line = _two_cells(128, company, symbol, 300)
    parsed = parse_list((_page(1, _header(0, 80), *_rows(92, *CLEAN), line),))
    assert [r.symbol for r in parsed.rows] == [s for _, s in CLEAN]
    assert [(u.line, u.text) for u in parsed.unread] == ([(5, f"{company} {symbol}")] if unread else [])
    assert parsed.accounts == (PageAccount(1, 5, rows=3, furniture=2 - unread, unread=int(unread)),)


@pytest.mark.parametrize(
    ("words", "company"),
    [
        ("HOLDINGS", "GAMMA CO HOLDINGS"),
        ("HOLDINGS GROUP", "GAMMA CO HOLDINGS GROUP"),
        ("12", "GAMMA CO"),  # figures: a page number, not the rest of a name
        ("12 34", "GAMMA CO"),
        ("1 2 3", "GAMMA CO"),
    ],
)
def test_only_words_with_a_capital_close_under_the_last_row_are_the_rest_of_its_name(words, company):
    parsed = parse_list((_page(1, _header(0, 80), *_rows(92, *CLEAN), _text(0, 121, words)),))
    assert [(r.company, r.symbol) for r in parsed.rows] == [*CLEAN[:2], (company, "GA")]
    joined = company != "GAMMA CO"
    assert parsed.accounts == (PageAccount(1, 5, rows=3 + joined, furniture=2 - joined, unread=0),)


@pytest.mark.parametrize(
    ("gap", "unread"),
    [(10.0, True), (15.0, True), (15.5, False), (30.0, False)],
    ids=["a-pitch", "one-and-a-half-pitches", "just-beyond", "three-pitches"],
)
@pytest.mark.parametrize(
    "where",
    [
        "under-the-last-row",
        "over-a-carried-first-row",
        "two-over-a-carried-first-row",
        "under-a-page-s-only-row",
        "under-a-header-without-rows",
    ],
)
def test_a_lost_row_belongs_to_its_table_up_to_one_and_a_half_row_pitches_from_it(where, gap, unread):
    """Rows 10 pt apart; a line the parser cannot read as a row, `gap` under the table's last row, over
    the first row of the table carried to page 2 (or two such lines a row pitch apart), or under the only
    row of page 2's table or a header with no row under it on page 2 (the pitch of the pages before
    stands for the page's own): unread while within 1.5 row pitches, furniture beyond."""
    rows = [("ALPHA CORP", "ALPHA"), ("BETA INC", "BET"), ("GAMMA CO", "GA")]
    table = [_row(0, 90 + 10 * k, company, symbol) for k, (company, symbol) in enumerate(rows)]
    carried = [_row(0, 100 + 10 * k, company, symbol) for k, (company, symbol) in enumerate(rows)]
    second = {  # page 2, or None for a list of one page; its lines lost when within reach
        "under-the-last-row": (None, [5]),
        "over-a-carried-first-row": ([_broken(100 - gap), *carried], [1]),
        "two-over-a-carried-first-row": ([_broken(90 - gap), _broken(100 - gap), *carried], [1, 2]),
        "under-a-page-s-only-row": (
            [_header(0, 80), _row(0, 90, "DELTA CORP", "DELTA"), _broken(90 + gap)],
            [3],
        ),
        "under-a-header-without-rows": ([_header(0, 80), _broken(80 + gap)], [2]),
    }
    lines, lost = second[where]
    if lines is None:
        pages = (_page(1, _header(0, 80), *table, _broken(110 + gap)),)
    else:
        pages = (_page(1, _header(0, 80), *table), _page(2, *lines))
    parsed = parse_list(pages)
    on_last = sum(1 for line in pages[-1].lines if line.words[-1].text in ("ALPHA", "BET", "GA", "DELTA"))
    assert len(parsed.rows) == 3 * (len(pages) - 1) + on_last
    assert [(u.page, u.line) for u in parsed.unread] == ([(len(pages), n) for n in lost] if unread else [])
    assert [u.text for u in parsed.unread] == (["ACME CORP AC ME"] * len(lost) if unread else [])
    assert parsed.accounts[-1].unread == len(lost) * unread and parsed.accounts[-1].rows == on_last


def test_name_words_under_a_carried_first_row_are_not_its_name_while_no_row_pitch_is_known():
    """Page 1 holds one row: how far rows are apart is not known yet. Name words close under the row the
    table carries to page 2 are not joined to its name: page furniture at the page's foot."""
    first = _page(1, _header(0, 80), _row(0, 92, "ALPHA CORP", "ALPHA"))
    parsed = parse_list((first, _page(2, _row(0, 60, "BETA INC", "BETAX"), _text(0, 65, "HOLDINGS"))))
    assert [r.company for r in parsed.rows] == ["ALPHA CORP", "BETA INC"]
    assert parsed.accounts[1] == PageAccount(2, 2, rows=1, furniture=1, unread=0)


@pytest.mark.parametrize(
    "before", ["one-row", "header-alone", "one-row-then-one-row"], ids=lambda b: f"after-{b}"
)
@pytest.mark.parametrize("told", ["on-its-page", "on-a-later-page"])
def test_name_words_under_a_carried_first_row_are_its_name_once_a_row_pitch_is_known(before, told):
    """Pages before hold at most one row (or the header alone, at a page's foot): no row pitch is known
    when the table carried on reaches its first row and the name words 5 pt under it. Rows 12 pt apart
    later on that page, or on a later one, tell it: the words are the rest of that row's name, not a line
    lost (the list was once refused) nor furniture."""
    pages = {  # before the carried table's first row: pages of no row or one
        "one-row": [_page(1, _header(0, 80), _row(0, 92, "ALPHA CORP", "ALPHA"))],
        "header-alone": [_page(1, _text(0, 40, "Russell 3000 additions"), _header(0, 740))],
        "one-row-then-one-row": [
            _page(1, _header(0, 80), _row(0, 92, "ALPHA CORP", "ALPHA")),
            _page(2, _row(0, 60, "ZETA CO", "ZETA")),
        ],
    }[before]
    n, rows_before = len(pages) + 1, {"one-row": 1, "header-alone": 0, "one-row-then-one-row": 2}[before]
    carried = [_row(0, 60, "BETA INC", "BETAX"), _text(0, 65, "HOLDINGS")]
    later = _rows(77, ("GAMMA CO", "GAMMA"), ("DELTA CO", "DELTA"))
    if told == "on-its-page":
        pages += [_page(n, *carried, *later)]
    else:
        pages += [_page(n, *carried), _page(n + 1, *later)]
    parsed = parse_list(tuple(pages))
    assert [(r.page, r.company) for r in parsed.rows if r.symbol == "BETAX"] == [(n, "BETA INC HOLDINGS")]
    assert parsed.unread == () and len(parsed.rows) == rows_before + 3
    lines = len(pages[n - 1].lines)  # every one a row's, or the rest of its name
    assert parsed.accounts[n - 1] == PageAccount(n, lines, rows=lines, furniture=0, unread=0)


def test_a_carried_row_whose_symbol_is_wider_than_every_one_the_page_before_printed_is_read():
    """Page 1 centres symbols of one width under their title, so its rows cannot tell centred from left
    or right aligned; page 2, without a header, centres a wider one. The row is at the columns the page
    before set, and read (it was once dropped with its page as furniture, without a word)."""
    first = _page(1, _header(0, 80), *_rows(92, ("ALPHA CORP", "AL"), ("BETA INC", "BE"), ("GAMMA CO", "GA")))
    parsed = parse_list((first, _page(2, *_rows(60, ("DELTA CO", "DELTA"), ("EPSILON CO", "EPS")))))
    assert [(r.page, r.symbol) for r in parsed.rows] == [
        (1, "AL"),
        (1, "BE"),
        (1, "GA"),
        (2, "DELTA"),
        (2, "EPS"),
    ]
    assert parsed.unread == () and parsed.pages[1].kind == "table"


@pytest.mark.parametrize(
    ("lines", "kept", "why"),
    [
        (
            _rows(60, ("DELTA CORP", "DELTA"), ("EPSILON CO", "EP")),
            ["DELTA", "EP"],
            "no header; 2 row(s) at the columns of the pages before",
        ),
        (
            [
                _row(0, 60, "NORTH AMERICA", "EMEA"),
                _two_cells(72, "1 Liberty Plaza", "10 Paternoster Sq", 295),
            ],
            [],
            (
                "2 line(s), no table header and no row of the table; 1 of prose; 1 heading(s) of a block set "
                "in columns"
            ),
        ),
        (
            [
                _row(0, 60, "NORTH AMERICA", "EMEA"),
                _two_cells(78, "1 Liberty Plaza", "10 Paternoster Sq", 295),  # 1.5 row pitches under them
            ],
            [],
            (
                "2 line(s), no table header and no row of the table; 1 of prose; 1 heading(s) of a block set "
                "in columns"
            ),
        ),
        (
            [
                _two_cells(60, "NORTH AMERICA", "EMEA UK", 297),  # two words: no row, though row-like
                _two_cells(72, "1 Liberty Plaza", "10 Paternoster Sq", 295),
            ],
            [],
            (
                "2 line(s), no table header and no row of the table; 1 of prose; 1 heading(s) of a block set "
                "in columns"
            ),
        ),
        (
            [
                *_rows(60, ("DELTA CORP", "DELTA"), ("EPSILON CO", "EP")),
                _row(0, 84, "NORTH AMERICA", "EMEA"),
                _two_cells(96, "1 Liberty Plaza", "10 Paternoster Sq", 295),
            ],
            ["DELTA", "EP"],
            "no header; 2 row(s) at the columns of the pages before",
        ),
        (
            [
                *_rows(60, ("DELTA CORP", "DELTA"), ("EPSILON CO", "EP")),
                _text(0, 84, "Data as of June 2025: see the notes to the list for each company"),  # prose
            ],
            ["DELTA", "EP"],
            "no header; 2 row(s) at the columns of the pages before",
        ),
    ],
    ids=[
        "rows-at-the-columns",
        "region-heads-over-an-address-block",
        "region-heads-over-an-address-block-1.5-pitches-under-them",
        "region-heads-that-read-as-no-row-over-an-address-block",
        "rows-then-region-heads-over-an-address-block",
        "rows-then-a-note-across-the-columns",
    ],
)
def test_a_page_without_a_header_keeps_only_rows_at_the_columns_of_the_pages_before(lines, kept, why):
    """Page 2 prints no header. Lines there that read as rows where page 1's rows sat are rows; a line that
    reads as a row but heads a block set in the same columns (region names over an address, alone or under
    rows) is furniture, never a row nor unread; a note in prose across the columns under the last row heads
    no block. The page says why. (Rows only page 2's own columns read, where no shift of page 1's columns
    sets them, are unread: `test_list_layouts.py`.)"""
    parsed = parse_list((_page(1, _header(0, 80), *_rows(92, *CLEAN)), _page(2, *lines)))
    assert [r.symbol for r in parsed.rows if r.page == 2] == kept and parsed.unread == ()
    assert parsed.pages[1] == PageKind(2, "table" if kept else "furniture", why)
    assert parsed.accounts[1] == PageAccount(
        2, len(lines), rows=len(kept), furniture=len(lines) - len(kept), unread=0
    )


@pytest.mark.parametrize("at", [0, 1, 2], ids=["first", "between", "last"])
@pytest.mark.parametrize("symbol", ["ABCDEFG", "ABCDEFGH"])
def test_a_row_whose_symbol_is_longer_than_the_lists_print_on_a_page_without_a_header_is_unread(at, symbol):
    """Page 2 carries the table on without its header; one of its rows prints a symbol of seven or eight
    letters (the parser reads up to twelve under a header, but a page without one keeps only rows of a
    symbol's shape, up to six): that line is unread, named with its words, wherever it stands on the page,
    and the page's other rows are read."""
    names = [("DELTA CORP", "DELTA"), ("EPSILON CO", "EP"), ("ZETA INC", "ZETA")]
    names[at] = ("OMEGA CORP", symbol)
    parsed = parse_list((_page(1, _header(0, 80), *_rows(92, *CLEAN)), _page(2, *_rows(60, *names))))
    assert [(r.page, r.symbol) for r in parsed.rows] == [
        *[(1, s) for _, s in CLEAN],
        *[(2, s) for k, (_, s) in enumerate(names) if k != at],
    ]
    assert [(u.page, u.line, u.text) for u in parsed.unread] == [(2, at + 1, f"OMEGA CORP {symbol}")]
    assert parsed.accounts[1] == PageAccount(2, 3, rows=2, furniture=0, unread=1)
    # the header and the rows' lines: not the unread one, whose words are left to tell the document's kind
    assert parsed.table_lines == {(1, n) for n in range(1, 5)} | {(2, k + 1) for k in range(3) if k != at}


def _foot(name: Word, run: tuple[str, float, float]) -> Line:
    """The line under the tables' last rows (at 128): name words and a word `run` (text, x0, x1)."""
    text, x0, x1 = run
    return Line(0, 128, tuple(sorted([name, Word(text, x0, x1, 0)], key=lambda w: w.x0)), "")


def _parse_with_foot(page: Page, refused: bool) -> lists.ParsedList | None:
    """`page` (a header, three rows, a foot line) parsed: refused naming its line 5, or read with the foot
    line as furniture (None when refused)."""
    if refused:
        with pytest.raises(
            LostLineError, match=r"\(line 5: .*\): 5 lines, 3 row lines, 1 furniture, 0 unread$"
        ):
            parse_list((page,))
        return None
    parsed = parse_list((page,))
    assert parsed.accounts == (PageAccount(1, lines=5, rows=3, furniture=2, unread=0),)
    return parsed


@pytest.mark.parametrize("tables", [2, 3])
@pytest.mark.parametrize(
    ("t", "run", "refused"),
    [
        (0, ("TECHNOLOGIES", 280, 440), True),  # centred left of the midline (360): the left table's
        (0, ("TECHNOLOGIES", 290, 440), False),  # centred on the midline (365): the right table's
        (1, ("technologies", 70, 650), False),  # centred left of the midline: the left table's
        (1, ("technologies", 80, 650), True),  # on the midline and right of it: the right table's
        (1, ("technologies", 300, 650), True),
    ],
    ids=[
        "left-of-the-midline",
        "on-the-midline",
        "left-of-the-midline-under-the-right",
        "on-the-midline-under-the-right",
        "right-of-the-midline-under-the-right",
    ],
)
def test_a_word_on_a_table_s_foot_line_is_the_table_s_whose_titles_its_centre_falls_between(
    tables, t, run, refused
):
    """Tables side by side (two or three), the midline between the first two at 365 (the left Symbol title
    ends at 330, the next Company title starts at 400). Under their last rows, name words of table `t` and
    a word run across the gutter: by the titles, the word is the table's its centre falls on (from the
    midline on, the right one's), and refuses the line only if it touches a title of that table but the
    company's."""
    header = _beside(*[_header(0, 80)] * tables)
    rows = [_beside(*[row] * tables) for row in _rows(92, *CLEAN)]
    name = Word("OMEGA", 50, 75, 0) if t == 0 else Word("HOLDINGS", 400, 440, 1)
    _parse_with_foot(_page(1, header, *rows, _foot(name, run)), refused)


@pytest.mark.parametrize(
    ("t", "run", "refused"),
    [
        (0, ("TECHNOLOGIES", 280, 660), True),  # centred at 470: left of the midline (495), the left table's
        (0, ("TECHNOLOGIES", 280, 720), False),  # centred at 500: the right table's, short of its Symbol
        (1, ("technologies", 140, 800), False),  # centred at 470: the left table's
        (1, ("technologies", 200, 800), True),  # centred at 500: the right table's, reaching its Symbol
    ],
    ids=[
        "left-of-the-midline",
        "right-of-the-midline",
        "left-of-the-midline-under-the-right",
        "under-the-right",
    ],
)
def test_the_midline_between_tables_with_a_sector_column_runs_from_the_left_table_s_last_title(
    t, run, refused
):
    """Two tables side by side, each Company, Symbol and Sector (the left Sector title ends at 440, the right
    Company title starts at 550: the midline at 495, not at the middle of the gutter after the Symbol
    title). Under their last rows, name words of table `t` and a word run across the gutter: the word is
    the table's its centre falls on, and refuses the line only if it touches a title of that table but the
    company's."""
    titles = ((50.0, 90.0, "Company"), (300.0, 330.0, "Symbol"), (400.0, 440.0, "Sector"))
    shift = 500.0

    def line(y: float, *cells: tuple[float, float, str]) -> Line:
        words = [
            Word(text, x0 + k * shift, x1 + k * shift, 3 * k + c)
            for k in (0, 1)
            for c, (x0, x1, text) in enumerate(cells)
        ]
        return Line(0, y, tuple(words), "")

    header = line(80, *titles)
    rows = []
    for k, (company, symbol) in enumerate(CLEAN):
        row = _row(0, 92 + 12 * k, company, symbol)
        rows.append(line(row.y, *[(w.x0, w.x1, w.text) for w in row.words], (400, 430, "Energy")))
    name = Word("OMEGA", 50, 75, 0) if t == 0 else Word("HOLDINGS", 550, 590, 1)
    parsed = _parse_with_foot(_page(1, header, *rows, _foot(name, run)), refused)
    if parsed is not None:
        assert [(r.table, r.symbol, r.sector) for r in parsed.rows] == [
            (k, symbol, "Energy") for k in (0, 1) for _, symbol in CLEAN
        ]


@pytest.mark.parametrize(
    ("ys", "wrapped", "broken", "unread"),
    [
        ((90, 100, 110), 115, 130.0, True),  # 1.5 row pitches under the rest of the last row's name
        ((90, 100, 110), 115, 130.5, False),
        ((90, 100, 110), 105, 125.0, True),  # the row before wraps: 1.5 row pitches under the last row
        ((90, 100, 110), 105, 125.5, False),
        ((90, 100, 110, 150), 170, 185.0, True),  # a last row set apart, its name wrapped 20 pt under it
        ((90, 100, 110, 150), 170, 185.5, False),
    ],
    ids=[
        "last-row-wraps",
        "last-row-wraps-beyond",
        "row-before-wraps",
        "row-before-wraps-beyond",
        "last-row-apart-wraps",
        "last-row-apart-wraps-beyond",
    ],
)
def test_a_table_ends_where_its_last_row_s_name_ends(ys, wrapped, broken, unread):
    """Rows at `ys` (10 pt apart: the row pitch), one name wrapped under its row (`wrapped`): a line the
    parser cannot read belongs to the table within 1.5 row pitches of where the last row's name ends."""
    names = (*CLEAN, ("DELTA CO", "DELTA"))
    rows = [_row(0, y, company, symbol) for y, (company, symbol) in zip(ys, names)]
    lines = sorted([*rows, _text(0, wrapped, "HOLDINGS"), _broken(broken)], key=lambda ln: ln.y)
    parsed = parse_list((_page(1, _header(0, 80), *lines),))
    wraps = max(k for k, y in enumerate(ys) if y < wrapped)
    assert [r.company for r in parsed.rows][wraps] == f"{names[wraps][0]} HOLDINGS"
    assert [(u.line, u.text) for u in parsed.unread] == ([(len(ys) + 3, "ACME CORP AC ME")] if unread else [])


TICKER_FIRST = Line(0, 80, (Word("Ticker", 100, 130, 0), Word("Company", 150, 190, 1)), "Ticker\tCompany")


def _ticker_rows(x: float = 150) -> list[Line]:
    """Three rows 12 pt apart from 92 under TICKER_FIRST: the ticker right-aligned at 130, the name from x."""
    names = (("AAA", "ALPHA CORP"), ("BB", "BETA INC"), ("GGGG", "GAMMA CO"))
    return [
        Line(0, 92 + 12 * k, (Word(symbol, 130 - 8 * len(symbol), 130, 0), *_words(1, x, company)), "")
        for k, (symbol, company) in enumerate(names)
    ]


def test_name_words_further_under_the_last_row_than_its_reach_are_furniture_whatever_they_touch():
    """Ticker right-aligned before Company; the last row's name is not wrapped. Two row pitches under it a
    contact line runs from the page's margin over the Ticker title into the Company column, its words in
    capitals: beyond the table's reach, furniture (it was once taken as the rest of the last row's name,
    which set the table's end on itself, and the list was refused)."""
    contact = Line(
        0,
        116 + 24,
        (
            Word("AMERICAS:", 40, 85, 0),
            Word("+1-877-503-6437;", 95, 140, 0),  # starts left of the Ticker column, over its title
            Word("APAC:", 150, 175, 0),
            Word("+65-6880-5926", 179, 244, 0),
        ),
        "",
    )
    parsed = parse_list((_page(1, TICKER_FIRST, *_ticker_rows(), contact),))
    assert [r.symbol for r in parsed.rows] == ["AAA", "BB", "GGGG"] and parsed.unread == ()
    assert parsed.accounts == (PageAccount(1, 5, rows=3, furniture=2, unread=0),)


@pytest.mark.parametrize(
    ("x0", "refused"),
    [(133.0, False), (131.6, False), (131.5, True), (131.0, True)],
    ids=["where-names-start", "beyond-the-ticker-title-s-tolerance", "at-its-tolerance", "inside-it"],
)
def test_name_words_under_the_last_row_that_touch_a_ticker_title_on_its_right_are_a_lost_row(x0, refused):
    """Ticker right-aligned before Company, the names printed from 132, 2 pt right of the Ticker title
    (100-130): a row pitch under the last row, a word of capitals from `x0` in the name column is furniture
    while it keeps clear of the title (words within 1.5 pt of it touch it), a row whose columns were lost
    once it touches it, as on a Symbol title's left."""
    foot = Line(0, 128, tuple(_words(1, x0, "HOLDINGS")), "")
    page = _page(1, TICKER_FIRST, *_ticker_rows(x=132), foot)
    if refused:
        with pytest.raises(
            LostLineError, match=r"\(line 5: 'HOLDINGS'\): 5 lines, 3 row lines, 1 furniture, 0 unread$"
        ):
            parse_list((page,))
        return
    parsed = parse_list((page,))
    assert [r.symbol for r in parsed.rows] == ["AAA", "BB", "GGGG"] and parsed.unread == ()
    assert parsed.accounts == (PageAccount(1, 5, rows=3, furniture=2, unread=0),)


@pytest.mark.parametrize(
    ("under", "joined"),
    [
        ((("HOLDINGS", 4.0), ("GROUP", 7.0)), "BETA INC HOLDINGS GROUP"),  # two lines, each closer than 8 pt
        (
            (("HOLDINGS", 8.0),),
            None,
        ),  # 0.8 of the 10 pt pitch: not the rest of its name, and inside the table
    ],
    ids=["two-lines", "at-0.8-pitch"],
)
def test_name_words_met_before_the_pitch_is_known_are_judged_by_it_as_any_wrap(under, joined):
    """Page 1 holds one row; page 2, carried, a first row (with its sector) and the name words under it,
    then rows 10 pt apart. The words are the rest of the name while each line lies closer than 0.8 pitch
    under the one before, the row whole otherwise (table, symbol and sector kept); at 0.8 pitch they are
    not, and lie inside the table: the list is refused naming the line."""
    titles = ((50.0, 90.0, "Company"), (300.0, 330.0, "Symbol"), (400.0, 440.0, "Sector"))
    header = Line(0, 80, tuple(Word(t, a, b, k) for k, (a, b, t) in enumerate(titles)), "")

    def row(y: float, company: str, symbol: str) -> Line:
        line = _row(0, y, company, symbol)
        return dataclasses.replace(line, words=(*line.words, Word("Energy", 400, 430, 2)))  # its sector

    first = _page(1, header, row(92, "ALPHA CORP", "ALPHA"))
    words = [_text(0, 60 + dy, text) for text, dy in under]
    second = _page(
        2, row(60, "BETA INC", "BETAX"), *words, row(70, "GAMMA CO", "GAMMA"), row(80, "DELTA CO", "DELTA")
    )
    if joined is None:
        with pytest.raises(LostLineError, match=r"^page 2: 1 line\(s\) .* \(line 2: 'HOLDINGS'\)"):
            parse_list((first, second))
        return
    parsed = parse_list((first, second))
    assert parsed.rows[1] == lists.ListRow(2, 1, 0, joined, "BETAX", "Energy") and parsed.unread == ()


def test_a_name_wrapped_onto_a_line_of_notice_words_is_joined_and_the_table_reaches_past_it():
    """The rest of a name printed under its row may be words a notice is made of (`OF THE`): it is joined
    to the name, and a lost row under it is still within the table's reach, so unread, as under any
    wrapped name (the notice rule reads only lines that no row took)."""
    rows = _rows(92, ("ALPHA CORP", "ALPHA"), ("BANK", "BOT"))
    lines = [_header(0, 80), *rows, _text(0, 110, "OF THE"), _broken(122)]
    parsed = parse_list((_page(1, *lines),))
    assert [(r.company, r.symbol) for r in parsed.rows] == [("ALPHA CORP", "ALPHA"), ("BANK OF THE", "BOT")]
    assert [(u.line, u.text) for u in parsed.unread] == [(5, "ACME CORP AC ME")]


# --- Carried pages: the pitch they are judged by, the columns they are read at, and where they reach ---


def test_the_rest_of_a_carried_first_name_is_judged_by_the_pitch_of_its_own_table_not_a_later_one_s():
    """Page 1's table prints rows 12 pt apart. Page 2 carries it on for one row, its name wrapped 9 pt under
    it, then opens a table of its own whose four rows stand 10 pt apart. The wrap lies closer than 0.8 of its
    table's pitch (9.6 pt): the rest of that row's name, joined to it (by the document's pitch, 10 pt, set by
    the later table, it is not, and the row would lose it without a word)."""
    first = _page(1, _header(0, 80), *_rows(92, *CLEAN))
    later = (("EPSILON CO", "EP"), ("ZETA INC", "ZETA"), ("ETA CORP", "ETA"), ("THETA CO", "TH"))
    second = _page(
        2,
        _row(0, 40, "DELTA INTERNATIONAL", "DELTA"),
        _text(0, 49, "HOLDINGS"),
        _header(0, 70),
        *[_row(0, 80 + 10 * k, company, symbol) for k, (company, symbol) in enumerate(later)],
    )
    parsed = parse_list((first, second))
    assert [(r.page, r.line, r.company) for r in parsed.rows if r.page == 2] == [
        (2, 1, "DELTA INTERNATIONAL HOLDINGS"),
        *[(2, 4 + k, company) for k, (company, _) in enumerate(later)],
    ]
    assert parsed.unread == () and parsed.accounts[1] == PageAccount(2, 7, rows=6, furniture=1, unread=0)


def _left(y: float, company: str, symbol: str, dx: float = 0.0) -> Line:
    """A row whose symbol is printed from the Symbol title's left edge (300), `dx` points along the line."""
    words = (*_words(0, 50 + dx, company), Word(symbol, 300 + dx, 300 + dx + 8 * len(symbol), 1))
    return Line(0, y, words, f"{company}\t{symbol}")


def test_rows_a_page_without_a_header_sets_left_where_the_pages_before_centred_their_symbols_are_unread():
    """Page 1 centres symbols of every width under their title; page 2, without a header, prints its rows'
    symbols from the title's left edge. Page 2's own columns read them as rows (its symbols sit where its
    rows' do), but they stand at no alignment page 1 set, and no move of page 1's columns sets them there:
    each is named unread, the page's rows not read at columns the parser cannot place."""
    first = _page(1, _header(0, 80), *_rows(92, *CLEAN))
    second = _page(2, _left(60, "DELTA CORP", "DELTA"), _left(72, "EPSILON CO", "EP"))
    parsed = parse_list((first, second))
    assert [r.symbol for r in parsed.rows] == ["ALPHA", "BET", "GA"]
    assert [(u.page, u.line, u.text) for u in parsed.unread] == [
        (2, 1, "DELTA CORP DELTA"),
        (2, 2, "EPSILON CO EP"),
    ]
    assert parsed.pages[1].kind == "furniture"
    assert parsed.accounts[1] == PageAccount(2, 2, rows=0, furniture=0, unread=2)


def test_a_note_in_prose_under_a_carried_page_s_rows_ending_in_a_code_where_symbols_stand_is_furniture():
    """Page 2 carries the table on without its header. Under its last row, a note in prose runs across the
    columns in one run of text, ending in an exchange's code of eight letters centred where the symbols
    stand. The page's own columns read it as a row; the columns of the pages before do not (no symbol a page
    without a header keeps is eight letters long). A line crossing the columns as prose does ends the table:
    the note is furniture, not a row lost."""
    prose = _words(0, 50, "Prices at the close on")
    note = Line(0, 84, (*prose, Word("NASDAQGS", 295, 335, 0)), "Prices at the close on NASDAQGS")
    first = _page(1, _header(0, 80), *_rows(92, *CLEAN))
    second = _page(2, *_rows(60, ("DELTA CORP", "DELTA"), ("EPSILON CO", "EP")), note)
    parsed = parse_list((first, second))
    assert [(r.page, r.symbol) for r in parsed.rows if r.page == 2] == [(2, "DELTA"), (2, "EP")]
    assert parsed.unread == () and parsed.accounts[1] == PageAccount(2, 3, rows=2, furniture=1, unread=0)


def test_a_row_whose_columns_were_lost_over_a_carried_page_s_first_row_is_refused_under_a_running_head():
    """Page 2 carries the table on without its header: a running head at its top, then a row whose name runs
    into the Symbol title without a symbol (its columns lost), the rest of its name under it, and the page's
    rows. From its first row the table reaches up over the rest of that name to the lost row, and stops at
    the running head: the lost row is inside the table, and the list is refused naming it."""
    lost = Line(0, 48, (Word("OMEGA", 50, 75, 0), Word("TECHNOLOGIESLTD", 230, 302, 0)), "")
    head = _text(0, 36, "Russell 3000 Index Membership list")
    rows = _rows(60, ("DELTA CORP", "DELTA"), ("EPSILON CO", "EP"))
    second = _page(2, head, lost, _text(0, 54, "HOLDINGS"), *rows)
    with pytest.raises(
        LostLineError,
        match=(
            r"^page 2: 1 line\(s\) .* \(line 2: 'OMEGA TECHNOLOGIESLTD'\): "
            r"5 lines, 2 row lines, 2 furniture, 0 unread$"
        ),
    ):
        parse_list((_page(1, _header(0, 80), *_rows(92, *CLEAN)), second))


def _moved(line: Line, dx: float) -> Line:
    return dataclasses.replace(line, words=tuple(w._replace(x0=w.x0 + dx, x1=w.x1 + dx) for w in line.words))


@pytest.mark.parametrize("dx", [-30.0, -12.0, -5.0])
@pytest.mark.parametrize("long_first", [True, False], ids=["long-name-first", "long-name-second"])
def test_a_long_name_printed_up_to_its_symbol_on_a_page_moved_left_is_a_row(dx, long_first):
    """Page 1 centres its symbols, one row's long name printed up to its symbol in one run. Page 2, without
    a header, is set `dx` points left of it, and prints such a row beside another: the run is split at the
    columns' starts moved with the page, left as its titles are, and both rows are read at the move."""
    first = _page(1, _header(0, 80), *_rows(92, *CLEAN), _long(0, 128))
    lines = [_row(0, 60, "DELTA CORP", "DELTA"), _long(0, 72, "WIDE")]
    lines = lines[::-1] if long_first else lines
    second = _page(2, *[_moved(dataclasses.replace(line, y=60 + 12 * k), dx) for k, line in enumerate(lines)])
    parsed = parse_list((first, second))
    assert [r.symbol for r in parsed.rows if r.page == 2] == [r.words[-1].text for r in lines]
    assert parsed.unread == ()
    held = "no header; 2 row(s) at the columns of the pages before"
    assert parsed.pages[1].reason == f"{held}, moved {dx:+.1f} pt"


@pytest.mark.parametrize("dx", [-30.0, -12.0, 12.0, 20.0, 45.0])
def test_a_moved_page_of_columns_left_aligned_and_of_every_width_is_moved_by_its_cells_left_edges(dx):
    """Page 1 prints names and symbols from their titles' left edges, of every width, each cell wider or
    narrower than its title: only their left edges keep one offset from the titles. Page 2, without a header,
    is moved `dx` along the line: the move is measured at the cells' left edges, and its rows read whole
    there."""
    names = (("ALPHA CORP", "AB"), ("BETA INC", "BETAX"), ("GAMMA CO", "GAMMAS"))
    first = _page(1, _header(0, 80), *[_left(92 + 12 * k, c, s) for k, (c, s) in enumerate(names)])
    second = _page(2, _left(60, "DELTA CORP", "DELTA", dx), _left(72, "EPSILON CO", "EP", dx))
    parsed = parse_list((first, second))
    assert [(r.page, r.symbol) for r in parsed.rows if r.page == 2] == [(2, "DELTA"), (2, "EP")]
    assert parsed.unread == ()
    held = "no header; 2 row(s) at the columns of the pages before"
    assert parsed.pages[1].reason == f"{held}, moved {dx:+.1f} pt"


@pytest.mark.parametrize("code", ["NASDAQGS", "NYSEARCA"])
def test_a_note_in_prose_under_a_list_in_capitals_ending_in_a_code_where_symbols_stand_is_no_row(code):
    """Under the rows of a list that prints its names in capitals, a note in prose runs across the columns
    in one run of text and ends in an exchange's code centred where the symbols stand. A long name printed
    up to its symbol reads so too, but in capitals: the note is furniture, never a row of the list."""
    note = Line(0, 140, (*_words(0, 50, "Prices at the close on"), Word(code, 295, 335, 0)), "")
    parsed = parse_list((_page(1, _header(0, 80), *_rows(92, *CLEAN), note),))
    assert [r.symbol for r in parsed.rows] == ["ALPHA", "BET", "GA"]
    assert parsed.unread == () and parsed.accounts[0] == PageAccount(1, 5, rows=3, furniture=2, unread=0)


def test_a_list_in_mixed_case_reads_a_long_name_printed_up_to_its_symbol():
    """A list that prints its names in mixed case: a long name in one run up to its symbol, where the
    symbols stand, is its row, as in a list in capitals."""
    long = "Federal Agricultural Mortgage Corporation of America"
    named = (("Alpha Corp", "ALPHA"), ("Beta Inc", "BET"))
    run = Line(0, 116, (*_words(0, 50, long, x1=292), Word("FAMC", 298, 330, 0)), "")
    parsed = parse_list((_page(1, _header(0, 80), *_rows(92, *named), run),))
    assert [(r.company, r.symbol) for r in parsed.rows] == [*named, (long, "FAMC")]
    assert parsed.unread == ()
