"""The next review before it happens: pro-forma weights, the trade from the weights in force, the check
against the stored weights, and `russell-pipeline pro-forma` on a built lake (docs/methodology.md §1.10)."""

from __future__ import annotations

import io
import json
import math
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from russell_pipeline.lib.index import pro_forma as pf
from russell_pipeline.lib.index.weights import compute_weights
from russell_pipeline.lib.market.contract import R2G, SCC, MarketData, load_market_data
from russell_pipeline_tests.helpers import run_main
from russell_pipeline_tests.lakes import LakeFolder, SharedLakes, lake_folder

# The previous review 2024-03 (cut-off 6 March) holds AAA and BBB in SCC and CCC in R2000 Growth, each with
# a cap of 1000 at its cut-off: S = 2000, G = 1000, so c = 4.5, 4.5, -1 and the weights 0.5625, 0.5625,
# -0.125. By 5 June AAA rose to 12, BBB split 2:1 (ex 1 May) and trades at 10, CCC is unchanged: p s f c is
# 5400, 10 x 50 x 2 x 4.5 = 4500 and -1000, so the weights in force are 54/89, 45/89 and -10/89.
# The review 2024-06 (cut-off 12 June, not passed on 5 June) holds AAA and DDD (priced in CAD at 0.8) in SCC
# and half of BBB in R2000 Growth: on 5 June the caps are AAA 1200, DDD 4 x 250 x 0.8 = 800, BBB 10 x 100 =
# 1000, so S = 2000, G = 500, the scaling 9 G / S = 2.25 and final caps 2700, 1800, -500 (sum 4000 = 8 G):
# weights 0.675, 0.45, -0.125. Rows dated 6 June (after the last close used) must change nothing.
TABLES = {
    "prices": (
        "date,symbol,close,currency\n"
        "2024-03-06,AAA,10,USD\n2024-03-06,BBB,20,USD\n2024-03-06,CCC,5,USD\n"
        "2024-06-05,AAA,12,USD\n2024-06-05,BBB,10,USD\n2024-06-05,CCC,5,USD\n2024-06-05,DDD,4,CAD\n"
        "2024-06-06,AAA,99,USD\n2024-06-06,BBB,99,USD\n2024-06-06,CCC,99,USD\n2024-06-06,DDD,99,CAD\n"
    ),
    "shares": (
        "date,symbol,shares,free_float\n"
        "2024-01-02,AAA,100,1\n2024-01-02,BBB,50,1\n2024-01-02,CCC,200,1\n"
        "2024-05-01,BBB,100,1\n2024-06-03,DDD,250,1\n2024-06-06,DDD,9999,1\n"
    ),
    "memberships": (
        "review,index,symbol,fraction\n"
        f"2024-03,{SCC},AAA,1\n2024-03,{SCC},BBB,1\n2024-03,{R2G},CCC,1\n"
        f"2024-06,{SCC},AAA,1\n2024-06,{SCC},DDD,1\n2024-06,{R2G},BBB,0.5\n"
    ),
    "fx": "date,currency,usd_per_unit\n2024-05-31,CAD,0.8\n2024-06-06,CAD,5\n",
    "splits": "ex_date,symbol,ratio\n2024-05-01,BBB,2\n",
}
JUNE = pf.ReviewDates("2024-06", date(2024, 6, 12), date(2024, 6, 28), last_close=date(2024, 6, 5))


@pytest.fixture
def md(tmp_path: Path) -> MarketData:
    return load_market_data(_folder(tmp_path / "md"))


def _march(md: MarketData) -> pl.DataFrame:
    return compute_weights(md, "2024-03", date(2024, 3, 6), date(2024, 3, 15))


def test_review_dates_stand_in_until_the_cut_off_and_value_at_the_rebalance():
    assert (JUNE.prices_date, JUNE.as_of, JUNE.stand_in) == (date(2024, 6, 5), date(2024, 6, 5), True)
    between = pf.ReviewDates("2024-06", date(2024, 6, 12), date(2024, 6, 28), last_close=date(2024, 6, 20))
    assert (between.prices_date, between.as_of, between.stand_in) == (
        date(2024, 6, 12),
        date(2024, 6, 20),
        False,
    )
    after = pf.ReviewDates("2024-06", date(2024, 6, 12), date(2024, 6, 28), last_close=date(2024, 9, 3))
    assert (after.prices_date, after.as_of, after.stand_in) == (date(2024, 6, 12), date(2024, 6, 28), False)


