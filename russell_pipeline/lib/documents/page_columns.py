"""The column model of a list's tables on a page: which column each word of a line belongs to.

A header prints each column's title; the rows under it may be aligned left, centred or right under
that title, and the title itself may be narrower or wider than what it heads. So a column is not
where its title starts: it is learned from the page. A cell of a row (a run of words with no
column-sized gap) that touches one title's span alone is an observation of that column; the lines
that hold observations of two or more columns are the page's rows, and together with the titles they
give each column
- where it starts taking words: the leftmost start of its title or of any of its cells, less a
  tolerance (a centred or right-aligned column reaches left of its title);
- how its rows are aligned: left, centre or right, whichever edge of the cells keeps one offset from
  the title's (the band of offsets seen, so a symbol printed up to a long name can be recognized as
  sitting where the column's symbols sit); each of them where the cells cannot tell them apart (all
  of one width, as a page of symbols of one length prints them).

A cell that touches one title goes whole to that column; a cell that touches several (a name run up
to its symbol, a notice spanning the page) is split word by word at the columns' starts, and the line
is marked as spanning columns.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from russell_pipeline.lib.documents.textlayer import Line, Word

TOLERANCE = 1.5  # points: a title and the words under it agree to well under this
ANCHORS = ("left", "centre", "right")
_LOWER = re.compile(r"[a-z]")


@dataclass(frozen=True, slots=True)
class Column:
    table: int  # 0 for the left table of side-by-side tables
    kind: str  # company | symbol | sector
    x0: float  # the title's span
    x1: float


@dataclass(frozen=True, slots=True)
class Model:
    columns: tuple[Column, ...]  # in x order of their titles
    starts: tuple[float, ...]  # where each column starts taking words
    # per column: (anchor, lowest, highest offset seen) of each alignment its cells admit
    anchors: tuple[tuple[tuple[str, float, float], ...], ...]


@dataclass(frozen=True, slots=True)
class Split:
    """A line's words by table and column; `aligned`: the columns whose words are one run of text (a
    row prints one in each column) sitting where the column's rows do; `spans`: a run of words that no
    row prints crosses column boundaries (`_spans`)."""

    cols: tuple[dict[str, list[str]], ...]
    aligned: tuple[frozenset[str], ...]
    spans: bool


def _touching(columns: tuple[Column, ...], a: float, b: float) -> list[int]:
    return [j for j, c in enumerate(columns) if a <= c.x1 + TOLERANCE and b >= c.x0 - TOLERANCE]


def _offset(anchor: str, column: Column, a: float, b: float) -> float:
    if anchor == "left":
        return a - column.x0
    if anchor == "right":
        return b - column.x1
    return (a + b - column.x0 - column.x1) / 2


def learn(columns: tuple[Column, ...], lines: tuple[Line, ...] | list[Line]) -> Model:
    """The model of `columns` (titles in x order) from the lines under their header on one page."""
    seen: list[list[tuple[float, float]]] = [[] for _ in columns]
    for line in lines:
        clean = []
        for cell in line.cells():
            a, b = cell[0].x0, cell[-1].x1
            hit = _touching(columns, a, b)
            if len(hit) == 1:
                clean.append((hit[0], a, b))
        if len({j for j, _, _ in clean}) >= 2:  # a row, not a title or a notice in one run
            for j, a, b in clean:
                seen[j].append((a, b))
    starts, anchors = [], []
    for column, cells in zip(columns, seen, strict=True):
        starts.append(min([column.x0, *(a for a, _ in cells)]) - TOLERANCE)
        if not cells:
            anchors.append((("left", 0.0, 0.0),))
            continue
        bands = {anchor: [_offset(anchor, column, a, b) for a, b in cells] for anchor in ANCHORS}
        spread = {anchor: max(band) - min(band) for anchor, band in bands.items()}
        anchors.append(
            tuple(
                (anchor, min(band), max(band))
                for anchor, band in bands.items()
                if spread[anchor] <= min(spread.values()) + TOLERANCE
            )
        )
    return Model(columns, tuple(starts), tuple(anchors))


def split(line: Line, model: Model, tables: int) -> Split:
    """The words of `line` by table and column (a word left of every column is left out)."""
    cols: list[dict[str, list[str]]] = [{} for _ in range(tables)]
    by_column: dict[int, list[Word]] = {}
    crossing = False
    for cell in line.cells():
        hit = _touching(model.columns, cell[0].x0, cell[-1].x1)
        at = [hit[0]] * len(cell) if len(hit) == 1 else [bisect_right(model.starts, w.x0) - 1 for w in cell]
        if len(hit) > 1:
            at = _aligned_tail(model, cell, hit[-1], at)
            crossing = crossing or _spans(model, cell, at)
        for w, j in zip(cell, at, strict=True):
            if j >= 0:
                by_column.setdefault(j, []).append(w)
    aligned: list[set[str]] = [set() for _ in range(tables)]
    for j in sorted(by_column):
        column, words = model.columns[j], by_column[j]
        cols[column.table].setdefault(column.kind, []).extend(w.text for w in words)
        if len({w.cell for w in words}) == 1 and _aligned(model, j, words):
            aligned[column.table].add(column.kind)
    return Split(tuple(cols), tuple(frozenset(a) for a in aligned), crossing)


def moved(model: Model, dx: float) -> Model:
    """`model` printed `dx` points further right (a page set with another margin): its titles and starts
    moved, its rows' offsets from their titles the same."""
    columns = tuple(Column(c.table, c.kind, c.x0 + dx, c.x1 + dx) for c in model.columns)
    return Model(columns, tuple(s + dx for s in model.starts), model.anchors)


