"""A review's trade list sized for a fund: the shares a fund of a given size tracking the 90/10 index
trades in each stock, against the stock's average daily volume, and the days that takes at a share of
that volume (docs/methodology.md §1.10).

- **shares** = change x AUM / (price x fx): the pro-forma's weight change (lib/index/pro_forma.py) at
  the fund's assets, bought (+) or sold (-) at the as-of close, as `shares_per_billion` is for $1 billion.
- **adv_shares**: the stock's average volume over the 20 sessions to the as-of date (lib/market/volume.py);
  unknown (null) where the market data holds no volume for it, or an average of 0.
- **adv_pct** = 100 x |shares| / adv_shares: the trade as a percentage of a normal day.
- **days_to_trade** = |shares| / (participation x adv_shares): the sessions the trade takes when the fund
  trades at most `participation` of each day's volume. Unknown where the volume is: never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

TRADE_SIZE_COLUMNS: dict[str, pl.DataType] = {
    "shares": pl.Float64,
    "adv_shares": pl.Float64,
    "adv_pct": pl.Float64,
    "days_to_trade": pl.Float64,
}


def sized_trade(rows: pl.DataFrame, adv: pl.DataFrame, aum: float, participation: float) -> pl.DataFrame:
    """`rows` (pro_forma_weights of one review) with TRADE_SIZE_COLUMNS for a fund of `aum` US dollars
    trading `participation` (0 < p <= 1) of each session's volume; `adv`: symbol, adv_shares of the
    market data (lib/market/volume.py)."""
    if not aum > 0:
        raise ValueError(f"a fund's assets must be positive, not {aum}")
    if not 0 < participation <= 1:
        raise ValueError(f"participation must be in (0, 1], not {participation}")
    volume = adv.filter(pl.col("adv_shares") > 0).select("symbol", "adv_shares")
    shares = pl.col("change") * aum / (pl.col("price") * pl.col("fx"))
    return (
        rows.drop(*TRADE_SIZE_COLUMNS, strict=False)
        .join(volume, on="symbol", how="left")
        .with_columns(shares=shares)
        .with_columns(
            adv_pct=100 * pl.col("shares").abs() / pl.col("adv_shares"),
            days_to_trade=pl.col("shares").abs() / (participation * pl.col("adv_shares")),
        )
        .with_columns(pl.col(c).cast(t) for c, t in TRADE_SIZE_COLUMNS.items())
    )


@dataclass(frozen=True)
class TradeSize:
    """What a fund's trade list comes to: its value each way, the names without volume, the longest."""

    bought: float  # US dollars
    sold: float
    unknown: int  # names with a trade and no volume
    over_a_day: int  # names taking more than one session
    longest: tuple[str, float] | None  # (symbol, days) of the longest trade


def trade_size(sized: pl.DataFrame) -> TradeSize:
    """The totals of `sized_trade` rows."""
    value = pl.col("shares") * pl.col("price") * pl.col("fx")
    traded = sized.filter(pl.col("shares") != 0).with_columns(value=value)
    known = traded.filter(pl.col("days_to_trade").is_not_null()).sort(
        "days_to_trade", "symbol", descending=[True, False]
    )
    return TradeSize(
        float(traded.filter(pl.col("value") > 0)["value"].sum()),
        abs(float(traded.filter(pl.col("value") < 0)["value"].sum())),
        traded.height - known.height,
        known.filter(pl.col("days_to_trade") > 1).height,
        (known["symbol"][0], float(known["days_to_trade"][0])) if known.height else None,
    )
