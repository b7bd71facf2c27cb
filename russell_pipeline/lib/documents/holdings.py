"""An ETF holdings file: what a fund tracking a Russell index held on a date, in the layout of the
iShares download (the fund's name on the first line, a `Fund Holdings as of` line, a few facts, then
`Ticker,Name,Sector,Asset Class,Market Value,Weight (%),Notional Value,Quantity,Price,Location,Exchange,
Currency,FX Rate,Market Currency,Accrual Date`, one row per holding, a blank line, and the publisher's
notes).

The file is dated by its `Fund Holdings as of` line; the fund's index is the Russell index its name
names (`iShares Russell 2000 ETF`: Russell 2000). Every row of the table is kept as the fund prints it
(equities, cash, futures, money-market funds); `listed` marks the rows that are a listed share: an
equity with a ticker of letters, on an exchange, at a price above zero (not `-`, an internal code such
as `P5N994`, a vesting right or an escrow). A listed row is evidence that its company is a member of
the fund's index on that date; the fund need not hold every member, so a missing row is no evidence of
a deletion (lib/securities/ and the `reconcile` verb read them so). The fund writes a share class
without a separator (`MOGA` for `MOG.A`): `ticker` keeps it so.

Nothing is taken on trust: a file without the fund's name, its date or its table header, a row with
another number of fields than the header (a file cut short), a number that is not one, a ticker that
is not ASCII, or a table running to the end of the file without the blank line the publisher ends it
with, is refused with one line naming the file and the line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re

import polars as pl

from russell_pipeline.lib.documents.symbols import ticker_problem
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.text_rules import name_problem

HOLDINGS_COLUMNS: dict[str, pl.DataType] = {
    "recon_year": pl.Int64,
    "as_of_date": pl.Date,
    "fund": pl.String,  # the fund's name, as its first line gives it
    "index_name": pl.String,  # the Russell index the fund's name names
    "ticker": pl.String,  # as the fund prints it (null for `-`)
    "company": pl.String,
    "sector": pl.String,
    "asset_class": pl.String,
    "market_value": pl.Float64,
    "weight_pct": pl.Float64,
    "quantity": pl.Float64,
    "price": pl.Float64,
    "location": pl.String,
    "exchange": pl.String,
    "currency": pl.String,
    "listed": pl.Boolean,  # a listed share: membership evidence (module docstring)
    "source_sha256": pl.String,
    "source_line": pl.Int64,  # the file's line
}
HEADER = (
    "Ticker",
    "Name",
    "Sector",
    "Asset Class",
    "Market Value",
    "Weight (%)",
    "Quantity",
    "Price",
    "Location",
    "Exchange",
    "Currency",
)
TEXTS = {
    "ticker": "Ticker",
    "company": "Name",
    "sector": "Sector",
    "asset_class": "Asset Class",
    "location": "Location",
    "exchange": "Exchange",
    "currency": "Currency",
}
NUMBERS = {
    "market_value": "Market Value",
    "weight_pct": "Weight (%)",
    "quantity": "Quantity",
    "price": "Price",
}
AS_OF = "Fund Holdings as of"
# The index a fund's holding is evidence of membership in: its own, or for a style index the one it is
# drawn from (a Russell 2000 Growth fund holds Russell 2000 members).
MEMBERSHIP_OF = {
    "Russell 3000": "Russell 3000",
    "Russell 1000": "Russell 1000",
    "Russell 2000": "Russell 2000",
    "Russell 1000 Growth": "Russell 1000",
    "Russell 1000 Value": "Russell 1000",
    "Russell 2000 Growth": "Russell 2000",
    "Russell 2000 Value": "Russell 2000",
    "Russell 3000 Growth": "Russell 3000",
    "Russell 3000 Value": "Russell 3000",
    "Russell Microcap": "Russell Microcap",
}
# The indexes a fund's name may name, longest first, as the lake's tables name them.
_INDEX = re.compile(
    r"\bRussell\s+(Top\s*200|Mid-?\s*Cap|Micro-?\s*Cap|3000E|1000|2000|2500|3000)(?:\s+(Growth|Value))?\b",
    re.IGNORECASE,
)
_SIZES = {"top200": "Top 200", "midcap": "Midcap", "microcap": "Microcap"}
# An exchange a listed share trades on (the fund writes `-` or `NO MARKET (E.G. UNLISTED)` for the others).
_NO_EXCHANGE = re.compile(r"^(-|no market\b.*)$", re.IGNORECASE)
_LETTERS = re.compile(r"[A-Z]{1,6}")
_BLANK = ("", "-", "\xa0")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def looks_like_holdings(text_head: str) -> bool:
    """Whether a text document holds a `Fund Holdings as of` line among its first lines."""
    return any(line.lstrip('\ufeff"').startswith(AS_OF) for line in text_head.splitlines()[:6])


def index_of_fund(fund: str) -> str | None:
    """The Russell index a fund's name names (`iShares Russell 2000 Growth ETF`: `Russell 2000 Growth`)."""
    m = _INDEX.search(fund)
    if m is None:
        return None
    size = re.sub(r"[\s-]", "", m.group(1)).lower()
    name = f"Russell {_SIZES.get(size, m.group(1).upper())}"
    return f"{name} {m.group(2).capitalize()}" if m.group(2) else name


