"""What a reconstitution makes index funds trade, on a universe of 10 companies built by hand: every
weight, share count, average volume and day of volume worked out here from the caps, prices and volumes
alone, and compared with what `demand` and `sized` give."""

from __future__ import annotations

import polars as pl
import pytest

from russell_pipeline.lib.forecast import rules as R
from russell_pipeline.lib.forecast.demand import demand, net_days, sides, sized
from russell_pipeline.lib.forecast.predict import forecast
from russell_pipeline.lib.forecast.tracked import TRACKED_INDEXES, parse_tracked, tracked_text
from russell_pipeline_tests.forecast.test_forecast import RANK_DAY, line, universe

# The breaks of a universe of 10: the Russell 1000 is the top 3, the Russell 3000 the top 8 (no band).
SMALL = {"break_r1000": 3, "break_r2000": 6, "break_r3000": 8, "break_r3000e": 10}
RULES = R.RULES.filter(~pl.col("rule").is_in(["band_r1000", "band_r2000", "listed_before"])).with_columns(
    value=pl.col("rule").replace_strict(SMALL, default=pl.col("value"), return_dtype=pl.Float64)
)
# symbol: (name, close, company cap, the universe file's one day of volume)
LINES = {
    "AAA": ("Alpha Inc. Common Stock", 50.0, 100e9, 900_000),
    "BBB": ("Beta Inc. Common Stock", 40.0, 80e9, 800_000),
    "CCC": ("Gamma Corp. Class A Common Stock", 30.0, 60e9, 5_000),
    "CCCB": ("Gamma Corp. Class B Common Stock", 31.0, 60e9, 100),  # a second class of Gamma
    "DDD": ("Delta Inc. Common Stock", 25.0, 40e9, 400_000),
    "EEE": ("Epsilon Inc. Common Stock", 20.0, 20e9, 300_000),
    "FFF": ("Zeta Inc. Common Stock", 10.0, 10e9, 200_000),
    "GGG": ("Eta Inc. Common Stock", 5.0, 5e9, 100_000),
    "HHH": ("Theta Inc. Common Stock", 4.0, 2e9, 0),  # no share traded that day: unknown
    "III": ("Iota Inc. Common Stock", 2.0, 1e9, 50_000),
    "JJJ": ("Kappa Inc. Common Stock", 1.5, 0.02e9, 7_000),  # below $30 million
}
# In force on rank day: the Russell 1000 and the Russell 2000, whole; KKK is not in the universe (absent).
MEMBERS = {"AAA": "Russell 1000", "DDD": "Russell 1000"} | dict.fromkeys(
    ["BBB", "EEE", "FFF", "III", "JJJ", "KKK"], "Russell 2000"
)
# The market data's 20-session averages, where it has them; the others fall back on the universe file.
MARKET_ADV = {"BBB": 2_000_000.0, "GGG": 50_000.0}
TRACKED = {"Russell 2000": 1e12, "Russell 1000": 1e13}


@pytest.fixture(scope="module")
def made():
    file = universe([line(s, name, price, cap, volume=v) for s, (name, price, cap, v) in LINES.items()])
    members = pl.DataFrame(
        {"symbol": list(MEMBERS), "company": list(MEMBERS), "index_name": list(MEMBERS.values())}
    ).with_columns(complete=pl.lit(True))
    rows = forecast(file, members, "2023-06", RANK_DAY, rules=RULES).rows
    adv = pl.DataFrame(
        {"symbol": list(MARKET_ADV), "adv_shares": list(MARKET_ADV.values()), "adv_sessions": [20, 18]}
    )
    return rows, demand(rows, adv, file.select("source_line", "volume"))


