"""The column model (lib/documents/page_columns.py) on words placed by hand: where each column starts taking
words and how its rows are aligned, learned from the page; which column each word of a line goes to;
which runs of words cross the columns the way prose does."""

from __future__ import annotations

from bisect import bisect_right

import pytest

from russell_pipeline.lib.documents.page_columns import (
    TOLERANCE,
    Column,
    Model,
    Split,
    _spans,
    _touching,
    learn,
    split,
)
from russell_pipeline.lib.documents.textlayer import Line, Word

# Company over 50-90, Symbol over 300-330, Sector over 400-440; a second table from 500.
COMPANY, SYMBOL, SECTOR = (
    Column(0, "company", 50, 90),
    Column(0, "symbol", 300, 330),
    Column(0, "sector", 400, 440),
)
ONE = (COMPANY, SYMBOL)
TWO = (COMPANY, SYMBOL, Column(1, "company", 500, 540), Column(1, "symbol", 700, 730))


def _line(*cells: tuple[float, float, str]) -> Line:
    """Each (x0, x1, text) one cell; a cell's words share its span evenly, 1 pt apart."""
    words = []
    for k, (x0, x1, text) in enumerate(cells):
        parts = text.split()
        step = (x1 - x0 + 1) / len(parts)
        words += [Word(w, x0 + i * step, x0 + (i + 1) * step - 1, k) for i, w in enumerate(parts)]
    return Line(1, 10.0, tuple(words), "")


def _cells(*cells: list[tuple[float, float, str]]) -> Line:
    """Each list one cell of words, each word at its own (x0, x1)."""
    words = (Word(t, a, b, k) for k, cell in enumerate(cells) for a, b, t in cell)
    return Line(1, 10.0, tuple(words), "")


def _run(*words: tuple[float, float, str]) -> Line:
    """One cell of words, each at its own (x0, x1)."""
    return _cells(list(words))


def test_a_centred_column_starts_where_its_widest_row_does_and_is_known_as_centred():
    lines = [
        _line((50, 120, "ALPHA CORP"), (305, 325, "ALP")),
        _line((50, 100, "BETA"), (295, 335, "BETAX")),
        _line((50, 150, "GAMMA HOLDINGS"), (310, 320, "G")),
    ]
    model = learn(ONE, lines)
    assert model.starts == (50 - TOLERANCE, 295 - TOLERANCE)
    assert model.anchors == ((("left", 0.0, 0.0),), (("centre", 0.0, 0.0),))


def test_left_and_right_aligned_columns_and_the_band_of_their_offsets():
    lines = [
        _line((52, 120, "ALPHA CORP"), (320, 330, "A")),
        _line((50, 100, "BETA"), (290, 331, "BETAX")),
        _line((51, 150, "GAMMA HOLDINGS"), (310, 329, "GA")),
    ]
    model = learn(ONE, lines)
    assert model.starts == (50 - TOLERANCE, 290 - TOLERANCE)
    assert model.anchors == ((("left", 0.0, 2.0),), (("right", -1.0, 1.0),))


def test_only_lines_with_two_columns_are_rows_the_model_learns_from():
    lines = [
        _line((10, 45, "LEFT NOTE")),  # one run left of every title: touches none
        _line((40, 60, "TITLE")),  # one column only: a title, not a row
        _line((60, 320, "A NOTICE SPANNING BOTH TITLES"), (400, 420, "X")),  # touches two titles at once
        _line((70, 120, "ALPHA CORP"), (302, 318, "ALP")),
    ]
    model = learn(ONE, lines)
    assert model.starts == (50 - TOLERANCE, 300 - TOLERANCE)  # the row's cells lie right of the titles
    # One row: its cells cannot tell left from centre from right, so each alignment holds.
    assert [[a for a, _, _ in column] for column in model.anchors] == [["left", "centre", "right"]] * 2
    assert model.anchors[0][0] == ("left", 20.0, 20.0) and model.anchors[1][0] == ("left", 2.0, 2.0)


