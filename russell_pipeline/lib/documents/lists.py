"""One parser for FTSE Russell company lists (membership, additions, deletions).

The layout is detected, not configured: a header line made only of column titles
(Company or Company Name or Name, Symbol or Ticker, optionally Sector or Industry,
in any order) marks a table, its column order and its column spans; the same titles
repeated on one line mean tables side by side. Headers with each title in its own
cell (PDFs, tab-separated text) give a positioned table: each page's column model
(columns.py) says which column a word belongs to, whether the column is printed
left, centred or right under its title. A header in a single cell (space-separated
text) gives a token table: the symbol is one token and the sector a known name,
taken from the end of the line they are printed at, and the company is what is left.

Each table on a page runs from its header (or, carried over from an earlier page, from
the page top) to the page's next header. Within it, what lies between the header and the
last row is the table: a line there that holds data no row took is an unread line. Around
it is page furniture, never a row and never an unread line: everything above a page's
header, and what follows a table's last row (or, carried over, precedes its first) once a
line is further than one and a half row pitches from the table, crosses column boundaries
the way prose does, or is not a name in capitals.

Every line of every page is accounted for, and checked (`account_page`): lines = row lines +
furniture + unread lines. A line that is none of them was lost by the parser, and the document is
refused (LostLineError) rather than read without it.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field, replace

from russell_pipeline.lib.documents import furniture
from russell_pipeline.lib.documents.page_columns import (
    TOLERANCE,
    Column,
    Model,
    Split,
    learn,
    moved,
    placed,
    shifts,
    split,
)
from russell_pipeline.lib.documents.sectors import classification, is_sector, sector_width
from russell_pipeline.lib.documents.textlayer import Line, Page, Word

# Column titles as printed -> column; a title's words share one cell ("Company Name").
_TITLES = {
    ("company", "name"): "company",
    ("company",): "company",
    ("name",): "company",
    ("symbol",): "symbol",
    ("ticker",): "symbol",
    ("sector",): "sector",
    ("industry",): "sector",
}
_LONGEST_TITLE = max(map(len, _TITLES))
_TITLE_WORDS = frozenset(w for title in _TITLES for w in title)
# Symbols are kept as published (BRK.B, HEI.A, BELFB); anything else is not a row.
TICKER_RE = re.compile(r"^(?=.*[A-Z])[A-Z0-9][A-Z0-9./-]{0,11}$")
_LOWER_RE = re.compile(r"[a-z]")
_UPPER_RE = re.compile(r"[A-Z]")
_DIGIT_RE = re.compile(r"[0-9]")
_NUMBER_RE = re.compile(r"[0-9]+")
_LETTER_RE = re.compile(r"[^\W\d_]")
# A line of digits without letters holding at least this many is a telephone number, not a page's.
TELEPHONE_DIGITS = 7
# A line further than this many row pitches from its table's last (or first) line is not the table's.
PITCH_REACH = 1.5
# Name words closer than this many row pitches under a row are the rest of its name (a wrap).
WRAP_REACH = 0.8
# A text list's lines are a unit apart (pdftext.py): its smallest row pitch.
TEXT_LINE = 1.0
# On a page without a header, this many rows read at columns no earlier page set are a table's rows (the
# page is the table, set otherwise), not a heading in capitals over a block: unread, never furniture.
UNPLACED_ROWS = 2


class LayoutError(ValueError):
    """The document is a list but its table layout cannot be read."""


class LostLineError(LayoutError):
    """A line the parser neither read as a row, recognised as page furniture, nor reported unread: the
    line accounting (`account_page`) does not add up, and the document is refused rather than read
    without it."""


@dataclass(frozen=True, slots=True)
class Table:
    titles: tuple[tuple[str, float, float], ...]  # (column, title x0, title x1) in header order
    positioned: bool
    sector_header: str | None  # "Sector" or "Industry" as printed


@dataclass(frozen=True, slots=True)
class ListRow:
    page: int
    line: int
    table: int  # 0 for the left table of side-by-side tables
    company: str
    symbol: str
    sector: str | None


@dataclass(frozen=True, slots=True)
class Unread:
    """A line that holds data the parser did not read: a row lost, never a wrap or page furniture."""

    page: int
    line: int
    text: str
    tables: tuple[int, ...] = (0,)  # the tables (left to right) whose part of the line is lost


@dataclass(frozen=True, slots=True)
class ParsedList:
    rows: tuple[ListRow, ...]
    page_stats: tuple[tuple[int, int, int], ...]  # (page, data lines = rows + unread lines, rows)
    tables_found: bool
    classification: str | None  # ICB | RGS | None (no sector column)
    table_lines: frozenset[tuple[int, int]]  # (page, line) of headers and rows
    unread: tuple[Unread, ...] = ()
    sector_column: bool = False  # the tables print a sector column
    pages: tuple[furniture.PageKind, ...] = ()  # each page: table or furniture, and why (furniture.py)
    accounts: tuple[PageAccount, ...] = ()  # every page's line accounting, checked


@dataclass(frozen=True, slots=True)
class PageAccount:
    """Where the lines of a page went: `lines` = `rows` + `furniture` + `unread`, each line counted once."""

    page: int
    lines: int  # the page's lines, as its text layer gives them
    rows: int  # lines holding a row, or the wrapped rest of a row's name
    furniture: int  # headers, what lies above a page's first header or beyond a table's reach, footers
    unread: int  # lines holding data no row took (`ParsedList.unread`), and the wrapped rest of their names


def _titles(words: tuple[Word, ...]) -> list[tuple[str, list[Word], str]] | None:
    """(column, its words, title as printed) of a line made only of column titles, else None."""
    if not words or words[0].text.lower() not in _TITLE_WORDS:  # most lines: data, at once
        return None
    out: list[tuple[str, list[Word], str]] = []
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST_TITLE, len(words) - i), 0, -1):
            span = words[i : i + n]
            kind = _TITLES.get(tuple(w.text.lower() for w in span))
            if kind and len({w.cell for w in span}) == 1:
                out.append((kind, list(span), " ".join(w.text for w in span)))
                i += n
                break
        else:
            return None
    return out


def find_header(line: Line) -> tuple[Table, ...]:
    """The tables a header line opens, left to right; () when the line is no header.

    Side-by-side tables repeat the first table's titles: the first column's title seen
    again starts the next table."""
    titles = _titles(line.words)
    if not titles:
        return ()
    positioned = len({ws[0].cell for _, ws, _ in titles}) == len(titles)
    groups: list[list[tuple[str, list[Word], str]]] = [[]]
    for title in titles:
        if title[0] in (k for k, _, _ in groups[-1]):
            if title[0] != titles[0][0]:
                return ()
            groups.append([])
        groups[-1].append(title)
    if any({"company", "symbol"} - {k for k, _, _ in g} for g in groups):
        return ()
    if len(groups) > 1 and not positioned:
        raise LayoutError("side-by-side tables without column positions cannot be split")
    return tuple(
        Table(
            tuple((k, ws[0].x0, ws[-1].x1) for k, ws, _ in g),
            positioned,
            next((text.capitalize() for k, _, text in g if k == "sector"), None),
        )
        for g in groups
    )


def _token_row(line: Line, table: Table) -> dict[str, list[str]]:
    """Company, symbol and sector of a line without positions: the symbol (one token) and the
    sector are peeled off the side of the company column they are printed on."""
    tokens = [w.text for w in line.words]
    kinds = [k for k, _, _ in table.titles]
    at = kinds.index("company")
    out: dict[str, list[str]] = {}
    lo, hi = 0, len(tokens)
    for kind, at_end in [(k, False) for k in kinds[:at]] + [(k, True) for k in reversed(kinds[at + 1 :])]:
        width = min(1 if kind == "symbol" else sector_width(tokens[lo:hi], at_end), hi - lo)
        out[kind] = tokens[hi - width : hi] if at_end else tokens[lo : lo + width]
        lo, hi = (lo, hi - width) if at_end else (lo + width, hi)
    out["company"] = tokens[lo:hi]
    return {c: out[c] for c in kinds if out.get(c)}  # as printed, left to right


def _is_candidate(cols: dict[str, list[str]]) -> bool:
    """Looks like a data row: an upper-case name (the lists' convention; prose and footers are
    mixed case) and something in another column, judged more loosely than rows.

    Names hold a capital letter; a page number beside a footer does not."""
    if not cols.get("company") or len(cols) < 2:
        return False
    company, symbol = " ".join(cols["company"]), " ".join(cols.get("symbol", ()))
    return (
        bool(_UPPER_RE.search(company))
        and not _LOWER_RE.search(company)
        and (not symbol or bool(_UPPER_RE.search(symbol)))
    )


def _is_wrap(cols: dict[str, list[str]]) -> bool:
    """Only upper-case name words: the rest of a company name printed on a line of its own."""
    words = " ".join(cols.get("company", ()))
    return set(cols) == {"company"} and bool(_UPPER_RE.search(words)) and not _LOWER_RE.search(words)


def _to_row(
    cols: dict[str, list[str]],
    table: Table,
    cells: int,
    aligned: frozenset[str] = frozenset(),
    capitals: bool = True,
) -> tuple[str, str, str | None] | None:
    """(company, symbol, sector) of a line's part in one table, or None. `capitals`: the rows read before
    print their names in capitals, as the lists do (or none is read yet)."""
    company, symbol = cols.get("company", []), cols.get("symbol", [])
    sector = cols.get("sector", [])
    if furniture.NOTICE.fullmatch(" ".join(company + symbol)):
        return None
    if not _UPPER_RE.search(" ".join(company)) or len(symbol) != 1 or not TICKER_RE.match(symbol[0]):
        return None
    if table.sector_header and not sector:
        return None
    # Sector names are printed in mixed case: a word in capitals there is a name run into the column.
    if any(_UPPER_RE.search(w) and not _LOWER_RE.search(w) for w in sector):
        return None
    # One run of text across columns is prose, unless its symbol sits where the column's symbols
    # sit (a long name printed up to the symbol, as at the foot of a two-up column) and it is set as
    # the rows before set their names: in a list in capitals, a run in mixed case ending in a code
    # there (`Prices at the close on NASDAQGS`) is a note.
    lower = bool(_LOWER_RE.search(" ".join(company)))
    if table.positioned and cells < 2 and ("symbol" not in aligned or capitals and lower):
        return None
    if not table.positioned and (lower or sector and not is_sector(sector)):
        return None  # without positions only the upper-case convention tells names from prose
    return " ".join(company), symbol[0], " ".join(sector) or None


@dataclass
class _Piece:
    """One table's part of one line: what the parser made of it."""

    line: int
    y: float
    table: int
    words: str
    kind: str  # header | row | wrap | candidate | other
    spans: bool = False
    joined: bool = False  # a wrap appended to the name of the row above it
    named: bool = False  # in a text list, a whole row typed with spaces, its sector named (`_spaced_row`)


