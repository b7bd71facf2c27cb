"""The stored market tables read back: whole, between two dates, or the window a review's weights read.

planning/market_update.py plans their writes, from what the last run read and stored (`previous`);
`market_source` and `price_label` say where their prices came from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.errors import LakeError
from russell_pipeline.lib.market import provenance
from russell_pipeline.lib.market.contract import SCHEMAS, MarketData, contract_columns
from russell_pipeline.lib.market.volume import ADV_SESSIONS, adv_window
from russell_pipeline.lib.market.year_digests import DIGESTS_SCHEMA, YEAR
from russell_pipeline.lib.sessions import FIRST_DAY, sessions

MARKET_TABLES = ("prices", "shares", "memberships", "dividends", "splits", "fx")
DATED = {"prices": "date", "dividends": "ex_date", "splits": "ex_date", "fx": "date"}


def market_source(lake: Lake) -> str:
    """Where the stored market data came from, e.g. `SYNTHETIC feed to 2026-11-20 (...)`."""
    row = lake.tables.read("market_source")
    return row["source"][0] if row is not None and row.height else "unknown"


def price_label(lake: Lake) -> str | None:
    """The `price_source` of what is computed from the stored market data (lib/market/provenance.py):
    `synthetic` or `market file <name>`; None when no market data is stored."""
    row = lake.tables.read("market_source")
    if row is None or not row.height:
        return None
    if provenance.COLUMN in row.columns:
        return row[provenance.COLUMN][0]
    # A lake written before the column: the flag and the folder say the same.
    return provenance.SYNTHETIC if row["synthetic"][0] else provenance.market_file("prices")


def on_synthetic_prices(lake: Lake, tables: set[str]) -> list[str]:
    """Those of `tables` whose published rows rest on the synthetic feed: rows whose `price_source` is
    `synthetic`, or a market table of a synthetic `market_source` (the names not published are left out).
    Asked of the views, as the query that names them reads them (their files, not the tables' logs)."""
    versions = lake.warehouse.published_versions()
    named = sorted(tables & set(versions))
    if not named:
        return []
    out = []
    with lake.warehouse.connect() as con:

        def columns(table: str) -> list[str]:
            return [row[0] for row in con.execute(f'DESCRIBE "{table}"').fetchall()]

        market_synthetic = "market_source" in versions and bool(
            con.execute('SELECT coalesce(bool_or("synthetic"), false) FROM "market_source"').fetchone()[0]
        )
        for table in named:
            if provenance.COLUMN in columns(table):
                found = con.execute(
                    f'SELECT 1 FROM "{table}" WHERE "{provenance.COLUMN}" = ? LIMIT 1', [provenance.SYNTHETIC]
                ).fetchone()
                if found:
                    out.append(table)
            elif table.startswith("market_") and market_synthetic:
                out.append(table)
    return out


def stored_market_data(lake: Lake, since: date | None = None, until: date | None = None) -> MarketData:
    """The validated market data as `market_data` stored it; dated tables from `since` on, up to `until`.

    Reading only from `since` (and up to `until`) keeps a run's cost independent of the length of
    history: the tables are partitioned by year (planning/market_update.py), so other years' files are not
    opened, and within a year they are sorted by date, so Parquet row groups outside are skipped.
    A rate is read "on or before": fx also holds each currency's latest rate before `since`.
    """
    return MarketData(**_tables_between(lake, MARKET_TABLES, since, until))


def _tables_between(
    lake: Lake, names: tuple[str, ...], since: date | None, until: date | None
) -> dict[str, pl.DataFrame]:
    """The stored market tables `names`, the dated ones from `since` up to `until` (`stored_market_data`)."""
    whole = _market_scans(lake)
    scans = {n: whole[n] for n in names}
    if since is not None:
        scans = {
            n: s.filter(pl.col(YEAR) >= since.year, pl.col(DATED[n]) >= since) if n in DATED else s
            for n, s in scans.items()
        }
    if until is not None:
        scans = {
            n: s.filter(pl.col(YEAR) <= until.year, pl.col(DATED[n]) <= until) if n in DATED else s
            for n, s in scans.items()
        }
    queries = {name: _contract(name, scan) for name, scan in scans.items()}
    if since is not None and "fx" in names:
        before = whole["fx"].filter(pl.col(YEAR) <= since.year, pl.col("date") < since)
        queries["fx"] = pl.concat([_latest(before, "currency").select(list(SCHEMAS["fx"])), queries["fx"]])
    return dict(zip(queries, pl.collect_all(queries.values(), engine="streaming"), strict=True))


def _market_scans(lake: Lake) -> dict[str, pl.LazyFrame]:
    """The stored market tables as lazy scans, with their `year` partition column: a filter on it skips
    whole years' files; the frames handed on hold the contract's columns only."""
    scans = {name: lake.tables.scan(f"market_{name}") for name in MARKET_TABLES}
    missing = [name for name, scan in scans.items() if scan is None]
    if missing:
        raise LakeError(
            f"{lake.tables.folder}: market data tables {missing} missing: materialize market_data first"
        )
    return scans


def stored_reviews(lake: Lake) -> list[str]:
    """The reviews the stored memberships hold, in order."""
    scan = _market_scans(lake)["memberships"]
    return scan.select(pl.col("review").unique().sort()).collect(engine="streaming")["review"].to_list()


def last_close(lake: Lake) -> date | None:
    """The date of the last stored close (one column, streaming: not the history in memory)."""
    prices = _market_scans(lake)["prices"]
    return prices.select(pl.col("date").max()).collect(engine="streaming").item()


def review_market_data(
    lake: Lake, review: str, cutoff: date, max_stale_sessions: int, also: Sequence[str] = ()
) -> MarketData:
    """What the weights of one review read of the stored market data (docs/methodology.md §1.3), and no more.

    Its memberships; its members' closes from the earliest session a close could be dated and not be
    stale at the cut-off, to the cut-off (plus, for a member with none there, its last close before
    them, so the refusal still says how stale it is); per member the latest `shares` row, and per
    currency the latest `fx` row, on or before the cut-off. The symbols `also` (a forecast's additions,
    lib/index/pro_forma.py) are read as members are. `compute_weights` gives the same rows
    (and refusals) on it as on the whole history, and so does the SQL recomputation
    (`recompute.weight_mismatches`). The scans filter on date, so files and row groups outside the
    window are skipped, and the latest rows are found streaming: memory grows with the number of
    stocks, not the years of history.
    """
    scans = _market_scans(lake)
    memberships = (
        scans["memberships"]
        .filter(pl.col(YEAR) == int(review[:4]), pl.col("review") == review)
        .select(list(SCHEMAS["memberships"]))
        .collect()
    )
    members = pl.concat([memberships["symbol"], pl.Series("symbol", list(also), pl.String)]).unique()
    mine = pl.col("symbol").is_in(members.implode())
    known = sessions(FIRST_DAY, cutoff)
    start = known[-(max_stale_sessions + 1)] if len(known) > max_stale_sessions else date.min
    prices, shares, fx = pl.collect_all(
        [  # three reads of the same window, run together
            scans["prices"]
            .filter(
                pl.col(YEAR).is_between(start.year, cutoff.year),
                pl.col("date") >= start,
                pl.col("date") <= cutoff,
                mine,
            )
            .pipe(lambda scan: _contract("prices", scan)),
            _latest(
                scans["shares"].filter(pl.col(YEAR) <= cutoff.year, pl.col("date") <= cutoff, mine), "symbol"
            ),
            _latest(scans["fx"].filter(pl.col(YEAR) <= cutoff.year, pl.col("date") <= cutoff), "currency"),
        ],
        engine="streaming",
    )
    absent = members.filter(~members.is_in(prices["symbol"].unique().implode()))
    if absent.len():  # stale or never priced: the weights refuse it, naming its last close
        prices = pl.concat([_last_closes_before(scans["prices"], absent, start), prices])
    return MarketData(prices=prices, memberships=memberships, shares=shares, fx=fx)


def _last_closes_before(prices: pl.LazyFrame, symbols: pl.Series, start: date) -> pl.DataFrame:
    """The stored closes of `symbols` on each one's last date before `start` (none for a symbol never
    priced before it). The dates are found over two columns of every year before `start`; the rows, in
    the years holding them only: a member priced years ago, or never, costs a pass over dates and
    symbols, not over every stored column."""
    last = (
        prices.filter(
            pl.col(YEAR) <= start.year, pl.col("date") < start, pl.col("symbol").is_in(symbols.implode())
        )
        .group_by("symbol")
        .agg(pl.col("date").max())
        .collect(engine="streaming")
    )
    rows = prices.filter(
        pl.col(YEAR).is_in(sorted({day.year for day in last["date"]})),
        pl.col("date").is_in(last["date"].unique().implode()),
        pl.col("symbol").is_in(last["symbol"].implode()),
    ).join(last.lazy(), on=["symbol", "date"], how="semi")
    return _contract("prices", rows).collect(engine="streaming")


def window_volumes(
    lake: Lake, day: date, symbols: Sequence[str] | None = None, n: int = ADV_SESSIONS
) -> pl.DataFrame:
    """symbol, date, volume of the stored closes in the `n` sessions ending on the last session on or
    before `day` (lib/market/volume.py), of `symbols` (None: every symbol): what an average volume
    reads. Empty when no market data is stored."""
    scan = lake.tables.scan("market_prices")
    if scan is None:
        return pl.DataFrame(schema={"symbol": pl.String, "date": pl.Date, "volume": pl.Float64})
    first, last = adv_window(day, n)
    scan = scan.filter(pl.col(YEAR).is_between(first.year, last.year), pl.col("date").is_between(first, last))
    if symbols is not None:
        scan = scan.filter(pl.col("symbol").is_in(list(symbols)))
    return _contract("prices", scan).select("symbol", "date", "volume").collect(engine="streaming")


def pro_forma_market_data(
    lake: Lake,
    review: str,
    prices_date: date,
    since: date,
    as_of: date,
    max_stale_sessions: int,
    also: Sequence[str] = (),
) -> MarketData:
    """What one review's pro-forma weights read (lib/index/pro_forma.py), and no more: the weights'
    window at `prices_date` (`review_market_data`; `review`: the review whose members they take, `also`:
    the symbols its forecast adds), and the dated tables from `since` to `as_of` for the weights in force
    drifted to `as_of` and the trade valued there."""
    target = review_market_data(lake, review, prices_date, max_stale_sessions, also)
    span = _tables_between(
        lake, ("prices", "dividends", "splits", "fx"), since, as_of
    )  # not shares, memberships

    def both(a: pl.DataFrame, b: pl.DataFrame, key: list[str]) -> pl.DataFrame:
        """`a`'s rows, then `b`'s whose key `a` lacks (the two windows overlap; a key's row is the same in
        both, one stored table)."""
        return pl.concat([a, b.join(a.select(key), on=key, how="anti", maintain_order="left")])

    return MarketData(
        prices=both(target.prices, span["prices"], ["symbol", "date"]),
        shares=target.shares,
        memberships=target.memberships,
        dividends=span["dividends"],
        splits=span["splits"],
        fx=both(target.fx, span["fx"], ["currency", "date"]),
    )


def _contract(name: str, scan: pl.LazyFrame) -> pl.LazyFrame:
    """The contract columns of a stored market table (an optional one a table stored before it lacks:
    its default, or unknown)."""
    return scan.select(contract_columns(name, scan.collect_schema().names()))


def _latest(scan: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """Per `key`, every row with its latest date: what `weights._latest` keeps, found streaming
    (the latest date per key first, then the rows on it), so only one row per key is held."""
    latest = scan.group_by(key).agg(pl.col("date").max())
    columns = [c for c in scan.collect_schema().names() if c != YEAR]
    return scan.join(latest, on=[key, "date"], how="semi").select(columns)


READS, YEARS = "market_reads", "market_years"
READS_SCHEMA = {
    "table_name": pl.String,
    "file": pl.String,
    "bytes": pl.Int64,
    "sha256": pl.String,
    "rows": pl.Int64,
    "code": pl.String,
    "end_date": pl.Date,
}


@dataclass(frozen=True)
class Previous:
    """What the last run read (table -> its `market_reads` row) and stored (`market_years`)."""

    reads: dict[str, dict]
    years: pl.DataFrame

    def digests(self, name: str) -> pl.DataFrame:
        return self.years.filter(pl.col("table_name") == name)


def previous(lake: Lake, trusted: bool, code: str) -> Previous | None:
    """The last run's record, when the stored tables are what it left (`trusted`: its lineage stands,
    so no table changed outside it and no damaged file was found) and the same code read them."""
    reads, years = (lake.tables.read(READS), lake.tables.read(YEARS)) if trusted else (None, None)
    if reads is None or years is None or reads.filter(pl.col("code") != code).height:
        return None
    return Previous({r["table_name"]: r for r in reads.iter_rows(named=True)}, years.cast(DIGESTS_SCHEMA))


def stored_rows(lake: Lake, name: str, years: set[int] | None = None) -> pl.LazyFrame:
    """The stored rows of contract table `name` (of `years`), contract columns only."""
    scan = lake.tables.scan(f"market_{name}")
    if scan is None:
        return pl.LazyFrame(schema=SCHEMAS[name])
    if years is not None:
        scan = scan.filter(pl.col(YEAR).is_in(sorted(years)))
    return scan.select(contract_columns(name, scan.collect_schema().names()))


def stored_years(lake: Lake, name: str) -> set[int]:
    """The year partitions the stored table holds (from its log), whatever any record says."""
    dt = lake.tables.delta(f"market_{name}")
    if dt is None or YEAR not in dt.metadata().partition_columns:
        return set()
    scan = lake.tables.scan(f"market_{name}")
    return set(scan.select(pl.col(YEAR).unique()).collect()[YEAR].to_list())
