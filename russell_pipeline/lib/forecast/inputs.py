"""What a review's forecast is made from, taken from the stored tables: the reviews a year forecasts
and their rank days, the universe of each (a universe file dated on the rank day, else the market
data's closes and shares on it), the members in force on the rank day, the earlier universe files
that give a member's 30-day average price, and what the lake lacks (the quarterly IPO addition lists
since the last complete membership)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np
import polars as pl

from russell_pipeline.lib.calendar.reviews import review_dates
from russell_pipeline.lib.forecast.evidence import IPO_REVIEW_COLUMNS

RECONSTITUTIONS = ("annual_reconstitution", "semi_annual_reconstitution")
HISTORY_DAYS = 30  # the member price rule's average: the closes of the 30 days before rank day


@dataclass(frozen=True)
class Evidence:
    """What places members beyond the lists in force (lib/forecast/evidence.py): the previous
    reconstitution's rank day, the quarterly IPO reviews since the list (`ipo_reviews`), and the ETF
    holdings rows dated after the list and by rank day."""

    previous_rank_day: date | None
    ipo_reviews: pl.DataFrame
    holdings: pl.DataFrame


@dataclass(frozen=True)
class Review:
    review: str
    rank_day: date
    effective_open: date


@dataclass(frozen=True)
class Calendar:
    """recon_calendar rows, with what a forecast asks of them for each review (its reconstitutions,
    review dates, IPO rank days) worked out once, when first asked."""

    rows: pl.DataFrame

    @cached_property
    def dates(self) -> pl.DataFrame:
        """`review_dates` of the rows."""
        return review_dates(self.rows)

    @cached_property
    def reconstitutions(self) -> dict[int, list[Review]]:
        """Each year's reconstitutions with their rank day (published over projected) and effective
        open, in review order."""
        mine = pl.col("review_type").is_in(RECONSTITUTIONS)
        key = ["recon_year", "review"]
        ranked = self.rows.filter(mine, pl.col("event") == "rank_day")
        ranked = ranked.sort(pl.col("source") != "published", "date")
        days = ranked.group_by(key, maintain_order=True).agg(rank_day=pl.col("date").first())
        opens = self.dates.filter(mine).select(*key, "effective_open")
        out: dict[int, list[Review]] = {}
        for year, review, day, opened in days.join(opens, on=key).sort(key).iter_rows():
            out.setdefault(year, []).append(Review(review, day, opened))
        return out

    @cached_property
    def rank_days(self) -> pl.Series:
        """Each reconstitution's rank day (published over projected), in no order."""
        rows = self.rows.filter(pl.col("review_type").is_in(RECONSTITUTIONS), pl.col("event") == "rank_day")
        return (
            rows.sort(pl.col("source") != "published").group_by("review").agg(pl.col("date").first())["date"]
        )

    @cached_property
    def ipo_ranks(self) -> dict[str, date]:
        """Each quarterly IPO review's rank day (published over projected)."""
        ranked = self.rows.filter(pl.col("review_type") == "quarterly_ipo", pl.col("event") == "ipo_rank")
        ranked = ranked.sort(pl.col("source") != "published")
        return dict(ranked.group_by("review", maintain_order=True).agg(pl.col("date").first()).iter_rows())


def reviews(calendar: Calendar, year: int) -> list[Review]:
    """The reconstitutions of `year` with their rank day (published over projected) and effective open."""
    return list(calendar.reconstitutions.get(year, ()))


# `placed_files`' columns.
PLACED_SCHEMA = {
    "source_sha256": pl.String,
    "path": pl.String,
    "as_of_date": pl.Date,
    "role": pl.String,
    "review": pl.String,
    "nearest": pl.Date,
}


def placed_files(universe: pl.DataFrame, documents: pl.DataFrame, year_reviews: list[Review]) -> pl.DataFrame:
    """Each universe file of the year (path, as_of_date) with the review it serves: on a rank day, the
    review's universe (`role` universe); within the 30 days before one, a history of closes (`role`
    history); elsewhere `role` null, with `nearest` the rank day nearest its date."""
    if universe.is_empty():  # most years: no file to place (planning asks of every year)
        return pl.DataFrame(schema=PLACED_SCHEMA)
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
    return pl.DataFrame(out, schema=PLACED_SCHEMA, orient="row")


