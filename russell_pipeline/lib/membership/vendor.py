"""The market data's component memberships against the published lists.

Both components of the 90/10 index are parts of published indexes: the Small Cap Completeness
index of the Russell 3000, the Russell 2000 Growth of the Russell 2000 (and so of the Russell
3000). Where the lists give a complete membership of such an index on a review's effective date
(lib/membership/in_force.py), every member the market data names for that review must be in it; one
that is not points at a wrong or stale vendor file. Reviews no complete list covers are not
compared, and say so.
"""

from __future__ import annotations

import polars as pl

from russell_pipeline.lib.membership.in_force import coverage

# The published indexes each market-data component index is part of.
CONTAINED_IN = {
    "RUSSELL_SMALL_CAP_COMPLETENESS": ["Russell 3000"],
    "RUSSELL_2000_GROWTH": ["Russell 2000", "Russell 3000"],
}
UNLISTED_COLUMNS = {
    "review": pl.String,
    "index": pl.String,
    "symbol": pl.String,
    "list_index": pl.String,
    "on_date": pl.Date,
    "base_review": pl.String,
    "base_path": pl.String,
}
COMPARED_COLUMNS = {"review": pl.String, "list_index": pl.String, "on_date": pl.Date, "compared": pl.Boolean}


def _on_date() -> pl.Expr:
    return (pl.col("valid_from") <= pl.col("on_date")) & (
        pl.col("valid_to").is_null() | (pl.col("valid_to") > pl.col("on_date"))
    )


def unlisted_members(
    memberships: pl.DataFrame, in_force: pl.DataFrame, reviews: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(UNLISTED_COLUMNS: each market-data member absent from a published index it belongs to, on its
    review's effective date; COMPARED_COLUMNS: per review and published index, whether a complete
    list covered that date). `memberships`: review, index, symbol; `reviews`: lib/calendar/reviews.py
    `review_dates`."""
    dates = (
        reviews.drop_nulls("effective_open")
        .group_by("review")
        .agg(pl.col("effective_open").min().alias("on_date"))
    )
    members = (
        memberships.select("review", "index", "symbol")
        .unique()
        .with_columns(
            list_index=pl.col("index").replace_strict(
                CONTAINED_IN, default=[], return_dtype=pl.List(pl.String)
            )
        )
        .explode("list_index")
        .drop_nulls("list_index")
        .join(dates, on="review")
    )
    asked = members.select("review", "list_index", "on_date").unique()
    spans = coverage(in_force).filter(pl.col("complete")).rename({"index_name": "list_index"})
    covered = asked.join(spans, on="list_index").filter(_on_date()).select("review", "list_index")
    compared = asked.join(
        covered.with_columns(compared=pl.lit(True)), on=["review", "list_index"], how="left"
    )
    held = (
        members.join(covered, on=["review", "list_index"])
        .join(
            in_force.filter(pl.col("complete")).select(
                pl.col("index_name").alias("list_index"),
                "symbol",
                "valid_from",
                "valid_to",
                "base_review",
                "base_path",
            ),
            on=["list_index", "symbol"],
        )
        .filter(_on_date())
    )
    bases = held.group_by("review", "list_index").agg(
        pl.col("base_review").first(), pl.col("base_path").first()
    )
    unlisted = (
        members.join(covered, on=["review", "list_index"])
        .join(held, on=["review", "index", "symbol", "list_index"], how="anti")
        .join(bases, on=["review", "list_index"], how="left")
    )
    return (
        unlisted.select(list(UNLISTED_COLUMNS))
        .cast(UNLISTED_COLUMNS)
        .sort("review", "index", "list_index", "symbol"),
        compared.select("review", "list_index", "on_date", pl.col("compared").fill_null(False))
        .cast(COMPARED_COLUMNS)
        .sort("review", "list_index"),
    )