@dataclass
class _Segment:
    """A stretch of a page under one header (or carried over from an earlier page)."""

    page: int
    tables: tuple[Table, ...]
    header: Line | None
    lines: tuple[Line, ...]
    above_header: bool  # carried over and ended by a header on this page: titles and running heads
    pieces: list[_Piece] = field(default_factory=list)
    gaps: list[float] = field(default_factory=list)  # y distances between consecutive rows of a table
    model: Model | None = None  # the column model its lines were read with
    row_like: set[tuple[int, int]] = field(default_factory=set)  # (line, table): looks like a lost row
    # Name words under a carried table's first row, met before any row pitch was known (pages of at most
    # one row each before): (that row's line, table) -> (its y, the pieces), judged once it is known.
    late: dict[tuple[int, int], tuple[float, list[_Piece]]] = field(default_factory=dict)


def _segments(page: Page, carried: tuple[Table, ...]) -> list[_Segment]:
    """The page's stretches: the carried tables up to the first header, then one per header."""
    heads = [(i, tables) for i, line in enumerate(page.lines) if (tables := find_header(line))]
    first = heads[0][0] if heads else len(page.lines)
    out = [_Segment(page.number, carried, None, page.lines[:first], bool(heads))] if carried else []
    for k, (i, tables) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(page.lines)
        out.append(_Segment(page.number, tables, page.lines[i], page.lines[i + 1 : end], False))
    return out


