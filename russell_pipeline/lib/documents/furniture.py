"""Which pages of a list hold its table and which are furniture, by evidence (pure).

A list's pages are not all table: a cover, an "about the index" page, a disclaimer, a methodology
note, a contact block in one, two or three columns, a summary of counts by sector, a blank page or a
page of footnotes may stand before, between or after the table pages. A page is a table page when
it prints a table header, or, without one, when lines on it read as rows of the table the earlier
pages set: company and symbol (and sector, where the table has one) in the columns, each one run of
text at the alignment those pages' rows had, and a symbol of a symbol's shape. A line that reads as
a row but heads a block of text set in columns as no list prints it (a contact block's region names
over its addresses and telephone numbers) is no row. Everything else on a page without a header is
furniture, and the page says why.

Furniture is never a place to lose rows: a line on a furniture page that reads as one of the
table's rows at its columns, but not as a row of it (a symbol split in two, a symbol no list
prints), is a row the parser cannot account for, and stays unread: the document is refused and the
line named; unless it heads a block set in columns, as above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A symbol as the lists print them: up to six letters or digits, maybe a class suffix (BRK.B, CWEN.A).
# The parser reads longer ones under a header (TICKER_RE); on a page without one a longer "symbol" is
# a word of prose or an address set in the symbol's column, not evidence of the table.
SYMBOL_SHAPE = re.compile(r"^(?=.*[A-Z])[A-Z0-9]{1,6}(?:[./-][A-Z0-9]{1,2})?$")
# The notices a list prints beside its rows, in capitals or not (`END OF LIST`, `CONTINUED ON NEXT PAGE`,
# `PAGE 2 OF 9`, `p. 2`, `SEE NOTES`, `THIS PAGE INTENTIONALLY LEFT BLANK`): a line of these words alone is
# furniture, though it may read as a name and a symbol (`END OF` and `LIST`). A company's name holds a word of
# its own. A page's abbreviation has its point (`PG` is a symbol).
NOTICE = re.compile(
    r"(?:(?:END|OF|THE|LIST|CONT(?:INUE[DS]?)?|ON|NEXT|PAGE|PP?\.|PG\.|SEE|NOTES?|THIS|INTENTIONALLY|LEFT|BLANK|\d+)\W*)+",
    re.IGNORECASE,
)
_UPPER = re.compile(r"[A-Z]")
_LOWER = re.compile(r"[a-z]")


@dataclass(frozen=True, slots=True)
class PageKind:
    page: int
    kind: str  # table | furniture
    reason: str  # why, in a few words: `table header on line 3`, `no header and no row: ...`


def fits(
    cols: dict[str, list[str]], aligned: frozenset[str], kinds: tuple[str, ...], positioned: bool
) -> bool:
    """A line's part in one table reads as one of the table's rows at the columns its earlier pages
    set: every column filled, sitting where those pages' rows sat (`aligned`, for a table with
    column positions), and the symbol one token of a symbol's shape."""
    symbol = cols.get("symbol", [])
    if set(kinds) - set(cols) or len(symbol) != 1 or not SYMBOL_SHAPE.match(symbol[0]):
        return False
    return not positioned or set(kinds) <= aligned


def row_like(
    cols: dict[str, list[str]], aligned: frozenset[str], kinds: tuple[str, ...], positioned: bool
) -> bool:
    """A line on a furniture page that stands where the table's rows stand and looks like one (an
    upper-case name in the company column, a symbol-sized run of capitals in the symbol column, at
    the columns' alignment), though it does not read as a row: a row the parser cannot account for."""
    company = " ".join(cols.get("company", ()))
    symbol = "".join(cols.get("symbol", ()))
    if not company or not symbol or _LOWER.search(company) or not _UPPER.search(company):
        return False
    if not SYMBOL_SHAPE.match(symbol) and not SYMBOL_SHAPE.match(symbol[:-1]):
        return False  # two runs of a symbol's size, split, still are one (the `A BCDQ` of a bad row)
    return not positioned or {"company", "symbol"} <= aligned


def set_in_columns(cols: dict[str, list[str]], spans: bool) -> bool:
    """Text set in the table's columns as no list prints it: beside another column, a company column
    in mixed case or without a capital (an address, a telephone number), and not one run across the
    columns (prose). Under a line that reads as a row, it makes that line the heading of a block set
    in columns (a contact block's region names), not a row."""
    company = " ".join(cols.get("company", ()))
    return (
        not spans
        and len(cols) >= 2
        and bool(company)
        and (bool(_LOWER.search(company)) or not _UPPER.search(company))
    )


def furniture_reason(lines: int, prose: int, candidates: int, headings: int) -> str:
    """Why a page without a header and without a row is furniture, in a few words."""
    if not lines:
        return "blank: no text"
    parts = [f"{lines} line(s), no table header and no row of the table"]
    if prose:
        parts.append(f"{prose} of prose")
    if candidates:
        parts.append(f"{candidates} in capitals not at the table's columns")
    if headings:
        parts.append(f"{headings} heading(s) of a block set in columns")
    return "; ".join(parts)
