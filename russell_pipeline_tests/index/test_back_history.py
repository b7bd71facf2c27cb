"""A market-data folder whose memberships start in 2010 builds the index from there: weights and levels
for every review it covers, the base at 1000, and a divisor chain with no break (docs/methodology.md §1.1)."""

from __future__ import annotations

import itertools
import math
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from russell_pipeline.lib.market.contract import R2G, SCC
from russell_pipeline.lib.sessions import sessions
from russell_pipeline_tests.lakes import LakeFolder, SharedLakes

FIRST_CUTOFF, FIRST_REBALANCE = date(2010, 3, 10), date(2010, 3, 19)  # Wednesday after 5 March; third Friday
LAST_CLOSE = date(2013, 1, 31)
REVIEWS = [f"{y}-{m:02d}" for y in (2010, 2011, 2012) for m in (3, 6, 9, 12)]
# symbol: close at the first cut-off, currency, shares, free float. At 10 March 2010 (CAD at 0.80):
# p s f e is AAA 20 x 1,000,000 x 0.5 = 10M, BBB 40 x 500,000 = 20M, CCC 10 x 2,000,000 x 0.5 = 10M,
# DDD 25 x 400,000 = 10M, EEE 50 CAD x 250,000 x 0.8 = 10M; FFF joins SCC (for EEE) from 2011-06.
STOCKS = {
    "AAA": (20.0, "USD", 1_000_000, 0.5),
    "BBB": (40.0, "USD", 500_000, 1.0),
    "CCC": (10.0, "USD", 2_000_000, 0.5),
    "DDD": (25.0, "USD", 400_000, 1.0),
    "EEE": (50.0, "CAD", 250_000, 1.0),
    "FFF": (15.0, "USD", 600_000, 0.8),
}
# First review: SCC holds AAA, BBB, CCC and EEE wholly, R2G half of CCC and all of DDD:
#   S = 10 + 20 + 10 + 10 = 50M, G = 0.5 x 10 + 10 = 15M, 9 G / S = 2.7
#   final caps: AAA 27M, BBB 54M, CCC 27 - 5 = 22M, DDD -10M, EEE 27M; sum 120M = 8 G
#   weights 27/120, 54/120, 22/120, -10/120, 27/120; c = 2.7, 2.7, 2.2 (2.7 - 0.5), -1, 2.7
FIRST_WEIGHTS = {
    "AAA": (0.225, 2.7),
    "BBB": (0.45, 2.7),
    "CCC": (22 / 120, 2.2),
    "DDD": (-1 / 12, -1.0),
    "EEE": (0.225, 2.7),
}
FX = [(date(2010, 1, 4), 0.80), (date(2010, 6, 1), 0.85), (date(2011, 3, 1), 0.90), (date(2012, 1, 3), 0.95)]


def _write_feed(folder: Path) -> None:
    """The contract's CSV files: a close for every stock on every session from 4 January 2010 (each the
    value above on the first cut-off, moving around it elsewhere), shares from 2010 (AAA's revised in
    2011), CAD rates, and the members of every review 2010-03 .. 2012-12."""
    folder.mkdir()
    days = sessions(date(2010, 1, 4), LAST_CLOSE)
    prices = []
    for j, (symbol, (base, currency, _, _)) in enumerate(STOCKS.items()):
        for i, day in enumerate(days):
            close = base if day == FIRST_CUTOFF else round(base * (1 + 0.15 * math.sin(0.03 * i + j)), 2)
            prices.append((day, symbol, close, currency))
    pl.DataFrame(prices, schema=["date", "symbol", "close", "currency"], orient="row").write_csv(
        folder / "prices.csv"
    )
    shares = [(date(2010, 1, 4), s, n, f) for s, (_, _, n, f) in STOCKS.items()] + [
        (date(2011, 1, 3), "AAA", 1_100_000, 0.5)
    ]
    pl.DataFrame(shares, schema=["date", "symbol", "shares", "free_float"], orient="row").write_csv(
        folder / "shares.csv"
    )
    pl.DataFrame(
        [(d, "CAD", r) for d, r in FX], schema=["date", "currency", "usd_per_unit"], orient="row"
    ).write_csv(folder / "fx.csv")
    members = []
    for review in REVIEWS:
        scc = ["AAA", "BBB", "CCC", "EEE" if review < "2011-06" else "FFF"]
        members += [(review, SCC, s, 1.0) for s in scc] + [
            (review, R2G, "CCC", 0.5),
            (review, R2G, "DDD", 1.0),
        ]
    pl.DataFrame(members, schema=["review", "index", "symbol", "fraction"], orient="row").write_csv(
        folder / "memberships.csv"
    )


def _tables(folder: LakeFolder) -> dict[str, pl.DataFrame]:
    lake = folder.lake
    tables = {
        t: lake.warehouse.published(t) for t in ("quarterly_weights", "index_levels", "pro_forma_weights")
    }
    tables["prices"] = pl.read_csv(folder.market / "prices.csv", try_parse_dates=True)
    return tables


@pytest.fixture(scope="module")
def history(tmp_path_factory, lakes: SharedLakes) -> LakeFolder:
    """The sample documents over this feed, built on a copy of the shared built lake (`lakes.copy`): the
    reviews of both feeds run, those of this one fill and those of the small feed (2019-03..2020-03) are
    emptied."""
    folder = lakes.copy(tmp_path_factory.mktemp("back_history"), feed=_write_feed)
    done = folder.build()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # Weights and levels of the reviews with members; the pro-forma also of 2013-03, which carries them.
    assert "reviews: 17 out of date (2010-03..2012-12, 2019-03..2020-03)" in done.stdout, done.stdout
    assert "pro_forma_weights: 19 out of date (2010-03..2013-03, 2019-03..2020-06)" in done.stdout, (
        done.stdout
    )
    return folder


