"""What the membership tests share besides fixtures: lists and SEC ticker maps built from short specs,
the membership tables keyed by the security master as the membership asset keys them, the warehouse
macro over the tables, and the tables of the real FTSE Russell lists."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import duckdb
import polars as pl

from russell_pipeline.lake.warehouse import MACROS
from russell_pipeline.lib.calendar.projection import project_calendar
from russell_pipeline.lib.calendar.reviews import review_dates
from russell_pipeline.lib.documents.holdings import HOLDINGS_COLUMNS
from russell_pipeline.lib.documents.ingest import SOURCE_COLUMNS
from russell_pipeline.lib.documents.reading import CHANGE_COLUMNS, CONSTITUENT_COLUMNS
from russell_pipeline.lib.documents.sec_tickers import SEC_COLUMNS
from russell_pipeline.lib.documents.universe import UNIVERSE_COLUMNS
from russell_pipeline.lib.membership.history import MembershipTables, membership_tables
from russell_pipeline.lib.securities.master import SECURITY_COLUMNS, Master, master, sightings

CALENDAR = pl.concat([project_calendar(y) for y in range(2016, 2027)])
R2000 = "Russell 2000"


def lake_frames(*lists: tuple) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """constituents, constituent_changes, source_documents from (year, kind, stage, as_of, symbols[, index])
    specs; kind is membership, addition or deletion; `symbols` is "SYM ..." (companies `<symbol> INC`)
    or a list of (symbol, company) or (symbol, company, sector); one row a line from line 5."""
    members, changes, sources = [], [], []
    for year, kind, stage, as_of, symbols, *index in lists:
        sha = f"{year}-{kind}-{stage}-{as_of}" + (f"-{index[0]}" if index else "")
        sources.append({"recon_year": year, "sha256": sha, "path": f"raw/{year}/{sha}.txt"})
        named = [(s, f"{s} INC") for s in symbols.split()] if isinstance(symbols, str) else symbols
        for line, (symbol, company, *sector) in enumerate(named, start=5):
            row = {
                "recon_year": year,
                "index_name": index[0] if index else R2000,
                "company": company,
                "symbol": symbol,
                "as_of_date": as_of,
                "source_sha256": sha,
                "source_page": 1,
                "source_line": line,
            }
            if kind == "membership":
                members.append(row)
            else:
                changes.append(
                    row
                    | {
                        "change": kind,
                        "stage": stage,
                        "sector": sector[0] if sector else None,
                        "classification": "ICB" if sector else None,
                    }
                )
    return (
        pl.DataFrame(members, schema=CONSTITUENT_COLUMNS),
        pl.DataFrame(changes, schema=CHANGE_COLUMNS),
        pl.DataFrame(sources, schema={k: SOURCE_COLUMNS[k] for k in ("recon_year", "sha256", "path")}),
    )


def ipo_lists(
    first: date, last: date, *indexes: str, prefix: str = "I", calendar: pl.DataFrame = CALENDAR
) -> tuple[tuple, ...]:
    """lake_frames specs: the final additions of every quarterly IPO review whose effective open is in
    [first, last], one list per index of `indexes` (default the Russell 2000), dated the review's
    recon_close (the Friday before the open it takes effect at), each adding one IPO named by `prefix`
    and the review (`I2309`: the IPO of 2023-09), the same company in each index."""
    reviews = review_dates(calendar).filter(
        pl.col("review_type") == "quarterly_ipo", pl.col("effective_open").is_between(first, last)
    )
    return tuple(
        (close.year, "addition", "final", close, f"{prefix}{review[2:4]}{review[5:]}", index)
        for review, close in reviews.sort("effective_open").select("review", "recon_close").iter_rows()
        for index in indexes or (R2000,)
    )


def sec_map(day: date, companies: list[tuple[int, str, str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """An SEC ticker map saved on `day` (sec_tickers rows, source_documents row) from (cik, ticker, name),
    one entry each from entry 1."""
    sha = f"sec-{day}"
    rows = [
        {
            "recon_year": day.year,
            "as_of_date": day,
            "cik": cik,
            "company": name,
            "ticker": ticker,
            "listed_ticker": ticker,
            "exchange": None,
            "source_sha256": sha,
            "source_line": entry,
        }
        for entry, (cik, ticker, name) in enumerate(companies, start=1)
    ]
    source = {
        "recon_year": day.year,
        "sha256": sha,
        "path": f"raw/{day.year}/company_tickers_exchange_{day}.json",
    }
    return (
        pl.DataFrame(rows, schema=SEC_COLUMNS),
        pl.DataFrame([source], schema={k: SOURCE_COLUMNS[k] for k in ("recon_year", "sha256", "path")}),
    )


def security_master(
    constituents: pl.DataFrame,
    changes: pl.DataFrame,
    sources: pl.DataFrame,
    maps: tuple[tuple[pl.DataFrame, pl.DataFrame], ...] = (),
) -> Master:
    """The security master of the lists and the SEC maps `maps` (sec_map), as the membership asset makes
    it (no universe or holdings file)."""
    sec = pl.concat([pl.DataFrame(schema=SEC_COLUMNS), *(m for m, _ in maps)])
    return master(
        sightings(
            sec,
            constituents,
            changes,
            pl.DataFrame(schema=UNIVERSE_COLUMNS),
            pl.DataFrame(schema=HOLDINGS_COLUMNS),
            pl.concat([sources, *(s for _, s in maps)], how="diagonal_relaxed"),
        )
    )


@dataclass(frozen=True)
class Tables(MembershipTables):
    """The membership tables with the security master that keyed them (the `securities` table beside)."""

    master: Master


def keyed_tables(
    constituents: pl.DataFrame,
    changes: pl.DataFrame,
    sources: pl.DataFrame,
    calendar: pl.DataFrame = CALENDAR,
    maps: tuple[tuple[pl.DataFrame, pl.DataFrame], ...] = (),
) -> Tables:
    """membership_tables keyed by the security master of the same documents and `maps`, as the
    membership asset builds them."""
    securities = security_master(constituents, changes, sources, maps)
    built = membership_tables(constituents, changes, sources, calendar, securities.keyed)
    return Tables(**{f.name: getattr(built, f.name) for f in fields(built)}, master=securities)


def tables_of(
    *lists: tuple, calendar: pl.DataFrame = CALENDAR, maps: tuple[tuple[pl.DataFrame, pl.DataFrame], ...] = ()
) -> Tables:
    return keyed_tables(*lake_frames(*lists), calendar, maps)


def macro(tables: MembershipTables, day: date, index: str | None = None) -> pl.DataFrame:
    """The warehouse macro members_on, run over membership_in_force and securities as DuckDB sees the
    tables (securities empty where the tables have no master: membership_tables called without one)."""
    master_of = getattr(tables, "master", None)
    securities = master_of.securities if master_of else pl.DataFrame(schema=SECURITY_COLUMNS)
    con = duckdb.connect()
    con.register("membership_in_force", tables.in_force.to_arrow())
    con.register("securities", securities.to_arrow())
    con.execute((MACROS / "membership_in_force.sql").read_text())
    return pl.from_arrow(
        con.sql("SELECT * FROM members_on(?, index := ?)", params=[day, index]).to_arrow_table()
    )


def members_on(tables: MembershipTables, day: date, index: str | None = None) -> list[str]:
    return macro(tables, day, index)["symbol"].to_list()


def intervals(history: pl.DataFrame, symbol: str) -> list[tuple]:
    return (
        history.filter(pl.col("symbol") == symbol)
        .select("start_date", "end_date", "opened_by", "closed_by")
        .rows()
    )


def real_tables(
    parsed,
    years,
    extra: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame] | None = None,
    calendar: pl.DataFrame = CALENDAR,
) -> Tables:
    """The membership tables of the real lists of `years`, with `extra` (lake_frames) beside them."""
    frames = [
        pl.concat(
            [getattr(p, t) for p in parsed if p.source_documents["recon_year"][0] in years]
            + ([extra[k]] if extra else []),
            how="diagonal_relaxed",
        )
        for k, t in enumerate(("constituents", "constituent_changes", "source_documents"))
    ]
    frames[2] = frames[2].select("recon_year", "sha256", "path")
    return keyed_tables(*frames, calendar)
