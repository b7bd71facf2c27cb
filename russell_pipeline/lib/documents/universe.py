"""A rank-day universe file: every security listed on the US exchanges as of a date, in the layout of
the Nasdaq stock screener's CSV download (`Symbol,Name,Last Sale,Net Change,% Change,Market Cap,
Country,IPO Year,Volume,Sector,Industry`), read into `UNIVERSE_COLUMNS` rows.

The file is recognized by its header, checked column by column, and read whole or refused with one
line naming the file, the line and the problem (a missing column, a price or market cap that is not
a number, a symbol twice). Values are kept as the screener prints them, only typed: symbols take
the publisher's form for share classes (`BRK/B` is `BRK.B`, as FTSE Russell's lists print it), a
blank market cap or country stays null. What the values mean for the index is lib/forecast's to say.
"""

from __future__ import annotations

import io
import re

import polars as pl

from russell_pipeline.lib.errors import InputError

# The screener's header, and the columns the forecast reads (the two change columns are not read).
SCREENER_HEADER = (
    "Symbol",
    "Name",
    "Last Sale",
    "Net Change",
    "% Change",
    "Market Cap",
    "Country",
    "IPO Year",
    "Volume",
    "Sector",
    "Industry",
)
REQUIRED = (
    "Symbol",
    "Name",
    "Last Sale",
    "Market Cap",
    "Country",
    "IPO Year",
    "Volume",
    "Sector",
    "Industry",
)
UNIVERSE_COLUMNS: dict[str, pl.DataType] = {
    "recon_year": pl.Int64,
    "as_of_date": pl.Date,
    "symbol": pl.String,  # in the lists' form: BRK/B as BRK.B
    "listed_symbol": pl.String,  # as the file prints it
    "company": pl.String,
    "price": pl.Float64,
    "market_cap": pl.Float64,  # USD, as the screener gives it (the company's total on each class line)
    "country": pl.String,
    "ipo_year": pl.Int64,
    "volume": pl.Float64,
    "sector": pl.String,
    "industry": pl.String,
    "source_sha256": pl.String,
    "source_line": pl.Int64,
}
_NUMBER = re.compile(r"^-?\d+(\.\d*)?([eE][-+]?\d+)?$")


def looks_like_universe(text_head: str) -> bool:
    """Whether a text document's first line is a screener header: it names `Symbol` and `Market Cap`."""
    first = text_head.lstrip("\ufeff").splitlines()[0] if text_head.strip() else ""
    cells = {c.strip().strip('"').lower() for c in first.split(",")}
    return {"symbol", "market cap"} <= cells


def _numbers(frame: pl.DataFrame, column: str, path: str, strip: str = "$,") -> pl.Series:
    """A column of numbers: blank is null, `$` and `,` are dropped; anything else refuses the file."""
    raw = frame[column].str.strip_chars()
    cleaned = raw.str.replace_all(f"[{re.escape(strip)}]", "").str.strip_chars() if strip else raw
    blank = cleaned.is_null() | (cleaned == "") | (cleaned.str.to_uppercase().is_in(["NA", "N/A"]))
    bad = ~blank & ~cleaned.str.contains(_NUMBER.pattern).fill_null(False)
    if bad.any():
        i = int(bad.arg_max())
        raise InputError(path, f"line {i + 2}: {column} {raw[i]!r} is not a number")
    return (
        pl.select(pl.when(pl.lit(blank)).then(None).otherwise(pl.lit(cleaned))).to_series().cast(pl.Float64)
    )


def read_universe(path: str, data: bytes, sha256: str) -> pl.DataFrame:
    """The universe rows of a screener CSV (UNIVERSE_COLUMNS without recon_year and as_of_date),
    in file order; `source_line` is the file's line (the header is line 1)."""
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, truncate_ragged_lines=False)
    except pl.exceptions.PolarsError as exc:
        raise InputError(path, f"not a readable CSV: {str(exc).splitlines()[0]}") from None
    frame = frame.rename({c: c.strip().lstrip("\ufeff") for c in frame.columns})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(
            path,
            f"universe file without the column(s) {', '.join(missing)}: the Nasdaq screener layout "
            f"is {','.join(SCREENER_HEADER)}",
        )
    if not frame.height:
        raise InputError(path, "universe file with a header and no securities")
    listed = frame["Symbol"].str.strip_chars()
    if (listed.is_null() | (listed == "")).any():
        i = int((listed.is_null() | (listed == "")).arg_max())
        raise InputError(path, f"line {i + 2}: no symbol")
    symbol = listed.str.to_uppercase().str.replace_all(r"[/\-]", ".")
    twice = symbol.is_duplicated()
    if twice.any():
        i = int(twice.arg_max())
        lines = [n + 2 for n in (symbol == symbol[i]).arg_true().to_list()]
        raise InputError(
            path, f"symbol {listed[i]!r} on lines {', '.join(map(str, lines))}: a symbol once per file"
        )
    ipo = _numbers(frame, "IPO Year", path, strip="")
    if ((ipo % 1 != 0) | (ipo < 1800) | (ipo > 2200)).fill_null(False).any():
        i = int(((ipo % 1 != 0) | (ipo < 1800) | (ipo > 2200)).fill_null(False).arg_max())
        raise InputError(path, f"line {i + 2}: IPO Year {frame['IPO Year'][i]!r} is not a year")
    cap = _numbers(frame, "Market Cap", path)
    price = _numbers(frame, "Last Sale", path)
    for name, values in (("Market Cap", cap), ("Last Sale", price)):
        negative = (values < 0).fill_null(False)
        if negative.any():
            i = int(negative.arg_max())
            raise InputError(path, f"line {i + 2}: {name} {frame[name][i]!r} is negative")

    def text(column: str) -> pl.Series:
        values = frame[column].str.strip_chars()
        return pl.select(pl.when(pl.lit(values) == "").then(None).otherwise(pl.lit(values))).to_series()

    return pl.DataFrame(
        {
            "symbol": symbol,
            "listed_symbol": listed,
            "company": text("Name"),
            "price": price,
            "market_cap": cap,
            "country": text("Country"),
            "ipo_year": ipo.cast(pl.Int64),
            "volume": _numbers(frame, "Volume", path, strip=","),
            "sector": text("Sector"),
            "industry": text("Industry"),
            "source_sha256": pl.repeat(sha256, frame.height, eager=True),
            "source_line": pl.int_range(2, frame.height + 2, eager=True),
        }
    ).cast({k: v for k, v in UNIVERSE_COLUMNS.items() if k not in ("recon_year", "as_of_date")})