def read_holdings(path: str, data: bytes, sha256: str) -> tuple[pl.DataFrame, dt.date]:
    """The rows of a holdings file (HOLDINGS_COLUMNS without recon_year and as_of_date) and the date its
    `Fund Holdings as of` line gives."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text at byte {exc.start}") from None
    records = _records(path, text)
    lines = [cells for _, cells, _ in records]
    fund = " ".join(lines[0][0].split()) if lines and lines[0] else ""
    index = index_of_fund(fund)
    if index is None:
        raise InputError(
            path,
            f"first line {fund[:80]!r} names no Russell index: a holdings file starts with the fund's name",
        )
    as_of = _as_of(path, lines)
    at = next((n for n, cells in enumerate(lines) if cells and cells[0].strip() == "Ticker"), None)
    if at is None:
        raise InputError(path, f"no table header (a line starting {','.join(HEADER[:4])},...)")
    header = [c.strip() for c in lines[at]]
    missing = [c for c in HEADER if c not in header]
    if missing:
        raise InputError(path, f"line {records[at][0]}: the table header lacks {', '.join(missing)}")
    rows, end = [], None
    for line, cells, spans in records[at + 1 :]:
        if cells and cells[0].startswith("\0"):
            raise InputError(path, f"line {line}: not a CSV record ({cells[0][1:]})")
        if not any(c.strip(" \xa0") for c in cells):
            end = line
            break
        if spans:
            raise InputError(path, f"line {line}: a field holds a line break")
        if len(cells) != len(header):
            raise InputError(
                path,
                f"line {line}: {len(cells)} fields, the header has {len(header)}: cut short or malformed",
            )
        rows.append((line, dict(zip(header, cells, strict=True))))
    if end is None:
        raise InputError(
            path,
            f"the holdings table runs to the end of the file (line {records[-1][0]}) without the blank line "
            "the publisher ends it with: the file looks cut short",
        )
    if not rows:
        raise InputError(path, "holdings table with a header and no rows")
    return _typed(path, rows, fund, index, sha256), as_of


def _records(path: str, text: str) -> list[tuple[int, list[str], bool]]:
    """The file's CSV records: (the line it starts on, its cells, whether it spans lines: a line break
    inside a quoted field, which the notes below the table may hold and a row may not). A record the CSV
    reader cannot read (a field beyond its limit) ends the records with an empty one marking its line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out: list[tuple[int, list[str], bool]] = []
    start = 1
    try:
        for cells in reader:
            out.append((start, cells, reader.line_num > start))
            start = reader.line_num + 1
    except csv.Error as exc:
        out.append((start, [f"\0{exc}"], True))
    return out


def _as_of(path: str, lines: list[list[str]]) -> dt.date:
    found = next((cells for cells in lines[:10] if cells and cells[0].strip() == AS_OF), None)
    if found is None or len(found) < 2:
        raise InputError(path, f"no `{AS_OF}` line with a date among its first lines")
    given = " ".join(found[1].split())
    for pattern in ("%b %d, %Y", "%B %d, %Y", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(given, pattern).date()
        except ValueError:
            continue
    raise InputError(path, f"{AS_OF} {given!r}: not a date (May 05, 2026)")


def _typed(path: str, rows: list[tuple[int, dict]], fund: str, index: str, sha256: str) -> pl.DataFrame:
    out = []
    for line, cells in rows:
        text = {k: _text(path, line, column, cells[column]) for k, column in TEXTS.items()}
        ticker = text["ticker"]
        problem = ticker_problem(ticker) if ticker is not None else None
        if problem:
            raise InputError(path, f"line {line}: Ticker {ticker!r} is not one ({problem})")
        numbers = {k: _number(path, line, column, cells[column]) for k, column in NUMBERS.items()}
        listed = (
            text["asset_class"] == "Equity"
            and ticker is not None
            and _LETTERS.fullmatch(ticker) is not None
            and text["exchange"] is not None
            and not _NO_EXCHANGE.match(text["exchange"])
            and (numbers["price"] or 0) > 0
        )
        out.append(
            {"fund": fund, "index_name": index, **text, **numbers, "listed": listed, "source_line": line}
        )
    schema = {
        k: v for k, v in HOLDINGS_COLUMNS.items() if k not in ("recon_year", "as_of_date", "source_sha256")
    }
    frame = pl.DataFrame(out, schema=schema).with_columns(source_sha256=pl.lit(sha256))
    return frame.select([c for c in HOLDINGS_COLUMNS if c not in ("recon_year", "as_of_date")])


def _text(path: str, line: int, column: str, value: str) -> str | None:
    problem = name_problem(value.replace("\t", " "), column)
    if problem:
        raise InputError(path, f"line {line}: {problem}")
    value = " ".join(value.split())
    return None if value in _BLANK else value


def _number(path: str, line: int, column: str, value: str) -> float | None:
    given = value.strip(" \xa0")
    if given in _BLANK:
        return None
    plain = given.replace(",", "")
    if plain.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        raise InputError(path, f"line {line}: {column} {given!r} is not a finite number")
    if not _NUMBER.fullmatch(plain):  # float() would also take `1_000`
        raise InputError(path, f"line {line}: {column} {given!r} is not a number")
    number = float(plain)
    if not math.isfinite(number):
        raise InputError(path, f"line {line}: {column} {given!r} is not a finite number")
    return number
