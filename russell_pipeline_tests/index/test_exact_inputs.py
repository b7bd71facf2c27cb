"""Weights and levels from inputs with full precision, priced in currencies other than the dollar, against
the same arithmetic done exactly (fractions of the doubles the inputs hold): nothing on the way may round.

A rate rounded to four places moves a weight by about 1e-5 and a level by as much; rates of two decimals
and an all-dollar feed would never show it. Every number here has ten or more significant digits."""

from __future__ import annotations

from datetime import date
from fractions import Fraction as F
from pathlib import Path

import polars as pl
import pytest

from russell_pipeline.lib.index.levels import all_levels, period_levels
from russell_pipeline.lib.index.weights import compute_weights
from russell_pipeline.lib.market.contract import R2G, SCC, load_market_data

CUTOFF, EFFECTIVE = date(2024, 3, 6), date(2024, 3, 15)
# symbol: currency, close on the cut-off, shares, free float, SCC fraction, R2000 Growth fraction
MEMBERS = {
    "AAA": ("USD", "12.3456789012", "1234567.891", "0.8765432109", "1", None),
    "BBB": ("EUR", "45.67891234567", "98765.43211", "0.5555555555", "1", "0.3719462873"),
    "CCC": ("GBP", "7.123456789012", "5555555.5", "0.9123456789", "0.6180339887", "1"),
    "DDD": ("JPY", "3456.789012345", "777777.7", "0.9999", "1", "0.2500000001"),
    "EEE": ("EUR", "23.45678901234", "333333.3", "0.7777777777", None, "1"),
}
# usd_per_unit: the latest on or before the cut-off applies; the later and earlier ones must not.
RATES = {
    "EUR": [("2024-03-01", "1.081123456789"), ("2024-03-05", "1.087341629743"), ("2024-03-07", "1.0921")],
    "GBP": [("2024-03-06", "1.267134926118"), ("2024-03-08", "1.28")],
    "JPY": [("2024-03-04", "0.006674281374")],
}


def _market(folder: Path) -> Path:
    folder.mkdir()
    prices = ["date,symbol,close,currency"]
    shares = ["date,symbol,shares,free_float"]
    members = ["review,index,symbol,fraction"]
    for s, (currency, close, n, ff, scc, r2g) in MEMBERS.items():
        prices += [f"2024-03-06,{s},{close},{currency}", f"2024-03-07,{s},999.5,{currency}"]
        shares.append(f"2024-02-01,{s},{n},{ff}")
        members += [f"2024-03,{index},{s},{x}" for index, x in ((SCC, scc), (R2G, r2g)) if x is not None]
    fx = ["date,currency,usd_per_unit"] + [f"{d},{c},{r}" for c, rows in RATES.items() for d, r in rows]
    for name, lines in (("prices", prices), ("shares", shares), ("memberships", members), ("fx", fx)):
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
    return folder


def _exact_weights() -> dict[str, tuple[F, F, F]]:
    """symbol -> (fx, final cap, weight), exact over the doubles the inputs parse to."""
    rate = {"USD": F(1)} | {
        c: F(float(max((d, r) for d, r in rows if date.fromisoformat(d) <= CUTOFF)[1]))
        for c, rows in RATES.items()
    }
    base, scc, r2g = {}, {}, {}
    for s, (currency, close, n, ff, f_scc, f_r2g) in MEMBERS.items():
        base[s] = F(float(close)) * F(float(n)) * F(float(ff)) * rate[currency]
        scc[s], r2g[s] = (F(float(x)) if x is not None else F(0) for x in (f_scc, f_r2g))
    k = 9 * sum(base[s] * r2g[s] for s in base) / sum(base[s] * scc[s] for s in base)
    final = {s: base[s] * scc[s] * k - base[s] * r2g[s] for s in base}
    total = sum(final.values())
    return {s: (rate[MEMBERS[s][0]], final[s], final[s] / total) for s in base}


def test_weights_of_members_priced_in_four_currencies_are_exact(tmp_path):
    md = load_market_data(_market(tmp_path / "md"))
    got = {r["symbol"]: r for r in compute_weights(md, "2024-03", CUTOFF, EFFECTIVE).iter_rows(named=True)}
    want = _exact_weights()
    assert sorted(got) == sorted(want)
    for s, (fx, final, weight) in want.items():
        row = got[s]
        assert row["fx"] == float(fx)  # the rate as given, to the last bit
        assert row["currency"] == MEMBERS[s][0] and row["price"] == float(MEMBERS[s][1])
        assert abs(F(row["final_mcap"]) - final) <= abs(final) * F(1, 10**13), s
        assert abs(F(row["weight"]) - weight) <= F(1, 10**15) + abs(weight) * F(1, 10**13), s
    assert abs(sum(F(r["weight"]) for r in got.values()) - 1) <= F(1, 10**14)