def _model(segment: _Segment) -> Model | None:
    if not segment.tables[0].positioned:
        return None
    columns = sorted(
        (Column(t, kind, x0, x1) for t, table in enumerate(segment.tables) for kind, x0, x1 in table.titles),
        key=lambda c: c.x0,
    )
    return learn(tuple(columns), segment.lines)


def _split(line: Line, segment: _Segment, model: Model | None, text: bool) -> Split:
    if model is None:
        return Split((_token_row(line, segment.tables[0]),), (frozenset(),), False)
    got = split(line, model, len(segment.tables))
    # A text line has no print positions: a symbol at a column's offset is chance.
    return Split(got.cols, tuple(frozenset() for _ in got.cols), got.spans) if text else got


def _read(
    segment: _Segment, rows: list[ListRow], table_lines: set[tuple[int, int]], text: bool, pitch: float | None
) -> None:
    """Rows of the segment appended to `rows`, in reading order (left table, then right); every
    line's part in each table recorded as a piece. `pitch`: the row pitch of the pages before, which
    tells the wrapped rest of a carried table's first name on a page from a line of its own."""
    first = len(rows)
    capitals = not any(_LOWER_RE.search(r.company) for r in rows)  # the names read so far
    model = segment.model = _model(segment)
    # table -> (y of its last line, row pitch so far, index of its last row); the header's y stands
    # in for a previous row, so a first row's wrap is seen too.
    last: dict[int, tuple[float, float | None, int]] = {}
    row_y: dict[int, float] = {}  # table -> y of its last row
    if segment.header is not None:
        last = {t: (segment.header.y, None, -1) for t in range(len(segment.tables))}
        table_lines.add((segment.page, segment.header.number))
        segment.pieces += [
            _Piece(segment.header.number, segment.header.y, t, "", "header")
            for t in range(len(segment.tables))
        ]
    for line in segment.lines:
        got = _split(line, segment, model, text)
        cells = len({w.cell for w in line.words})
        for t, cols in enumerate(got.cols):
            if not cols:
                continue
            words = " ".join(w for ws in cols.values() for w in ws)
            row = _to_row(cols, segment.tables[t], cells, got.aligned[t], capitals)
            if row is None:
                # A text list prints a row on a line: a line of name words is never the rest of a name.
                wrapped = not text and _continue_name(rows, last, t, line.y, cols)
                # A row typed with spaces crosses the columns as a row does, not as prose.
                named = text and _spaced_row(line, segment.tables[t])
                spaced = named or text and _stray_tab_row(line, segment.tables[t])
                kind = (
                    "wrap"
                    if wrapped
                    else "other"  # a notice's words: not data, a table reaches no further
                    if furniture.NOTICE.fullmatch(words)
                    else "wrap"
                    if _is_wrap(cols) and not spaced
                    else "candidate"
                    if spaced or _is_candidate(cols)
                    else "other"
                )
                piece = _Piece(line.number, line.y, t, words, kind, got.spans and not spaced, wrapped, named)
                segment.pieces.append(piece)
                prev = last.get(t)
                if kind == "wrap" and not (text or wrapped) and prev and prev[1] is None and prev[2] >= 0:
                    segment.late.setdefault((rows[prev[2]].line, t), (prev[0], []))[1].append(piece)
                continue
            prev = last.get(t)
            if t in row_y:
                segment.gaps.append(line.y - row_y[t])
            row_y[t] = line.y
            last[t] = (line.y, line.y - prev[0] if prev else pitch, len(rows))
            rows.append(ListRow(segment.page, line.number, t, *row))
            capitals = capitals and not _LOWER_RE.search(row[0])
            table_lines.add((segment.page, line.number))
            segment.pieces.append(_Piece(line.number, line.y, t, words, "row", got.spans))
    rows[first:] = sorted(rows[first:], key=lambda r: (r.table, r.line))