def test_a_column_without_rows_starts_at_its_title_and_is_left_aligned():
    model = learn((COMPANY, SYMBOL, SECTOR), [_line((50, 120, "ALPHA CORP"), (305, 325, "ALP"))])
    assert model.starts[2] == 400 - TOLERANCE and model.anchors[2] == (("left", 0.0, 0.0),)


def test_cells_of_one_width_admit_every_alignment_and_cells_of_several_only_theirs():
    same = learn(ONE, [_line((50, 90, "A"), (300, 330, "SYM")), _line((50, 90, "B"), (300, 330, "SYX"))])
    assert same.anchors == ((("left", 0.0, 0.0), ("centre", 0.0, 0.0), ("right", 0.0, 0.0)),) * 2
    centred = learn(
        ONE, [_line((50, 90, "A"), (305, 325, "S")), _line((50, 90, "B"), (295, 335, "SS"))]
    )  # right varies as much as left; the centre does not
    assert centred.anchors[1] == (("centre", 0.0, 0.0),)
    # Widths 1.5 pt apart cannot tell them apart either; 2 pt apart can.
    close = learn(ONE, [_line((50, 90, "A"), (300, 330, "SY")), _line((50, 90, "B"), (300, 331.5, "SY"))])
    assert [a for a, _, _ in close.anchors[1]] == ["left", "centre", "right"]
    apart = learn(ONE, [_line((50, 90, "A"), (300, 330, "SY")), _line((50, 90, "B"), (300, 332, "SY"))])
    assert [a for a, _, _ in apart.anchors[1]] == ["left", "centre"]


MODEL = Model(ONE, (50 - TOLERANCE, 293.5), ((("left", 0.0, 0.0),), (("centre", -1.0, 1.0),)))


def test_a_cell_touching_one_title_goes_whole_to_its_column():
    got = split(_line((50, 292, "A LONG NAME ENDING LEFT OF THE START"), (300, 330, "SYM")), MODEL, 1)
    name = ["A", "LONG", "NAME", "ENDING", "LEFT", "OF", "THE", "START"]
    assert got.cols == ({"company": name, "symbol": ["SYM"]},)
    assert got.aligned == (frozenset({"company", "symbol"}),) and not got.spans


def test_a_cell_touching_two_titles_is_split_word_by_word_at_the_starts():
    cell = _run((50, 80, "AMERICAN"), (82, 292, "HOLDINGS"), (293.5, 336.5, "WIDEX"))
    got = split(cell, MODEL, 1)
    assert got.cols == ({"company": ["AMERICAN", "HOLDINGS"], "symbol": ["WIDEX"]},)
    assert got.aligned == (frozenset({"company", "symbol"}),) and not got.spans
    off = split(_run((50, 80, "AMERICAN"), (82, 250, "HOLDINGS"), (280, 323, "WIDEX")), MODEL, 1)
    assert off.cols == ({"company": ["AMERICAN", "HOLDINGS", "WIDEX"]},)  # left of the symbol's start


@pytest.mark.parametrize(
    ("words", "cols"),
    [
        # A symbol 0.5 pt left of the start the page's symbols set, centred where they sit: the symbol's.
        (
            ((50, 80, "AMERICAN"), (82, 292, "HOLDINGS"), (293, 336, "WIDEX")),
            (["AMERICAN", "HOLDINGS"], ["WIDEX"]),
        ),
        # A name's last word right of a start set too far left: the start gives the column "CO WIDEX",
        # which does not sit where its rows do; "WIDEX" alone does.
        (
            ((50, 80, "AMERICAN"), (82, 250, "HOLDINGS"), (294, 301, "CO"), (303, 327, "WIDEX")),
            (["AMERICAN", "HOLDINGS", "CO"], ["WIDEX"]),
        ),
        # Nothing sits where the symbols do: the starts decide.
        (
            ((50, 80, "AMERICAN"), (82, 250, "HOLDINGS"), (280, 323, "WIDEX")),
            (["AMERICAN", "HOLDINGS", "WIDEX"], None),
        ),
    ],
    ids=["pulled-into-the-symbol", "pushed-out-of-the-symbol", "not-aligned"],
)
def test_a_run_up_to_a_centred_column_gives_it_the_words_that_sit_where_its_rows_do(words, cols):
    """MODEL's symbols are centred (offsets -1 to 1) and start at 293.5."""
    got = split(_run(*words), MODEL, 1)
    company, symbol = cols
    assert got.cols == ({"company": company, **({"symbol": symbol} if symbol else {})},)
    assert ("symbol" in got.aligned[0]) is (symbol is not None)


