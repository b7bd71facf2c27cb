"""A review's trade list sized for a fund, worked out by hand: shares from the weight change, the assets,
the close and the rate; the trade against the average volume; no volume is unknown, never 0."""

from __future__ import annotations

import polars as pl
import pytest

from russell_pipeline.lib.index.trade import sized_trade, trade_size

ROWS = pl.DataFrame(
    {
        "symbol": ["AAA", "BBB", "CCC", "DDD", "EEE"],
        "move": ["stay", "out", "in", "stay", "stay"],
        "change": [0.002, -0.001, 0.0005, 0.0, -0.0002],
        "price": [50.0, 20.0, 8.0, 10.0, 4.0],
        "fx": [1.0, 1.0, 0.75, 1.0, 1.0],  # CCC trades in CAD at 0.75 USD
    }
)
ADV = pl.DataFrame(
    {"symbol": ["AAA", "BBB", "CCC", "EEE"], "adv_shares": [100_000.0, 2_000.0, 50_000.0, 0.0]}
)  # DDD: no volume known; EEE: an average of 0 says nothing either


def test_each_row_is_sized_by_hand():
    out = {r["symbol"]: r for r in sized_trade(ROWS, ADV, 5e8, 0.25).iter_rows(named=True)}
    shares = {"AAA": 0.002 * 5e8 / 50, "BBB": -0.001 * 5e8 / 20, "CCC": 0.0005 * 5e8 / (8 * 0.75), "DDD": 0.0}
    assert shares == {
        "AAA": 20_000.0,
        "BBB": -25_000.0,
        "CCC": pytest.approx(41_666.67, abs=0.01),
        "DDD": 0.0,
    }
    for s, want in shares.items():
        assert out[s]["shares"] == pytest.approx(want, rel=1e-12)
    assert out["AAA"]["adv_pct"] == pytest.approx(20.0) and out["AAA"]["days_to_trade"] == pytest.approx(0.8)
    assert out["BBB"]["adv_pct"] == pytest.approx(1250.0) and out["BBB"]["days_to_trade"] == pytest.approx(
        50.0
    )
    assert out["CCC"]["days_to_trade"] == pytest.approx(41_666.666 / (0.25 * 50_000), rel=1e-6)
    for s in ("DDD", "EEE"):  # unknown, never 0
        assert (out[s]["adv_shares"], out[s]["adv_pct"], out[s]["days_to_trade"]) == (None, None, None)


def test_the_totals_of_a_sized_trade():
    size = trade_size(sized_trade(ROWS, ADV, 5e8, 0.25))
    assert size.bought == pytest.approx(20_000 * 50 + 41_666.666_666_7 * 8 * 0.75)
    assert size.sold == pytest.approx(25_000 * 20 + 0.0002 * 5e8)
    assert (size.unknown, size.over_a_day, size.longest) == (
        1,
        2,
        ("BBB", 50.0),
    )  # EEE: unknown; CCC 3.3 days


@pytest.mark.parametrize(("aum", "participation"), [(0.0, 0.2), (-1e9, 0.2), (1e9, 0.0), (1e9, 1.01)])
def test_a_fund_of_no_assets_or_a_participation_outside_0_1_is_refused(aum, participation):
    with pytest.raises(ValueError):
        sized_trade(ROWS, ADV, aum, participation)
