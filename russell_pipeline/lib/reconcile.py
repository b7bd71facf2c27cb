"""The calendar a year ends with: published schedule rows over the projection, both kept visible."""

from __future__ import annotations

import polars as pl

from russell_pipeline.lib.calendar_rules import CALENDAR_SCHEMA, KEY, REPEATING_EVENTS, with_occurrence


def reconcile(projected: pl.DataFrame, published: pl.DataFrame | None) -> pl.DataFrame:
    """Final calendar: published wins per (review, review_type, event, occurrence); projected_date kept.

    Several documents may publish the same event: pass them oldest first, the last one wins
    (repeating events keep every distinct date). `published` None means no schedule documents."""
    published = pl.DataFrame(schema=CALENDAR_SCHEMA) if published is None else published
    published = published.select(list(CALENDAR_SCHEMA)).cast(CALENDAR_SCHEMA)
    repeating = pl.col("event").is_in(list(REPEATING_EVENTS))
    several = published.filter(repeating).unique([*KEY, "date"], keep="first", maintain_order=True)
    one_off = published.filter(~repeating).unique(KEY, keep="last", maintain_order=True)
    published = pl.concat([several, one_off])
    projected = with_occurrence(projected.select(list(CALENDAR_SCHEMA)).cast(CALENDAR_SCHEMA))
    on = [*KEY, "occurrence"]
    joined = projected.join(with_occurrence(published), on=on, how="full", coalesce=True, suffix="_pub")
    has_pub = pl.col("date_pub").is_not_null()
    out = joined.select(
        pl.coalesce("recon_year_pub", "recon_year").alias("recon_year"),
        *KEY,
        date=pl.coalesce("date_pub", "date"),
        source=pl.when(has_pub).then("source_pub").otherwise("source"),
        source_sha256=pl.when(has_pub).then("source_sha256_pub").otherwise("source_sha256"),
        projected_date="date",
    )
    return out.sort("date", "review", "review_type", "event")


def disagreements(calendar: pl.DataFrame) -> pl.DataFrame:
    """Published events whose date differs from the projection, or that the rules do not project."""
    differ = calendar.filter(
        (pl.col("source") == "published")
        & (pl.col("projected_date").is_null() | (pl.col("date") != pl.col("projected_date")))
    )
    days_off = (pl.col("date") - pl.col("projected_date")).dt.total_days()
    return differ.select(
        "recon_year", *KEY, "date", "projected_date", days_off.alias("days_off"), "source_sha256"
    )