# Symbols centred within 8 pt either way of their title's centre (315): two splits of a run can sit there.
LOOSE = Model(ONE, (48.5, 293.5), ((("left", 0.0, 0.0),), (("centre", -8.0, 8.0),)))
# A company and a sector centred under its title (400-440, centre 420), the sector's start at 410.
CENTRED_SECTOR = Model((COMPANY, SECTOR), (48.5, 410.0), ((("left", 0.0, 0.0),), (("centre", -1.0, 1.0),)))
# Two tables, each with its symbols centred (the right one's title at 700-730, centre 715).
TWO_CENTRED = Model(TWO, (48.5, 293.5, 498.5, 693.5), ((("left", 0.0, 0.0),), (("centre", -1.0, 1.0),)) * 2)


@pytest.mark.parametrize(
    ("model", "words", "table", "cols"),
    [
        # The starts give the symbol WIDEX, which sits there; so would X WIDEX: the starts' split stands.
        (
            LOOSE,
            ((50, 80, "AMERICAN"), (82, 250, "HOLDINGS"), (290, 296, "X"), (298, 332, "WIDEX")),
            0,
            {"company": ["AMERICAN", "HOLDINGS", "X"], "symbol": ["WIDEX"]},
        ),
        # A one-word name, the start (410) inside the sector: Consumer Staples sits at the centre.
        (
            CENTRED_SECTOR,
            ((50, 80, "ACME"), (385, 418, "Consumer"), (420, 455, "Staples")),
            0,
            {"company": ["ACME"], "sector": ["Consumer", "Staples"]},
        ),
        # The right table of two: its symbol 0.3 pt left of its start, centred where its symbols sit.
        (
            TWO_CENTRED,
            ((500, 530, "OMEGA"), (532, 690, "HOLDINGS"), (693.2, 736.8, "WIDEX")),
            1,
            {"company": ["OMEGA", "HOLDINGS"], "symbol": ["WIDEX"]},
        ),
        # The starts give the symbol nothing; X WIDEX and WIDEX both sit there: the one nearest the starts'.
        (
            LOOSE,
            ((50, 80, "AMERICAN"), (82, 250, "HOLDINGS"), (284, 290, "X"), (292, 336, "WIDEX")),
            0,
            {"company": ["AMERICAN", "HOLDINGS", "X"], "symbol": ["WIDEX"]},
        ),
        # A run over three columns (a symbol run into the name and the sector): only the sector's part moves.
        (
            Model(
                (COMPANY, SYMBOL, SECTOR),
                (48.5, 298.5, 410.0),
                ((("left", 0.0, 0.0),), (("left", 0.0, 0.0),), (("centre", -1.0, 1.0),)),
            ),
            ((50, 80, "ACME"), (300, 320, "ACM"), (385, 418, "Consumer"), (420, 455, "Staples")),
            0,
            {"company": ["ACME"], "symbol": ["ACM"], "sector": ["Consumer", "Staples"]},
        ),
    ],
    ids=["starts-kept-where-they-sit", "one-word-name", "right-table", "nearest-of-two", "three-columns"],
)
def test_a_run_s_split_is_the_starts_where_they_sit_else_the_nearest_that_sits(model, words, table, cols):
    got = split(_run(*words), model, 1 + table)
    assert got.cols[table] == cols and cols.keys() <= got.aligned[table]