def test_the_forecast_of_the_ten_companies_is_the_one_worked_out_here(made):
    rows, _ = made
    said = dict(rows.select("symbol", "action").iter_rows())
    assert said == {
        "AAA": "stay",  # rank 1
        "BBB": "move_up",  # rank 2: 2000 -> 1000
        "CCC": "add",  # rank 3, new
        "CCCB": "add",  # its class B follows it
        "DDD": "move_down",  # rank 4: 1000 -> 2000
        "EEE": "stay",
        "FFF": "stay",
        "GGG": "add",  # rank 7
        "HHH": "add",  # rank 8
        "III": "delete",  # rank 9: below the Russell 3000 break
        "JJJ": "delete",  # $20 million
        "KKK": "absent",
    }


def _expected() -> dict[tuple[str, str], dict]:
    """Every demand row worked out by hand: weights over the members' caps before (AAA, DDD in the Russell
    1000; BBB, EEE, FFF, III, JJJ in the 2000, KKK having no cap) and after (AAA, BBB, CCC; DDD..HHH)."""
    cap = {s: c for s, (_, _, c, _) in LINES.items()}
    price = {s: p for s, (_, p, _, _) in LINES.items()}
    before = {
        "Russell 1000": 100e9 + 40e9,
        "Russell 2000": 80e9 + 20e9 + 10e9 + 1e9 + 0.02e9,
        "Russell 3000": 100e9 + 40e9 + 80e9 + 20e9 + 10e9 + 1e9 + 0.02e9,
    }
    after = {
        "Russell 1000": 100e9 + 80e9 + 60e9,
        "Russell 2000": 40e9 + 20e9 + 10e9 + 5e9 + 2e9,
        "Russell 3000": 100e9 + 80e9 + 60e9 + 40e9 + 20e9 + 10e9 + 5e9 + 2e9,
    }
    trades = {  # (symbol, index): (member before, member after)
        ("BBB", "Russell 2000"): (True, False),
        ("BBB", "Russell 1000"): (False, True),
        ("CCC", "Russell 1000"): (False, True),
        ("CCC", "Russell 3000"): (False, True),
        ("DDD", "Russell 1000"): (True, False),
        ("DDD", "Russell 2000"): (False, True),
        ("GGG", "Russell 2000"): (False, True),
        ("GGG", "Russell 3000"): (False, True),
        ("HHH", "Russell 2000"): (False, True),
        ("HHH", "Russell 3000"): (False, True),
        ("III", "Russell 2000"): (True, False),
        ("III", "Russell 3000"): (True, False),
        ("JJJ", "Russell 2000"): (True, False),
        ("JJJ", "Russell 3000"): (True, False),
    }
    adv = {
        "BBB": 2_000_000.0,
        "GGG": 50_000.0,
        "CCC": 5_000.0,
        "DDD": 400_000.0,
        "III": 50_000.0,
        "JJJ": 7_000.0,
    }
    out = {}
    for (s, x), (was, will) in trades.items():
        wb = cap[s] / before[x] if was else 0.0
        wa = cap[s] / after[x] if will else 0.0
        per_billion = (wa - wb) * 1e9 / price[s]
        out[s, x] = {
            "side": "buy" if will else "sell",
            "weight_before": wb,
            "weight_after": wa,
            "shares_per_billion": per_billion,
            "adv_shares": adv.get(s),
            "adv_source": None
            if s not in adv
            else "market data"
            if s in MARKET_ADV
            else "universe file, one day",
            "days_per_billion": abs(per_billion) / adv[s] if s in adv else None,
        }
    return out


def test_each_figure_is_the_one_worked_out_from_the_caps_prices_and_volumes(made):
    _, rows = made
    expected = _expected()
    mine = rows.filter(pl.col("symbol") != "CCCB")
    assert sorted(zip(mine["symbol"], mine["index_name"])) == sorted(expected)
    for r in mine.iter_rows(named=True):
        want = expected[r["symbol"], r["index_name"]]
        assert (r["side"], r["adv_source"], r["cap_basis"]) == (
            want["side"],
            want["adv_source"],
            "total market cap",
        )
        for column in (
            "weight_before",
            "weight_after",
            "shares_per_billion",
            "adv_shares",
            "days_per_billion",
        ):
            if want[column] is None:
                assert r[column] is None, (r["symbol"], column)
            else:
                assert r[column] == pytest.approx(want[column], rel=1e-12), (
                    r["symbol"],
                    r["index_name"],
                    column,
                )
    # The weights before of each index's members sum to 1 over those with a cap (KKK, absent, has none).
    assert sum(
        w["weight_before"] for (s, x), w in expected.items() if x == "Russell 2000" and w["side"] == "sell"
    ) == (pytest.approx((80 + 1 + 0.02) / 111.02))


