"""Quarterly weights of the Russell Custom Small Cap Completeness 90/10 Index
(docs/methodology.md §1.2-1.4, 1.9)."""

from __future__ import annotations

import math
from datetime import date

import polars as pl

from russell_pipeline.lib.errors import InputError, LakeError
from russell_pipeline.lib.market.contract import R2G, SCC, MarketData
from russell_pipeline.lib.sessions import sessions_between

# The `quarterly_weights` contract, then the inputs' dates so a user can follow each row back.
WEIGHT_COLUMNS: dict[str, pl.DataType] = {
    "review": pl.String,
    "cutoff_date": pl.Date,
    "effective_date": pl.Date,
    "symbol": pl.String,
    "price": pl.Float64,
    "shares": pl.Float64,
    "free_float": pl.Float64,
    "fx": pl.Float64,
    "scc_fraction": pl.Float64,
    "r2g_fraction": pl.Float64,
    "final_mcap": pl.Float64,
    "weight": pl.Float64,
    "weighting_factor": pl.Float64,
    "price_date": pl.Date,
    "stale_sessions": pl.Int64,
    "shares_date": pl.Date,
    "currency": pl.String,
}
CONTRACT_COLUMNS = list(WEIGHT_COLUMNS)[:13]


def no_members(review: str, with_members: list[str]) -> str:
    """Why `review` holds no rows when the market data has no members for it (its partition's `status`);
    `with_members`: the reviews it has members for, in order."""
    held = f"{with_members[0]}..{with_members[-1]}" if with_members else "none"
    return f"the market data has no members for {review} (its reviews with members: {held})"


def weights_due(
    review: str, with_members: list[str], dates: pl.DataFrame, last_close: date | None
) -> tuple[date, date] | str:
    """The cut-off and effective date of `review` when its weights can be computed now, otherwise why its
    partition holds no rows: the market data has no members for it, or its cut-off is after the last
    stored close (`last_close`; memberships announced, cut-off not reached).

    `dates`: review, cutoff_date, effective_date (lib/calendar/reviews.py `rebalance_dates`). A review
    with members the calendar gives no dates for is an error: its weights would silently be missing.
    """
    if review not in with_members:
        return no_members(review, with_members)
    row = dates.filter(pl.col("review") == review)
    if row.height != 1:
        raise LakeError(f"recon_calendar: no price cut-off/effective date for review {review}")
    cutoff, effective = row["cutoff_date"][0], row["effective_date"][0]
    if cutoff > last_close:
        return f"pending: cut-off {cutoff} is after the last close {last_close}"
    return cutoff, effective


def _latest(md: MarketData, table: str, key: str, cutoff: date) -> pl.DataFrame:
    """Per `key`, the row with the latest date on or before the cut-off (carried back)."""
    rows = getattr(md, table).filter(pl.col("date") <= cutoff)
    rows = rows.filter(pl.col("date") == pl.col("date").max().over(key))
    # load_market_data rejects duplicate keys; frames built in memory may not have been through it.
    _check_none(
        md,
        table,
        rows.filter(pl.col(key).is_duplicated()),
        f"two rows for {key} {{{key}}} on {{date}}; which one applies is ambiguous",
    )
    return rows


def _members(md: MarketData, review: str) -> pl.DataFrame:
    m = md.memberships.filter(pl.col("review") == review)
    if m.is_empty():
        raise InputError(
            md.label("memberships"),
            f"review {review} has no members (reviews present: {', '.join(md.reviews) or 'none'})",
        )
    sides = {}
    for index, col in ((SCC, "scc_fraction"), (R2G, "r2g_fraction")):
        side = m.filter(pl.col("index") == index)
        if side.is_empty():
            raise InputError(
                md.label("memberships"), f"review {review}: component index {index} has no members"
            )
        if side.get_column("symbol").is_duplicated().any():
            raise InputError(md.label("memberships"), f"review {review}: {index} lists a symbol twice")
        sides[col] = side.select("symbol", pl.col("fraction").alias(col))
    return (
        sides["scc_fraction"]
        .join(sides["r2g_fraction"], on="symbol", how="full", coalesce=True)
        .with_columns(pl.col("scc_fraction", "r2g_fraction").fill_null(0.0))
    )


