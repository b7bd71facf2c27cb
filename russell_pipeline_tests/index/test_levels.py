"""Index levels (DESIGN.md steps 6-13): a hand computation, nightly == backfill, and the report."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from russell_pipeline.lib.index.levels import (
    LEVEL_SCHEMA,
    LevelState,
    all_levels,
    backfill,
    closes_from,
    history_needed,
    period_levels,
    rebalance_jumps,
)
from russell_pipeline.lib.index.report import chart_markdown, chart_svg, summary_table
from russell_pipeline.lib.sessions import sessions

D = [date(2024, 1, day) for day in (2, 3, 4, 5, 8, 9, 10, 11)]  # a short calendar of our own
T1, T2 = D[2], D[5]  # rebalance Fridays of the two reviews; cut-offs D[0] and D[4]


def _weights(review, cutoff, effective, rows):
    return pl.DataFrame(
        [
            {
                "review": review,
                "cutoff_date": cutoff,
                "effective_date": effective,
                "symbol": s,
                "price": 1.0,
                "shares": sh,
                "free_float": ff,
                "fx": 1.0,
                "scc_fraction": 1.0,
                "r2g_fraction": 0.0,
                "final_mcap": 1.0,
                "weight": 1.0,
                "weighting_factor": c,
            }
            for s, sh, ff, c in rows
        ]
    )


def _prices(closes: dict[str, list], currency=None):
    currency = currency or {}
    return pl.DataFrame(
        [
            {"date": d, "symbol": s, "close": p, "currency": currency.get(s, "USD")}
            for s, series in closes.items()
            for d, p in zip(D, series)
            if p is not None
        ]
    )


# symbol: shares, free_float, weighting factor c  (k = s f c)
W1 = _weights(
    "2024-01",
    D[0],
    T1,
    [("A", 100, 1, 1), ("B", 50, 0.5, 2), ("C", 10, 1, 1), ("D", 40, 1, -0.5), ("E", 20, 1, 1)],
)
W2 = _weights(
    "2024-02",
    D[4],
    T2,
    [("A", 200, 1, 0.5), ("B", 150, 0.5, 1), ("C", 10, 1, 2), ("D", 40, 1, -1), ("F", 30, 1, 1)],
)
PRICES = _prices(
    {
        "A": [10, 5.5, 6, 6.5, 7, 7.5, 8, 8],  # 2:1 split ex D[1]: after cut-off, before T1
        "B": [20, 21, 22, 7.5, 8, 8.5, 9, 9],  # 3:1 split ex D[3]: after T1
        "C": [50, 51, 52, None, 54, 55, None, 56],  # CAD, gaps carried forward
        "D": [30, 29, 28, 27, 26, None, None, 25],  # short; D[4]'s close carried over T2
        "E": [15, 16, 17, 18, None, None, None, None],  # stops trading, leaves at T2
        "F": [None, None, None, None, 12, 12.5, 13, 6],  # joins at T2, 2:1 split ex D[7]
    },
    currency={"C": "CAD"},
)
SPLITS = pl.DataFrame({"ex_date": [D[1], D[3], D[7]], "symbol": ["A", "B", "F"], "ratio": [2.0, 3.0, 2.0]})
DIVIDENDS = pl.DataFrame({"ex_date": [T2, D[6]], "symbol": ["B", "A"], "amount": [0.3, 0.2]})
FX = pl.DataFrame(
    {"date": D, "currency": "CAD", "usd_per_unit": [0.75, 0.76, 0.74, 0.75, 0.8, 0.78, 0.77, 0.79]}
)
WEIGHTS = pl.concat([W1, W2])


def _hand_levels() -> pl.DataFrame:
    # Review 1, numerators at T1..T2 (A's shares doubled by the split before T1; B's tripled from D[3]).
    div1 = (6 * 200 + 22 * 50 + 52 * 0.74 * 10 + 28 * -20 + 17 * 20) / 1000
    n1 = {
        D[3]: 6.5 * 200 + 7.5 * 150 + 52 * 0.75 * 10 + 27 * -20 + 18 * 20,
        D[4]: 7 * 200 + 8 * 150 + 54 * 0.80 * 10 + 26 * -20 + 18 * 20,
        T2: 7.5 * 200 + 8.5 * 150 + 55 * 0.78 * 10 + 26 * -20 + 18 * 20,
    }
    i1 = {d: n / div1 for d, n in n1.items()}
    tr_3 = 1000 * i1[D[3]] / 1000
    tr_4 = tr_3 * i1[D[4]] / i1[D[3]]
    tr_5 = tr_4 * (i1[T2] + 0.3 * 150 / div1) / i1[D[4]]  # B's dividend at T2: old review, old divisor
    # Review 2: divisor reset so the level at T2's close is unchanged.
    div2 = (7.5 * 100 + 8.5 * 75 + 55 * 0.78 * 20 + 26 * -40 + 12.5 * 30) / i1[T2]
    i2 = {
        D[6]: (8 * 100 + 9 * 75 + 55 * 0.77 * 20 + 26 * -40 + 13 * 30) / div2,
        D[7]: (8 * 100 + 9 * 75 + 56 * 0.79 * 20 + 25 * -40 + 6 * 60) / div2,
    }
    tr_6 = tr_5 * (i2[D[6]] + 0.2 * 100 / div2) / i1[T2]
    tr_7 = tr_6 * i2[D[7]] / i2[D[6]]
    rows = [
        (T1, 1000.0, 1000.0, div1, "2024-01", 5),
        (D[3], i1[D[3]], tr_3, div1, "2024-01", 5),
        (D[4], i1[D[4]], tr_4, div1, "2024-01", 5),
        (T2, i1[T2], tr_5, div1, "2024-01", 5),
        (D[6], i2[D[6]], tr_6, div2, "2024-02", 5),
        (D[7], i2[D[7]], tr_7, div2, "2024-02", 5),
    ]
    return pl.DataFrame(rows, schema=LEVEL_SCHEMA, orient="row")


def _assert_close(got: pl.DataFrame, want: pl.DataFrame, rel: float) -> None:
    assert got.schema == want.schema
    assert got.select("date", "review", "constituents").equals(want.select("date", "review", "constituents"))
    for col in ("price_return", "total_return", "divisor"):
        np.testing.assert_allclose(got[col].to_numpy(), want[col].to_numpy(), rtol=rel, atol=0)


def test_hand_computation():
    got = all_levels(WEIGHTS, D[-1], PRICES, DIVIDENDS, SPLITS, FX, D)
    _assert_close(got, _hand_levels(), 1e-10)


def test_periods_chain_from_stored_state():
    first = period_levels(W1, None, T2, PRICES, DIVIDENDS, SPLITS, FX, D)
    second = period_levels(W2, LevelState.last_of(first), D[-1], PRICES, DIVIDENDS, SPLITS, FX, D)
    assert first["date"].to_list() == D[2:6] and second["date"].to_list() == D[6:]
    _assert_close(pl.concat([first, second]), _hand_levels(), 1e-10)
    with pytest.raises(ValueError, match="start state"):
        period_levels(W2, LevelState(D[4], 1000.0, 1000.0), D[-1], PRICES, DIVIDENDS, SPLITS, FX, D)


def test_carried_close_keeps_its_value_across_a_split():
    # No close on the ex-date: the carried pre-split close pairs with pre-split shares.
    w = _weights("2024-01", D[0], D[1], [("X", 10, 1, 1), ("Y", 10, 1, 1)])
    px = _prices({"X": [10, 10, 11, None, 6], "Y": [5, 5, 5, 5, 5]})
    split = pl.DataFrame({"ex_date": [D[3]], "symbol": ["X"], "ratio": [2.0]})
    got = period_levels(w, None, D[4], px, None, split, None, D)
    assert got["price_return"].to_list() == pytest.approx(
        [1000, 1000 * 16 / 15, 1000 * 16 / 15, 1000 * 17 / 15], rel=1e-12
    )


def test_rebalance_jumps_agree():
    levels = all_levels(WEIGHTS, D[-1], PRICES, DIVIDENDS, SPLITS, FX, D)
    jumps = rebalance_jumps(levels, WEIGHTS, PRICES, SPLITS, FX)
    assert jumps["date"].to_list() == [T2] and jumps["rel_diff"][0] < 1e-10


@pytest.mark.parametrize(
    ("row", "scale", "side"),
    [(3, 1.25, "level_old"), (4, 0.8, "level_new")],
    ids=["old-divisor-off", "new-divisor-off"],
)
def test_a_rebalance_jump_is_the_larger_gap_of_the_level_recomputed_either_side(row, scale, side):
    """The stored divisor of T2 (the old review's) or of the session after (the new one's) off by a factor:
    I_T2 recomputed with it is off by that factor, and the jump is that gap, whichever side it is on."""
    levels = _hand_levels()
    level = levels["price_return"][3]  # I_T2
    bad = levels.with_columns(
        divisor=pl.when(pl.int_range(pl.len()) == row).then(pl.col("divisor") * scale).otherwise("divisor")
    )
    jumps = rebalance_jumps(bad, WEIGHTS, PRICES, SPLITS, FX)
    assert jumps.columns == [
        "date",
        "review_old",
        "review_new",
        "level",
        "level_old",
        "level_new",
        "rel_diff",
    ]
    assert jumps.select("date", "review_old", "review_new", "level").rows() == [
        (T2, "2024-01", "2024-02", level)
    ]
    other = "level_new" if side == "level_old" else "level_old"
    assert jumps[side][0] == pytest.approx(level / scale, rel=1e-10)
    assert jumps[other][0] == pytest.approx(level, rel=1e-10)
    assert jumps["rel_diff"][0] == pytest.approx(abs(1 / scale - 1), rel=1e-9)  # 0.2, then 0.25


def test_reviews_of_one_constituent_give_its_price_relative_to_the_base_close():
    """Each review's weights one row, the same stock weighted differently: the index is its close over
    its close at the base rebalance, across the rebalance, at once, chunk by chunk and in the check."""
    from russell_pipeline.lib.market.contract import MarketData, empty_table

    closes = [10.0, 10.0, 10.0, 11.0, 12.0, 12.5, 13.0, 14.0]
    px = _prices({"X": closes})
    weights = pl.concat(
        [
            _weights("2024-01", D[0], T1, [("X", 100, 1.0, 1.0)]),
            _weights("2024-02", D[4], T2, [("X", 300, 0.5, 2.0)]),
        ]
    )
    want = [1000.0, 1100.0, 1200.0, 1250.0, 1300.0, 1400.0]  # 1000 x close / 10, from T1
    got = all_levels(weights, D[-1], px, None, None, None, D)
    assert got["date"].to_list() == D[2:]
    assert got["review"].to_list() == ["2024-01"] * 4 + ["2024-02"] * 2
    assert got["price_return"].to_list() == pytest.approx(want, rel=1e-12)
    assert got["total_return"].to_list() == pytest.approx(want, rel=1e-12)

    def read(since, until):
        return MarketData(
            px.filter(pl.col("date").is_between(since, until)),
            *(empty_table(t) for t in ("shares", "memberships")),
        )

    chunked = backfill(weights, ["2024-01", "2024-02"], D[-1], None, read, lambda *_: None, size=1)
    assert_frame_equal(chunked, got, check_exact=True)
    jumps = rebalance_jumps(got, weights, px, None, None)
    assert jumps.select("date", "review_old", "review_new").rows() == [(T2, "2024-01", "2024-02")]
    assert jumps.select("level", "level_old", "level_new").row(0) == pytest.approx((1250.0,) * 3, rel=1e-12)


def test_a_run_with_no_period_to_compute_returns_no_rows_with_the_level_columns():
    calls = []
    got = backfill(WEIGHTS, [], D[-1], None, lambda *a: calls.append(a), lambda *a: calls.append(a))
    assert calls == [] and got.height == 0 and got.schema == pl.Schema(LEVEL_SCHEMA)  # no reviews: no read
    before = all_levels(WEIGHTS, D[1], PRICES, DIVIDENDS, SPLITS, FX, D)  # market data ending before T1
    assert before.height == 0 and before.schema == pl.Schema(LEVEL_SCHEMA)


def test_a_review_whose_numerator_at_its_rebalance_is_zero_is_refused_naming_it():
    """A and B weighted +1 and -1 at the same close: sum(p e s f c) at T is 0, so no divisor gives a level."""
    w = _weights("2024-01", D[0], D[1], [("A", 10.0, 1.0, 1.0), ("B", 10.0, 1.0, -1.0)])
    px = _prices({"A": [10.0, 10.0, 11.0], "B": [10.0, 10.0, 10.0]})
    with pytest.raises(ValueError, match=r"^review 2024-01: index numerator at 2024-01-03 is 0\.0$"):
        period_levels(w, None, D[2], px, None, None, None, D)
    # B weighted 9: the numerator at T is 100 + 900 = 1000, the divisor exactly 1, the level the numerator
    got = period_levels(
        w.with_columns(weighting_factor=pl.Series([1.0, 9.0])), None, D[2], px, None, None, None, D
    )
    assert got.select("price_return", "divisor").rows() == [(1000.0, 1.0), (1010.0, 1.0)]


@pytest.mark.parametrize("cores", [None, 1], ids=["unknown-core-count", "one-core"])
def test_levels_are_the_periods_chained_in_order_on_one_core_or_an_unknown_core_count(monkeypatch, cores):
    """Two periods in flight at most (one core, or a count os.cpu_count() cannot tell, None): a year's
    four periods still chain in order, each from the last row of the one before, as period by period."""
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    weights, prices, divs, splits, fx, days = _random_market()
    reviews = sorted(weights.partition_by("review"), key=lambda w: w["effective_date"][0])
    ends = [w["effective_date"][0] for w in reviews[1:]] + [days[-1]]
    parts, state = [], None
    for w, end in zip(reviews, ends, strict=True):
        parts.append(period_levels(w, state, end, prices, divs, splits, fx, days))
        state = LevelState.last_of(parts[-1])
    got = all_levels(weights, days[-1], prices, divs, splits, fx, days)
    assert len(reviews) == 4 and got["review"].unique(maintain_order=True).to_list() == [
        w["review"][0] for w in reviews
    ]
    assert_frame_equal(got, pl.concat(parts), check_exact=True)


def test_the_closes_a_review_is_valued_at_reach_from_62_days_before_its_cutoff_to_the_day():
    cutoff, day = date(2024, 3, 1), date(2024, 3, 8)
    dates = [date(2023, 12, 29), date(2023, 12, 30), cutoff, day, date(2024, 3, 11)]  # cut-off - 63, - 62
    prices = pl.DataFrame({"date": dates, "symbol": "X", "close": [1.0, 2.0, 3.0, 4.0, 5.0]})
    assert closes_from(prices, cutoff, day)["date"].to_list() == dates[1:4]


# -- a random year on the real calendar: invariants --------------------------------------------


def _random_market(seed=7, n=40):
    rng = np.random.default_rng(seed)
    days = sessions(date(2023, 1, 1), date(2023, 12, 31))
    fridays = [d for d in days if d.weekday() == 4 and 15 <= d.day <= 21 and d.month % 3 == 0]
    syms = [f"S{i:02d}" for i in range(n)]
    close = 20 * np.exp(np.cumsum(rng.normal(0, 0.02, (len(days), n)), axis=0))
    keep = rng.random(close.shape) > 0.05
    keep[0] = True
    stop = {syms[3]: date(2023, 5, 1), syms[4]: date(2023, 10, 2)}  # stop trading mid-quarter
    prices = pl.DataFrame(
        {
            "date": pl.Series([d for d in days for _ in range(n)], dtype=pl.Date),
            "symbol": syms * len(days),
            "close": close.ravel(),
            "keep": keep.ravel(),
        }
    ).filter("keep", pl.col("date") <= pl.col("symbol").replace_strict(stop, default=date(2099, 1, 1)))
    prices = prices.with_columns(
        currency=pl.when(pl.col("symbol") == "S05").then(pl.lit("EUR")).otherwise(pl.lit("USD"))
    ).drop("keep")
    fx = pl.DataFrame({"date": days, "currency": "EUR", "usd_per_unit": 1.1 + rng.normal(0, 0.01, len(days))})
    divs = pl.DataFrame(
        {
            "ex_date": [days[i] for i in rng.integers(1, len(days), 30)],
            "symbol": [syms[i] for i in rng.integers(0, n, 30)],
            "amount": rng.random(30),
        }
    )
    splits = pl.DataFrame(
        {"ex_date": [days[40], days[130]], "symbol": [syms[1], syms[2]], "ratio": [2.0, 0.5]}
    )
    weights = []
    for q, eff in enumerate(fridays):
        members = [s for j, s in enumerate(syms) if (j + q) % 7 and not (s in stop and stop[s] < eff)]
        rows = [(s, float(rng.integers(1, 9)) * 1e6, 0.8, float(rng.normal(1, 0.8))) for s in members]
        weights.append(_weights(f"2023-{eff.month:02d}", eff - timedelta(days=9), eff, rows))
    return pl.concat(weights), prices, divs, splits, fx, days


def test_nightly_runs_equal_the_backfill():
    weights, prices, divs, splits, fx, days = _random_market()
    effective = sorted(weights["effective_date"].unique().to_list())
    full = all_levels(weights, days[-1], prices, divs, splits, fx, days)
    stored: dict[date, pl.DataFrame] = {}  # the index_levels partitions, keyed by T_R
    for end in [d for d in days if d >= effective[0]]:
        t_r = max(t for t in effective if t < end or t == effective[0])
        t_next = next((t for t in effective if t > t_r), end)
        previous = [t for t in effective if t < t_r]
        start = LevelState.last_of(stored[previous[-1]]) if previous else None
        w = weights.filter(pl.col("effective_date") == t_r)
        # the market data a nightly run sees ends at `end`
        seen = prices.filter(pl.col("date") <= end)
        stored[t_r] = period_levels(w, start, min(end, t_next), seen, divs, splits, fx, days)
        nightly = pl.concat(stored[t] for t in sorted(stored))
        _assert_close(nightly, full.filter(pl.col("date") <= end), 1e-12)
    assert full["date"].to_list() == [d for d in days if d >= effective[0]]  # one row per session
    assert full["date"].is_unique().all()
    assert (full["total_return"] >= full["price_return"] * (1 - 1e-12)).all()
    assert rebalance_jumps(full, weights, prices, splits, fx)["rel_diff"].max() < 1e-10


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_backfill_in_chunks_reads_each_chunks_span_and_equals_all_at_once_exactly(size):
    from russell_pipeline.lib.market.contract import MarketData, empty_table

    weights, prices, divs, splits, fx, days = _random_market()
    whole = all_levels(weights, days[-1], prices, divs, splits, fx, days)
    reads, seen = [], []

    def read(since, until):
        reads.append((since, until))
        return MarketData(
            prices.filter(pl.col("date").is_between(since, until)),
            empty_table("shares"),
            empty_table("memberships"),
            divs.filter(pl.col("ex_date").is_between(since, until)),
            splits.filter(pl.col("ex_date").is_between(since, until)),
            fx.filter(pl.col("date").is_between(since, until)),
        )

    def visit(part, md):
        seen.append(part)
        assert md.prices["date"].max() <= part["date"].max()  # nothing after the chunk's last session

    keys = sorted(weights["review"].unique().to_list())
    got = backfill(weights, keys, days[-1], None, read, visit, size=size)
    assert_frame_equal(got, whole, check_exact=True)  # bit-identical, chained across the chunks
    assert_frame_equal(pl.concat(seen), whole, check_exact=True)
    chunks = [keys[i : i + size] for i in range(0, len(keys), size)]
    # each chunk reads from two months before the cut-off of the review before it to its last session
    assert reads == [(history_needed(weights, c), part["date"].max()) for c, part in zip(chunks, seen)]
    # a chained start: the chunks after the first start from the stored last row, as the asset runs
    first = whole.filter(pl.col("review") == keys[0])
    rest = backfill(weights, keys[1:], days[-1], LevelState.last_of(first), read, lambda *_: None, size=size)
    assert_frame_equal(rest, whole.filter(pl.col("review") != keys[0]), check_exact=True)


def test_levels_are_bit_identical_whatever_order_the_stored_rows_come_back_in():
    """A Delta table returns its rows in no fixed order (its writer interleaves the batches of a stream):
    the same weights, closes, dividends and splits in any row order give the same levels, bit for bit."""
    weights, prices, divs, splits, fx, days = _random_market(n=300)
    # Many dividends on a few sessions: their points add up within a session.
    rng = np.random.default_rng(3)
    syms = sorted(weights["symbol"].unique().to_list())
    divs = pl.concat(
        [
            divs,
            pl.DataFrame(
                {
                    "ex_date": [days[i] for i in rng.integers(1, 12, 400) * 20],
                    "symbol": [syms[i] for i in rng.integers(0, len(syms), 400)],
                    "amount": rng.random(400),
                }
            ),
        ]
    ).unique(["ex_date", "symbol"])
    first = all_levels(weights, days[-1], prices, divs, splits, fx, days)
    for seed in range(3):
        w, p, d, s = (
            f.sample(fraction=1.0, shuffle=True, seed=seed) for f in (weights, prices, divs, splits)
        )
        assert_frame_equal(all_levels(w, days[-1], p, d, s, fx, days), first, check_exact=True)


def test_levels_are_bit_identical_whatever_the_constituents_are_named():
    """The index is a sum of market values: the same values under other names (a feed that names its
    stocks otherwise, as the synthetic feed did when a list of another index changed the years of a
    borrowed name) give the same levels, bit for bit. Each session's numerator and dividend points are
    exact sums, which do not depend on the order the constituents are summed in (by symbol)."""
    weights, prices, divs, splits, fx, days = _random_market(n=300)
    first = all_levels(weights, days[-1], prices, divs, splits, fx, days)
    symbols = sorted(weights["symbol"].unique().to_list())
    for seed in range(3):
        shuffled = np.random.default_rng(seed).permutation(symbols).tolist()
        renamed = dict(zip(symbols, shuffled, strict=True))
        w, p, d, s = (
            f.with_columns(pl.col("symbol").replace_strict(renamed, default=pl.col("symbol")))
            for f in (weights, prices, divs, splits)
        )
        assert_frame_equal(all_levels(w, days[-1], p, d, s, fx, days), first, check_exact=True)


def test_the_dividend_points_of_a_session_are_the_same_bits_whatever_order_the_dividends_are_stored_in():
    """Floating-point sums depend on their order: the points of one session add up by symbol, then amount,
    however the rows come back. A, B and C pay 0.20 (k = 7, 1, 20) and B 0.12 as well, on one session."""
    import itertools

    from russell_pipeline.lib.index.levels_grid import (
        dividend_points,
        numerator_grid,
        review_of,
        split_factors,
    )

    r = review_of(
        _weights("2024-01", D[0], D[1], [("A", 7.0, 1.0, 1.0), ("B", 1.0, 1.0, 1.0), ("C", 20.0, 1.0, 1.0)])
    )
    grid = numerator_grid(
        r, D[1:3], _prices({s: [10.0] * 3 for s in "ABC"}), split_factors(None, r, D[2]), None
    )
    rows = [("A", 0.2), ("B", 0.2), ("C", 0.2), ("B", 0.12)]
    want = ((0.2 * 7 + 0.12 * 1) + 0.2 * 1) + 0.2 * 20  # A, B's two by amount, C
    orders = list(itertools.permutations(rows))
    sums = {sum(a * {"A": 7, "B": 1, "C": 20}[s] for s, a in order) for order in orders}
    assert want == 5.72 and len(sums) > 1  # other orders give other bits
    for order in orders:
        divs = pl.DataFrame(
            {"ex_date": [D[2]] * 4, "symbol": [s for s, _ in order], "amount": [a for _, a in order]}
        )
        assert dividend_points(r, grid, divs, split_factors(None, r, D[2])).tolist() == [0.0, want]


@pytest.mark.parametrize(
    ("a_currency", "b_currency"),
    [("CAD", "CAD"), ("USD", "CAD"), ("USD", "ZAR")],
    ids=["one-currency", "two-currencies", "a-currency-after-usd"],
)
def test_each_member_s_value_is_in_dollars_at_each_session_s_rate(a_currency, b_currency):
    """Grid.values(), what pro_forma prices members at: p e s f c in USD per member and session, a close
    carried over a missing one converted at the later session's rate. k = 10 (A), 20 (B); B trades in
    CAD or ZAR (which sorts after USD), A in B's currency or USD (the grid keeps the cells of one
    currency unconverted, of several converted). The rates start on the anchor D[1]: none before it is
    needed, and without one on it the grid is refused naming the currency and the anchor."""
    from russell_pipeline.lib.index.levels_grid import numerator_grid, review_of, split_factors

    r = review_of(_weights("2024-01", D[0], D[1], [("A", 10.0, 1.0, 1.0), ("B", 20.0, 0.5, 2.0)]))
    px = _prices(
        {"A": [10.0, 10.0, 11.0], "B": [5.0, 5.0, None]}, currency={"A": a_currency, "B": b_currency}
    )
    fx = FX.filter(pl.col("date") >= D[1]).with_columns(currency=pl.lit(b_currency))  # 0.76, 0.74, ...
    values = numerator_grid(r, D[1:3], px, split_factors(None, r, D[2]), fx).values()
    a_rate = [1.0, 1.0] if a_currency == "USD" else [0.76, 0.74]
    want = [[100 * a_rate[0], 110 * a_rate[1]], [100 * 0.76, 100 * 0.74]]
    np.testing.assert_allclose(values, want, rtol=1e-15, atol=0)
    with pytest.raises(ValueError, match=rf"^no fx rate for {b_currency} on or before 2024-01-03$"):
        numerator_grid(r, D[1:3], px, split_factors(None, r, D[2]), fx.filter(pl.col("date") > D[1]))


def test_split_factors_are_each_member_s_running_product_of_its_splits_after_the_cutoff():
    """cid, split_date, g, by member then date: A splits 5:1 on its cut-off (not after it: no factor), 2:1
    on D[1] and 3:1 on D[4]; B 3:1 and 1:2 on one day (their product); C 4:1 on D[2]; Z is no member;
    A's split after the end is left out. None of no splits, with the same columns."""
    from russell_pipeline.lib.index.levels_grid import review_of, split_factors

    r = review_of(W1)  # cut-off D[0]; members A to E, cid 0 to 4
    splits = pl.DataFrame(
        {
            "ex_date": [D[5], D[4], D[4], D[3], D[3], D[2], D[1], D[0]],
            "symbol": ["A", "Z", "A", "B", "B", "C", "A", "A"],
            "ratio": [2.0, 7.0, 3.0, 3.0, 0.5, 4.0, 2.0, 5.0],
        }
    )
    got = split_factors(splits, r, D[4])
    assert got.columns == ["cid", "split_date", "g"]
    assert got.rows() == [(0, D[1], 2.0), (0, D[4], 6.0), (1, D[3], 1.5), (2, D[2], 4.0)]
    for none in (None, splits.clear()):
        assert split_factors(none, r, D[4]).schema == pl.Schema(
            {"cid": pl.Int64, "split_date": pl.Date, "g": pl.Float64}
        )