def test_hand_computed_trade_list(md: MarketData):
    march = _march(md)
    assert march["weighting_factor"].to_list() == [4.5, 4.5, -1.0]
    rows = pf.pro_forma(md, JUNE, march, "2024-03")

    now = {"AAA": 54 / 89, "BBB": 45 / 89, "CCC": -10 / 89, "DDD": 0.0}
    target = {"AAA": 0.675, "BBB": -0.125, "CCC": 0.0, "DDD": 0.45}
    usd_price = {"AAA": 12.0, "BBB": 10.0, "CCC": 5.0, "DDD": 4 * 0.8}
    assert rows.columns == list(pf.PRO_FORMA_COLUMNS)
    assert rows["symbol"].to_list() == ["AAA", "BBB", "CCC", "DDD"]
    assert rows["move"].to_list() == ["stay", "stay", "out", "in"]
    for r in rows.iter_rows(named=True):
        s = r["symbol"]
        assert r["weight_now"] == pytest.approx(now[s], abs=1e-15)
        assert r["weight_pro_forma"] == pytest.approx(target[s], abs=1e-15)
        assert r["change"] == pytest.approx(target[s] - now[s], abs=1e-15)
        assert r["shares_per_billion"] == pytest.approx((target[s] - now[s]) * 1e9 / usd_price[s], rel=1e-12)
    # DDD: 0.45 x $1bn / (4 CAD x 0.8 USD per CAD) = 140,625,000 shares to buy.
    assert rows.filter(pl.col("symbol") == "DDD")["shares_per_billion"].item() == pytest.approx(
        140_625_000, rel=1e-12
    )
    head = rows.row(0, named=True)
    assert (head["prices_date"], head["as_of_date"], head["stand_in"], head["previous_review"]) == (
        date(2024, 6, 5),
        date(2024, 6, 5),
        True,
        "2024-03",
    )

    totals = pf.totals(rows)
    # Buys: AAA 0.675 - 54/89, CCC +10/89 (covering the short), DDD 0.45; their sum is what BBB sells.
    assert totals.turnover == pytest.approx(0.675 - 54 / 89 + 10 / 89 + 0.45, abs=1e-15)
    assert totals.turnover == pytest.approx(45 / 89 + 0.125, abs=1e-15)
    assert (totals.names_in, totals.names_out, totals.names) == (1, 1, 4)
    assert totals.line("2024-06", JUNE.as_of, JUNE.stand_in) == (
        "2024-06 as of 2024-06-05 (latest close standing in for the cut-off close): one-way turnover "
        "63.0618%, names in 1, names out 1, 4 symbols"
    )


def test_the_review_after_the_last_with_members_carries_them():
    partitions = ["2023-12", "2024-03", "2024-06", "2024-09"]
    assert pf.carried_members(["2023-12", "2024-03"], partitions) == {"2024-06": "2024-03"}
    assert pf.carried_members(["2024-09"], partitions) == {} and pf.carried_members([], partitions) == {}