def parse_list(pages: tuple[Page, ...], text: bool = False) -> ParsedList:
    """Rows of every table in the pages; tables carry over to pages without a header.

    Every line that holds data the parser did not read is returned in `unread`: a line in a
    table (between its header, or first row, and its last row, or within reach of them: see the
    module's docstring) that looks like a row (upper-case name beside another column) and is
    neither a row nor the wrapped rest of a name; in a text list (`text`) also any line between a
    table's header (or first row) and its last row that is not a row, since text lists do not wrap."""
    rows: list[ListRow] = []
    table_lines: set[tuple[int, int]] = set()
    tables: tuple[Table, ...] = ()
    found = False
    pages_read: list[tuple[int, int, list[_Segment]]] = []  # (page, first row index, segments)
    done: list[_Segment] = []
    kinds: list[furniture.PageKind] = []
    prior: Model | None = None  # the column model of the last page that held rows
    printed: set[str] = set()  # the lines of the pages before (_said)
    for page in pages:
        segments = _segments(page, tables)
        carried = (tables, prior)
        dx = _shift(segments, prior, text)
        if dx:  # the carried tables, set where this page prints them
            tables = tuple(_moved_table(table, dx) for table in tables)
            prior = moved(prior, dx)
            segments = _segments(page, tables)
        first = len(rows)
        for segment in segments:
            _read(segment, rows, table_lines, text, _pitch(done))
            done.append(segment)
            if segment.header is not None:
                tables, found = segment.tables, True
        kinds.append(
            _page_kind(page, segments, rows, first, table_lines, prior, text, _pitch(done), dx, printed)
        )
        printed |= {_said(line) for line in page.lines}
        if len(rows) > first and segments[-1].model is not None:
            prior = segments[-1].model
        elif dx:  # no row kept: the pages after are set against the pages before
            tables, prior = carried
        pages_read.append((page.number, first, segments))
    pitch = _pitch(done)
    rows = _join_late(rows, done, pitch)
    unread: list[Unread] = []
    for page, _, segments in pages_read:
        lost = _lost([(s, _pitch([s]) or pitch) for s in segments], text)
        unread += [Unread(page, n, words, t) for n, (words, t) in lost]
    stats = _page_stats([page for page, _, _ in pages_read], rows, unread)
    sector = bool(tables) and tables[0].sector_header is not None
    accounts = tuple(
        account_page(page, [(s, _pitch([s]) or pitch) for s in segments], rows, unread, text)
        for page, (_, _, segments) in zip(pages, pages_read, strict=True)
    )
    return ParsedList(
        tuple(rows),
        tuple(stats),
        found,
        _classify(tables, rows),
        frozenset(table_lines),
        tuple(unread),
        sector,
        tuple(kinds),
        accounts,
    )


def _shift(segments: list[_Segment], prior: Model | None, text: bool) -> float:
    """How far right (points) a page without a header prints the tables carried over to it, against the
    column model of the last page that held rows (`prior`): 0 where a line of it reads as a row at that
    model's columns, or none reads as one at any single shift of them all, each of its runs in one column
    (`placed`: a heading in capitals that a shift sets at a symbol's place reads as a row only with a
    word cut off); else the shift at which the most lines do (of equal ones, the nearest to 0). A page
    set with other margins (the even pages of a two-sided document) prints the same table: at its own
    place, every column moved alike. Tables carried over to a header of the page's own, where no line
    of them reads at the columns, are where that header sets its titles when it prints the same ones,
    all moved alike."""
    if prior is None or text or segments[0].header is not None:
        return 0.0
    segment = segments[0]
    kinds = tuple(tuple(k for k, _, _ in t.titles) for t in segment.tables)

    def fits(line: Line, model: Model) -> bool:
        got = split(line, model, len(kinds))
        return any(furniture.fits(got.cols[t], got.aligned[t], kinds[t], True) for t in range(len(kinds)))

    def moved_row(line: Line, model: Model) -> bool:
        return placed(model, line) and fits(line, model)

    if any(fits(line, prior) for line in segment.lines):
        return 0.0
    own = [t.titles for s in segments[1:2] for t in s.tables]  # the header the tables are carried to
    if [tuple(k for k, _, _ in t) for t in own] == list(kinds):
        moves = [
            x0 - at for mine, t in zip(own, segment.tables) for (_, x0, _), (_, at, _) in zip(mine, t.titles)
        ]
        if max(moves) - min(moves) <= TOLERANCE:
            return sum(moves) / len(moves)
    best, counted = (0, 0.0, 0.0), {0.0}  # (lines that read as rows, -|shift|, shift)
    for line in segment.lines:
        for dx in shifts(prior, line) - counted:
            model = moved(prior, dx)
            if moved_row(line, model):  # this line is a row there: how many lines are
                counted.add(dx)
                best = max(best, (sum(moved_row(ln, model) for ln in segment.lines), -abs(dx), dx))
    return best[2]


def _moved_table(table: Table, dx: float) -> Table:
    return replace(table, titles=tuple((kind, x0 + dx, x1 + dx) for kind, x0, x1 in table.titles))


