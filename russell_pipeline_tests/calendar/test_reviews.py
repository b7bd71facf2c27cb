"""Each review's dates read from a calendar: the index's cut-off and rebalance, the lists' close and open."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from russell_pipeline.lib.calendar.reviews import REVIEW_DATES, rebalance_dates, review_dates

A, Q, S, I = "annual_reconstitution", "quarterly_ipo", "semi_annual_reconstitution", "index_review"


def _calendar(*rows: tuple) -> pl.DataFrame:
    """Calendar rows (review, review_type, event, date[, source]) with the review's year as recon_year."""
    names = ["review", "review_type", "event", "date", "source"][: len(rows[0])]
    frame = pl.DataFrame(rows, schema=names, orient="row")
    return frame.with_columns(recon_year=pl.col("review").str.slice(0, 4).cast(pl.Int64))


CALENDAR = _calendar(
    ("2015-03", I, "price_cutoff", date(2015, 3, 11), "projected"),
    ("2015-03", I, "rebalance", date(2015, 3, 20), "projected"),
    ("2024-03", Q, "price_cutoff", date(2024, 3, 6), "projected"),
    ("2024-03", Q, "recon_close", date(2024, 3, 15), "projected"),
    ("2024-06", A, "price_cutoff", date(2024, 6, 12), "projected"),
    ("2024-06", A, "recon_close", date(2024, 6, 28), "published"),
    ("2024-06", A, "rank_day", date(2024, 4, 30), "published"),
    ("2026-12", S, "recon_close", date(2026, 12, 11), "projected"),
    ("2026-12", Q, "recon_close", date(2026, 12, 18), "projected"),
    ("2026-12", Q, "price_cutoff", date(2026, 12, 9), "projected"),
    ("2026-09", Q, "effective_open", date(2026, 9, 21), "projected"),  # no cut-off, no recon_close
)


def test_every_review_type_with_its_index_and_list_dates() -> None:
    out = review_dates(CALENDAR)
    assert out.schema == pl.Schema(REVIEW_DATES)
    assert out.drop("recon_year").rows() == [
        # The index's own review before 2016: no Russell close or open.
        ("2015-03", I, date(2015, 3, 11), date(2015, 3, 20), None, None),
        ("2024-03", Q, date(2024, 3, 6), date(2024, 3, 15), date(2024, 3, 15), date(2024, 3, 18)),
        ("2024-06", A, date(2024, 6, 12), date(2024, 6, 28), date(2024, 6, 28), date(2024, 7, 1)),
        # Only an effective open: its close is the session before; no cut-off, so not the index's.
        ("2026-09", Q, None, None, date(2026, 9, 18), date(2026, 9, 21)),
        ("2026-12", Q, date(2026, 12, 9), date(2026, 12, 18), date(2026, 12, 18), date(2026, 12, 21)),
        # The semi-annual reconstitution places lists; it is not the index's rebalance.
        ("2026-12", S, None, None, date(2026, 12, 11), date(2026, 12, 14)),
    ]


def test_rebalance_dates_are_one_row_per_review_the_index_rebalances_at() -> None:
    assert rebalance_dates(CALENDAR).rows() == [
        ("2015-03", date(2015, 3, 11), date(2015, 3, 20)),
        ("2024-03", date(2024, 3, 6), date(2024, 3, 15)),
        ("2024-06", date(2024, 6, 12), date(2024, 6, 28)),
        ("2026-12", date(2026, 12, 9), date(2026, 12, 18)),
    ]


def test_published_beats_projected() -> None:
    # An amended schedule moved the March 2024 review a week later than the rule projects; where
    # both rows reach review_dates, the published dates are the review's (whatever the row order).
    amended = _calendar(
        ("2024-03", Q, "price_cutoff", date(2024, 3, 13), "published"),
        ("2024-03", Q, "recon_close", date(2024, 3, 22), "published"),
    )
    calendar = pl.concat([CALENDAR, amended.select(CALENDAR.columns)])
    for frame in (calendar, calendar.reverse()):
        out = rebalance_dates(frame.with_columns(pl.col("review").cast(pl.Categorical)))
        assert out.schema == pl.Schema(
            {"review": pl.String, "cutoff_date": pl.Date, "effective_date": pl.Date}
        )
        assert out.filter(review="2024-03").rows() == [("2024-03", date(2024, 3, 13), date(2024, 3, 22))]
    # A calendar without a source column (one row per event) is read as it is.
    assert rebalance_dates(CALENDAR.drop("source")).equals(rebalance_dates(CALENDAR))


def test_a_cutoff_after_the_rebalance_is_refused() -> None:
    fine = ("2024-03", Q, "recon_close", date(2024, 3, 15))
    # A cut-off on the rebalance day itself is allowed (a late schedule can move them together),
    # and timestamps are read as their dates.
    same_day = _calendar(("2024-03", Q, "price_cutoff", date(2024, 3, 15)), fine)
    out = rebalance_dates(same_day.with_columns(pl.col("date").cast(pl.Datetime("us"))))
    assert out.rows() == [("2024-03", date(2024, 3, 15), date(2024, 3, 15))]
    late = _calendar(
        ("2023-12", Q, "price_cutoff", date(2023, 12, 6)),
        ("2023-12", Q, "recon_close", date(2023, 12, 15)),
        ("2024-03", Q, "price_cutoff", date(2024, 3, 18)),
        fine,
    )
    with pytest.raises(
        ValueError,
        match=r"^review 2024-03: price cut-off 2024-03-18 is after the rebalance "
        r"2024-03-15$",
    ):
        review_dates(late)