def test_hand_computed_trade_list_with_carried_members(tmp_path: Path):
    # The market data holds no members for 2024-06 yet: those of 2024-03 stand in, plus EEE (SCC, a cap
    # of 1000 at the March cut-off), which has not traded since: on 5 June its close is stale, so it
    # is left out. March: S = 3000, G = 1000, c = 3 (SCC) and -1 (CCC). Drifted to 5 June, p s f c is
    # AAA 12 x 100 x 3 = 3600, BBB 10 x 100 x 3 = 3000, CCC -1000, EEE 10 x 100 x 3 = 3000 (its last
    # close carried): 8600 in all. Carried to June at the 5 June closes: AAA 1200, BBB 1000 in SCC (S =
    # 2200), CCC 1000 in R2G (G = 1000); scaled by 9 G / S the SCC caps are 54000/11 and 45000/11, the sum
    # of final caps 8000: weights 27/44, 45/88 and -1/8.
    md = _carried(tmp_path)
    march = _march(md)
    assert march["weighting_factor"].to_list() == [3.0, 3.0, -1.0, 3.0]
    rows = pf.pro_forma(md, JUNE, march, "2024-03", members_review="2024-03")

    assert rows["symbol"].to_list() == ["AAA", "BBB", "CCC", "EEE"]
    assert rows["move"].to_list() == ["stay", "stay", "stay", "out"]
    now = {"AAA": 36 / 86, "BBB": 30 / 86, "CCC": -10 / 86, "EEE": 30 / 86}
    target = {"AAA": 27 / 44, "BBB": 45 / 88, "CCC": -1 / 8, "EEE": 0.0}
    for r in rows.iter_rows(named=True):
        assert r["weight_now"] == pytest.approx(now[r["symbol"]], abs=1e-15)
        assert r["weight_pro_forma"] == pytest.approx(target[r["symbol"]], abs=1e-15)
    assert set(
        rows.select("review", "members_review", "members_carried", "stand_in", "previous_review").rows()
    ) == {("2024-06", "2024-03", True, True, "2024-03")}
    # EEE is the one carried member left out: a member whose close is stale is refused by the weights.
    assert pf.carry(md, "2024-06", "2024-03", JUNE.prices_date).memberships["symbol"].to_list() == [
        "AAA",
        "BBB",
        "CCC",
    ]
    # Its own members, once in the data, are used instead (and say so).
    announced = load_market_data(_folder(tmp_path / "own"))
    own = pf.pro_forma(announced, JUNE, _march(announced), "2024-03")
    assert set(own.select("members_review", "members_carried").rows()) == {("2024-06", False)}


def _folder(folder: Path, tables: dict[str, str] = TABLES) -> Path:
    folder.mkdir()
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


def _carried(tmp_path: Path) -> MarketData:
    """TABLES without the members of 2024-06 (they are carried from 2024-03), and EEE, an SCC member of
    2024-03 with a cap of 1000 at its cut-off, that has not traded since: stale on 5 June."""
    tables = dict(TABLES)
    tables["prices"] += "2024-03-06,EEE,10,USD\n"
    tables["shares"] += "2024-01-02,EEE,100,1\n"
    tables["memberships"] = (
        "".join(line + "\n" for line in tables["memberships"].splitlines() if not line.startswith("2024-06"))
        + f"2024-03,{SCC},EEE,1\n"
    )
    return load_market_data(_folder(tmp_path / "carried", tables))