@dataclass
class _Carried:
    """The tables carried over to a page without a header of its own, as `_page_kind` judges its lines:
    at the columns the earlier pages set (`prior`: a positioned table not in a text list), else at
    the page's own."""

    segment: _Segment
    prior: Model | None
    text: bool
    pitch: float | None
    kinds: tuple[tuple[str, ...], ...]  # each table's column kinds
    lines: dict[int, Line]
    splits: dict[int, Split]  # each line at the earlier pages' columns (none without `prior`)
    order: list[int]  # the lines' numbers, top down

    @classmethod
    def of(cls, segment: _Segment, prior: Model | None, text: bool, pitch: float | None) -> _Carried:
        positioned = segment.tables[0].positioned and not text
        model = prior if positioned else None
        lines = {ln.number: ln for ln in segment.lines}
        splits = {n: split(ln, model, len(segment.tables)) for n, ln in lines.items()} if model else {}
        kinds = tuple(tuple(k for k, _, _ in t.titles) for t in segment.tables)
        return cls(segment, model, text, pitch, kinds, lines, splits, [ln.number for ln in segment.lines])

    def parts(self, n: int) -> Split:
        if self.prior:
            return self.splits[n]
        return _split(self.lines[n], self.segment, self.segment.model, self.text)  # the page's own columns

    def at_columns(self, n: int, t: int, test) -> bool:
        got = self.parts(n)
        cols = got.cols[t] if t < len(got.cols) else {}
        return test(
            cols, got.aligned[t] if self.prior else frozenset(), self.kinds[t], self.prior is not None
        )

    def spaced(self, n: int, t: int) -> bool:
        return self.text and _spaced_row(self.lines[n], self.segment.tables[t])

    def heads_a_block(self, n: int, t: int) -> bool:
        """Under line `n`, before a line that reads as a row, and each within reach of the one above,
        a line holds text set in the table's columns as no list prints it: `n` is the heading of a
        block set in columns (a contact block's region names), not a row. Without a row pitch yet (pages
        of one row each), a text list's is a line: it prints a row on one."""
        step = TEXT_LINE if self.pitch is None and self.text else self.pitch
        if step is None:
            return False
        lines, y = self.lines, self.lines[n].y
        for below in self.order[self.order.index(n) + 1 :]:
            if (
                lines[below].y - y > PITCH_REACH * step
                or self.at_columns(below, t, furniture.fits)
                or self.spaced(below, t)
            ):
                return False
            got = self.parts(below)
            # A line that reads as a row typed with a stray tab is no block's text (nor proof of a row).
            stray = self.text and _stray_tab_row(lines[below], self.segment.tables[t])
            if t < len(got.cols) and furniture.set_in_columns(got.cols[t], got.spans) and not stray:
                return True
            y = lines[below].y
        return False


def _page_kind(
    page: Page,
    segments: list[_Segment],
    rows: list[ListRow],
    first: int,
    table_lines: set[tuple[int, int]],
    prior: Model | None,
    text: bool,
    pitch: float | None,
    dx: float,
    printed: set[str],
) -> furniture.PageKind:
    """Table or furniture, by evidence (furniture.py). A page without a header keeps the rows that read
    as rows of the table at the columns the earlier pages set; the others are demoted to lines that
    look like rows, unread where they stand in the table (or, on a page without a row, where they
    stand where the table's rows stand, or wherever they stand when there are `UNPLACED_ROWS` of them),
    but for the heading of a block set in columns: furniture. The tables carried over to a header of
    the page's own, where no row of them reads there, are judged so too (their lines are titles and
    running heads but for those that look like rows)."""
    header = next((s.header for s in segments if s.header is not None), None)
    if header is not None:
        above = segments[0]  # the tables carried over, above the page's own header
        if above.header is None and not any(p.kind == "row" for p in above.pieces):
            _page_kind(page, [above], rows, len(rows), table_lines, prior, text, pitch, dx, printed)
        return furniture.PageKind(page.number, "table", f"table header on line {header.number}")
    if not segments:
        return furniture.PageKind(
            page.number, "furniture", "before the first table header" if page.lines else "blank: no text"
        )
    (segment,) = segments  # carried over, to the page's end (or, above, to the page's own header)
    carried = _Carried.of(segment, prior, text, pitch)
    keep, headings, demoted = _demote(page, carried, rows, first, table_lines)
    if keep:
        at = f", moved {dx:+.1f} pt" if dx else ""
        return furniture.PageKind(
            page.number, "table", f"no header; {len(keep)} row(s) at the columns of the pages before{at}"
        )
    _mark_row_like(carried, demoted, headings, printed)
    candidates = {p.line for p in segment.pieces if p.kind == "candidate"}
    prose = sum(1 for ln in segment.lines if any(c.islower() for c in ln.text))
    reason = furniture.furniture_reason(
        len(segment.lines), prose, len(candidates), len({n for n, _ in headings})
    )
    return furniture.PageKind(page.number, "furniture", reason)


def _demote(
    page: Page, carried: _Carried, rows: list[ListRow], first: int, table_lines: set[tuple[int, int]]
) -> tuple[list[ListRow], set[tuple[int, int]], set[tuple[int, int]]]:
    """Keep of the page's rows (`rows[first:]`) those at the carried tables' columns that head no block,
    and demote the others, in place: out of `rows` and `table_lines`, their pieces candidates (the
    headings: other). (kept rows, headings, demoted (line, table))."""
    keep = [r for r in rows[first:] if carried.at_columns(r.line, r.table, furniture.fits)]
    headings = {(r.line, r.table) for r in keep if carried.heads_a_block(r.line, r.table)}
    keep = [r for r in keep if (r.line, r.table) not in headings]
    demoted = {(r.line, r.table) for r in rows[first:]} - {(r.line, r.table) for r in keep}
    if demoted:
        rows[first:] = keep
        table_lines -= {(page.number, n) for n, _ in demoted} - {(page.number, r.line) for r in keep}
        for piece in carried.segment.pieces:
            if (piece.line, piece.table) in demoted:
                piece.kind = "other" if (piece.line, piece.table) in headings else "candidate"
    return keep, headings, demoted


