"""Checks on a computed index series that a user would ask for, as offending-row frames."""

from __future__ import annotations

import polars as pl

from russell_pipeline.lib.sessions import sessions


def session_gaps(levels: pl.DataFrame) -> pl.DataFrame:
    """NYSE sessions within the series' span that have no row, or more than one."""
    if not levels.height:
        return pl.DataFrame(schema={"date": pl.Date, "rows": pl.UInt32})
    want = pl.DataFrame({"date": sessions(levels["date"].min(), levels["date"].max())}, schema={"date": pl.Date})
    counts = levels.group_by("date").agg(rows=pl.len())
    return (
        want.join(counts, on="date", how="full", coalesce=True)
        .with_columns(pl.col("rows").fill_null(0))
        .filter(pl.col("rows") != 1)
    )


def non_finite(levels: pl.DataFrame) -> pl.DataFrame:
    values = ["price_return", "total_return", "divisor"]
    return levels.filter(pl.any_horizontal(~pl.col(values).is_finite()))


def total_return_shortfalls(levels: pl.DataFrame, weights: pl.DataFrame, dividends: pl.DataFrame) -> pl.DataFrame:
    """Days where total return grew less than price return although no dividend could lower it.

    A dividend lowers the total return only when paid by a short position (negative c);
    every other day TR_d / TR_{d-1} >= I_d / I_{d-1} must hold.
    """
    series = levels.sort("date").with_columns(
        pr_growth=pl.col("price_return") / pl.col("price_return").shift(1),
        tr_growth=pl.col("total_return") / pl.col("total_return").shift(1),
    ).drop_nulls("pr_growth")
    short_payers = (
        dividends.select(date="ex_date", symbol="symbol")
        .join(series.select("date", "review"), on="date")
        .join(weights.select("review", "symbol", "weighting_factor"), on=["review", "symbol"])
        .filter(pl.col("weighting_factor") < 0)
        .select("date")
        .unique()
    )
    return series.join(short_payers, on="date", how="anti").filter(
        pl.col("tr_growth") < pl.col("pr_growth") * (1 - 1e-12)
    ).select("date", "review", "price_return", "total_return", "pr_growth", "tr_growth")
