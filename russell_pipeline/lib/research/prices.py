"""A user's price file (closes of the listed symbols), validated like the market-data contract's prices.

Three layouts, told apart by their header (docs/methodology.md §2.11):

- **long**: one row per (date, ticker), columns `Date`, `Ticker` (or `Symbol`) and `Close` in any
  order and letter case; others (`Open`, `High`, `Low`, `Volume`, `Adj Close`) are ignored;
- **wide**: first column `Date`, then one column of closes per ticker; an empty cell is no close;
- **yfinance**: the three-line header a pandas frame with (Price, Ticker) columns writes, as
  `yfinance.download(...).to_csv(FILE)` saves it (`Price,Close,...` / `Ticker,AAPL,...` /
  `Date,,...`): the `Close` columns are read, like the wide layout.

Every line is read by the rule of every CSV (lib/csv_rows.py: as many cells as the header, UTF-8
without control characters), and every row checked with the contract's own checks
(lib/market/contract.py): dates `YYYY-MM-DD`, NYSE sessions, not after the last completed session;
closes present, finite and positive; a ticker ASCII by rule; one close per (date, ticker). The first
bad line is one InputError naming the file and its line.
No shares, currencies or memberships are needed: a price path only reads closes.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from russell_pipeline.lib.csv_rows import check_file
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.market.contract import _check_rows, _check_unique, _typed, _Where

PRICE_SCHEMA = {"date": pl.Date, "symbol": pl.String, "close": pl.Float64}
DATE_NAMES, TICKER_NAMES, CLOSE_NAMES = {"date"}, {"ticker", "symbol"}, {"close"}
EXPECTED = (
    "a header with Date, Ticker (or Symbol) and Close (long), a first column Date followed by one "
    "column per ticker (wide), or the Price/Ticker/Date header yfinance writes"
)


@dataclass(frozen=True)
class PriceFile:
    """Validated closes of one file: `prices` (date, symbol, close) in file order, and its layout."""

    path: str
    layout: str
    prices: pl.DataFrame


def _header(path: Path) -> list[list[str]]:
    """The first three lines of the file as CSV cells, stripped."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            return [[c.strip() for c in row] for _, row in zip(range(3), reader)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, f"cannot read: {exc}") from None


def _named(header: list[str], names: set[str]) -> list[str]:
    return [c for c in header if c.casefold() in names]


def detect_layout(path: str | Path) -> str:
    """`long`, `wide` or `yfinance` from the file's header; any other header is an InputError."""
    path = Path(path)
    lines = _header(path)
    if not lines or not any(lines[0]):
        raise InputError(path, f"empty file: expected {EXPECTED}")
    first = [row[0].casefold() if row else "" for row in lines]
    if first[:3] == ["price", "ticker", "date"] and len(lines[0]) > 1:
        return "yfinance"
    head = lines[0]
    found = [_named(head, names) for names in (DATE_NAMES, TICKER_NAMES, CLOSE_NAMES)]
    if any(len(f) > 1 for f in found):
        raise InputError(
            path,
            f"header names a column twice ({', '.join(f for fs in found for f in fs)}): keep one of each",
        )
    if all(found):
        return "long"
    if first[0] == "date" and len(head) > 1 and not found[1]:
        return "wide"
    raise InputError(
        path, f"unknown price file layout (header {','.join(head)[:120]!r}): expected {EXPECTED}"
    )


def _long(path: Path) -> tuple[pl.LazyFrame, None]:
    scan = pl.scan_csv(path, infer_schema=False)
    head = scan.collect_schema().names()
    date_col, ticker, close = (_named(head, names)[0] for names in (DATE_NAMES, TICKER_NAMES, CLOSE_NAMES))
    return scan.select(
        pl.col(date_col).alias("date"),
        pl.col(ticker).alias("symbol"),
        pl.col(close).alias("close"),
        pl.lit("USD").alias("currency"),
    ), None


def _wide(path: Path, layout: str) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """Closes as (date, symbol, close), row by row and ticker by ticker, and where each one is in the file."""
    if layout == "yfinance":
        kinds, tickers = _header(path)[:2]
        columns = [(i, tickers[i]) for i, kind in enumerate(kinds) if i and kind.casefold() == "close"]
        if not columns:
            raise InputError(path, "yfinance header has no Close columns (line 1 names each column's field)")
        skip, first_line = 3, 4
    else:
        head = _header(path)[0]
        columns, skip, first_line = [(i, name) for i, name in enumerate(head) if i], 1, 2
    names = [t for _, t in columns]
    if len(set(names)) < len(names) or not all(names):
        twice = sorted({t for t in names if names.count(t) > 1 or not t})
        raise InputError(path, f"ticker columns must be named once each: {', '.join(repr(t) for t in twice)}")
    frame = pl.read_csv(path, has_header=False, skip_rows=skip, infer_schema=False)
    frame = frame.select(
        pl.col(frame.columns[0]).alias("date"),
        *(pl.col(frame.columns[i]).alias(f"#{k}") for k, (i, _) in enumerate(columns)),
    )
    long = (
        frame.with_row_index("_line", offset=first_line)
        .unpivot(index=["_line", "date"], variable_name="_k", value_name="close")
        .filter(pl.col("close").str.strip_chars().fill_null("") != "")
        .with_columns(pl.col("_k").str.slice(1).cast(pl.Int64))
        .sort("_line", "_k")
        .with_columns(
            pl.col("_k")
            .replace_strict(list(range(len(names))), names, return_dtype=pl.String)
            .alias("symbol"),
            pl.lit("USD").alias("currency"),
        )
    )
    return long.select("date", "symbol", "close", "currency").lazy(), long.select("_line", "symbol")


def read_price_file(path: str | Path, latest: date | None = None) -> PriceFile:
    """The closes of `path` in any layout, validated; `latest`: the last session completed when it is read
    (a close dated after it is refused, as the market-data contract refuses it)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "price file does not exist")
    layout = detect_layout(path)
    check_file(path, path)  # every line by the one CSV rule (lib/csv_rows.py): the header's cells on each
    source, lines = _long(path) if layout == "long" else _wide(path, layout)

    def wide_row(i: int) -> str:
        line, symbol = lines.row(i)
        return f"line {line} (ticker {symbol})"

    where = _Where(path) if lines is None else _Where(path, name=wide_row)

    with tempfile.TemporaryDirectory(prefix="price_file.") as tmp:
        typed = Path(tmp) / "prices.parquet"
        try:
            _typed("prices", source).sink_parquet(typed)
        except (pl.exceptions.PolarsError, OSError, ValueError) as exc:  # a reader failure: a bad file
            raise InputError(
                path, f"cannot read: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            ) from None
        _check_rows("prices", where, typed, source, latest)
        _check_unique("prices", where, typed)
        prices = pl.read_parquet(typed).select(list(PRICE_SCHEMA))
    if not prices.height:
        raise InputError(path, "no closes in the file")
    return PriceFile(str(path), layout, prices)