def test_a_run_centred_on_a_column_as_a_whole_leaves_the_column_before_its_words():
    """A notice centred on the page, over the Company and Symbol titles, centred where the symbols sit:
    no split that leaves the company a word sits there, so the starts decide (none goes whole to the
    symbol)."""
    got = split(_run((60, 95, "SEE"), (100, 560, "NOTES"), (562, 570, "X")), MODEL, 1)
    assert got.cols == ({"company": ["SEE", "NOTES"], "symbol": ["X"]},) and "symbol" not in got.aligned[0]


@pytest.mark.parametrize(("x0", "aligned"), [(307.5, True), (307.4, False), (312.5, True), (312.6, False)])
def test_a_word_sits_where_its_column_s_rows_do_up_to_the_tolerance_beyond_the_band(x0, aligned):
    """MODEL's symbols are centred, offsets -1 to 1 from the title's centre (315), and the tolerance is 1.5:
    a symbol 10 pt wide from `x0` is centred `x0 - 310` from it, so it sits there from 307.5 to 312.5."""
    got = split(_line((50, 90, "ACME"), (x0, x0 + 10, "ACM")), MODEL, 1)
    assert ("symbol" in got.aligned[0]) is aligned


def test_words_left_of_every_column_are_left_out():
    got = split(_line((10, 20, "7"), (50, 90, "ALPHA"), (300, 330, "ALP")), MODEL, 1)
    assert got.cols == ({"company": ["ALPHA"], "symbol": ["ALP"]},)
    assert split(_line((10, 40, "NOTE")), MODEL, 1).cols == ({},)


@pytest.mark.parametrize(
    ("symbol", "aligned"),
    [
        ((300, 330), True),  # centred: offset 0
        ((301 + TOLERANCE, 331 + TOLERANCE), True),  # offset 1 + TOLERANCE: at the band's edge
        ((302 + TOLERANCE, 332 + TOLERANCE), False),
        ((299 - TOLERANCE, 329 - TOLERANCE), True),  # offset -1 - TOLERANCE
        ((298 - TOLERANCE, 328 - TOLERANCE), False),
    ],
    ids=["centre", "high-edge", "past-high", "low-edge", "past-low"],
)
def test_a_column_is_aligned_when_its_words_sit_within_the_band_of_its_rows(symbol, aligned):
    got = split(_line((50, 90, "ALPHA"), (*symbol, "ALP")), MODEL, 1)
    assert ("symbol" in got.aligned[0]) is aligned and "company" in got.aligned[0]


def test_a_column_holding_two_runs_of_text_is_not_where_a_rows_cell_sits():
    """A row prints one run of text in each column: region heads side by side (`NORTH AMERICA` and
    `ASIA-PACIFIC` both in the company column, `EMEA` at the symbol's) do not sit as a row's cells."""
    heads = split(_line((50, 120, "NORTH AMERICA"), (200, 260, "ASIA-PACIFIC"), (300, 330, "EMEA")), MODEL, 1)
    assert heads.cols == ({"company": ["NORTH", "AMERICA", "ASIA-PACIFIC"], "symbol": ["EMEA"]},)
    assert heads.aligned == (frozenset({"symbol"}),)
    row = split(_run((50, 80, "AMERICAN"), (82, 292, "HOLDINGS"), (293.5, 336.5, "WIDEX")), MODEL, 1)
    assert row.aligned == (frozenset({"company", "symbol"}),)  # one run, split at the symbol's start


def test_side_by_side_tables_get_their_own_columns():
    model = Model(TWO, (48.5, 298.5, 498.5, 698.5), ((("left", 0.0, 0.0),),) * 4)
    got = split(_line((50, 90, "ALPHA"), (300, 330, "ALP"), (500, 540, "OMEGA"), (700, 730, "OMG")), model, 2)
    assert got.cols == ({"company": ["ALPHA"], "symbol": ["ALP"]}, {"company": ["OMEGA"], "symbol": ["OMG"]})
    assert got.aligned == (frozenset({"company", "symbol"}), frozenset({"company", "symbol"}))