def _forecast(*rows: tuple[str, str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=pf.FORECAST_SCHEMA, orient="row")


def test_forecast_members_follow_each_action():
    members = pl.DataFrame(
        [
            *(("2024-06", SCC, s, 1.0) for s in ("AAA", "BBB", "DDD", "EEE", "FFF", "GGG")),
            *(("2024-06", R2G, s, f) for s, f in (("BBB", 0.5), ("CCC", 1.0), ("DDD", 0.25))),
        ],
        schema={"review": pl.String, "index": pl.String, "symbol": pl.String, "fraction": pl.Float64},
        orient="row",
    )
    forecast = _forecast(
        ("AAA", "add", "Russell 2000"),  # a member already: nothing changes, nothing counted
        ("BBB", "delete", None),  # leaves both components
        ("CCC", "stay", "Russell 2000"),
        ("DDD", "move_up", "Russell 1000"),  # leaves the Russell 2000 Growth, stays in the SCC
        ("EEE", "move_down", "Russell 2000"),  # joins no Growth index: its style is unknown
        ("FFF", "absent", None),  # leaves by a corporate action, not at the reconstitution
        ("GGG", "out", None),
        ("NEW", "add", "Russell 2000"),  # joins the SCC at fraction 1, not the Growth index
        ("BIG", "add", "Russell 1000"),
        ("UNP", "add", "Russell 2000"),  # no close to weigh it: left out, counted
        ("MIC", "out", "Russell Microcap"),  # not a Russell 3000 addition
        ("ZZZ", "delete", None),  # not a carried member: nothing to remove
    )
    changed, changes = pf.forecast_members(members, forecast, weighable={"AAA", "NEW", "BIG", "MIC"})
    assert changed.filter(pl.col("index") == SCC).select("symbol", "fraction").rows() == [
        ("AAA", 1.0),
        ("BIG", 1.0),
        ("DDD", 1.0),
        ("EEE", 1.0),
        ("FFF", 1.0),
        ("GGG", 1.0),
        ("NEW", 1.0),
    ]
    assert changed.filter(pl.col("index") == R2G).select("symbol", "fraction").rows() == [("CCC", 1.0)]
    assert set(changed["review"]) == {"2024-06"} and changed.schema == members.schema
    assert changes == pf.ForecastChanges(
        added=("BIG", "NEW"), deleted=("BBB",), moved_up=("DDD",), moved_down=("EEE",), unplaced=("UNP",)
    )
    # Without a forecast row the carried members are the forecast's too.
    assert pf.forecast_members(members, _forecast(), set())[0].equals(members.sort("index", "symbol"))


def test_only_an_addition_the_weights_can_price_is_weighable(tmp_path: Path):
    tables = dict(TABLES)
    tables["prices"] += "2024-06-05,NOS,3,USD\n2024-05-01,OLD,3,USD\n2024-06-05,GBP,3,GBP\n"
    tables["shares"] += "2024-01-02,OLD,10,1\n2024-01-02,GBP,10,1\n"
    md = load_market_data(_folder(tmp_path / "md", tables))
    # DDD: a close, shares and a CAD rate on 5 June; NOS no shares, OLD a stale close, GBP no rate, XXX
    # no close at all.
    symbols = ["AAA", "DDD", "NOS", "OLD", "GBP", "XXX"]
    assert pf.weighable(md, symbols, JUNE.prices_date) == {"AAA", "DDD"}


def test_hand_computed_trade_list_with_forecast_members(tmp_path: Path):
    # Carried from 2024-03 (AAA, BBB and EEE in SCC, CCC in R2G; EEE stale on 5 June) and changed as the
    # forecast of 2024-06 says: BBB deleted, DDD added (a close of 4 CAD at 0.8 and 250 shares on 5 June),
    # XXX added without a close, AAA moved up (it is in no Growth index: nothing changes). At the 5 June
    # closes the caps are AAA 1200, DDD 800 (S = 2000) and CCC 1000 (G = 1000): 9 G / S = 4.5, final caps
    # 5400, 3600 and -1000 (sum 8000): weights 0.675, 0.45 and -0.125.
    md = _carried(tmp_path)
    march = _march(md)
    forecast = _forecast(
        ("AAA", "move_up", "Russell 1000"),
        ("BBB", "delete", None),
        ("CCC", "stay", "Russell 2000"),
        ("DDD", "add", "Russell 2000"),
        ("XXX", "add", "Russell 2000"),
    )
    rows = pf.pro_forma(md, JUNE, march, "2024-03", members_review="2024-03", forecast=forecast)
    assert rows.select("symbol", "move", "forecast_action").rows() == [
        ("AAA", "stay", "move_up"),
        ("BBB", "out", "delete"),
        ("CCC", "stay", "stay"),
        ("DDD", "in", "add"),
        ("EEE", "out", None),
    ]
    target = {"AAA": 0.675, "BBB": 0.0, "CCC": -0.125, "DDD": 0.45, "EEE": 0.0}
    for r in rows.iter_rows(named=True):
        assert r["weight_pro_forma"] == pytest.approx(target[r["symbol"]], abs=1e-15)
    assert set(rows.select("members_review", "members_carried", "members_forecast").rows()) == {
        ("2024-03", True, True)
    }
    assert pf.forecast_changes(rows, forecast) == pf.ForecastChanges(
        added=("DDD",), deleted=("BBB",), unplaced=("XXX",)
    )
    said = pf.members_line("2024-06", rows, forecast)
    assert said.startswith(
        "members forecast: the market data holds no members for 2024-06 yet, so these are the members of "
        "2024-03 as the reconstitution forecast of 2024-06 changes them: 1 added"
    )
    assert ", 1 deleted, 1 additions left unplaced" in said and said.endswith(
        "1 without a close within the stale limit left out"
    )
    # A review with its own members takes no forecast: the forecast changes carried members only.
    announced = load_market_data(_folder(tmp_path / "own"))
    own = pf.pro_forma(announced, JUNE, _march(announced), "2024-03", forecast=forecast)
    assert set(own.select("members_forecast", "forecast_action").rows()) == {(False, None)}


def test_a_forecast_leaving_a_component_empty_is_not_used(tmp_path: Path):
    # CCC, the one Russell 2000 Growth member, moves up: the weights would have no short side. The
    # members are carried as they are, and every row and the line say so.
    md = _carried(tmp_path)
    march = _march(md)
    forecast = _forecast(("CCC", "move_up", "Russell 1000"), ("DDD", "add", "Russell 2000"))
    rows = pf.pro_forma(md, JUNE, march, "2024-03", members_review="2024-03", forecast=forecast)
    plain = pf.pro_forma(md, JUNE, march, "2024-03", members_review="2024-03")
    assert rows.equals(plain)
    assert set(rows.select("members_carried", "members_forecast", "forecast_action").rows()) == {
        (True, False, None)
    }
    assert pf.members_line("2024-06", rows, forecast).endswith(
        "unchanged by the reconstitution forecast of 2024-06: it leaves a component index without a "
        "member to weigh"
    )
    assert "unchanged" not in pf.members_line("2024-06", plain, None)


def test_the_forecast_of_a_carried_review_is_in_its_pro_forma_digest_only():
    from russell_pipeline.planning import digests

    dates = pl.DataFrame(
        {
            "review": ["2024-03", "2024-06"],
            "cutoff_date": [date(2024, 3, 6), date(2024, 6, 12)],
            "effective_date": [date(2024, 3, 15), date(2024, 6, 28)],
        }
    )
    days = pl.DataFrame({"day": [date(2024, 3, 6), date(2024, 6, 5)], "digest": [1, 2]})
    members = pl.DataFrame(
        {"review": ["2024-03"] * 2, "index": [SCC, R2G], "symbol": ["AAA", "CCC"], "fraction": [1.0, 1.0]}
    )

    def inputs(forecasts: dict | None) -> dict:
        return digests.review_inputs(dates, days, members, {"2024-06": "2024-03"}, "synthetic", forecasts)

    plain, one, other = inputs(None), inputs({"2024-06": "a"}), inputs({"2024-06": "b"})
    assert plain["pro_forma_weights"]["2024-06"] != one["pro_forma_weights"]["2024-06"]
    assert one["pro_forma_weights"]["2024-06"] != other["pro_forma_weights"]["2024-06"]
    for asset in ("quarterly_weights", "index_levels"):
        assert plain[asset] == one[asset] == other[asset]
    assert plain["pro_forma_weights"]["2024-03"] == one["pro_forma_weights"]["2024-03"]


def test_the_base_review_is_bought_from_nothing(md: MarketData):
    rows = pf.pro_forma(md, JUNE, None, None)
    assert rows["move"].to_list() == ["in", "in", "in"] and rows["weight_now"].to_list() == [0.0, 0.0, 0.0]
    assert rows["change"].to_list() == rows["weight_pro_forma"].to_list()
    assert pf.totals(rows).turnover == pytest.approx(0.675 + 0.45, abs=1e-15)  # the positive weights


def test_pro_forma_after_the_cut_off_is_the_reviews_weights(md: MarketData):
    passed = pf.ReviewDates("2024-06", date(2024, 6, 5), date(2024, 6, 28), last_close=date(2024, 6, 5))
    rows = pf.pro_forma(md, passed, _march(md), "2024-03")
    stored = compute_weights(md, "2024-06", date(2024, 6, 5), date(2024, 6, 28))
    assert pf.weight_mismatches(rows, stored).height == 0


def test_the_check_fails_on_a_wrong_frame(md: MarketData):
    from russell_pipeline.defs.index.pro_forma_assets import _results

    passed = pf.ReviewDates("2024-06", date(2024, 6, 5), date(2024, 6, 28), last_close=date(2024, 6, 5))
    rows = pf.pro_forma(md, passed, _march(md), "2024-03")
    stored = pl.concat([_march(md), compute_weights(md, "2024-06", date(2024, 6, 5), date(2024, 6, 28))])
    assert [r.passed for r in _results(rows, stored)] == [True, True]
    off = stored.with_columns(
        pl.when((pl.col("review") == "2024-06") & (pl.col("symbol") == "DDD"))
        .then(pl.col("weight") + 1e-9)
        .otherwise(pl.col("weight"))
        .alias("weight")
    )
    check = _results(rows, off)[1]
    assert not check.passed and check.metadata["failures"].value == 1
    assert check.metadata["first"].value.startswith("difference: review=2024-06, symbol=DDD")
    # A stored member the pro-forma lacks fails too.
    extra = stored.filter(pl.col("symbol") == "AAA").with_columns(
        pl.lit("ZZZ").alias("symbol"), pl.lit("2024-06").alias("review")
    )
    assert not _results(rows, pl.concat([stored, extra]))[1].passed
    # A stand-in is not compared: its cut-off has not passed, the stored weights (if any) are not its own.
    assert (
        _results(pf.pro_forma(md, JUNE, _march(md), "2024-03"), off)[1].metadata["reviews_compared"].value
        == 0
    )


def test_pro_forma_on_a_lake_without_it_is_one_line(tmp_path):
    for args in (("pro-forma", "2024-06"), ("pro-forma", "2024-06", "--format", "json")):
        done = run_main(*args, env=lake_folder(tmp_path).env())
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr == (
            f"error: {tmp_path / 'lake' / 'pro_forma_weights'}: not built yet: run "
            "`russell-pipeline build` first\n"
        )
    help_text = run_main("pro-forma", "--help").stdout
    assert "\nexample:\n  russell-pipeline pro-forma 2024-06" in help_text


# --- A built lake: market data to 5 June 2020 with the June 2020 members announced ------------------------

LAST_CLOSE, JUNE_2020 = date(2020, 6, 5), ("2020-06", date(2020, 6, 17), date(2020, 6, 26))  # t, T of 2020-06
PAST = ["2019-03", "2019-06", "2019-09", "2019-12", "2020-03"]


def _market(folder: Path, last: date, members_until: str = "2020-06") -> MarketData:
    """The synthetic feed's 120 stocks with the memberships of every review to `members_until`, and every
    dated row up to `last` only: the June 2020 members are known before its cut-off (a user's folder)."""
    from russell_pipeline.lib.market.contract import write_market_data
    from russell_pipeline.lib.market.synthetic import synthetic_market_data

    full = synthetic_market_data(date(2020, 9, 30), n_stocks=120)
    md = MarketData(
        prices=full.prices.filter(pl.col("date") <= last),
        shares=full.shares.filter(pl.col("date") <= last),
        memberships=full.memberships.filter(pl.col("review") <= members_until),
        dividends=full.dividends.filter(pl.col("ex_date") <= last),
        splits=full.splits.filter(pl.col("ex_date") <= last),
        fx=full.fx,
        source="synthetic",
    )
    write_market_data(md, folder)
    return load_market_data(folder)


@pytest.fixture(scope="module")
def built(tmp_path_factory, lakes: SharedLakes) -> LakeFolder:
    """The sample documents over this feed (the small feed's stocks, to 5 June 2020 with the June members),
    built on a copy of the shared built lake (`lakes.copy`): only what the later closes and the June members
    change runs again."""
    root = tmp_path_factory.mktemp("pro_forma")
    folder = lakes.copy(root, feed=lambda market: _market(market, LAST_CLOSE))
    done = folder.build()
    assert done.returncode == 0, done.stderr[-3000:]
    # June's pro-forma, and 2020-09's, which carries the June members (but trades from June weights not
    # known yet)
    assert "pro_forma_weights 2020-06..2020-09: ok" in done.stdout, done.stdout
    return folder


def _trades(folder: LakeFolder, review: str, fmt: str = "csv") -> tuple[pl.DataFrame, str]:
    done = folder.run("pro-forma", review, "--format", fmt)
    assert done.returncode == 0, done.stderr
    rows = pl.read_csv(io.StringIO(done.stdout)) if fmt == "csv" else pl.DataFrame(json.loads(done.stdout))
    return rows, done.stderr


@pytest.mark.slow
def test_pro_forma_of_a_past_review_equals_its_stored_weights(built: LakeFolder):
    stored = built.lake.warehouse.published("quarterly_weights")
    as_csv = {}  # review: its trades as CSV
    for review in PAST:
        rows, totals = _trades(built, review)
        as_csv[review] = rows
        # Each row names the prices it rests on: the folder's prices file (so stderr has no synthetic note).
        assert rows.columns == [*pf.TRADE_COLUMNS, "price_source"]
        assert set(rows["price_source"]) == {"market file prices.parquet"}
        weights = stored.filter(pl.col("review") == review).select("symbol", "weight")
        members = rows.filter(pl.col("weight_pro_forma") != 0)
        both = members.join(weights, on="symbol", how="full", coalesce=True)
        assert both.height == weights.height == members.height, review
        assert (both["weight_pro_forma"] - both["weight"]).abs().max() <= 1e-12, review
        assert f"{review} as of " in totals and "(cut-off closes)" in totals and len(totals.splitlines()) == 1
    # The same trades as JSON, against the CSV rows read above.
    as_json, _ = _trades(built, "2019-12", "json")
    december = as_csv["2019-12"]
    assert as_json.columns == [*pf.TRADE_COLUMNS, "price_source"] and as_json.height == december.height
    assert (as_json["change"] - december["change"]).abs().max() <= 1e-15


@pytest.mark.slow
def test_the_next_review_prints_a_trade_list_with_the_stand_in(built: LakeFolder):
    from russell_pipeline.lib.index.recompute import _positions

    lake, md = built.lake, load_market_data(built.market)
    review, cutoff, effective = JUNE_2020
    weights = lake.warehouse.published("quarterly_weights")
    assert review not in weights["review"].to_list()  # its cut-off has not passed: no weights yet
    rows, totals = _trades(built, review)
    stored = lake.warehouse.published("pro_forma_weights").filter(pl.col("review") == review).sort("symbol")
    assert rows["symbol"].to_list() == stored["symbol"].to_list() and rows.height > 50
    assert stored.select(
        "cutoff_date", "prices_date", "as_of_date", "stand_in", "previous_review"
    ).unique().rows() == [(cutoff, LAST_CLOSE, LAST_CLOSE, True, "2020-03")]
    # The method's weights with the 5 June closes standing in for the 17 June cut-off ...
    target = compute_weights(md, review, LAST_CLOSE, effective).select("symbol", "weight")
    mine = rows.join(target, on="symbol", how="left").with_columns(pl.col("weight").fill_null(0.0))
    assert (mine["weight_pro_forma"] - mine["weight"]).abs().max() <= 1e-15
    # ... against the March weights drifted to 5 June, recomputed by the level checks' own route.
    held = _positions(weights, "2020-03", LAST_CLOSE, md.prices, md.splits, md.fx)
    held = held.with_columns((pl.col("value") / pl.col("value").sum()).alias("drifted")).select(
        "symbol", "drifted"
    )
    mine = rows.join(held, on="symbol", how="left").with_columns(pl.col("drifted").fill_null(0.0))
    assert (mine["weight_now"] - mine["drifted"]).abs().max() <= 1e-12
    closes = md.prices.filter(pl.col("date") == LAST_CLOSE).select("symbol", "close")
    mine = rows.join(closes, on="symbol")
    assert mine.height == rows.height
    assert (
        (mine["shares_per_billion"] - mine["change"] * 1e9 / mine["close"]).abs()
        / mine["shares_per_billion"].abs()
    ).max() <= 1e-12
    turnover = math.fsum(c for c in rows["change"].to_list() if c > 0)
    assert abs(turnover - 0.5 * math.fsum(abs(c) for c in rows["change"].to_list())) <= 1e-12
    assert totals == (
        f"{review} as of {LAST_CLOSE} (latest close standing in for the cut-off close): one-way "
        f"turnover {turnover:.4%}, names in {(stored['move'] == 'in').sum()}, names out "
        f"{(stored['move'] == 'out').sum()}, {rows.height} symbols\n"
    )
    # The rows say which names enter and leave, as stderr counts them (before: no column did).
    assert rows["move"].to_list() == stored["move"].to_list() and {"out", "stay"} <= set(rows["move"])
    leaving = rows.filter(pl.col("move") == "out")
    assert leaving.height and (leaving["weight_now"] != 0).all() and (leaving["weight_pro_forma"] == 0).all()


@pytest.mark.slow
def test_an_unknown_review_is_one_line(built: LakeFolder):
    done = built.run("pro-forma", "2021-03")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "error: pro-forma 2021-03: no pro-forma weights for this review (reviews with them: "
        "2019-03..2020-06; a review needs its members in the market data and the weights of "
        "the review before it)\n"
    )
    # A month that is no review, and no review at all, are bad values of the command line (exit 2).
    for review, problem in (
        ("2020-07", "2020-07: July is no review month (the reviews are March, June, September and December"),
        ("june", "'june' is not a review (YYYY-MM, e.g. 2024-06)"),
    ):
        done = built.run("pro-forma", review)
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr.startswith(f"error: russell-pipeline pro-forma: argument review: {problem}")


