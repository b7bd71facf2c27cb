"""The security master as it stood on one day: what a forecast made on a rank day may know of the
companies behind the tickers, from the SEC ticker maps dated on or before that day only (a map saved
later would tell the forecast what it could not have known).

- `identify` gives each line of a universe its company (the CIK its ticker stands for that day); when
  the company first appears in the maps on an exchange and the latest map before that (which lacks it,
  or names it with no exchange: registered, not yet trading), the window its listing falls in; the
  company that held its ticker in an earlier map, if another; and whether the company listed units
  (under its own ticker: a blank-check company before its merger, `CCVI` of `CCVI.UN`; under any: one
  once).
- `carried` gives each member in force the ticker it is known by that day: a member whose company
  carries another ticker in the universe (renamed since its list: `RCII` is `UPBD`) takes that ticker,
  keeping the one its document prints in `listed_symbol`.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from russell_pipeline.lib.securities.master import Resolver

IDENTITY_COLUMNS: dict[str, pl.DataType] = {
    "cik": pl.Int64,  # the company the line's ticker stands for on the day (null: no map names it)
    "security_id": pl.String,
    "cik_first_seen": pl.Date,  # the first map (on or before the day) that names the company on an exchange
    "cik_unseen_before": pl.Date,  # the latest map before that one (which lacks it, or gives no exchange)
    "listed_units": pl.Boolean,  # the company listed units whose base is the line's own ticker
    "cik_listed_units": pl.Boolean,  # the company listed units under any ticker (a blank-check company once)
    "previous_cik": pl.Int64,  # the company that held the line's ticker in an earlier map, if another
}
# A unit's ticker: its base and a unit suffix (`CCVI.UN`, `CCVI.U`, `CCVIU`).
_UNIT = r"^(.+?)\.?U(N|NIT)?$"


def maps_until(sec: pl.DataFrame, day: date) -> pl.DataFrame:
    """The SEC map rows (sec_tickers) dated on or before `day`."""
    return sec.filter(pl.col("as_of_date") <= day)


def resolver_on(known: pl.DataFrame) -> Resolver | None:
    """The chains of the SEC map rows `known` (`maps_until`'s), for `identify` and `carried`; None: no map."""
    return Resolver(_sightings(known)) if known.height else None


def identify(
    universe: pl.DataFrame, known: pl.DataFrame, day: date, resolver: Resolver | None
) -> pl.DataFrame:
    """`universe` (symbol, company) with IDENTITY_COLUMNS, from the SEC maps `known` dated by `day` (and
    their `resolver_on`)."""
    if resolver is None:
        return universe.with_columns(pl.lit(None, t).alias(c) for c, t in IDENTITY_COLUMNS.items())
    ids = [
        resolver.key(symbol, day, company)
        for symbol, company in universe.select("symbol", "company").iter_rows()
    ]
    cik_of = dict(resolver.chains.select("security_id", "cik").unique("security_id").iter_rows())
    dates = sorted(known["as_of_date"].unique())
    # A company the SEC names with no exchange has registered its ticker but does not trade yet: its
    # listing is dated by the first map that gives it an exchange (OTC included: a company of its own).
    first = (
        known.filter(pl.col("exchange").is_not_null())
        .group_by("cik")
        .agg(cik_first_seen=pl.col("as_of_date").min())
    )
    first = first.with_columns(
        cik_unseen_before=pl.col("cik_first_seen").map_elements(
            lambda d: max((m for m in dates if m < d), default=None), return_dtype=pl.Date
        )
    )
    # A unit is a ticker of a CIK that is another of its tickers of the same map plus a unit suffix
    # (`CCVI.UN` beside `CCVI`): `MU` alone is no unit of an `M`.
    maybe = known.filter(pl.col("ticker").str.contains(_UNIT)).with_columns(
        base=pl.col("ticker").str.extract(_UNIT, 1)
    )
    units = (
        maybe.join(
            known.select("as_of_date", "cik", base="ticker"), on=["as_of_date", "cik", "base"], how="semi"
        )
        .select("cik", "base")
        .unique()
        .with_columns(listed_units=pl.lit(True))
    )
    # The CIK that held each ticker in the earliest map that names it (where it passed to another since).
    held = known.sort("as_of_date").unique("ticker", keep="first").select(symbol="ticker", previous_cik="cik")
    return (
        universe.with_columns(
            security_id=pl.Series(ids, dtype=pl.String),
            cik=pl.Series([cik_of.get(i) for i in ids], dtype=pl.Int64),
        )
        .join(first, on="cik", how="left", maintain_order="left")
        .join(units, left_on=["cik", "symbol"], right_on=["cik", "base"], how="left", maintain_order="left")
        .join(held, on="symbol", how="left", maintain_order="left")
        .with_columns(
            pl.col("listed_units").fill_null(False),
            cik_listed_units=pl.col("cik").is_in(units["cik"].implode()),
            previous_cik=pl.when(pl.col("previous_cik") != pl.col("cik")).then("previous_cik"),
        )
    )


def carried(members: pl.DataFrame, lines: pl.DataFrame, resolver: Resolver | None) -> pl.DataFrame:
    """`members` (symbol, company, `listed_on`: the date of the document that prints it, ...) with `symbol`
    the ticker the universe `lines` (`identify`'s) carry their company under on their day, `listed_symbol`
    the one the document prints; a member no map (of `resolver`) links to a line keeps its symbol."""
    out = members.with_columns(listed_symbol=pl.col("symbol"))
    if resolver is None or not members.height:
        return out.with_columns(cik=pl.lit(None, pl.Int64))
    keys = [
        resolver.key(symbol, listed_on, company)
        for symbol, company, listed_on in members.select("symbol", "company", "listed_on").iter_rows()
    ]
    line_of = dict(
        lines.filter(pl.col("security_id").is_not_null()).select("security_id", "symbol").iter_rows()
    )
    cik_of = dict(resolver.chains.select("security_id", "cik").unique("security_id").iter_rows())
    found = pl.Series("_carried", [line_of.get(k) for k in keys], dtype=pl.String)
    return (
        out.with_columns(found, cik=pl.Series([cik_of.get(k) for k in keys], dtype=pl.Int64))
        .with_columns(symbol=pl.coalesce("_carried", "symbol"))
        .drop("_carried")
    )


def _sightings(sec: pl.DataFrame) -> pl.DataFrame:
    return sec.select(
        date="as_of_date",
        ticker="ticker",
        company="company",
        cik="cik",
        kind=pl.lit("sec_map"),
        path=pl.lit(None, pl.String),
        sha256="source_sha256",
        page=pl.lit(None, pl.Int64),
        line="source_line",
    )