def placed(model: Model, line: Line) -> bool:
    """Every run of `line`'s words touches one column's title alone: none crosses into the next column or
    stands left of them all, as each cell of a row does (unless its name runs up to its symbol)."""
    return all(len(_touching(model.columns, cell[0].x0, cell[-1].x1)) == 1 for cell in line.cells())


def shifts(model: Model, line: Line) -> set[float]:
    """The shifts along x (`moved`) that would set a run of `line`'s words where the rows of one of the
    model's columns sit, at the middle of the offsets seen at one of its alignments: where the line may be
    a row of the model moved (the column whose rows sit closest together sets it most exactly)."""
    return {
        round(_offset(anchor, column, cell[0].x0, cell[-1].x1) - (low + high) / 2, 1)
        for cell in line.cells()
        for column, anchors in zip(model.columns, model.anchors, strict=True)
        for anchor, low, high in anchors
    }


def _aligned(model: Model, j: int, words: list[Word]) -> bool:
    """`words` (one run) sit where column `j`'s rows sit, at one of the alignments its cells admit."""
    column = model.columns[j]
    return any(
        low - TOLERANCE <= _offset(anchor, column, words[0].x0, words[-1].x1) <= high + TOLERANCE
        for anchor, low, high in model.anchors[j]
    )


def _aligned_tail(model: Model, cell: list[Word], last: int, at: list[int]) -> list[int]:
    """`at` (the column of each word of a run that touches several titles, by the columns' starts) with the
    words that column `last` (the rightmost the run touches) prints at the run's end set where its rows
    sit. A start learned from other rows than this one's (a centred sector or symbol wider, or narrower,
    than any the page printed alone) can cut a run printed up to the column short of them, or into the
    name before them: where the words the start gives the column do not sit where its rows do, the split
    nearest to it that does, the column before keeping a word."""
    k = len(at)
    while k and at[k - 1] == last:
        k -= 1
    if k < len(at) and _aligned(model, last, cell[k:]):
        return at
    if model.columns[last - 1].table != model.columns[last].table:
        return at
    lo = k  # the run's words in the two columns are cell[lo:]
    while lo and at[lo - 1] == last - 1:
        lo -= 1
    splits = [m for m in range(lo + 1, len(at)) if _aligned(model, last, cell[m:])]
    if not splits:
        return at
    m = min(splits, key=lambda m: abs(m - k))
    return [*at[:lo], *[last - 1] * (m - lo), *[last] * (len(at) - m)]


def _spans(model: Model, cell: list[Word], at: list[int]) -> bool:
    """A run of words that is not a row's: it crosses from one table into another, or over two column
    boundaries, or it is prose (lower case outside a sector column). A name run up to its symbol, or to
    its sector, crosses one boundary, its name in capitals. `at`: the column of each word."""
    reached = set(at) - {-1}
    if len(reached) < 2:
        return False
    tables = {model.columns[j].table for j in reached}
    return (
        len(tables) > 1
        or max(reached) - min(reached) > 1
        or any(
            _LOWER.search(w.text) and (j < 0 or model.columns[j].kind != "sector")
            for w, j in zip(cell, at, strict=True)
        )
    )