def _mark_row_like(
    carried: _Carried, demoted: set[tuple[int, int]], headings: set[tuple[int, int]], printed: set[str]
) -> None:
    """On a page that kept no row, the candidate lines that look like lost rows, in place: into the
    segment's `row_like`, or, heading a block set in columns, `other` and into `headings`.

    A line that looks like a lost row (at the columns, or in a text list a whole row typed with spaces)
    is one unless it heads a block set in columns; and so are rows the page's own columns read where no
    earlier page set them, when they are several (a table printed at other columns, scaled or with a
    column moved: not a heading in capitals). In a text list without a sector column, a line that reads
    as a whole row split at any white space, its symbol of a symbol's shape, is one too where the page
    holds nothing written (`_written`: no prose, no telephone number); a contact page's heading in
    capitals (`CONTACT US`) reads so too, but its page always holds something written. A line the pages
    before printed as it is (a page's title in capitals over its header) is a running line, never one."""
    segment, lines, text = carried.segment, carried.lines, carried.text
    unplaced = demoted - headings if len(demoted - headings) >= UNPLACED_ROWS else set()
    bare = text and not _written(segment, printed)

    def stray(n: int, t: int) -> bool:
        return bare and _stray_tab_row(lines[n], segment.tables[t]) and _symbol_shaped(lines[n])

    def row_like(n: int, t: int) -> bool:
        """At the columns; a text line of one cell is there only by its characters' count: `stray`'s."""
        one_cell = text and len({w.cell for w in lines[n].words}) == 1
        return carried.at_columns(n, t, furniture.row_like) and (bare or not one_cell)

    for piece in segment.pieces:
        key = (piece.line, piece.table)
        if piece.kind != "candidate" or _said(lines[piece.line]) in printed:
            continue
        if key in unplaced or carried.spaced(*key) or stray(*key) or row_like(*key):
            if carried.heads_a_block(*key):
                piece.kind = "other"
                headings.add(key)
            else:
                segment.row_like.add(key)


def _join_late(rows: list[ListRow], segments: list[_Segment], pitch: float | None) -> list[ListRow]:
    """`rows` with the name words met under a carried table's first row before any row pitch was known
    (`_Segment.late`) joined to its name where they lie closer below it than rows are apart (as
    `_continue_name` judges a wrap), by the segment's own row pitch or the document's."""
    names: dict[tuple[int, int, int], str] = {}
    present = {(r.page, r.line, r.table) for r in rows}  # the rows a page without a header kept
    for segment in segments:
        own = _pitch([segment]) or pitch
        for (line, t), (y, pieces) in segment.late.items() if own else ():
            for piece in pieces:
                key = (segment.page, line, t)
                if key not in present or piece.y - y >= WRAP_REACH * own:
                    break
                names[key] = f"{names.get(key, '')} {piece.words}"
                piece.joined, y = True, piece.y
    return [
        ListRow(r.page, r.line, r.table, r.company + names[k], r.symbol, r.sector)
        if (k := (r.page, r.line, r.table)) in names
        else r
        for r in rows
    ]


def _page_stats(pages: list[int], rows: list[ListRow], unread: list[Unread]) -> list[tuple[int, int, int]]:
    """(page, data lines = rows + unread lines, rows) of every page."""
    produced: dict[int, int] = {}
    for r in rows:
        produced[r.page] = produced.get(r.page, 0) + 1
    lost: dict[int, int] = {}
    for u in unread:
        lost[u.page] = lost.get(u.page, 0) + 1
    return [(p, produced.get(p, 0) + lost.get(p, 0), produced.get(p, 0)) for p in pages]


def _pitch(segments: list[_Segment]) -> float | None:
    """The row pitch: the median distance between consecutive rows of a table."""
    gaps = [g for s in segments for g in s.gaps if g > 0]
    return statistics.median(gaps) if gaps else None


def _spaced_row(line: Line, table: Table) -> bool:
    """A text line that its cells do not read as a row but that reads as a whole row of a tab table with
    a sector column when split at any white space: a row typed with spaces instead of tabs, in all its
    cells or some (the known sector name is the evidence)."""
    return table.positioned and bool(table.sector_header) and _whole_row(line, table)


def _stray_tab_row(line: Line, table: Table) -> bool:
    """A text line, in a tab table without a sector column, that its cells do not read as a row but that
    reads as a whole row split at any white space: a name in capitals and a symbol's shape last, its tab
    typed inside the name (`1-800<tab>FLOWERS.COM FLWS`) or as a space (`DELTA CORP DDD`, one cell). Weaker
    evidence than a sector name (a contact block's `CONTACT<tab>LONDON OFFICE` and `CONTACT US` read so
    too): a line that looks like a row, never proof of one; a notice's words are none (furniture.NOTICE)."""
    return table.positioned and not table.sector_header and _whole_row(line, table)


def _whole_row(line: Line, table: Table) -> bool:
    """`line` split at any white space reads as a whole row of `table`."""
    spaced = Table(table.titles, False, table.sector_header)
    return _to_row(_token_row(line, spaced), spaced, 1) is not None


def _symbol_shaped(line: Line) -> bool:
    """The line's last word has a symbol's shape (furniture.SYMBOL_SHAPE; `INFORMATION` has not)."""
    return bool(furniture.SYMBOL_SHAPE.match(line.text.split()[-1]))


def _written(segment: _Segment, printed: set[str]) -> bool:
    """A page without a row holds something written, on a line that is neither a notice, the
    publisher's footer nor a running line (one the pages before printed too, its numbers aside: a
    running head, a dated footer): prose (lower case), or a telephone number (digits without letters,
    more than a page number's: `- 2 -`). A line that reads as a row is neither."""
    running = {_NUMBER_RE.sub("#", said) for said in printed}
    for line in segment.lines:
        words = line.text.strip()
        if (
            furniture.NOTICE.fullmatch(words)
            or _FURNITURE.search(words)
            or _NUMBER_RE.sub("#", _said(line)) in running
        ):
            continue
        telephone = len(_DIGIT_RE.findall(words)) >= TELEPHONE_DIGITS and not _LETTER_RE.search(words)
        if _LOWER_RE.search(words) or telephone:
            return True
    return False