WITH_SECTOR = Model((COMPANY, SYMBOL, SECTOR), (48.5, 298.5, 398.5), ((("left", 0.0, 0.0),),) * 3)
PROSE_MODEL = Model(TWO, (48.5, 298.5, 498.5, 698.5), ((("left", 0.0, 0.0),),) * 4)
# Columns in another order: Sector over 50-120, Company over 200-240, Symbol over 400-430.
SECTOR_FIRST = Model(
    (Column(0, "sector", 50, 120), Column(0, "company", 200, 240), Column(0, "symbol", 400, 430)),
    (48.5, 198.5, 398.5),
    ((("left", 0.0, 0.0),),) * 3,
)


@pytest.mark.parametrize(
    ("model", "words", "spans"),
    [
        (WITH_SECTOR, [(50, 80, "ACME"), (300, 320, "ACM")], False),  # a name run up to its symbol
        (WITH_SECTOR, [(50, 80, "ACME"), (300, 320, "Acm")], True),  # in mixed case: prose
        (WITH_SECTOR, [(300, 320, "ACM"), (400, 420, "Energy")], False),  # a symbol run up to its sector
        (WITH_SECTOR, [(250, 290, "ACME"), (400, 420, "Health"), (425, 440, "Care")], True),  # two boundaries
        (WITH_SECTOR, [(50, 80, "ACME"), (300, 320, "ACM"), (400, 420, "ENERGY")], True),  # over two
        (WITH_SECTOR, [(50, 80, "ACME"), (90, 120, "CORP")], False),  # one column
        (WITH_SECTOR, [(10, 40, "see"), (50, 80, "ACME")], False),  # left of every column, then one
        (WITH_SECTOR, [(10, 40, "see"), (50, 80, "the"), (300, 320, "NOTES")], True),  # prose from the margin
        (PROSE_MODEL, [(300, 320, "ACM"), (500, 520, "OMEGA")], True),  # from one table into the other
        (PROSE_MODEL, [(50, 80, "ALPHA"), (300, 320, "ALP")], False),
        (SECTOR_FIRST, [(50, 80, "Health"), (85, 100, "Care"), (200, 230, "ACME")], False),  # sector to name
        (SECTOR_FIRST, [(50, 80, "Health"), (85, 100, "Care"), (200, 230, "Acme")], True),  # to mixed case
        (SECTOR_FIRST, [(10, 40, "see"), (50, 80, "Health"), (200, 230, "ACME")], True),  # from the margin
    ],
    ids=[
        "name-to-symbol",
        "mixed-case",
        "symbol-to-sector",
        "sector-case-over-two",
        "capitals-over-two",
        "one-column",
        "margin-then-one",
        "prose-from-the-margin",
        "across-tables",
        "left-table",
        "sector-first-to-name",
        "sector-first-to-mixed-case",
        "margin-then-sector-first",
    ],
)
def test_a_run_crosses_columns_as_prose_does(model, words, spans):
    at = [bisect_right(model.starts, a) - 1 for a, _, _ in words]  # each word's column, by the starts
    assert _spans(model, [Word(t, a, b, 0) for a, b, t in words], at) is spans


def test_a_line_spans_when_one_of_its_cells_crosses_as_prose_does():
    notice = _run((60, 80, "see"), (85, 100, "the"), (300, 320, "note"))  # one cell over both, mixed case
    assert split(notice, MODEL, 1).spans
    assert not split(_line((50, 90, "ACME"), (300, 330, "ACM")), MODEL, 1).spans