def test_a_further_class_of_a_company_says_its_trade_is_on_the_primary_line(made):
    _, rows = made
    further = rows.filter(pl.col("symbol") == "CCCB")
    assert further["index_name"].to_list() == ["Russell 1000", "Russell 3000"]
    assert further["shares_per_billion"].null_count() == 2
    assert (
        further["note"].to_list()
        == ["a further class of CCC: the company's trade is on its primary line"] * 2
    )


def test_sized_for_the_assets_tracking_each_index(made):
    _, rows = made
    expected = _expected()
    out = sized(rows, TRACKED)
    for r in out.filter(pl.col("symbol") != "CCCB").iter_rows(named=True):
        want = expected[r["symbol"], r["index_name"]]
        assets = TRACKED.get(r["index_name"])
        if assets is None:  # the Russell 3000 is not tracked here
            assert (r["tracked_assets"], r["shares"], r["value"], r["days_of_volume"]) == (None,) * 4
            continue
        shares = want["shares_per_billion"] * assets / 1e9
        assert r["tracked_assets"] == assets
        assert r["shares"] == pytest.approx(shares, rel=1e-12)
        assert r["value"] == pytest.approx(shares * LINES[r["symbol"]][1], rel=1e-12)
        if want["adv_shares"] is None:
            assert r["days_of_volume"] is None  # HHH: unknown, never 0
        else:
            assert r["days_of_volume"] == pytest.approx(abs(shares) / want["adv_shares"], rel=1e-12)
    # Bought and sold per index, each name once.
    by = {(s.index_name): s for s in sides(out)}
    r1000 = by["Russell 1000"]
    assert r1000.bought == pytest.approx(1e13 * (80 + 60) / 240) and r1000.bought_names == 2
    assert r1000.sold == pytest.approx(1e13 * 40 / 140) and r1000.sold_names == 1
    r2000 = by["Russell 2000"]
    assert r2000.bought == pytest.approx(1e12 * (40 + 5 + 2) / 77) and r2000.bought_names == 3
    assert r2000.sold == pytest.approx(1e12 * (80 + 1 + 0.02) / 111.02) and r2000.sold_names == 3


def test_a_move_is_net_over_the_indexes_it_leaves_and_joins(made):
    _, rows = made
    net = {r["symbol"]: r for r in net_days(sized(rows, TRACKED)).iter_rows(named=True)}
    bbb = 1e13 * (80 / 240) / 40 - 1e12 * (80 / 111.02) / 40  # bought by the 1000's funds, sold by the 2000's
    assert net["BBB"]["shares"] == pytest.approx(bbb, rel=1e-12)
    assert net["BBB"]["days_of_volume"] == pytest.approx(abs(bbb) / 2_000_000, rel=1e-12)
    assert net["HHH"]["days_of_volume"] is None and list(net)[-1] in ("HHH", "CCCB")  # unknown: last
    days = [r["days_of_volume"] for r in net.values() if r["days_of_volume"] is not None]
    assert days == sorted(days, reverse=True)


def test_the_tracked_assets_read_back_as_written():
    tracked = parse_tracked("Russell 1000=1e13, russell 2000 = 1_000_000_000_000")
    assert tracked == (("Russell 1000", 1e13), ("Russell 2000", 1e12))
    assert parse_tracked(tracked_text(dict(tracked))) == tracked
    assert TRACKED_INDEXES == (R.R1000, R.R2000, R.R3000)  # the forecast's names
