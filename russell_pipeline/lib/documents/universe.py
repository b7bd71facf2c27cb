"""A rank-day universe file: every security listed on the US exchanges as of a date, in the layout of
the Nasdaq stock screener's CSV download (`Symbol,Name,Last Sale,Net Change,% Change,Market Cap,
Country,IPO Year,Volume,Sector,Industry`), read into `UNIVERSE_COLUMNS` rows.

The file is recognized by its header and read one way, whoever reads it (`parse`, a build): every line
by the rule of lib/csv_rows.py (a line with fewer or more fields than the header, a file cut inside its
last line, a stray quote or control character: refused), then every value by the rules below, and the
first line that breaks one is one InputError naming the file, the line and the problem:

- every field is trimmed of the white space around it; a text left empty is null;
- `Last Sale`, `Market Cap`, `IPO Year` and `Volume` are numbers (a `$` before and `,` inside are not
  part of one; empty, `NA` or `N/A` is null), finite and not negative; an IPO year is a whole year
  from 1800 to 2200;
- a symbol is present, ASCII by rule (lib/text_rules.py) and once per file in the lists' form (`BRK/B`
  is `BRK.B`, as FTSE Russell's lists print it); `NA` is the symbol NA, not a blank;
- a name, country, sector and industry is printable text.

Values are kept as the screener prints them, only trimmed and typed. What the values mean for the index
is lib/forecast's to say.
"""

from __future__ import annotations

from typing import NoReturn

import polars as pl

from russell_pipeline.lib.csv_rows import read_rows
from russell_pipeline.lib.documents.symbols import lists_form
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.text_rules import name_problem, symbol_ok, symbol_problem

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


_BLANK = ("", "NA", "N/A", "na", "n/a")  # a number not given
NUMBERS = {"price": "Last Sale", "market_cap": "Market Cap", "ipo_year": "IPO Year", "volume": "Volume"}
TEXTS = {"company": "Name", "country": "Country", "sector": "Sector", "industry": "Industry"}
_COLUMNS = {k: v for k, v in UNIVERSE_COLUMNS.items() if k not in ("recon_year", "as_of_date")}


def _number(text: pl.Expr) -> pl.Expr:
    """A trimmed field as a number: `$` before it and `,` inside it are not part of it (null: unreadable)."""
    return (
        text.str.strip_chars_start("$").str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)
    )


# What refuses a line, in the order its problems are named (the first line holding any is named).
_PROBLEMS = (
    "no_symbol",
    "bad_symbol",
    *(f"bad_{n}" for n in NUMBERS),
    "bad_year",
    *(f"negative_{n}" for n in ("price", "market_cap", "volume")),
    *(f"bad_{n}" for n in TEXTS),
    "twice",
)


def read_universe(path: str, data: bytes, sha256: str) -> pl.DataFrame:
    """The universe rows of a screener CSV (UNIVERSE_COLUMNS without recon_year and as_of_date), in file
    order; `source_line` is the line each row starts on (the header is line 1). A file that breaks a rule
    of the module's docstring is one InputError naming its first offending line."""
    table = read_rows(data, path, whole_lines=True)
    missing = [c for c in REQUIRED if c not in table.header]
    if missing:
        raise InputError(
            path,
            f"universe file without the column(s) {', '.join(missing)}: the Nasdaq screener layout "
            f"is {','.join(SCREENER_HEADER)}",
        )
    if not table.frame.height:
        raise InputError(path, "universe file with a header and no securities")
    names = {"listed_symbol": "Symbol", **NUMBERS, **TEXTS}
    rows = (
        table.frame.lazy()
        .select(**{n: pl.col(c).str.strip_chars() for n, c in names.items()}, source_line=table.lines)
        .with_columns(**{f"_{n}": pl.when(~pl.col(n).is_in(_BLANK)).then(pl.col(n)) for n in NUMBERS})
        .with_columns(
            symbol=lists_form(pl.col("listed_symbol")),
            **{n: _number(pl.col(f"_{n}")) for n in NUMBERS},
            **{n: pl.when(pl.col(n) != "").then(pl.col(n)) for n in TEXTS},
        )
        .with_columns(
            no_symbol=pl.col("listed_symbol") == "",
            bad_symbol=(pl.col("listed_symbol") != "") & ~symbol_ok("listed_symbol"),
            **{
                f"bad_{n}": pl.col(f"_{n}").is_not_null() & ~pl.col(n).is_finite().fill_null(False)
                for n in NUMBERS
            },
            bad_year=((pl.col("ipo_year") % 1 != 0) | ~pl.col("ipo_year").is_between(1800, 2200)).fill_null(
                False
            ),
            **{f"negative_{n}": (pl.col(n) < 0).fill_null(False) for n in ("price", "market_cap", "volume")},
            # Beyond ASCII, for now: such a text is looked at character by character below (the lines
            # hold no control character: lib/csv_rows.py).
            **{
                f"bad_{n}": (pl.col(n).str.len_bytes() != pl.col(n).str.len_chars()).fill_null(False)
                for n in TEXTS
            },
            twice=pl.col("symbol").is_duplicated(),
            source_sha256=pl.lit(sha256),
        )
        .collect(engine="in-memory")
    )
    for n in TEXTS:  # most files hold no text beyond ASCII: then nothing here runs
        if rows[f"bad_{n}"].any():
            looked = [
                b and name_problem(v) is not None for b, v in zip(rows[f"bad_{n}"], rows[n], strict=True)
            ]
            rows = rows.with_columns(pl.Series(f"bad_{n}", looked, dtype=pl.Boolean))
    bad = rows.select(pl.any_horizontal(_PROBLEMS)).to_series()
    if bad.any():
        _refuse(path, rows.row(int(bad.arg_max()), named=True), rows)
    return rows.select(list(_COLUMNS)).cast(_COLUMNS)


def _refuse(path: str, row: dict, rows: pl.DataFrame) -> NoReturn:
    """The one line of the first problem of the first offending line (`row`)."""
    line, flag = row["source_line"], next(f for f in _PROBLEMS if row[f])
    if flag == "no_symbol":
        raise InputError(path, f"line {line}: no symbol")
    if flag == "bad_symbol":
        raise InputError(path, f"line {line}: {symbol_problem(row['listed_symbol'])}")
    if flag == "twice":
        same = rows.filter(pl.col("symbol") == row["symbol"])
        forms = same["listed_symbol"].unique(maintain_order=True).to_list()
        said = f" (as {', '.join(map(repr, forms))}: one symbol in the lists' form)" if len(forms) > 1 else ""
        raise InputError(
            path,
            f"symbol {forms[0]!r} on lines {', '.join(map(str, same['source_line']))}{said}: "
            "a symbol once per file",
        )
    name = flag.split("_", 1)[1]
    if name in TEXTS:
        raise InputError(path, f"line {line}: {name_problem(row[name], TEXTS[name])}")
    column = NUMBERS.get(name, "IPO Year")
    value = row[f"_{name}"]
    if flag.startswith("negative"):
        raise InputError(path, f"line {line}: {column} {value!r} is negative")
    if flag == "bad_year":
        raise InputError(path, f"line {line}: IPO Year {value!r} is not a year")
    raise InputError(path, f"line {line}: {column} {value!r} is not a number")