@pytest.mark.parametrize(
    ("a", "b", "touches"),
    [
        (330 + TOLERANCE, 340, True),  # starts at the symbol title's end widened by the tolerance
        (330 + TOLERANCE - 0.25, 340, True),
        (330 + TOLERANCE + 0.25, 340, False),
        (280, 300 - TOLERANCE, True),  # ends at the symbol title's start widened by the tolerance
        (280, 300 - TOLERANCE + 0.25, True),
        (280, 300 - TOLERANCE - 0.25, False),
    ],
    ids=["right-edge", "inside-right", "past-right", "left-edge", "inside-left", "past-left"],
)
def test_a_cell_touches_a_title_widened_by_the_tolerance_on_either_side_and_no_further(a, b, touches):
    assert _touching(ONE, a, b) == ([1] if touches else [])


def test_a_column_without_rows_leaves_the_columns_after_it_learned():
    """Side-by-side tables whose left names all run up to their symbols: the left table's cells touch
    two titles, so its columns see no row and keep their titles; the right table's are learned."""
    lines = [
        _cells([(50, 80, "ALPHA"), (300, 320, "ALP")], [(500, 560, "OMEGA")], [(705, 725, "OMG")]),
        _cells([(50, 80, "BETA"), (295, 335, "BETAX")], [(500, 600, "OMICRON")], [(700, 730, "OMIC")]),
    ]
    model = learn(TWO, lines)
    assert model.starts == (50 - TOLERANCE, 300 - TOLERANCE, 500 - TOLERANCE, 700 - TOLERANCE)
    assert model.anchors == (
        (("left", 0.0, 0.0),),
        (("left", 0.0, 0.0),),
        (("left", 0.0, 0.0),),
        (("centre", 0.0, 0.0),),
    )


@pytest.mark.parametrize("name", ["ALPHA CORP", "Alpha Corp"], ids=["capitals", "mixed-case"])
@pytest.mark.parametrize(
    "last",
    [(285, 292), (293.5 - 0.25, 297), (293.5, 297), (296, 300 - TOLERANCE - 0.25)],
    ids=["before-the-start", "just-before-the-start", "at-the-start", "past-the-start"],
)
def test_a_name_touching_only_its_title_goes_whole_to_it_past_a_centred_column_s_start(name, last):
    """MODEL's centred symbol column starts taking words at 293.5, left of its title (300): a name
    that ends short of the symbol's title touches the company's title alone and goes whole to it,
    whether its last word starts before the symbol's start, at it or past it; it is one run in one
    column, not a run crossing columns, in any case."""
    first, second = name.split()
    line = _cells([(50, 80, first), (*last, second)], [(305, 325, "ALP")])
    assert split(line, MODEL, 1) == Split(
        ({"company": [first, second], "symbol": ["ALP"]},), (frozenset({"company", "symbol"}),), False
    )


def test_a_run_from_the_margin_into_the_columns_leaves_out_only_its_words_left_of_every_column():
    run = _run((10, 20, "SEE"), (25, 40, "THE"), (50, 80, "ACME"), (300, 320, "ACM"))
    got = split(run, MODEL, 1)
    assert got.cols == ({"company": ["ACME"], "symbol": ["ACM"]},)
    assert got.spans is False  # a name run up to its symbol, in capitals


@pytest.mark.parametrize(
    "cells",
    [
        [[(60, 80, "see"), (85, 100, "the"), (300, 320, "note")], [(500, 520, "OMEGA"), (700, 720, "OMG")]],
        [[(50, 80, "ALPHA"), (300, 320, "ALP")], [(500, 520, "see"), (700, 720, "note")]],
        [[(60, 80, "see"), (300, 320, "note")], [(500, 520, "and"), (700, 720, "this")]],
    ],
    ids=["prose-then-a-row-s-run", "a-row-s-run-then-prose", "prose-twice"],
)
def test_a_line_spans_when_any_of_its_cells_crosses_as_prose_does_whatever_cells_follow(cells):
    model = PROSE_MODEL
    assert split(_cells(*cells), model, 2).spans is True
    rows = [[(50, 80, "ALPHA"), (300, 320, "ALP")], [(500, 520, "OMEGA"), (700, 720, "OMG")]]
    assert split(_cells(*rows), model, 2).spans is False  # two rows' runs: no cell crosses as prose
