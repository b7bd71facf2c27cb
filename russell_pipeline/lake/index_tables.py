"""The index's tables read back: its weights, where a review's levels start, the forecast it carries."""

from __future__ import annotations

import polars as pl

from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.errors import LakeError
from russell_pipeline.lib.index.levels import LevelState
from russell_pipeline.lib.index.pro_forma import FORECAST_SCHEMA
from russell_pipeline.lib.index.weights import WEIGHT_COLUMNS


def weight_reviews(lake: Lake) -> list[str]:
    """The reviews the stored `quarterly_weights` hold rows for, in order (none before it is stored)."""
    stored = lake.tables.scan("quarterly_weights")
    return [] if stored is None else sorted(stored.select(pl.col("review").unique()).collect()["review"])


def stored_weights(lake: Lake, reviews: list[str]) -> pl.DataFrame:
    """The stored `quarterly_weights` rows of `reviews` (none, with the contract's columns, when `reviews`
    is empty)."""
    return (
        lake.tables.read("quarterly_weights", "review", reviews)
        if reviews
        else pl.DataFrame(schema=WEIGHT_COLUMNS)
    )


def stored_review_rows(lake: Lake, keys: list[str]) -> pl.DataFrame | None:
    """The `review` of every stored weights row but those of `keys` (what the member-count check reads)."""
    scan = lake.tables.scan("quarterly_weights")
    return None if scan is None else scan.filter(~pl.col("review").is_in(keys)).select("review").collect()


def forecast_rows(lake: Lake, review: str) -> pl.DataFrame:
    """symbol, action, index_after of the stored `reconstitution_forecast` of `review` (no rows when the
    lake holds none): what a carried review's pro-forma members take from it (lib/index/pro_forma.py)."""
    scan = lake.tables.scan("reconstitution_forecast")
    if scan is None:
        return pl.DataFrame(schema=FORECAST_SCHEMA)
    rows = scan.filter(pl.col("recon_year") == int(review[:4]), pl.col("review") == review)
    return rows.select(list(FORECAST_SCHEMA)).collect().cast(FORECAST_SCHEMA)


def stored_state(lake: Lake, previous: str, review: str) -> LevelState:
    """The last stored `index_levels` row of the period before `review`: where its levels start."""
    prev = lake.tables.read("index_levels", "review", [previous])
    if prev is None or not prev.height:
        raise LakeError(
            f"index_levels: review {previous} is not materialized; materialize the reviews "
            f"before {review} first (one backfill run does them all)"
        )
    return LevelState.last_of(prev)
