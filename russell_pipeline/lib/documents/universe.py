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
from typing import NoReturn

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
REQUIRED = tuple(c for c in SCREENER_HEADER if c not in ("Net Change", "% Change"))
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


def looks_like_universe(text_head: str) -> bool:
    """Whether a text document's first line is a screener header: it names `Symbol` and `Market Cap`."""
    first = text_head.lstrip("\ufeff").splitlines()[0] if text_head.strip() else ""
    cells = {c.strip().strip('"').lower() for c in first.split(",")}
    return {"symbol", "market cap"} <= cells


_BLANK = ("", "NA", "N/A", "na", "n/a")
NUMBERS = {"price": "Last Sale", "market_cap": "Market Cap", "ipo_year": "IPO Year", "volume": "Volume"}
TEXTS = {"company": "Name", "country": "Country", "sector": "Sector", "industry": "Industry"}


def _lists_form(symbol: pl.Expr) -> pl.Expr:
    """A symbol in the lists' form: `BRK/B` and `brk-b` are `BRK.B`."""
    return symbol.str.to_uppercase().str.replace_all(r"[/\-]", ".")


# The columns read as numbers as the file is read (a value that is not one sends the file to the
# checked reading, which names its line); Last Sale carries a `$` and is read as text.
TYPED = {"Market Cap": pl.Float64, "IPO Year": pl.Float64, "Volume": pl.Float64}

# read_universe's columns.
_COLUMNS = {k: v for k, v in UNIVERSE_COLUMNS.items() if k not in ("recon_year", "as_of_date")}
_SYMBOL = pl.col("Symbol")
_PRICE = pl.col("Last Sale").str.strip_chars_start("$").cast(pl.Float64, strict=False)
# The rows of a file read typed (source_sha256 aside): one query, built once.
_TYPED_ROWS = {
    "symbol": _lists_form(_SYMBOL),
    "listed_symbol": _SYMBOL,
    "company": pl.col("Name"),
    "price": _PRICE,
    "market_cap": pl.col("Market Cap"),
    "country": pl.col("Country"),
    "ipo_year": pl.col("IPO Year").cast(pl.Int64, strict=False),  # a whole year where _FINE holds
    "volume": pl.col("Volume"),
    "sector": pl.col("Sector"),
    "industry": pl.col("Industry"),
    "source_line": pl.int_range(2, pl.len() + 2, dtype=pl.Int64),
}
# Whether every value is one the checked reading takes as it is (any other sends the file there, which
# names its line).
_FINE = (
    _SYMBOL.is_not_null().all()
    & (_lists_form(_SYMBOL).n_unique() == pl.len())  # BRK/B and BRK.B: twice
    & (_SYMBOL.str.len_bytes() == _SYMBOL.str.strip_chars().str.len_bytes()).all()
    & (pl.col("Last Sale").is_null() | _PRICE.is_finite().fill_null(False)).all()
    & ~(_PRICE < 0).any()
    & (pl.col("Market Cap").fill_null(0) >= 0).all()
    & ((pl.col("IPO Year") % 1 == 0) & pl.col("IPO Year").is_between(1800, 2200)).fill_null(True).all()
    & pl.col("Market Cap").fill_null(0).is_finite().all()
)


def read_universe(path: str, data: bytes, sha256: str) -> pl.DataFrame:
    """The universe rows of a screener CSV (UNIVERSE_COLUMNS without recon_year and as_of_date),
    in file order; `source_line` is the file's line (the header is line 1). A file whose numbers
    all read as numbers is read typed, in one pass; any other is read as text and checked value by
    value, so its first bad value is named with its line."""
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            schema_overrides=TYPED,
            infer_schema=False,
            null_values=list(_BLANK[1:]),
            truncate_ragged_lines=False,
        )
    except pl.exceptions.PolarsError:
        return _checked(path, data, sha256)
    if set(REQUIRED) - set(frame.columns) or not frame.height:
        return _checked(path, data, sha256)
    typed = {**_TYPED_ROWS, "source_sha256": pl.lit(sha256)}
    rows = frame.lazy().select(**{c: typed[c] for c in _COLUMNS}, _fine=_FINE).collect(engine="in-memory")
    if not rows.drop_in_place("_fine")[0]:
        return _checked(path, data, sha256)
    return rows


