"""The dates of each review, read once from a calendar (recon_calendar rows, or `project_calendar`'s):
the index's price cut-off and rebalance, and the Russell review's close and effective open that the
published lists are placed by."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from russell_pipeline.lib.sessions import next_session, previous_session

REVIEW_DATES = {
    "recon_year": pl.Int64,
    "review": pl.String,
    "review_type": pl.String,
    "cutoff_date": pl.Date,
    "effective_date": pl.Date,
    "recon_close": pl.Date,
    "effective_open": pl.Date,
}
# The rebalance T of a review: the recon_close of the Russell review it follows, or where the calendar
# dates none (March, September and December before 2016), the index's own `rebalance` event.
REBALANCE = (
    (pl.col("event") == "recon_close")
    & pl.col("review_type").is_in(["annual_reconstitution", "quarterly_ipo"])
) | (pl.col("event") == "rebalance")


def review_dates(calendar: pl.DataFrame) -> pl.DataFrame:
    """One row per review and review type the calendar dates (REVIEW_DATES), in review order.

    `cutoff_date` and `effective_date` are the index's price cut-off and rebalance T, on the review
    type that dates both (null on the others; `rebalance_dates` keeps those rows). `recon_close` and
    `effective_open` (the session after it) are the Russell review's, each from the other by the NYSE
    sessions where the calendar dates only one (null on the index's own reviews before 2016). An
    event dated twice takes its published date, then the earliest. A cut-off after its rebalance is
    refused (ValueError).
    """
    key = ["recon_year", "review", "review_type"]
    rows = calendar.with_columns(pl.col("review").cast(pl.String), pl.col("date").cast(pl.Date))
    rows = (
        rows.sort(pl.col("source") != "published", "date") if "source" in rows.columns else rows.sort("date")
    )

    def first(when: pl.Expr) -> pl.Expr:
        return pl.col("date").filter(when).first()

    found = rows.group_by(key).agg(
        cutoff=first(pl.col("event") == "price_cutoff"),
        rebalance=first(REBALANCE),
        close=first(pl.col("event") == "recon_close"),
        open=first(pl.col("event") == "effective_open"),
    )
    out = []
    for r in found.iter_rows(named=True):
        index = r["cutoff"] is not None and r["rebalance"] is not None
        close, opened = r["close"], r["open"]
        if close is None and opened is not None:
            close = previous_session(opened - timedelta(days=1))
        if opened is None and close is not None:
            opened = next_session(close)
        if index or close is not None:
            out.append(
                (
                    *(r[k] for k in key),
                    *((r["cutoff"], r["rebalance"]) if index else (None, None)),
                    close,
                    opened,
                )
            )
    dates = pl.DataFrame(out, schema=REVIEW_DATES, orient="row").sort("review", "review_type")
    bad = dates.filter(pl.col("cutoff_date") > pl.col("effective_date"))
    if not bad.is_empty():
        r = bad.row(0, named=True)
        raise ValueError(
            f"review {r['review']}: price cut-off {r['cutoff_date']} is after the "
            f"rebalance {r['effective_date']}"
        )
    return dates


def rebalance_dates(calendar: pl.DataFrame) -> pl.DataFrame:
    """review, cutoff_date, effective_date of each review the index rebalances at (`review_dates`)."""
    return (
        review_dates(calendar).drop_nulls("effective_date").select("review", "cutoff_date", "effective_date")
    )
