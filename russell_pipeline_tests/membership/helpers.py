"""What the membership tests share besides fixtures: lists built from short specs, the warehouse
macro over the tables, and the tables of the real FTSE Russell lists."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from russell_pipeline.lake.warehouse import MACROS
from russell_pipeline.lib.calendar.rules import project_calendar
from russell_pipeline.lib.documents.ingest import SOURCE_COLUMNS
from russell_pipeline.lib.documents.reading import CHANGE_COLUMNS, CONSTITUENT_COLUMNS
from russell_pipeline.lib.membership.history import MembershipTables, membership_tables

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


def tables_of(*lists: tuple, calendar: pl.DataFrame = CALENDAR) -> MembershipTables:
    return membership_tables(*lake_frames(*lists), calendar)


def macro(tables: MembershipTables, day: date, index: str | None = None) -> pl.DataFrame:
    """The warehouse macro members_on, run over membership_in_force as DuckDB sees the table."""
    con = duckdb.connect()
    con.register("membership_in_force", tables.in_force.to_arrow())
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
) -> MembershipTables:
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
    return membership_tables(*frames, calendar)