# Levels: one review on a short calendar of our own, constituents priced in euros, pounds and dollars.
D = [date(2024, 1, day) for day in (2, 3, 4, 5, 8, 9, 10)]
T = D[1]  # the rebalance; cut-off D[0]
K = {  # symbol: currency, shares, free float, weighting factor
    "EA": ("EUR", 1234.567891, 0.8765432109, 1.123456789012),
    "EB": ("EUR", 987.6543211, 0.5555555555, -0.271828182846),
    "GA": ("GBP", 5555.5, 0.9123456789, 0.618033988749),
    "UA": ("USD", 3333.3, 0.7777777777, 1.414213562373),
}
CLOSES = {  # a close a session, or None: the last close carries
    "EA": [45.67891234567, 45.98765432101, None, 46.12345678901, 45.55555555557, None, 47.0000000001],
    "EB": [7.123456789012, 7.234567890123, 7.345678901234, None, None, 7.456789012345, 7.567890123456],
    "GA": [3.456789012345, None, 3.567890123456, 3.678901234567, 3.789012345678, 3.890123456789, None],
    "UA": [12.34567890123, 12.45678901234, 12.56789012345, 12.67890123456, None, 12.78901234567, 12.8],
}
FX = {  # usd_per_unit each session
    "EUR": [
        1.087341629743,
        1.088812345679,
        1.086123456791,
        1.089999999997,
        1.091234567893,
        1.090123456787,
        1.092345678901,
    ],
    "GBP": [
        1.267134926118,
        1.265432109877,
        1.269876543211,
        1.271111111119,
        1.268888888883,
        1.272345678903,
        1.266666666661,
    ],
}
DIVIDEND = ("EA", D[4], 0.4567891234567)  # in euros, ex on D[4]


def _weights(symbols: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "review": "2024-01",
                "cutoff_date": D[0],
                "effective_date": T,
                "symbol": s,
                "shares": K[s][1],
                "free_float": K[s][2],
                "weighting_factor": K[s][3],
            }
            for s in symbols
        ]
    )


def _frames(symbols: list[str]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    prices = pl.DataFrame(
        [
            {"date": d, "symbol": s, "close": p, "currency": K[s][0]}
            for s in symbols
            for d, p in zip(D, CLOSES[s], strict=True)
            if p is not None
        ]
    )
    fx = pl.DataFrame(
        [{"date": d, "currency": c, "usd_per_unit": r} for c, rates in FX.items() for d, r in zip(D, rates)]
    )
    s, ex, amount = DIVIDEND
    dividends = pl.DataFrame({"ex_date": [ex], "symbol": [s], "amount": [amount]}).filter(
        pl.col("symbol").is_in(symbols)
    )
    return prices, fx, dividends


def _exact_levels(symbols: list[str]) -> list[tuple[date, F, F]]:
    """(date, price return, total return) from T on, exact over the doubles of the inputs."""

    def rate(currency: str, i: int) -> F:
        return F(1) if currency == "USD" else F(FX[currency][i])

    def last_close(s: str, i: int) -> F:
        return F(next(p for p in reversed(CLOSES[s][: i + 1]) if p is not None))

    def numerator(i: int) -> F:
        k = {s: F(K[s][1]) * F(K[s][2]) * F(K[s][3]) for s in symbols}
        return sum(last_close(s, i) * k[s] * rate(K[s][0], i) for s in symbols)

    at = D.index(T)
    divisor = numerator(at) / 1000
    out, level, total = [(T, F(1000), F(1000))], F(1000), F(1000)
    for i in range(at + 1, len(D)):
        new = numerator(i) / divisor
        s, ex, amount = DIVIDEND
        points = (
            F(amount) * F(K[s][1]) * F(K[s][2]) * F(K[s][3]) * rate(K[s][0], i) / divisor
            if ex == D[i] and s in symbols
            else F(0)
        )
        total = total * (new + points) / level
        level = new
        out.append((D[i], level, total))
    return out


@pytest.mark.parametrize(
    "symbols", [["EA", "EB"], ["EA", "EB", "GA", "UA"]], ids=["euros-only", "euros-pounds-dollars"]
)
def test_levels_of_constituents_priced_in_other_currencies_are_exact(symbols):
    prices, fx, dividends = _frames(symbols)
    got = all_levels(_weights(symbols), D[-1], prices, dividends, None, fx, D)
    want = _exact_levels(symbols)
    assert got["date"].to_list() == [d for d, _, _ in want]
    for (d, level, total), row in zip(want, got.iter_rows(named=True), strict=True):
        assert abs(F(row["price_return"]) - level) <= level * F(1, 10**13), d
        assert abs(F(row["total_return"]) - total) <= total * F(1, 10**13), d
    nightly = period_levels(_weights(symbols), None, D[-1], prices, dividends, None, fx, D)
    assert nightly.equals(got)
