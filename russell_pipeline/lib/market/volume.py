"""Average daily volume: the shares a stock trades on a normal day, what a trade is sized against (a
reconstitution's passive demand, a fund's trade list), from the market data's `volume` column.

The average of a day D is taken over the `ADV_SESSIONS` NYSE sessions ending on the last session on or
before D, each session where the stock has a close with a known volume counted once; a session with no
close (a suspension, a gap in a vendor's file) or an empty volume cell is left out, and `adv_sessions`
says how many were averaged. A stock with no known volume there has no average: its trade is unknown,
never zero.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from russell_pipeline.lib.sessions import FIRST_DAY, sessions

ADV_SESSIONS = 20
ADV_SCHEMA = {"symbol": pl.String, "adv_shares": pl.Float64, "adv_sessions": pl.Int64}


def adv_window(day: date, n: int = ADV_SESSIONS) -> tuple[date, date]:
    """The first and the last of the `n` NYSE sessions ending on the last session on or before `day`."""
    known = sessions(FIRST_DAY, day)
    if not known:
        raise ValueError(f"no NYSE session on or before {day} in the calendar known here")
    return known[-min(n, len(known))], known[-1]


def average_volume(volumes: pl.DataFrame, day: date, n: int = ADV_SESSIONS) -> pl.DataFrame:
    """symbol, adv_shares (the mean volume over the window of `day`), adv_sessions (the sessions averaged)
    of each symbol of `volumes` (symbol, date, volume rows: the market data's prices) with a known volume
    in the window; symbols without one have no row."""
    first, last = adv_window(day, n)
    return (
        volumes.lazy()
        .filter(pl.col("date").is_between(first, last), pl.col("volume").is_not_null())
        .group_by("symbol")
        .agg(
            pl.col("volume").mean().alias("adv_shares"),
            pl.col("date").n_unique().cast(pl.Int64).alias("adv_sessions"),
        )
        .sort("symbol")
        .collect()
        .cast(ADV_SCHEMA)
    )