# -- report ------------------------------------------------------------------------------------


def test_summary_table_known_values(tmp_path):
    # 100 -> 120 -> 90 (drawdown -25%) -> 110 across a year end
    lv = pl.DataFrame(
        {
            "date": [date(2022, 12, 29), date(2022, 12, 30), date(2023, 1, 3), date(2023, 1, 4)],
            "price_return": [100.0, 120.0, 90.0, 110.0],
            "total_return": [100.0, 120.0, 90.0, 110.0],
        }
    )
    table = summary_table(lv)
    assert table["period"].to_list() == ["2022", "2023", "overall"]
    assert table["total_return"].to_list() == pytest.approx([0.2, 110 / 120 - 1, 0.1])
    assert table["max_drawdown"].to_list() == pytest.approx([0.0, -0.25, -0.25])
    daily = np.array([1.2, 0.75, 110 / 90]) - 1
    assert table["volatility"][2] == pytest.approx(daily.std(ddof=1) * np.sqrt(252))
    # The report's chart: 1000 x 500 pixels, the two series from the first date to the last, the note.
    svg = ET.parse(chart_svg(lv, tmp_path / "chart.svg", "market data: a <test> & note")).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert (svg.get("width"), svg.get("height")) == ("1000", "500")
    lines = [
        [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        for line in svg.iter(f"{ns}polyline")
    ]
    assert [len(points) for points in lines] == [4, 4]
    frame = next(r for r in svg.iter(f"{ns}rect") if r.get("fill") == "none")
    left, right = float(frame.get("x")), float(frame.get("x")) + float(frame.get("width"))
    assert all(
        p[0][0] == pytest.approx(left, abs=0.1) and p[-1][0] == pytest.approx(right, abs=0.1) for p in lines
    )
    texts = {t.text for t in svg.iter(f"{ns}text")}
    assert {
        "Total return",
        "Price return",
        "market data: a <test> & note",
        "2022-12-29",
        "2023-01-04",
    } <= texts
    # Asset metadata: a small inline SVG, 360 x 180.
    md = chart_markdown(lv)
    assert md.startswith("![90/10 index levels](data:image/svg+xml;base64,") and len(md) < 60_000
    small = ET.fromstring(base64.b64decode(md.split(",", 1)[1].rstrip(")")))
    assert (small.get("width"), small.get("height")) == ("360", "180")


# -- edge rules ----------------------------------------------------------------------------------

SAT = date(2024, 1, 6)  # between D[3] (Friday) and D[4] (Monday), not a session


@pytest.mark.parametrize(
    ("extra", "monday_close", "want_monday"),
    [
        ([(SAT, 12.0)], None, 12.0),  # a close dated off the calendar counts from the next session
        ([(SAT, 12.0)], 13.0, 13.0),  # ... unless that session has its own close
        ([(SAT, float("nan"))], None, 11.0),  # a NaN close is no close: Friday's carries on
        ([(SAT, 12.0)], float("nan"), 12.0),  # ... nor is a NaN one there: Saturday's counts
    ],
)
def test_off_calendar_and_missing_closes(extra, monday_close, want_monday):
    w = _weights("2024-01", D[0], D[1], [("X", 10, 1, 1)])
    rows = [(d, "X", p) for d, p in zip(D[:4], [10.0, 10.0, 10.5, 11.0])] + [(d, "X", p) for d, p in extra]
    rows += [(D[4], "X", monday_close)] if monday_close else []
    px = pl.DataFrame(rows, schema={"date": pl.Date, "symbol": pl.String, "close": pl.Float64}, orient="row")
    got = period_levels(w, None, D[4], px, None, None, None, D)
    assert got["price_return"].to_list() == pytest.approx([1000, 1050, 1100, 100 * want_monday], rel=1e-12)


def test_a_close_dividend_or_split_without_a_symbol_is_no_member_s():
    """Rows whose symbol is null (the market-data contract refuses them; the levels do not rely on it) are
    no constituent's: X and Y at 10 and 5, X at 11 on D[2], whatever the nameless rows say."""
    w = _weights("2024-01", D[0], D[1], [("X", 10.0, 1.0, 1.0), ("Y", 10.0, 1.0, 1.0)])
    px = _prices({"X": [10.0, 10.0, 11.0], "Y": [5.0, 5.0, 5.0]})
    nameless = pl.DataFrame({"date": D[:3], "symbol": [None] * 3, "close": [1e6] * 3, "currency": "USD"})
    px = pl.concat([px, nameless], how="vertical_relaxed").sort("date")
    divs = pl.DataFrame(
        {"ex_date": [D[2]], "symbol": [None], "amount": [1e3]}, schema_overrides={"symbol": pl.String}
    )
    splits = pl.DataFrame(
        {"ex_date": [D[2]], "symbol": [None], "ratio": [4.0]}, schema_overrides={"symbol": pl.String}
    )
    got = period_levels(w, None, D[2], px, divs, splits, None, D)
    assert got["price_return"].to_list() == pytest.approx([1000, 1000 * 160 / 150], rel=1e-12)
    assert got["total_return"].to_list() == pytest.approx([1000, 1000 * 160 / 150], rel=1e-12)


@pytest.mark.parametrize("bad", [float("nan"), None], ids=["nan", "null"])
def test_a_missing_close_on_the_rebalance_day_carries_the_close_before_it(bad):
    """X's close at T (D[1]) is NaN or null, no close: its D[0] close seeds the grid, as any missing close."""
    w = _weights("2024-01", D[0], D[1], [("X", 10.0, 1.0, 1.0), ("Y", 10.0, 1.0, 1.0)])
    px = _prices({"X": [10.0, None, 11.0], "Y": [5.0, 5.0, 5.0]})
    bad_row = pl.DataFrame(
        {"date": [D[1]], "symbol": ["X"], "close": [bad], "currency": ["USD"]}, schema=px.schema
    )
    px = pl.concat([px, bad_row]).sort("date")
    got = period_levels(w, None, D[2], px, None, None, None, D)
    assert got["price_return"].to_list() == pytest.approx([1000, 1000 * 160 / 150], rel=1e-12)


def test_members_without_a_close_up_to_the_rebalance_are_refused_naming_the_first_five():
    """Only B has a close on or before T (D[1]); of the six without, E trades from D[2] (too late to seed
    the grid): the first five by symbol are named, with T."""
    w = _weights("2024-01", D[0], D[1], [(s, 10.0, 1.0, 1.0) for s in "ABCDEFG"])
    px = _prices({"B": [10.0, 10.0, None], "E": [None, None, 12.0]})  # E's is the first close after T
    message = "review 2024-01: no close on or before 2024-01-03 for ['A', 'C', 'D', 'E', 'F']"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        period_levels(w, None, D[2], px, None, None, None, D)


def test_the_first_constituent_without_a_close_on_the_two_sessions_after_t_keeps_its_t_close():
    """X, the first member by symbol, has no close on D[2] and D[3]: its T close (10) is its value on
    both, until its close of 12 on D[4]; Y stays at 5."""
    w = _weights("2024-01", D[0], D[1], [("X", 10.0, 1.0, 1.0), ("Y", 10.0, 1.0, 1.0)])
    px = _prices({"X": [10.0, 10.0, None, None, 12.0], "Y": [5.0] * 5})
    got = period_levels(w, None, D[4], px, None, None, None, D)
    assert got["price_return"].to_list() == pytest.approx([1000, 1000, 1000, 1000 * 170 / 150], rel=1e-12)


def test_dividend_dated_off_calendar_counts_next_session():
    w = _weights("2024-01", D[0], D[1], [("X", 10, 1, 1)])
    px = _prices({"X": [10.0] * 5})
    divs = pl.DataFrame({"ex_date": [SAT], "symbol": ["X"], "amount": [0.5]})
    got = period_levels(w, None, D[4], px, divs, None, None, D)
    assert got["total_return"].to_list() == pytest.approx([1000, 1000, 1000, 1050], rel=1e-12)


@pytest.mark.parametrize(
    ("prices", "fx", "message"),
    [
        (PRICES.filter(pl.col("symbol") != "E"), FX, "no close on or before"),
        (PRICES, None, "no fx table|no fx rate"),
        (PRICES, FX.filter(pl.col("date") > T1), "no fx rate for CAD"),
    ],
)
def test_bad_market_data_is_an_error(prices, fx, message):
    with pytest.raises(ValueError, match=message):
        period_levels(W1, None, T2, prices, DIVIDENDS, SPLITS, fx, D)


def test_close_older_than_the_cutoff_window_still_carries():
    # step 13 makes this an error upstream; here the level still carries the last known close
    w = _weights("2024-01", D[0], D[1], [("X", 10, 1, 1), ("Y", 10, 1, 1)])
    px = pl.concat(
        [
            _prices({"Y": [5.0, 5.0, 6.0]}).drop("currency"),
            pl.DataFrame({"date": [date(2023, 6, 1)], "symbol": ["X"], "close": [10.0]}),
        ]
    )
    got = period_levels(w, None, D[2], px, None, None, None, D)
    assert got["price_return"].to_list() == pytest.approx([1000, 1000 * 160 / 150], rel=1e-12)


@pytest.mark.parametrize("end", D[2:])
def test_backfill_to_any_end_is_a_prefix(end):
    full = _hand_levels()
    got = all_levels(WEIGHTS, end, PRICES.filter(pl.col("date") <= end), DIVIDENDS, SPLITS, FX, D)
    _assert_close(got, full.filter(pl.col("date") <= end), 1e-10)


def test_window_digest_reads_by_date_not_row_order():
    """A stored market_days table can come back in any file order: the digest of a window is the
    running digest on its last day, wherever that row sits."""
    from russell_pipeline.planning.digests import window_digest

    days = pl.DataFrame({"day": [date(2024, 1, d) for d in (2, 3, 4, 5)], "digest": [1, 2, 3, 4]})
    shuffled = pl.concat([days.tail(2), days.head(2)])
    ends = (date(2024, 1, 1), date(2024, 1, 3), date(2024, 1, 31), None)
    for end in ends:
        assert window_digest(shuffled, end) == window_digest(days, end)
    assert [window_digest(shuffled, end) for end in ends] == [0, 2, 4, 4]


def test_members_digests_are_each_reviews_frame_digest_in_any_row_order():
    """`members_digests` hashes every review's rows in one pass: each review's digest is `frame_digest` of
    its own rows (what the lineage of every stored review recorded), whatever the order of the rows."""
    from russell_pipeline.planning.digests import frame_digest, members_digests

    memberships = pl.DataFrame(
        {
            "review": ["2024-06", "2024-03", "2024-06", "2024-03", "2024-06", "2024-09"],
            "index": ["A", "A", "B", "A", "A", "A"],
            "symbol": ["X", "X", "X", "Y", "Y", "X"],
            "fraction": [1.0, 1.0, 0.5, 1.0, 1.0, 1.0],
            "date": [date(2024, 6, 1)] * 6,  # a column the digest does not read
        }
    )
    got = members_digests(memberships)
    members = memberships.select("index", "symbol", "fraction")
    assert (
        got
        == members_digests(memberships.reverse())
        == {
            review: frame_digest(members.filter(memberships["review"] == review))
            for review in ("2024-03", "2024-06", "2024-09")
        }
    )
    # A changed fraction changes its review's digest only.
    changed = members_digests(memberships.with_columns(fraction=pl.Series([1.0, 1.0, 0.6, 1.0, 1.0, 1.0])))
    assert {r for r in got if got[r] != changed[r]} == {"2024-06"}


def test_history_read_for_a_run_covers_the_review_before_it():
    """The rebalance check of a run's first period values the previous review's constituents at T
    with their last closes, which go back to that review's cut-off, not only to this one's."""
    from russell_pipeline.lib.index.levels import history_needed

    weights = pl.DataFrame(
        {
            "review": ["2024-03", "2024-06", "2024-09"],
            "cutoff_date": [date(2024, 3, 1), date(2024, 6, 1), date(2024, 9, 1)],
        }
    )
    assert history_needed(weights, ["2024-09"]) == date(2024, 6, 1) - timedelta(days=62)
    assert history_needed(weights, ["2024-06", "2024-09"]) == date(2024, 3, 1) - timedelta(days=62)
    assert history_needed(weights, ["2024-03"]) == date(2024, 3, 1) - timedelta(days=62)
    assert history_needed(weights, ["2025-03"]) is None
    assert history_needed(weights.clear(), ["2024-09"]) is None  # no weights stored yet
    assert history_needed(None, ["2024-09"]) is None


# -- a split, dividends and a rebalance by hand: the backfill and the nightly runs --------------

# Sessions of 4-15 March 2024 (no holiday). Review 1: cut-off M[0], rebalance (base) M[2];
# review 2: cut-off M[4], rebalance M[6]. A splits 2:1 ex M[5], between review 2's cut-off and its
# rebalance, so step 11 applies the split to both reviews' shares from M[5]. B pays 0.40 ex M[3]
# (review 1) and 0.50 ex M[8] (review 2). C leaves and D joins at M[6]; D has no close on M[8].
M = [date(2024, 3, day) for day in (4, 5, 6, 7, 8, 11, 12, 13, 14, 15)]
HAND_W = pl.concat(
    [
        # symbol, shares, free_float, c: k = s f c = A 100, B 200, C 50
        _weights(
            "2024-01", M[0], M[2], [("A", 100.0, 1.0, 1.0), ("B", 200.0, 0.5, 2.0), ("C", 50.0, 1.0, 1.0)]
        ),
        # A's shares as of the cut-off M[4] are pre-split: k = A 50 (100 from M[5]), B 100, D 20
        _weights(
            "2024-02", M[4], M[6], [("A", 100.0, 1.0, 0.5), ("B", 200.0, 0.5, 1.0), ("D", 10.0, 1.0, 2.0)]
        ),
    ]
)
HAND_PRICES = pl.DataFrame(
    [
        {"date": d, "symbol": s, "close": p}
        for s, series in {
            "A": [10, 10.5, 11, 11.5, 12, 6.2, 6.4, 6.3, 6.5, 6.6],
            "B": [20, 20, 21, 20.5, 21, 22, 22, 23, 22.5, 23],
            "C": [5, 5.1, 5.2, 5.3, 5.4, 5.5, 5.6, 5.7, 5.8, 5.9],
            "D": [None, None, None, None, 40, 41, 42, 43, None, 44],
        }.items()
        for d, p in zip(M, series)
        if p is not None
    ],
    schema={"date": pl.Date, "symbol": pl.String, "close": pl.Float64},
)
HAND_SPLITS = pl.DataFrame({"ex_date": [M[5]], "symbol": ["A"], "ratio": [2.0]})
HAND_DIVS = pl.DataFrame({"ex_date": [M[3], M[8]], "symbol": ["B", "B"], "amount": [0.4, 0.5]})


def _hand_split_div_rebalance() -> pl.DataFrame:
    # Review 1 numerators sum(p s f c); A's k doubles from its ex-date M[5].
    div1 = (11 * 100 + 21 * 200 + 5.2 * 50) / 1000  # 5560 / 1000: level 1000 at the base M[2]
    i3 = (11.5 * 100 + 20.5 * 200 + 5.3 * 50) / div1  # 5515
    i4 = (12 * 100 + 21 * 200 + 5.4 * 50) / div1  # 5670
    i5 = (6.2 * 200 + 22 * 200 + 5.5 * 50) / div1  # 5915, A split
    i6 = (6.4 * 200 + 22 * 200 + 5.6 * 50) / div1  # 5960 at T2 with the old constituents
    # Review 2: A's pre-split k 50 times 2 (split after its cut-off); the divisor keeps I at T2.
    div2 = (6.4 * 100 + 22 * 100 + 42 * 20) / i6  # 3680 / I_T2
    i7 = (6.3 * 100 + 23 * 100 + 43 * 20) / div2  # 3790
    i8 = (6.5 * 100 + 22.5 * 100 + 43 * 20) / div2  # 3760, D's M[7] close carried
    i9 = (6.6 * 100 + 23 * 100 + 44 * 20) / div2  # 3840
    tr3 = 1000 * (i3 + 0.4 * 200 / div1) / 1000
    tr4 = tr3 * i4 / i3
    tr5 = tr4 * i5 / i4
    tr6 = tr5 * i6 / i5
    tr7 = tr6 * i7 / i6
    tr8 = tr7 * (i8 + 0.5 * 100 / div2) / i7
    tr9 = tr8 * i9 / i8
    rows = [
        (M[2], 1000.0, 1000.0, div1, "2024-01", 3),
        (M[3], i3, tr3, div1, "2024-01", 3),
        (M[4], i4, tr4, div1, "2024-01", 3),
        (M[5], i5, tr5, div1, "2024-01", 3),
        (M[6], i6, tr6, div1, "2024-01", 3),
        (M[7], i7, tr7, div2, "2024-02", 3),
        (M[8], i8, tr8, div2, "2024-02", 3),
        (M[9], i9, tr9, div2, "2024-02", 3),
    ]
    return pl.DataFrame(rows, schema=LEVEL_SCHEMA, orient="row")


def test_split_dividend_rebalance_by_hand_backfill_and_nightly():
    want = _hand_split_div_rebalance()
    # spot values worked on paper: I at M[5] = 5915 / 5.56, TR at M[3] = (5515 + 80) / 5.56
    assert want["price_return"][3] == pytest.approx(1063.8489208633093, rel=1e-15)
    assert want["total_return"][1] == pytest.approx(1006.2949640287770, rel=1e-15)
    full = all_levels(HAND_W, M[-1], HAND_PRICES, HAND_DIVS, HAND_SPLITS, None, M)
    _assert_close(full, want, 1e-12)
    # Nightly: each night sees the market data up to that day and recomputes only the review in
    # force, starting from the stored last row of the review before it (as the index_levels asset).
    stored: dict[str, pl.DataFrame] = {}
    for end in M[2:]:
        review = "2024-01" if end <= M[6] else "2024-02"
        start = LevelState.last_of(stored["2024-01"]) if review == "2024-02" else None
        seen = HAND_PRICES.filter(pl.col("date") <= end)
        stored[review] = all_levels(
            HAND_W.filter(review=review), end, seen, HAND_DIVS, HAND_SPLITS, None, M, start
        )
        _assert_close(pl.concat(stored[r] for r in sorted(stored)), want.filter(pl.col("date") <= end), 1e-12)
    assert LevelState.last_of(stored["2024-01"]) == LevelState(
        M[6], want["price_return"][4], want["total_return"][4]
    )


def test_review_of_refuses_weights_it_cannot_chain_naming_the_review():
    from russell_pipeline.lib.index.levels_grid import review_of

    weights = pl.DataFrame(
        {
            "review": ["2024-06", "2024-06"],
            "cutoff_date": [date(2024, 6, 12)] * 2,
            "effective_date": [date(2024, 6, 24)] * 2,
            "symbol": ["AAA", "BBB"],
            "shares": [100.0, 50.0],
            "free_float": [1.0, 0.5],
            "weighting_factor": [0.2, 0.4],
        }
    )
    review = review_of(weights)
    assert (review.review, review.cutoff, review.effective) == (
        "2024-06",
        date(2024, 6, 12),
        date(2024, 6, 24),
    )
    assert review.members.rows() == [(0, "AAA", 20.0), (1, "BBB", 10.0)]
    two = pl.concat([weights, weights.with_columns(review=pl.lit("2024-09"))])
    with pytest.raises(
        ValueError, match=r"^weights must hold exactly one review, got 2 \(review, dates\) pairs$"
    ):
        review_of(two)
    with pytest.raises(ValueError, match="^review 2024-06: duplicate symbols in weights$"):
        review_of(weights.with_columns(symbol=pl.lit("AAA")))
    with pytest.raises(ValueError, match="^review 2024-06: shares, free_float or weighting_factor missing$"):
        review_of(weights.with_columns(free_float=pl.Series([1.0, None])))


def test_total_return_check_agrees_with_the_hand_levels_and_catches_a_dividend_a_session_late():
    from russell_pipeline.lib.index.recompute import total_return_breaks

    assert total_return_breaks(_hand_levels(), WEIGHTS, PRICES, DIVIDENDS, SPLITS, FX).height == 0
    # A bug applying each dividend on the session after its ex-date: B's at T2 (old review) and A's at D[6].
    late = DIVIDENDS.with_columns(ex_date=pl.Series([D[6], D[7]]))
    levels = all_levels(WEIGHTS, D[-1], PRICES, late, SPLITS, FX, D)
    breaks = total_return_breaks(levels, WEIGHTS, PRICES, DIVIDENDS, SPLITS, FX)
    assert breaks["date"].to_list() == [T2, D[6], D[7]]
    # On T2 the stored growth misses B's dividend: 0.3 x 150 shares / the old divisor, as in the hand levels.
    div1 = _hand_levels()["divisor"][0]
    assert breaks["xd"][0] == pytest.approx(0.3 * 150 / div1, rel=1e-12)


@pytest.mark.parametrize(
    ("end", "start", "dates"),
    [
        (D[1], None, []),  # the session before the rebalance: no level yet
        (T1, None, [T1]),  # the base row alone
        (D[3], None, [T1, D[3]]),
        (T1, LevelState(T1, 1000.0, 1000.0), []),  # a chained period adds rows only after its T
        (D[3], LevelState(T1, 1000.0, 1000.0), [D[3]]),
    ],
    ids=["before-T", "T-base", "T-and-after", "T-chained", "after-T-chained"],
)
def test_a_review_window_runs_from_the_session_after_its_rebalance_to_its_end(end, start, dates):
    got = period_levels(W1, start, end, PRICES, DIVIDENDS, SPLITS, FX, D)
    assert got["date"].to_list() == dates and set(got["review"].to_list()) <= {"2024-01"}
    assert got.schema == pl.Schema(LEVEL_SCHEMA)  # the table's columns, rows or none


@pytest.mark.parametrize("end", [T2, D[6]], ids=["at-T2", "after-T2"])
def test_the_last_session_of_a_review_window_is_the_next_rebalance(end):
    got = all_levels(WEIGHTS, end, PRICES, DIVIDENDS, SPLITS, FX, D)
    labels = dict(zip(got["date"].to_list(), got["review"].to_list(), strict=True))
    assert labels[D[3]] == labels[T2] == "2024-01"  # the first and the last session of the first window
    assert labels.get(D[6]) == (None if end == T2 else "2024-02")  # the first of the next


# -- what a levels run computes and reads, and its checks chunk by chunk -------------------------

REVIEWS = ["2023-06", "2023-12", "2024-06", "2024-12", "2025-06"]


@pytest.mark.parametrize(
    ("keys", "todo", "weights", "previous"),
    [
        (["2024-06", "2024-12"], ["2024-06", "2024-12"], REVIEWS[1:], "2023-12"),  # one each side
        (["2024-12", "2024-06"], ["2024-06", "2024-12"], REVIEWS[1:], "2023-12"),  # in order
        (["2023-06"], ["2023-06"], REVIEWS[:2], None),  # the first: no level to start from
        (["2025-06"], ["2025-06"], REVIEWS[3:], "2024-12"),  # the last: no period after it
        (["2022-12", "2023-06"], ["2023-06"], REVIEWS[:2], None),  # a run from before the weights
        (["2025-12"], [], [], None),  # no weights yet: nothing computed, nothing read
    ],
    ids=["middle", "unordered", "first", "last", "from-before", "none"],
)
def test_a_levels_run_reads_its_reviews_weights_and_their_neighbours_only(keys, todo, weights, previous):
    from russell_pipeline.lib.index.levels import Window, levels_window

    assert levels_window(REVIEWS, keys) == Window(todo, weights, previous)
    assert levels_window([], keys) == Window([], [], None)


def _market(dividends: pl.DataFrame):
    from russell_pipeline.lib.market.contract import MarketData, empty_table

    return MarketData(PRICES, empty_table("shares"), empty_table("memberships"), dividends, SPLITS, FX)


@pytest.mark.parametrize("cut", [1, 3, 4, 5], ids=["after-T1", "before-T2", "after-T2", "before-last"])
def test_level_checks_chunk_by_chunk_find_what_they_find_at_once(cut):
    """A chunk is checked with the session before it: the rebalance at T2 and the total-return breaks
    (dividends applied a session late) are found wherever the chunks are cut, as over all the rows."""
    from russell_pipeline.lib.index.recompute import LevelFindings

    late = DIVIDENDS.with_columns(ex_date=pl.Series([D[6], D[7]]))
    levels = all_levels(WEIGHTS, D[-1], PRICES, late, SPLITS, FX, D)
    empty = pl.DataFrame(schema=LEVEL_SCHEMA)
    whole = LevelFindings(WEIGHTS, empty)
    whole.visit(levels, _market(DIVIDENDS))
    chunked = LevelFindings(WEIGHTS, empty)
    chunked.visit(levels.head(cut), _market(DIVIDENDS))
    chunked.visit(levels.head(0), _market(DIVIDENDS))  # a chunk without rows changes nothing
    chunked.visit(levels.slice(cut), _market(DIVIDENDS))
    assert whole.found()["dividends"]["date"].to_list() == [T2, D[6], D[7]]
    assert whole.found()["rebalances"]["date"].to_list() == [T2]
    assert whole.found()["moves"].height == whole.found()["jumps"].height == 0
    for name, frame in whole.found().items():
        assert_frame_equal(chunked.found()[name].sort("date"), frame.sort("date"), check_exact=True)
    # the session before the first chunk comes from the stored rows the run keeps (with their label)
    kept = levels.head(cut).with_columns(price_source=pl.lit("synthetic"))
    resumed = LevelFindings(WEIGHTS, kept)
    resumed.visit(levels.slice(cut), _market(DIVIDENDS))
    after = resumed.found()["dividends"]["date"].to_list()
    assert after == [d for d in [T2, D[6], D[7]] if d > levels["date"][cut - 1]]


def test_level_checks_of_no_rows_find_nothing_with_their_columns():
    from russell_pipeline.lib.index.recompute import LevelFindings

    findings = LevelFindings(WEIGHTS, pl.DataFrame(schema=LEVEL_SCHEMA))
    findings.visit(pl.DataFrame(schema=LEVEL_SCHEMA), _market(DIVIDENDS))
    found = findings.found()
    assert sorted(found) == ["dividends", "jumps", "moves", "rebalances"]
    assert all(frame.height == 0 for frame in found.values())
    assert "rel_diff" in found["jumps"].columns and "top_contributors" in found["moves"].columns