def _said(line: Line) -> str:
    """A line's words, one space between: what a running head or footer prints again on each page."""
    return " ".join(line.text.split())


# Words of footers and notices that never are a company ("FTSE Russell | Final index Deletes 4").
FURNITURE = r"ftse ?russell|lse group|london stock exchange|©"
_FURNITURE = re.compile(rf"{FURNITURE}|\|", re.IGNORECASE)  # and the footers' separator


def _lost(
    segments: list[tuple[_Segment, float | None]], text: bool
) -> list[tuple[int, tuple[str, tuple[int, ...]]]]:
    """(line, (words, tables)) of a page's pieces that hold data no row took, one per line, in line
    order: the unread lines of the page's tables, never their furniture."""
    lost: dict[int, tuple[str, tuple[int, ...]]] = {}
    for segment, pitch in segments:
        for t in range(len(segment.tables)):
            mine = [p for p in segment.pieces if p.table == t]
            for piece in _unread_pieces(segment, mine, pitch, text):
                if _FURNITURE.search(piece.words):
                    continue
                words, tables = lost.get(piece.line, ("", ()))
                lost[piece.line] = (f"{words} | {piece.words}" if words else piece.words, (*tables, t))
    return sorted(lost.items())


def _unread_pieces(segment: _Segment, mine: list[_Piece], pitch: float | None, text: bool) -> list[_Piece]:
    """The pieces of one table of a segment that are lost rows."""
    rows = [i for i, p in enumerate(mine) if p.kind == "row"]
    if not rows:
        if segment.above_header or segment.header is None:  # carried, without a row: what looks like one
            return [p for p in mine if p.kind == "candidate" and (p.line, p.table) in segment.row_like]
        return _walk(mine[1:], segment.header.y, pitch)
    top = 0 if segment.header is not None else rows[0]
    inside = [
        p for p in mine[top + 1 : rows[-1]] if p.kind == "candidate" or (text and p.kind in ("wrap", "other"))
    ]
    after = _walk(mine[rows[-1] + 1 :], _end_y(mine, rows[-1]), pitch)
    before = [] if segment.header is not None else _walk(mine[: rows[0]][::-1], mine[rows[0]].y, pitch)
    # A row typed with spaces, its sector named, is lost wherever it stands on the table's page (past a
    # blank line under the last row, too): a text list prints nothing else so.
    far = [p for p in mine[:top] + mine[rows[-1] + 1 :] if p.named and p not in before and p not in after]
    return sorted([*before, *inside, *after, *far], key=lambda p: p.line)


def _end_y(mine: list[_Piece], last_row: int) -> float:
    """Where the table's last row ends: its own line, or the wrapped rest of its name below it (joined to
    it: name words further below are not its name, and may be furniture)."""
    y = mine[last_row].y
    for p in mine[last_row + 1 :]:
        if not p.joined:
            break
        y = p.y
    return y


def _walk(pieces: list[_Piece], y: float, pitch: float | None) -> list[_Piece]:
    """Lines leaving the table (below its last row, or above its first): lost rows while they stay
    within reach of the table, up to the first line of page furniture; the rest is furniture."""
    return [p for p in pieces[: _reach(pieces, y, pitch)] if p.kind == "candidate"]


def _reach(pieces: list[_Piece], y: float, pitch: float | None) -> int:
    """How many of `pieces` (leaving the table from `y`) still belong to it: up to the first one further
    than PITCH_REACH row pitches from the one before, or crossing columns as prose does, or not data."""
    for n, p in enumerate(pieces):
        if pitch is not None and abs(p.y - y) > PITCH_REACH * pitch:
            return n
        if p.spans or p.kind == "other":
            return n
        y = p.y
    return len(pieces)


def _continue_name(rows: list[ListRow], last: dict, t: int, y: float, cols: dict[str, list[str]]) -> bool:
    """Append a wrapped company name: name words only, closer below its row than rows are apart."""
    prev = last.get(t)
    words = cols.get("company", [])
    if not prev or prev[2] < 0 or not _is_wrap(cols):
        return False
    if prev[1] is None or y - prev[0] >= WRAP_REACH * prev[1]:
        return False
    r = rows[prev[2]]
    rows[prev[2]] = ListRow(r.page, r.line, r.table, f"{r.company} {' '.join(words)}", r.symbol, r.sector)
    last[t] = (y, prev[1], prev[2])
    return True


def _classify(tables: tuple[Table, ...], rows: list[ListRow]) -> str | None:
    if not tables or not tables[0].sector_header:
        return None
    return classification({r.sector for r in rows if r.sector}, tables[0].sector_header)