@pytest.mark.slow
def test_a_new_close_recomputes_the_upcoming_pro_forma_only(built: LakeFolder, tmp_path: Path):
    folder = built.copy(tmp_path / "copy")
    _market(folder.market, date(2020, 6, 8))
    # Before the build, the stored trades and levels answer, saying the market data moved on since.
    stale = f"warning: the market data in {folder.market} are not built yet: run `russell-pipeline build`; "
    for verb in (("pro-forma", "2020-06"), ("report", "--out", str(tmp_path / "report"))):
        answered = folder.run(*verb)
        assert answered.returncode == 0 and stale in answered.stderr, answered.stderr
    done = folder.build()
    assert done.returncode == 0, done.stderr[-3000:]
    # The upcoming review's, and the one after it, which carries its members
    assert "pro_forma_weights: 2 out of date (2020-06..2020-09)" in done.stdout, done.stdout
    assert [
        line.split(":")[0] for line in done.stdout.splitlines() if line.startswith("pro_forma_weights ")
    ] == ["pro_forma_weights 2020-06..2020-09"]
    rows, totals = _trades(folder, "2020-06")
    assert rows.height > 50 and totals.startswith(
        "2020-06 as of 2020-06-08 (latest close standing in for the cut-off close)"
    )
    assert "warning" not in totals


