"""One parser for FTSE Russell company lists (membership, additions, deletions).

The layout is detected, not configured: a header line made only of column titles
(Company or Company Name or Name, Symbol or Ticker, optionally Sector or Industry,
in any order) marks a table, its column order and its column x positions; the same
titles repeated on one line mean tables side by side. Headers with each title in
its own cell (PDFs, tab-separated text) give a positioned table: words go to the
column whose title starts at or left of them. A header in a single cell
(space-separated text) gives a token table: the symbol is one token and the sector
a known name, taken from the end of the line they are printed at, and the company
is what is left.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from russell_pipeline.lib.documents.pdftext import Line, Page, Word
from russell_pipeline.lib.documents.sectors import classification, is_sector, sector_width

# Column titles as printed -> column; a title's words share one cell ("Company Name").
_TITLES = {("company", "name"): "company", ("company",): "company", ("name",): "company",
           ("symbol",): "symbol", ("ticker",): "symbol", ("sector",): "sector", ("industry",): "sector"}
_LONGEST_TITLE = max(map(len, _TITLES))
_TITLE_WORDS = frozenset(w for title in _TITLES for w in title)
# Symbols are kept as published (BRK.B, HEI.A, BELFB); anything else is not a row.
TICKER_RE = re.compile(r"^(?=.*[A-Z])[A-Z0-9][A-Z0-9./-]{0,11}$")
_LOWER_RE = re.compile(r"[a-z]")
_UPPER_RE = re.compile(r"[A-Z]")
X_TOLERANCE = 1.5  # header and data x positions agree to well under this


class LayoutError(ValueError):
    """The document is a list but its table layout cannot be read."""


@dataclass(frozen=True, slots=True)
class Table:
    starts: tuple[tuple[str, float], ...]  # (column, x0) in x order
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
    """A line that holds data the parser did not read: a row lost, never a wrap or a footer."""

    page: int
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class ParsedList:
    rows: tuple[ListRow, ...]
    page_stats: tuple[tuple[int, int, int], ...]  # (page, data lines = rows + unread lines, rows)
    tables_found: bool
    classification: str | None  # ICB | RGS | None (no sector column)
    table_lines: frozenset[tuple[int, int]]  # (page, line) of headers and rows
    unread: tuple[Unread, ...] = ()


def _titles(words: tuple[Word, ...]) -> list[tuple[str, Word, str]] | None:
    """(column, first word, title as printed) of a line made only of column titles, else None."""
    if not words or words[0].text.lower() not in _TITLE_WORDS:  # most lines: data, at once
        return None
    out: list[tuple[str, Word, str]] = []
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST_TITLE, len(words) - i), 0, -1):
            span = words[i:i + n]
            kind = _TITLES.get(tuple(w.text.lower() for w in span))
            if kind and len({w.cell for w in span}) == 1:
                out.append((kind, span[0], " ".join(w.text for w in span)))
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
    positioned = len({w.cell for _, w, _ in titles}) == len(titles)
    groups: list[list[tuple[str, Word, str]]] = [[]]
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
        Table(tuple((k, w.x0) for k, w, _ in g), positioned,
              next((text.capitalize() for k, _, text in g if k == "sector"), None))
        for g in groups)


def _split_positioned(line: Line, tables: tuple[Table, ...]) -> list[dict[str, list[str]]]:
    """Words of the line by table and column, from their x positions. A column's first word
    printed exactly at the column's x also marks the column `aligned` (key `_aligned`)."""
    out: list[dict[str, list[str]]] = [{} for _ in tables]
    at, columns = _edges(tables)
    for w in line.words:
        x0 = w.x0
        if columns is None:
            found = _column(tables, x0)
            if found is None:
                continue
            t, name, x = found
        else:
            i = bisect_right(at, x0) - 1
            if i < 0 or not at[i] <= x0:  # left of every table (or x NaN)
                continue
            t, name, x = columns[i]
        cols = out[t]
        if name not in cols and abs(x0 - x) <= X_TOLERANCE:
            cols.setdefault("_aligned", []).append(name)
        cols.setdefault(name, []).append(w.text)
    return out


@lru_cache(maxsize=64)
def _edges(tables: tuple[Table, ...]) -> tuple[tuple[float, ...], tuple[tuple[int, str, float], ...] | None]:
    """Where each column of each table starts taking words (X_TOLERANCE left of its title), in x
    order, and its (table, column, title x): a word goes to the last column starting at or left of
    it, so one search finds the table and the column. None when titles are not in x order."""
    flat = [(x - X_TOLERANCE, t, name, x) for t, tab in enumerate(tables) for name, x in tab.starts]
    if any(a[0] > b[0] for a, b in pairwise(flat)):
        return (), None
    return tuple(e for e, *_ in flat), tuple((t, name, x) for _, t, name, x in flat)


