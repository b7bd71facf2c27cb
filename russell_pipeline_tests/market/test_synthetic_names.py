"""The synthetic feed's names: it borrows the symbols of small- and micro-cap lists only, and prices
each on a stock that trades around every rank day its lists name it on, whatever the feed's end."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from russell_pipeline.lib.calendar.projection import project_calendar
from russell_pipeline.lib.market.contract import SCC
from russell_pipeline.lib.market.synthetic import borrowed_tickers, synthetic_market_data
from russell_pipeline.lib.sessions import sessions

END = date(2024, 12, 31)
STOCKS = 600


def _names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(count)]


# Like the samples and more: Microcap deletions of 2020, Russell 2000 additions of 2023 (some of
# them deleted in 2020 too), a Russell 3000 membership list of 2024 and Russell 1000 additions that
# name large caps (and, in the Russell 3000 list, one of the micro caps).
MICRO_2020, R2000_2023 = _names("M", 250), _names("N", 140) + _names("M", 10)
LARGE = ["AAPL", "MSFT", *_names("L", 80)]
LISTED = pl.concat(
    [
        pl.DataFrame({"recon_year": 2020, "index_name": "Russell Microcap", "symbol": MICRO_2020}),
        pl.DataFrame({"recon_year": 2023, "index_name": "Russell 2000 Growth", "symbol": R2000_2023}),
        pl.DataFrame({"recon_year": 2024, "index_name": "Russell 3000", "symbol": [*LARGE, MICRO_2020[-1]]}),
        pl.DataFrame({"recon_year": 2021, "index_name": "Russell 1000", "symbol": LARGE[:40]}),
        pl.DataFrame({"recon_year": 2021, "index_name": None, "symbol": ["NONAME"]}),
    ],
    how="vertical_relaxed",
)


@pytest.fixture(scope="module")
def feed():
    return synthetic_market_data(END, LISTED, n_stocks=STOCKS)


def test_only_the_symbols_of_small_and_micro_cap_lists_are_borrowed(feed):
    borrowed = borrowed_tickers(LISTED, STOCKS)
    assert {s for s, _, _ in borrowed} == set(MICRO_2020) | set(R2000_2023)
    assert borrowed[0] == ("MAA", 2020, 2023) and borrowed[-1][1] == 2023  # oldest first year first
    # The years of the small- and micro-cap lists naming a borrowed name, not the Russell 3000's 2024:
    # another index's lists change nothing the feed reads (adding one rebuilds no market data).
    assert ("MJP", 2020, 2020) in borrowed
    small = LISTED.filter(pl.col("index_name").str.contains("Microcap|2000"))
    assert borrowed_tickers(small, STOCKS) == borrowed
    assert borrowed_tickers(LISTED, 10) == borrowed[:10]
    symbols = set(feed.prices["symbol"].unique())
    assert set(MICRO_2020) | set(R2000_2023) <= symbols
    assert not symbols & (set(LARGE) | {"NONAME"})


def test_a_list_of_another_index_leaves_the_feed_and_its_fingerprint_as_they_were():
    """Adding a Russell 3000 or 1000 list (naming a borrowed symbol too) changes nothing the feed reads:
    `build` does not run the market data again, nor the reviews that read it."""
    from russell_pipeline.planning.stale import market_fingerprint
    from russell_pipeline.settings import Settings

    small = LISTED.filter(pl.col("index_name").str.contains("Microcap|2000"))
    settings = Settings(synthetic_end=END, synthetic_stocks=STOCKS)
    assert market_fingerprint(settings, LISTED) == market_fingerprint(settings, small)


def test_every_borrowed_name_is_priced_around_each_rank_day_of_its_lists(feed):
    closes = feed.prices.group_by("symbol").agg("date")
    dates = dict(closes.iter_rows())
    for year, names in ((2020, MICRO_2020), (2023, R2000_2023)):
        calendar = project_calendar(year).filter(pl.col("review_type") == "annual_reconstitution")
        rank_day = calendar.filter(pl.col("event") == "rank_day")["date"][0]
        recon_close = calendar.filter(pl.col("event") == "recon_close")["date"][0]
        before = sessions(date(year - 1, 1, 1), rank_day)[-11:]  # the 10 sessions up to rank day: not stale
        after = sessions(recon_close, date(year, 12, 31))[21:]  # past the effect's window
        for name in names:
            assert set(dates[name]) & set(before), (year, name, "no close in the 10 sessions up to rank day")
            assert set(dates[name]) & set(after), (year, name, "no close after the reconstitution's window")


def test_borrowed_names_are_the_small_stocks_of_the_first_review(feed):
    first = feed.memberships.filter(pl.col("review") == feed.reviews[0])
    held = set(first["symbol"]) & (set(MICRO_2020) | set(R2000_2023))
    assert len(held) > 200
    assert held <= set(
        first.filter(pl.col("index") == SCC)["symbol"]
    )  # none among the largest, left out of SCC


def test_names_and_past_values_do_not_depend_on_the_end():
    short = synthetic_market_data(date(2021, 3, 31), LISTED, n_stocks=STOCKS)
    longer = synthetic_market_data(date(2021, 9, 30), LISTED, n_stocks=STOCKS)
    assert_frame_equal(longer.prices.filter(pl.col("date") <= date(2021, 3, 31)), short.prices)
    assert_frame_equal(longer.memberships.filter(pl.col("review").is_in(short.reviews)), short.memberships)
