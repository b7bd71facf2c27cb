"""The reason of each forecast row: one human line naming the rule it rests on, with its numbers
(`rank 3,214: below the Russell 3000 break (its market cap $161.7M)`, `price $0.84 below $1.00`)."""

from __future__ import annotations

import polars as pl

from russell_pipeline.lib.forecast import rules as R
from russell_pipeline.lib.forecast.rules import R1000, R3000


def _fixed(x: pl.Expr, places: int) -> pl.Expr:
    """A number as text with `places` decimals and thousands grouped: 1234.5 -> `1,234.50`."""
    scaled = (x * 10**places).round(0).cast(pl.Int64)
    whole = _grouped(scaled.abs() // 10**places)
    if places:
        whole = pl.format("{}.{}", whole, (scaled.abs() % 10**places).cast(pl.String).str.zfill(places))
    return pl.when(scaled < 0).then(pl.format("-{}", whole)).otherwise(whole)


def _grouped(n: pl.Expr) -> pl.Expr:
    """A whole number as text with thousands grouped: 3214 -> `3,214`, -1234567 -> `-1,234,567`."""
    grouped = n.cast(pl.String).str.reverse().str.replace_all(r"(\d{3})", "${1},").str.reverse()
    return grouped.str.replace(r"^(-?),", "${1}")  # no comma before the first digit


def money(x: pl.Expr) -> pl.Expr:
    """USD as `$1.23B` or `$164.0M`."""
    return (
        pl.when(x >= 1e9)
        .then(pl.format("${}B", _fixed(x / 1e9, 2)))
        .otherwise(pl.format("${}M", _fixed(x / 1e6, 1)))
    )


def reason(rule: str, b: dict, r3000: int) -> pl.Expr:
    """One human line for the rows of one rule, with their numbers (evaluated on those rows only)."""
    rank, action = pl.col("rank"), pl.col("action")
    where = pl.format("rank {}", _grouped(rank))
    price = pl.format("price ${} below $1.00", _fixed(pl.col("company_price"), 2))
    if rule in R.SCREENS:
        text = R.SCREENS[rule][1]
        said = (
            pl.format(text.replace("{country}", "{}"), pl.col("country"))
            if "{country}" in text
            else pl.lit(text)
        )
        reused = pl.format(
            "a member's symbol, now a {}: its common stock is not in the universe file (renamed?)", said
        )
        return pl.when(pl.col("reused")).then(reused).otherwise(said)
    if rule == "no_market_cap":
        return (
            pl.when(action == "stay")
            .then(pl.lit("no market cap in the universe file: not ranked, kept as it stands"))
            .otherwise(pl.lit("no market cap in the universe file: not ranked"))
        )
    if rule == "min_total_cap":
        return pl.format("total market cap {} below $30.0M", money(pl.col("total_market_cap")))
    if rule == "min_price":
        return price
    if rule == "min_price_member":
        return pl.format(
            "{}{}",
            price,
            pl.when(pl.col("average_30d").is_not_null())
            .then(pl.format(", and its 30-day average ${} too", _fixed(pl.col("average_30d"), 2)))
            .otherwise(
                pl.lit(
                    "; its 30-day average (which keeps a member at $1.00 or more) is unknown: no closes "
                    "before rank day"
                )
            ),
        )
    if rule == "listed_before":
        return pl.format(
            "total market cap {}, above the Russell 1000 break, but not a member though listed {}: left out "
            "at the last reconstitution, taken to stay out",
            money(pl.col("total_market_cap")),
            pl.format("since {}", pl.col("ipo_year")).fill_null("before (no IPO year given)"),
        )
    if rule == "band_r1000":
        low, high = b[R1000]["band_low_pct"], b[R1000]["band_high_pct"]
        return pl.format(
            f"{{}}: kept in the {{}}: within the band ({{}}% cumulative, band {low:.2f}-{high:.2f}%)",
            where,
            pl.col("index_after"),
            _fixed(pl.col("cumulative_cap_pct"), 2),
        )
    cap3000 = b[R3000]["market_cap"]
    below = f" (its market cap ${cap3000 / 1e6:,.1f}M)" if cap3000 is not None else ""
    placed = (
        pl.when(action.is_in(["delete", "out"]) & (rank > r3000))
        .then(pl.lit("below the Russell 3000 break" + below))
        .when(pl.col("index_before") == R3000)
        .then(pl.format("{} (before: Russell 3000, its segment unknown)", pl.col("index_after")))
        .otherwise(pl.col("index_after"))
    )
    return pl.format("{}: {}", where, placed)  # the rank written once


def with_reasons(out: pl.DataFrame, b: dict, r3000: int) -> pl.DataFrame:
    """`out` with `reason`, computed rule by rule; a renamed member's says under which symbol it was one."""
    parts = [
        part.with_columns(reason=reason(rule, b, r3000))
        for (rule,), part in out.partition_by("rule", as_dict=True).items()
    ]
    out = pl.concat(parts)
    renamed = pl.col("renamed_from").is_not_null() & ~pl.col("reused")
    if not out.select(renamed.any()).item():
        return out
    said = pl.format(
        "{}; a member as {}, listed now as {} (same company name)",
        pl.col("reason"),
        pl.col("renamed_from"),
        pl.col("symbol"),
    )
    return out.with_columns(reason=pl.when(renamed).then(said).otherwise(pl.col("reason")))