def _column(tables: tuple[Table, ...], x0: float) -> tuple[int, str, float] | None:
    """(table, column, title x) of a word at x0 when titles are not in x order: the last table, then
    the last column, starting at or left of it."""
    t = max((i for i, tab in enumerate(tables) if tab.starts[0][1] - X_TOLERANCE <= x0), default=-1)
    if t < 0:
        return None
    c = max((i for i, (_, x) in enumerate(tables[t].starts) if x - X_TOLERANCE <= x0), default=0)
    return t, *tables[t].starts[c]


def _token_row(line: Line, table: Table) -> dict[str, list[str]]:
    """Company, symbol and sector of a line without positions: the symbol (one token) and the
    sector are peeled off the side of the company column they are printed on."""
    tokens = [w.text for w in line.words]
    kinds = [k for k, _ in table.starts]
    at = kinds.index("company")
    out: dict[str, list[str]] = {}
    lo, hi = 0, len(tokens)
    for kind, at_end in [(k, False) for k in kinds[:at]] + [(k, True) for k in reversed(kinds[at + 1:])]:
        width = min(1 if kind == "symbol" else sector_width(tokens[lo:hi], at_end), hi - lo)
        out[kind] = tokens[hi - width:hi] if at_end else tokens[lo:lo + width]
        lo, hi = (lo, hi - width) if at_end else (lo + width, hi)
    out["company"] = tokens[lo:hi]
    return {c: v for c, v in out.items() if v}


def _is_candidate(cols: dict[str, list[str]]) -> bool:
    """Looks like a data row: an upper-case name (the lists' convention; prose and footers are
    mixed case) and something in another column, judged more loosely than rows.

    Names hold a capital letter; a page number beside a footer does not."""
    if not cols.get("company") or len(set(cols) - {"_aligned"}) < 2:
        return False
    company, symbol = " ".join(cols["company"]), " ".join(cols.get("symbol", ()))
    return (bool(_UPPER_RE.search(company)) and not _LOWER_RE.search(company)
            and (not symbol or bool(_UPPER_RE.search(symbol))))


def _is_wrap(cols: dict[str, list[str]]) -> bool:
    """Only upper-case name words: the rest of a company name printed on a line of its own."""
    words = " ".join(cols.get("company", ()))
    return set(cols) - {"_aligned"} == {"company"} and bool(_UPPER_RE.search(words)) and not _LOWER_RE.search(words)


def _to_row(cols: dict[str, list[str]], table: Table, cells: int) -> tuple[str, str, str | None] | None:
    company, symbol = cols.get("company", []), cols.get("symbol", [])
    sector = cols.get("sector", [])
    if not _UPPER_RE.search(" ".join(company)) or len(symbol) != 1 or not TICKER_RE.match(symbol[0]):
        return None
    if table.sector_header and not sector:
        return None
    # One run of text across columns is prose, unless its symbol starts exactly at the symbol
    # column (a long name printed up to the symbol, as at the foot of a two-up column).
    if table.positioned and cells < 2 and "symbol" not in cols.get("_aligned", ()):
        return None
    if not table.positioned and (_LOWER_RE.search(" ".join(company)) or sector and not is_sector(sector)):
        return None  # without positions only the upper-case convention tells names from prose
    return " ".join(company), symbol[0], " ".join(sector) or None