@pytest.mark.slow
def test_the_upcoming_review_carries_the_latest_members_until_its_own_are_in_the_data(
    built: LakeFolder, tmp_path: Path
):
    folder = built.copy(tmp_path / "copy")
    # Closes to 31 July 2020: June's weights are in force (rebalance 26 June), September's members unknown;
    # one June member stops trading on 1 July (21 sessions before 31 July: stale).
    md = _market(folder.market, date(2020, 7, 31))
    gone = md.memberships.filter(pl.col("review") == "2020-06")["symbol"].sort()[0]
    md.prices.filter((pl.col("symbol") != gone) | (pl.col("date") <= date(2020, 7, 1))).write_parquet(
        folder.market / "prices.parquet"
    )
    md = load_market_data(folder.market)
    done = folder.build()
    assert done.returncode == 0, done.stderr[-3000:]
    rows, said = _trades(folder, "2020-09")
    assert set(rows.select("members_review", "members_carried").rows()) == {("2020-06", True)}
    assert (
        "members carried: the market data holds no members for 2020-09 yet, so these are the "
        "members of 2020-06"
    ) in said
    lake = folder.lake
    stored = lake.warehouse.published("pro_forma_weights").filter(pl.col("review") == "2020-09")
    assert stored.select("prices_date", "stand_in", "previous_review").unique().rows() == [
        (date(2020, 7, 31), True, "2020-06")
    ]
    # The method's weights of June's members at the 31 July closes, less those no longer trading.
    carried = pf.carry(md, "2020-09", "2020-06", date(2020, 7, 31))
    target = compute_weights(carried, "2020-09", date(2020, 7, 31), date(2020, 9, 18)).select(
        "symbol", "weight"
    )
    mine = stored.filter(pl.col("move") != "out").join(target, on="symbol", how="full", coalesce=True)
    assert mine.height == target.height and (mine["weight_pro_forma"] - mine["weight"]).abs().max() <= 1e-15
    june = md.memberships.filter(pl.col("review") == "2020-06")["symbol"].unique()
    left_out = set(june) - set(target["symbol"])
    assert left_out == {gone} and set(stored.filter(pl.col("move") == "out")["symbol"]) == left_out
    assert rows["symbol"].to_list() == stored.sort("symbol")["symbol"].to_list()
    # September has no weights: its members are not in the data.
    assert "2020-09" not in lake.warehouse.published("quarterly_weights")["review"].to_list()

    # The feed announces September's members: they are used, and December carries them.
    _market(folder.market, date(2020, 7, 31), members_until="2020-09")
    done = folder.build()
    assert done.returncode == 0, done.stderr[-3000:]
    assert "pro_forma_weights 2020-09..2020-12: ok" in done.stdout, done.stdout
    rows, said = _trades(folder, "2020-09")
    assert set(rows.select("members_review", "members_carried").rows()) == {("2020-09", False)}
    assert "members carried" not in said