def _checked(path: str, data: bytes, sha256: str) -> pl.DataFrame:
    """`read_universe` of a file read as text, every value checked: its first problem refuses it."""
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
    # The text as given (blank: null), then the numbers read from it: `$` and `,` are not part of one.
    given = {name: pl.col(column).str.strip_chars() for name, column in {**NUMBERS, **TEXTS}.items()}
    plain = [
        pl.when(e.is_in(_BLANK)).then(None).otherwise(e).alias(f"_{n}")
        for n, e in given.items()
        if n in NUMBERS
    ]
    rows = (
        frame.lazy()
        .select(
            pl.col("Symbol").str.strip_chars().alias("listed_symbol"),
            *[pl.when(e == "").then(None).otherwise(e).alias(n) for n, e in given.items() if n in TEXTS],
            *plain,
        )
        .with_columns(
            symbol=_lists_form(pl.col("listed_symbol")),
            **{
                n: pl.col(f"_{n}")
                .str.strip_chars_start("$")
                .str.replace_all(",", "", literal=True)
                .cast(pl.Float64, strict=False)
                for n in NUMBERS
            },
        )
        .with_columns(
            source_sha256=pl.lit(sha256),
            source_line=pl.int_range(2, pl.len() + 2, dtype=pl.Int64),
            # What refuses the file (the first offending line is looked up only then).
            _no_symbol=pl.col("listed_symbol").is_null() | (pl.col("listed_symbol") == ""),
            _twice=pl.col("symbol").is_duplicated(),
            **{
                f"_bad_{n}": pl.col(f"_{n}").is_not_null() & ~pl.col(n).is_finite().fill_null(False)
                for n in NUMBERS
            },
            _bad_year=((pl.col("ipo_year") % 1 != 0) | ~pl.col("ipo_year").is_between(1800, 2200)).fill_null(
                False
            ),
            _negative_market_cap=(pl.col("market_cap") < 0).fill_null(False),
            _negative_price=(pl.col("price") < 0).fill_null(False),
        )
        .collect(engine="in-memory")
    )
    flags = [
        "_no_symbol",
        "_twice",
        *(f"_bad_{n}" for n in NUMBERS),
        "_bad_year",
        "_negative_market_cap",
        "_negative_price",
    ]
    found = rows.select(pl.col(flags).any()).row(0, named=True)
    if any(found.values()):
        _refuse(path, frame, rows, next(f for f in flags if found[f]))
    return rows.select(list(_COLUMNS)).cast(_COLUMNS)


def _refuse(path: str, frame: pl.DataFrame, rows: pl.DataFrame, flag: str) -> NoReturn:
    """The one line of the first offending line's problem."""
    i = int(rows[flag].arg_max())
    line = i + 2
    if flag == "_no_symbol":
        raise InputError(path, f"line {line}: no symbol")
    if flag == "_twice":
        same = rows.filter(pl.col("symbol") == rows["symbol"][i])
        forms = same["listed_symbol"].unique(maintain_order=True).to_list()
        said = f" (as {', '.join(map(repr, forms))}: one symbol in the lists' form)" if len(forms) > 1 else ""
        raise InputError(
            path,
            f"symbol {forms[0]!r} on lines {', '.join(map(str, same['source_line']))}{said}: "
            "a symbol once per file",
        )
    name = flag.removeprefix("_bad_").removeprefix("_negative_")
    column = NUMBERS.get(name, "IPO Year")
    value = frame[column][i]
    if flag.startswith("_negative"):
        raise InputError(path, f"line {line}: {column} {value!r} is negative")
    if flag == "_bad_year":
        raise InputError(path, f"line {line}: IPO Year {value!r} is not a year")
    raise InputError(path, f"line {line}: {column} {value!r} is not a number")