@pytest.fixture(scope="module")
def built(history: LakeFolder) -> dict[str, pl.DataFrame]:
    return _tables(history)


@pytest.mark.slow
def test_every_review_the_feed_covers_has_weights_and_levels_and_none_before(built):
    weights, levels = built["quarterly_weights"], built["index_levels"]
    assert sorted(weights["review"].unique()) == REVIEWS
    assert sorted(levels["review"].unique()) == REVIEWS
    # One row per NYSE session from the base rebalance to the last close.
    assert levels.sort("date")["date"].to_list() == sessions(FIRST_REBALANCE, LAST_CLOSE)
    # The upcoming review after the last with members carries its members into the pro-forma.
    pro_forma = built["pro_forma_weights"]
    assert sorted(pro_forma["review"].unique()) == [*REVIEWS, "2013-03"]
    assert set(pro_forma.filter(review="2013-03").select("members_review", "members_carried").rows()) == {
        ("2012-12", True)
    }


@pytest.mark.slow
def test_the_first_reviews_weights_are_the_hand_computed_ones(built):
    first = built["quarterly_weights"].filter(review="2010-03").sort("symbol")
    assert first["symbol"].to_list() == list(FIRST_WEIGHTS)
    assert set(first.select("cutoff_date", "effective_date").rows()) == {(FIRST_CUTOFF, FIRST_REBALANCE)}
    for row in first.iter_rows(named=True):
        weight, factor = FIRST_WEIGHTS[row["symbol"]]
        assert row["weight"] == pytest.approx(weight, abs=1e-15), row["symbol"]
        assert row["weighting_factor"] == pytest.approx(factor, rel=1e-14), row["symbol"]
    assert first.filter(symbol="EEE")["fx"].item() == 0.80


def _value(weights: pl.DataFrame, prices: pl.DataFrame, day: date) -> float:
    """sum p e s f c of one review's members at `day`'s close (no splits in this feed; CAD at the rate
    on or before the day)."""
    rate = [r for d, r in FX if d <= day][-1]
    closes = prices.filter(pl.col("date") == day).select("symbol", "close", "currency")
    rows = weights.join(closes, on="symbol").with_columns(
        e=pl.when(pl.col("currency_right") == "CAD").then(rate).otherwise(1.0)
    )
    assert rows.height == weights.height
    return math.fsum(
        (r["close"] * r["e"] * r["shares"] * r["free_float"] * r["weighting_factor"])
        for r in rows.iter_rows(named=True)
    )


@pytest.mark.slow
def test_the_divisor_chain_is_unbroken_from_the_first_review_to_the_last(built):
    weights, prices = built["quarterly_weights"], built["prices"]
    levels = built["index_levels"].sort("date")
    base = levels.row(0, named=True)
    assert (base["date"], base["review"], base["price_return"], base["total_return"]) == (
        FIRST_REBALANCE,
        "2010-03",
        1000.0,
        1000.0,
    )
    first = weights.filter(review="2010-03")
    assert base["divisor"] == pytest.approx(_value(first, prices, FIRST_REBALANCE) / 1000, rel=1e-14)
    for old, new in itertools.pairwise(REVIEWS):
        rebalance = weights.filter(review=new)["effective_date"][0]
        at = levels.filter(pl.col("date") == rebalance).row(0, named=True)
        after = levels.filter(pl.col("date") > rebalance).row(0, named=True)
        assert (at["review"], after["review"]) == (old, new)  # T reports the old review (section 1.8)
        level = at["price_return"]
        # The level at T is the same with the old constituents and divisor and with the new ones.
        assert _value(weights.filter(review=old), prices, rebalance) / at["divisor"] == pytest.approx(
            level, rel=1e-12
        )
        assert _value(weights.filter(review=new), prices, rebalance) / after["divisor"] == pytest.approx(
            level, rel=1e-12
        )


@pytest.mark.slow
def test_reviews_the_feed_no_longer_holds_are_emptied_and_the_index_starts_at_its_new_first(
    history: LakeFolder, tmp_path: Path
):
    copy = history.copy(tmp_path / "copy")
    members = pl.read_csv(copy.market / "memberships.csv")
    members.filter(pl.col("review") >= "2011-03").write_csv(copy.market / "memberships.csv")
    done = copy.build()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # The 2010 reviews held rows: they are run again, hold none, and say why.
    reason = "the market data has no members for <review> (its reviews with members: 2011-03..2012-12)"
    said = [line for line in done.stdout.splitlines() if reason in line]
    assert [line.split()[0] for line in said] == ["quarterly_weights", "index_levels", "pro_forma_weights"], (
        done.stdout
    )
    assert all(" 2010-03..2010-12: " in line for line in said)
    tables = _tables(copy)
    for table in ("quarterly_weights", "index_levels", "pro_forma_weights"):
        assert tables[table]["review"].min() == "2011-03", table
    levels = tables["index_levels"].sort("date")
    assert levels.row(0, named=True)["date"] == date(2011, 3, 18) and levels["price_return"][0] == 1000.0
    again = copy.build()
    assert "reviews: 0 out of date" in again.stdout, again.stdout
