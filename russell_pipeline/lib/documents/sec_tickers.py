"""An SEC ticker map: every ticker the SEC knows with its company's CIK (the SEC's permanent id of a
filer), its name and its exchange, as the SEC publishes it and refreshes it daily.

Two layouts are read, both as the SEC writes them:
- `company_tickers_exchange.json`: `{"fields": ["cik", "name", "ticker", "exchange"], "data": [[320193,
  "Apple Inc.", "AAPL", "Nasdaq"], ...]}`;
- `company_tickers.json`: `{"0": {"cik_str": 320193, "ticker": "AAPL", "title": "Apple Inc."}, ...}`
  (no exchange).

The file carries no date: the date is the day it was downloaded, which its file name must give
(`company_tickers_exchange_2023-04-28.json`). A company with several listed classes has a row per
ticker under one CIK; a company that changes its ticker keeps its CIK, so two maps of different dates
show a rename as one CIK under two tickers (lib/securities/). The SEC writes a class with a dash
(`BRK-B`); `ticker` takes the lists' form (`BRK.B`), `listed_ticker` keeps the file's.

Nothing is taken on trust: a file that is not the SEC's layout, an entry with another number of
values than the fields, a CIK that is not a positive whole number, a ticker that is not ASCII letters,
digits, `.` and `-`, a name with control characters or a ticker twice is refused with one line naming
the file and the entry (`entry 12`: the 12th company of the file, counted from 1).
"""

from __future__ import annotations

import json

import polars as pl

from russell_pipeline.lib.documents.symbols import lists_form, ticker_problem
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.text_rules import name_problem

SEC_COLUMNS: dict[str, pl.DataType] = {
    "recon_year": pl.Int64,
    "as_of_date": pl.Date,
    "cik": pl.Int64,
    "company": pl.String,
    "ticker": pl.String,  # in the lists' form: BRK-B as BRK.B
    "listed_ticker": pl.String,  # as the file prints it
    "exchange": pl.String,  # null where the SEC gives none (and in company_tickers.json)
    "source_sha256": pl.String,
    "source_line": pl.Int64,  # the entry's place in the file, from 1
}
EXCHANGE_FIELDS = ("cik", "name", "ticker", "exchange")
MAX_CIK = 9_999_999_999  # a CIK has at most ten digits
LEGACY_KEYS = ("cik_str", "ticker", "title")


def looks_like_sec_map(text_head: str) -> bool:
    """Whether a text document starts as one of the SEC's two ticker maps."""
    head = text_head.lstrip("\ufeff \t\r\n")
    return head.startswith("{") and ('"fields"' in head[:200] or '"cik_str"' in head[:400])


def read_sec_tickers(path: str, data: bytes, sha256: str) -> pl.DataFrame:
    """The rows of an SEC ticker map (SEC_COLUMNS without recon_year and as_of_date), in file order."""
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except RecursionError:
        raise InputError(path, "JSON nested deeper than any ticker map: not an SEC ticker map") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text at byte {exc.start}: not an SEC ticker map") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            path, f"not valid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}): cut short?"
        ) from None
    if isinstance(parsed, dict) and "fields" in parsed:
        entries = _exchange_layout(path, parsed)
    elif isinstance(parsed, dict) and parsed and all(isinstance(v, dict) for v in parsed.values()):
        entries = _legacy_layout(path, parsed)
    else:
        raise InputError(
            path,
            'not an SEC ticker map: expected {"fields": [...], "data": [...]} '
            '(company_tickers_exchange.json) or {"0": {"cik_str": ..., "ticker": ..., "title": ...}} '
            "(company_tickers.json)",
        )
    if not entries:
        raise InputError(path, "SEC ticker map with no company in it")
    rows = [_checked(path, n, *entry) for n, entry in enumerate(entries, start=1)]
    typed = {"cik": pl.Int64, "company": pl.String, "listed_ticker": pl.String, "exchange": pl.String}
    frame = pl.DataFrame(rows, schema={**typed, "source_line": pl.Int64}, orient="row").with_columns(
        ticker=lists_form(pl.col("listed_ticker")), source_sha256=pl.lit(sha256)
    )
    twice = frame.filter(pl.col("ticker").is_duplicated())
    if twice.height:
        first = twice["ticker"][0]
        entries_of = twice.filter(pl.col("ticker") == first)["source_line"].to_list()
        raise InputError(
            path, f"ticker {first!r} in entries {', '.join(map(str, entries_of))}: a ticker once per map"
        )
    return frame.select([c for c in SEC_COLUMNS if c not in ("recon_year", "as_of_date")])


def _exchange_layout(path: str, parsed: dict) -> list[tuple]:
    fields, data = parsed.get("fields"), parsed.get("data")
    if not isinstance(fields, list) or sorted(map(str, fields)) != sorted(EXCHANGE_FIELDS):
        raise InputError(
            path, f"fields {fields!r}: the SEC's company_tickers_exchange.json names {list(EXCHANGE_FIELDS)}"
        )
    if not isinstance(data, list):
        raise InputError(path, '"data" is not a list of companies')
    at = {name: fields.index(name) for name in EXCHANGE_FIELDS}
    out = []
    for n, entry in enumerate(data, start=1):
        if not isinstance(entry, list) or len(entry) != len(fields):
            size = len(entry) if isinstance(entry, list) else "not a list of"
            raise InputError(path, f"entry {n}: {size} values, the fields name {len(fields)}")
        out.append(tuple(entry[at[name]] for name in EXCHANGE_FIELDS))
    return out


def _legacy_layout(path: str, parsed: dict) -> list[tuple]:
    out = []
    for n, entry in enumerate(parsed.values(), start=1):
        missing = [k for k in LEGACY_KEYS if k not in entry]
        if missing:
            raise InputError(
                path, f"entry {n}: no {', '.join(missing)} (company_tickers.json names {LEGACY_KEYS})"
            )
        out.append((entry["cik_str"], entry["title"], entry["ticker"], None))
    return out


def _checked(path: str, n: int, cik, name, ticker, exchange) -> tuple:
    """One entry's values typed, or one line naming what is wrong with it."""
    if isinstance(cik, str) and cik.strip().isascii() and cik.strip().isdigit():
        cik = int(cik)
    if isinstance(cik, bool) or not isinstance(cik, int) or not 0 < cik <= MAX_CIK:
        raise InputError(path, f"entry {n}: CIK {cik!r} is not a positive whole number")
    problem = ticker_problem(ticker) if isinstance(ticker, str) else "not text"
    if problem or "/" in ticker or "^" in ticker:  # the SEC writes a class with a dash
        said = problem or "the SEC writes ASCII letters, digits, '.' and '-'"
        raise InputError(path, f"entry {n}: ticker {ticker!r} is not a ticker ({said})")
    if not isinstance(name, str) or not name.strip() or name_problem(name):
        raise InputError(path, f"entry {n}: company name {name!r} is not printable text")
    if exchange is not None and (not isinstance(exchange, str) or name_problem(exchange)):
        raise InputError(path, f"entry {n}: exchange {exchange!r} is not printable text")
    return (cik, " ".join(name.split()), ticker.strip(), exchange and exchange.strip() or None, n)