def parse_list(pages: tuple[Page, ...], text: bool = False) -> ParsedList:
    """Rows of every table in the pages; tables carry over to pages without a header.

    Every line that holds data the parser did not read is returned in `unread`: a line that
    looks like a row (upper-case name beside another column) and is neither a row nor the
    wrapped rest of a name; in a text list (`text`) also any line between a table's header (or
    first row) and its last row on the page that is not a row, since text lists do not wrap."""
    rows: list[ListRow] = []
    stats: list[tuple[int, int, int]] = []
    unread: list[Unread] = []
    table_lines: set[tuple[int, int]] = set()
    tables: tuple[Table, ...] = ()
    found = False
    opened = 0  # the line of the header the current tables opened at (0: on an earlier page)
    for page in pages:
        opened = 0 if tables else opened
        first = len(rows)
        # (line, (header, table), words, kind): kind "header", "row", "wrap", "candidate" or "other"
        pieces: list[tuple[int, tuple[int, int], str, str]] = []
        last: dict[int, tuple[float, float | None, int]] = {}  # table -> (row y, row pitch, row index)
        for line in page.lines:
            header = find_header(line)
            if header:
                # The header's y stands in for a previous row, so a first row's wrap is seen too.
                tables, found = header, True
                last = {t: (line.y, None, -1) for t in range(len(tables))}
                table_lines.add((page.number, line.number))
                opened = line.number
                pieces += [(line.number, (opened, t), "", "header") for t in range(len(tables))]
                continue
            if not tables:
                continue
            split = (_split_positioned(line, tables) if tables[0].positioned
                     else [_token_row(line, tables[0])])
            cells = len({w.cell for w in line.words})
            if text:  # a text line has no print positions: a symbol at a column's offset is chance
                for cols in split:
                    cols.pop("_aligned", None)
            for t, cols in enumerate(split):
                if not set(cols) - {"_aligned"}:
                    continue
                words = " ".join(w for c, ws in cols.items() if c != "_aligned" for w in ws)
                row = _to_row(cols, tables[t], cells)
                if row is None:
                    wrapped = _continue_name(rows, last, t, line.y, cols)
                    kind = ("wrap" if wrapped or _is_wrap(cols) else
                            "candidate" if _is_candidate(cols) or (text and _spaced_row(line, tables[t])) else "other")
                    pieces.append((line.number, (opened, t), words, kind))
                    continue
                prev = last.get(t)
                last[t] = (line.y, line.y - prev[0] if prev else None, len(rows))
                rows.append(ListRow(page.number, line.number, t, *row))
                table_lines.add((page.number, line.number))
                pieces.append((line.number, (opened, t), words, "row"))
        lost = _unread(pieces, text)
        unread += [Unread(page.number, n, words) for n, words in lost]
        produced = len(rows) - first
        # Reading order: a page's left table top to bottom, then the right one.
        rows[first:] = sorted(rows[first:], key=lambda r: (r.table, r.line))
        stats.append((page.number, produced + len(lost), produced))
    return ParsedList(tuple(rows), tuple(stats), found, _classify(tables, rows), frozenset(table_lines),
                      tuple(unread))


def _spaced_row(line: Line, table: Table) -> bool:
    """A text line of one cell that reads as a whole row of a tab table with a sector column when
    split at spaces: a row typed with spaces instead of tabs (the known sector name is the evidence)."""
    if not table.positioned or not table.sector_header or len({w.cell for w in line.words}) > 1:
        return False
    spaced = Table(table.starts, False, table.sector_header)
    return _to_row(_token_row(line, spaced), spaced, 1) is not None


# Words of footers and notices that never are a company ("FTSE Russell | Final index Deletes 4").
FURNITURE = r"ftse russell|lse group|london stock exchange|©"
_FURNITURE = re.compile(rf"{FURNITURE}|\|", re.IGNORECASE)  # and the footers' separator


def _unread(pieces: list[tuple[int, tuple[int, int], str, str]], text: bool) -> list[tuple[int, str]]:
    """(line, words) of a page's pieces that hold data no row took, one per line, in line order;
    pieces are grouped by the table they belong to (its header line and its place on the line)."""
    lost: dict[int, str] = {}
    for t in {p[1] for p in pieces}:
        mine = [p for p in pieces if p[1] == t]
        rows = [n for n, _, _, kind in mine if kind == "row"]
        opened = min((n for n, _, _, kind in mine if kind in ("header", "row")), default=None)
        for n, _, words, kind in mine:
            inside = text and rows and opened is not None and opened < n < rows[-1]
            lost_row = kind == "candidate" or (inside and kind in ("wrap", "other"))
            if lost_row and not _FURNITURE.search(words):
                lost[n] = f"{lost[n]} | {words}" if n in lost else words
    return sorted(lost.items())


def _continue_name(rows: list[ListRow], last: dict, t: int, y: float, cols: dict[str, list[str]]) -> bool:
    """Append a wrapped company name: name words only, closer below its row than rows are apart."""
    prev = last.get(t)
    words = cols.get("company", [])
    if not prev or prev[2] < 0 or not _is_wrap(cols):
        return False
    if prev[1] is None or y - prev[0] >= 0.8 * prev[1]:
        return False
    r = rows[prev[2]]
    rows[prev[2]] = ListRow(r.page, r.line, r.table, f"{r.company} {' '.join(words)}", r.symbol, r.sector)
    last[t] = (y, prev[1], prev[2])
    return True


def _classify(tables: tuple[Table, ...], rows: list[ListRow]) -> str | None:
    if not tables or not tables[0].sector_header:
        return None
    return classification({r.sector for r in rows if r.sector}, tables[0].sector_header)