def members_on(in_force: pl.DataFrame, day: date, documents: pl.DataFrame | None = None) -> pl.DataFrame:
    """symbol, company, index_name, complete, lists_whole of the members in force on `day`
    (membership_in_force), and `listed_on`: the date of the document that prints each (`documents`:
    source_documents; null without them)."""
    on = in_force.filter(
        (pl.col("valid_from") <= day) & (pl.col("valid_to").is_null() | (pl.col("valid_to") > day))
    )
    out = on.select(
        "symbol", "company", "index_name", "complete", "lists_whole", "source_sha256", "source_path"
    ).unique(["symbol", "index_name"])
    dates = (
        documents
        if documents is not None
        else pl.DataFrame(schema={"sha256": pl.String, "as_of_date": pl.Date})
    )
    dates = dates.select(source_sha256="sha256", listed_on="as_of_date").unique("source_sha256")
    return out.join(dates, on="source_sha256", how="left").drop("source_sha256")


def ipo_reviews(
    calendar: Calendar, changes: pl.DataFrame, since: date | None, rank_day: date
) -> pl.DataFrame:
    """The quarterly IPO reviews effective after `since` (the membership's base) and by `rank_day`:
    review, ipo_rank (the day it ranked), and `list_missing`: the lake holds no addition list of it
    (its additions are then not among the members: lib/forecast/evidence.py places what it can)."""
    dates = calendar.dates.filter(
        pl.col("review_type") == "quarterly_ipo",
        (pl.col("effective_open") <= rank_day) & (pl.col("effective_open") > (since or date.min)),
    )
    # The dates of the addition lists held, in order: a review's list is one dated in the 35 days to its open.
    added = changes.filter(pl.col("change") == "addition")["as_of_date"].drop_nulls().sort().to_numpy()
    dates = dates.select("review", "effective_open").sort("effective_open")
    opened = dates["effective_open"].to_numpy()
    held = np.searchsorted(added, opened, "right") - np.searchsorted(
        added, opened - np.timedelta64(35, "D"), "left"
    )
    out = [(r, calendar.ipo_ranks.get(r), not h) for r, h in zip(dates["review"], held.tolist(), strict=True)]
    return pl.DataFrame(out, schema=IPO_REVIEW_COLUMNS, orient="row")


def base_date(in_force: pl.DataFrame, calendar: Calendar, day: date) -> date | None:
    """The effective date of the membership list the members in force on `day` rest on (its review's
    effective open; None: no list in force)."""
    on = in_force.filter(
        (pl.col("valid_from") <= day) & (pl.col("valid_to").is_null() | (pl.col("valid_to") > day))
    )
    review = on["base_review"].drop_nulls().max() if on.height else None
    if review is None:
        return None
    opened = calendar.dates.filter(pl.col("review") == review)["effective_open"]
    return opened.min() if opened.len() else None


def previous_rank_day(calendar: Calendar, day: date) -> date | None:
    """The rank day of the reconstitution before the one ranked on `day` (published over projected)."""
    earlier = calendar.rank_days.filter(calendar.rank_days < day)
    return earlier.max() if earlier.len() else None


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


def vendor_reviews(memberships: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """{review: its rows of the market data's `memberships` in the 90/10 index's components
    (`VENDOR_INDEXES`)}."""
    rows = memberships.filter(pl.col("index").is_in(list(VENDOR_INDEXES)))
    return {review: part for (review,), part in rows.partition_by("review", as_dict=True).items()}


def vendor_members(by_review: dict[str, pl.DataFrame], review: str) -> tuple[pl.DataFrame, str | None]:
    """The members the market data gives for the latest review before `review` (`vendor_reviews`; none:
    an empty frame), and that review."""
    last = max((r for r in by_review if r < review), default=None)
    if last is None:
        return pl.DataFrame(
            schema={
                "symbol": pl.String,
                "company": pl.String,
                "index_name": pl.String,
                "complete": pl.Boolean,
                "lists_whole": pl.Boolean,
                "source_path": pl.String,
            }
        ), None
    return by_review[last].select(
        "symbol",
        company=pl.col("symbol"),
        index_name=pl.col("index").replace_strict(VENDOR_INDEXES),
        complete=pl.lit(False),
        lists_whole=pl.lit(False),
        source_path=pl.lit(f"the market data's memberships of {last}"),
    ).unique(["symbol", "index_name"]), last
