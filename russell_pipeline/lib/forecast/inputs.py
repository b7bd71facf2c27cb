"""What a review's forecast is made from, taken from the stored tables: the reviews a year forecasts
and their rank days, the universe of each (a universe file dated on the rank day, else the market
data's closes and shares on it), the members in force on the rank day, the earlier universe files
that give a member's 30-day average price, and what the lake lacks (the quarterly IPO addition lists
since the last complete membership)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from russell_pipeline.lib.calendar.reviews import review_dates

RECONSTITUTIONS = ("annual_reconstitution", "semi_annual_reconstitution")
HISTORY_DAYS = 30  # the member price rule's average: the closes of the 30 days before rank day


@dataclass(frozen=True)
class Review:
    review: str
    rank_day: date
    effective_open: date


def reviews(calendar: pl.DataFrame, year: int) -> list[Review]:
    """The reconstitutions of `year` with their rank day (published over projected) and effective open."""
    rows = calendar.filter(pl.col("recon_year") == year, pl.col("review_type").is_in(RECONSTITUTIONS))
    ranked = rows.filter(pl.col("event") == "rank_day").sort(pl.col("source") != "published", "date")
    days = ranked.group_by("review", maintain_order=True).agg(rank_day=pl.col("date").first())
    opens = review_dates(rows).select("review", "effective_open")
    joined = days.join(opens, on="review").sort("review")
    return [Review(r, d, o) for r, d, o in joined.iter_rows()]


def placed_files(universe: pl.DataFrame, documents: pl.DataFrame, year_reviews: list[Review]) -> pl.DataFrame:
    """Each universe file of the year (path, as_of_date) with the review it serves: on a rank day, the
    review's universe (`role` universe); within the 30 days before one, a history of closes (`role`
    history); elsewhere `role` null, with `nearest` the rank day nearest its date."""
    files = (
        universe.group_by("source_sha256")
        .agg(as_of_date=pl.col("as_of_date").first())
        .join(
            documents.select(pl.col("sha256").alias("source_sha256"), "path"), on="source_sha256", how="left"
        )
        .sort("as_of_date", "path")
    )
    out = []
    for sha, as_of, path in files.select("source_sha256", "as_of_date", "path").iter_rows():
        role, review, nearest = None, None, None
        for r in year_reviews:
            if as_of == r.rank_day:
                role, review = "universe", r.review
            elif role is None and r.rank_day - timedelta(days=HISTORY_DAYS) <= as_of < r.rank_day:
                role, review = "history", r.review
        if role is None and year_reviews:
            nearest = min(year_reviews, key=lambda r: abs((r.rank_day - as_of).days))
            review, nearest = nearest.review, nearest.rank_day
        out.append((sha, path, as_of, role, review, nearest))
    schema = {
        "source_sha256": pl.String,
        "path": pl.String,
        "as_of_date": pl.Date,
        "role": pl.String,
        "review": pl.String,
        "nearest": pl.Date,
    }
    return pl.DataFrame(out, schema=schema, orient="row")


def members_on(in_force: pl.DataFrame, day: date) -> pl.DataFrame:
    """symbol, company, index_name, complete of the members in force on `day` (membership_in_force)."""
    on = in_force.filter(
        (pl.col("valid_from") <= day) & (pl.col("valid_to").is_null() | (pl.col("valid_to") > day))
    )
    return on.select("symbol", "company", "index_name", "complete").unique(["symbol", "index_name"])


def missing_ipo_lists(
    calendar: pl.DataFrame, changes: pl.DataFrame, since: date | None, rank_day: date
) -> list[str]:
    """The quarterly IPO reviews effective after `since` (the membership's base) and by `rank_day`
    whose Russell addition lists the lake does not hold: their additions count as new companies."""
    ipo = review_dates(calendar.filter(pl.col("review_type") == "quarterly_ipo"))
    ipo = ipo.filter(
        (pl.col("effective_open") <= rank_day) & (pl.col("effective_open") > (since or date.min))
    )
    missing = []
    for review, opened in ipo.select("review", "effective_open").iter_rows():
        held = changes.filter(
            (pl.col("change") == "addition")
            & pl.col("as_of_date").is_between(opened - timedelta(days=35), opened)
        )
        if not held.height:
            missing.append(review)
    return missing


def market_universe(
    prices: pl.DataFrame, shares: pl.DataFrame, fx: pl.DataFrame | None, day: date
) -> pl.DataFrame:
    """The market data as a universe of `day`: each symbol with a close that day, its total market cap
    (close x shares in force x the USD rate), in lib/documents/universe.py's columns (the names are
    the symbols; country, IPO year and industry are unknown)."""
    closes = prices.filter(pl.col("date") == day)
    held = shares.filter(pl.col("date") <= day).sort("date").group_by("symbol").agg(pl.col("shares").last())
    out = closes.join(held, on="symbol", how="inner")
    if "currency" not in out.columns:
        out = out.with_columns(currency=pl.lit("USD"))
    if fx is not None and fx.height:
        rates = (
            fx.filter(pl.col("date") <= day)
            .sort("date")
            .group_by("currency")
            .agg(pl.col("usd_per_unit").last())
        )
        out = out.join(rates, on="currency", how="left")
    else:
        out = out.with_columns(usd_per_unit=pl.lit(None, pl.Float64))
    rate = pl.when(pl.col("currency").fill_null("USD") == "USD").then(1.0).otherwise(pl.col("usd_per_unit"))
    return out.sort("symbol").select(
        symbol="symbol",
        listed_symbol="symbol",
        company="symbol",
        price=pl.col("close") * rate,
        market_cap=pl.col("close") * pl.col("shares") * rate,
        country=pl.lit(None, pl.String),
        ipo_year=pl.lit(None, pl.Int64),
        volume=pl.lit(None, pl.Float64),
        sector=pl.lit(None, pl.String),
        industry=pl.lit(None, pl.String),
        source_line=pl.lit(None, pl.Int64),
    )


# The 90/10 index's component memberships as Russell memberships: a Small Cap Completeness member is in
# the Russell 3000 (its segment unknown), a Russell 2000 Growth member in the Russell 2000.
VENDOR_INDEXES = {"RUSSELL_SMALL_CAP_COMPLETENESS": "Russell 3000", "RUSSELL_2000_GROWTH": "Russell 2000"}


def vendor_members(memberships: pl.DataFrame, review: str) -> tuple[pl.DataFrame, str | None]:
    """The members the market data's `memberships` give for the latest review before `review` (columns
    of `members_on`; none: an empty frame), and that review."""
    before = memberships.filter(pl.col("review") < review, pl.col("index").is_in(list(VENDOR_INDEXES)))
    if not before.height:
        return pl.DataFrame(
            schema={
                "symbol": pl.String,
                "company": pl.String,
                "index_name": pl.String,
                "complete": pl.Boolean,
            }
        ), None
    last = before["review"].max()
    rows = before.filter(pl.col("review") == last)
    return rows.select(
        "symbol",
        company=pl.col("symbol"),
        index_name=pl.col("index").replace_strict(VENDOR_INDEXES),
        complete=pl.lit(False),
    ).unique(["symbol", "index_name"]), last