def account_page(
    page: Page,
    segments: list[tuple[_Segment, float | None]],
    rows: list[ListRow],
    unread: list[Unread],
    text: bool = False,
) -> PageAccount:
    """The line accounting of one page, checked: every line is a row line, page furniture or unread,
    and they add up to the page's lines; a line that is none of them (`_lost_lines`) was lost by the
    parser, and LostLineError names it: the document is refused rather than read without it."""
    n = page.number
    unread_at = {u.line: u.tables for u in unread if u.page == n}
    lost, held, owed = _lost_lines(page, segments, unread_at, text)
    row_lines = {r.line for r in rows if r.page == n} | held
    counts = {"rows": 0, "furniture": 0, "unread": 0}
    for line in page.lines:  # a lost line is none of them
        if line.number in lost:
            continue
        if line.number in unread_at or line.number in owed:
            counts["unread"] += 1
        elif line.number in row_lines:
            counts["rows"] += 1
        else:
            counts["furniture"] += 1
    account = PageAccount(n, len(page.lines), **counts)
    if account.lines != account.rows + account.furniture + account.unread:
        shown = "; ".join(f"line {k}: {' '.join(v.split())!r}" for k, v in sorted(lost.items())[:3])
        raise LostLineError(
            f"page {n}: {len(lost)} line(s) neither read as a row, recognised as page furniture, nor "
            f"reported unread ({shown}): {account.lines} lines, {account.rows} row lines, "
            f"{account.furniture} furniture, {account.unread} unread"
        )
    return account


def _lost_lines(
    page: Page,
    segments: list[tuple[_Segment, float | None]],
    unread_at: dict[int, tuple[int, ...]],
    text: bool,
) -> tuple[dict[int, str], set[int], set[int]]:
    """(lost lines -> their words, lines holding the rest of a row's name, lines holding the rest of an
    unread line's name) of a page.

    Furniture is recognised for a reason, never by elimination: a header; a line above the page's first
    header; a line beyond a table's reach (`_extent`), or on a carried page without a row; a footer's
    words; at a table's edge (within reach below its last row, or above a carried table's first), a line
    of name words inside the name column (the rest of a name from the column or page before, or a
    title). Between a table's header (or first row) and its last row every line is a row, the rest of a
    name or unread, so a change to the column model that turns a row into anything else is lost."""
    held: set[int] = set()
    owed: set[int] = set()
    lost: dict[int, str] = {}
    spans: list[tuple[float, float]] = []  # each table's extent on the page: top and bottom y
    pieced: set[int] = set()
    for segment, pitch in segments:
        lines = {line.number: line for line in segment.lines}
        for t in range(len(segment.tables)):
            mine = [p for p in segment.pieces if p.table == t]
            pieced.update(p.line for p in mine)
            lo, first, last, hi = _extent(segment, mine, pitch)
            if lo < hi:
                spans.append((mine[lo].y, mine[hi - 1].y))
            refused = None  # index in `mine` of the last piece of an unread line, or of the rest of its name
            for i, p in enumerate(mine):
                if p.joined:
                    held.add(p.line)
                elif p.kind in ("row", "header") or not lo <= i < hi or _FURNITURE.search(p.words):
                    continue
                elif t in unread_at.get(p.line, ()):
                    refused = i
                elif refused == i - 1 and _rest_of_name(p, mine[i - 1], pitch):
                    refused = i
                    owed.add(p.line)
                elif (
                    first <= i <= last
                    or p.kind != "wrap"
                    or not _in_name_column(lines[p.line], segment, t, text)
                ):
                    lost[p.line] = p.words
    in_table = {line.number for s, _ in segments for line in s.lines} - pieced
    for line in page.lines:  # a line inside a table whose words no column took
        if (
            line.number in in_table
            and any(top <= line.y <= bottom for top, bottom in spans)
            and not _FURNITURE.search(line.text)
        ):
            lost[line.number] = line.text
    return lost, held, owed


def _rest_of_name(piece: _Piece, above: _Piece, pitch: float | None) -> bool:
    """`piece` is the wrapped rest of the name on the line `above` it (as `_continue_name` joins a row's)."""
    return piece.kind == "wrap" and pitch is not None and 0 < piece.y - above.y < WRAP_REACH * pitch


def _in_name_column(line: Line, segment: _Segment, t: int, text: bool) -> bool:
    """The words of `line` in table `t` (by the titles, not the column model) touch no title of the table
    but the company's; a text line of one cell (no tab) stands in no column: it is taken as name words."""
    if text and len({w.cell for w in line.words}) == 1:
        return True
    tables = segment.tables
    left = (tables[t - 1].titles[-1][2] + tables[t].titles[0][1]) / 2 if t else float("-inf")
    right = (
        (tables[t].titles[-1][2] + tables[t + 1].titles[0][1]) / 2 if t + 1 < len(tables) else float("inf")
    )
    others = [(x0, x1) for kind, x0, x1 in tables[t].titles if kind != "company"]
    return not any(
        left <= (w.x0 + w.x1) / 2 < right and w.x0 <= x1 + TOLERANCE and w.x1 >= x0 - TOLERANCE
        for w in line.words
        for x0, x1 in others
    )


def _extent(segment: _Segment, mine: list[_Piece], pitch: float | None) -> tuple[int, int, int, int]:
    """(lo, first, last, hi): the pieces of one table of a segment inside the table are mine[lo:hi], from
    its header (or the first piece within reach above its first row) to the last piece within reach below
    its last row (`_reach`); mine[first:last + 1] runs from the header (or first row) to the last row.
    None for the titles above a header, or a carried page without a row."""
    rows = [i for i, p in enumerate(mine) if p.kind == "row"]
    if not rows:
        if segment.above_header or segment.header is None:
            return 0, 0, -1, 0
        return 0, 0, 0, 1 + _reach(mine[1:], segment.header.y, pitch)
    first = 0 if segment.header is not None else rows[0]
    lo = first - _reach(mine[:first][::-1], mine[first].y, pitch) if segment.header is None else 0
    return lo, first, rows[-1], rows[-1] + 1 + _reach(mine[rows[-1] + 1 :], _end_y(mine, rows[-1]), pitch)