def compute_weights(
    md: MarketData, review: str, cutoff: date, effective: date, max_stale_sessions: int = 10
) -> pl.DataFrame:
    """The `quarterly_weights` rows of one review, plus the dates behind each input."""
    df = _priced(md, review, cutoff)
    _check_none(
        md,
        "prices",
        df.filter(pl.col("price").is_null()),
        f"review {review}: member {{symbol}} has no close on or before cut-off {cutoff}",
    )
    _check_none(
        md,
        "prices",
        df.filter(pl.col("stale_sessions") > max_stale_sessions),
        f"review {review}: member {{symbol}} last close {{price_date}} is {{stale_sessions}} sessions "
        f"before cut-off {cutoff} (limit {max_stale_sessions})",
    )

    shares = _latest(md, "shares", "symbol", cutoff).rename({"date": "shares_date"})
    df = df.join(shares, on="symbol", how="left")
    _check_none(
        md,
        "shares",
        df.filter(pl.col("shares").is_null()),
        f"review {review}: member {{symbol}} has no shares row dated on or before cut-off {cutoff}",
    )

    fx = _latest(md, "fx", "currency", cutoff).select("currency", pl.col("usd_per_unit").alias("fx"))
    df = df.join(fx, on="currency", how="left").with_columns(
        pl.when(pl.col("currency") == "USD").then(1.0).otherwise(pl.col("fx")).alias("fx")
    )
    _check_none(
        md,
        "fx",
        df.filter(pl.col("fx").is_null()),
        f"review {review}: member {{symbol}} is priced in {{currency}} but there is no {{currency}} "
        f"rate on or before cut-off {cutoff}",
    )
    return _weigh(df.sort("symbol"), review, cutoff, effective)


def _priced(md: MarketData, review: str, cutoff: date) -> pl.DataFrame:
    """The members of `review` with their last close on or before the cut-off (`price`, `price_date`:
    null without one) and how many sessions before the cut-off it is (`stale_sessions`)."""
    prices = _latest(md, "prices", "symbol", cutoff).rename({"date": "price_date", "close": "price"})
    df = _members(md, review).join(prices, on="symbol", how="left").sort("symbol")
    stale = [None if d is None else sessions_between(d, cutoff) for d in df.get_column("price_date")]
    return df.with_columns(pl.Series("stale_sessions", stale, dtype=pl.Int64))


def _check_none(md: MarketData, table: str, bad: pl.DataFrame, what: str) -> None:
    """Raise for the first offending row (of `bad`), saying how many more there are."""
    if not bad.is_empty():
        more = f" (and {bad.height - 1} more)" if bad.height > 1 else ""
        raise InputError(md.label(table), what.format(**bad.row(0, named=True)) + more)


def _weigh(df: pl.DataFrame, review: str, cutoff: date, effective: date) -> pl.DataFrame:
    base = df.select(pl.col("price") * pl.col("shares") * pl.col("free_float") * pl.col("fx")).to_series()
    cap_scc = base * df.get_column("scc_fraction")
    cap_r2g = base * df.get_column("r2g_fraction")
    # fsum: the sums feed the 1e-12 checks, so they must not drift with member order.
    sum_scc, sum_r2g = math.fsum(cap_scc), math.fsum(cap_r2g)
    if not (sum_scc > 0 and sum_r2g > 0):
        raise ValueError(f"review {review}: component caps must be positive (SCC {sum_scc}, R2G {sum_r2g})")
    final = cap_scc * (9.0 * sum_r2g / sum_scc) - cap_r2g
    total = math.fsum(final)
    out = df.with_columns(
        pl.lit(review).alias("review"),
        pl.lit(cutoff, dtype=pl.Date).alias("cutoff_date"),
        pl.lit(effective, dtype=pl.Date).alias("effective_date"),
        final.alias("final_mcap"),
        (final / total).alias("weight"),
        (final / base).alias("weighting_factor"),
    ).select(pl.col(c).cast(t) for c, t in WEIGHT_COLUMNS.items())
    bad = out.filter(~pl.all_horizontal(pl.col("weight", "weighting_factor").is_finite()))
    if not bad.is_empty():  # only reachable with unvalidated in-memory frames (e.g. a zero price)
        raise ValueError(f"review {review}: non-finite weight for {bad.get_column('symbol').to_list()[:5]}")
    return out
