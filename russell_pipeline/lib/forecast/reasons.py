"""The reason of each forecast row: one human line naming the rule it rests on, with its numbers
(`rank 3,214: below the Russell 3000 break (its market cap $161.7M)`, `price $0.84 below $1.00`)."""

from __future__ import annotations

import polars as pl

from russell_pipeline.lib.forecast import rules as R
from russell_pipeline.lib.forecast.rules import R1000, R3000


def _fixed(x: pl.Expr, places: int) -> pl.Expr:
    """A number as text with `places` decimals and thousands grouped: 1234.5 -> `1,234.50`."""
    text = (x * 10**places).round(0).cast(pl.Int64).cast(pl.String)
    sign = text.str.strip_chars_end("0123456789")  # `-` or nothing (and the text is named as `x` is)
    digits = text.str.strip_chars_start("-").str.zfill(places + 1)  # a whole digit at least
    if not places:
        return pl.concat_str(sign, _grouped(digits))
    return pl.format("{}{}.{}", sign, _grouped(digits.str.head(-places)), digits.str.tail(places))


def _grouped(digits: pl.Expr) -> pl.Expr:
    """A whole number's digits with thousands grouped: `3214` -> `3,214`. Up to six digits (every rank
    and amount a reason gives, in practice) a comma goes before the last three, if any come before them;
    a longer number's reversed digits take one after every three (a regex, several times the cost,
    evaluated on those numbers alone: a when/then branch is made for its own rows only)."""
    short = pl.concat_str(digits.str.head(-3), digits.str.tail(3), separator=",").str.strip_chars_start(",")
    long = digits.str.reverse().str.replace_all(r"(\d{3})", "${1},").str.reverse().str.strip_chars_start(",")
    return pl.when(digits.str.len_bytes() <= 6).then(short).otherwise(long)


def money(x: pl.Expr) -> pl.Expr:
    """USD as `$1.23B` or `$164.0M`."""
    return (
        pl.when(x >= 1e9)
        .then(pl.format("${}B", _fixed(x / 1e9, 2)))
        .otherwise(pl.format("${}M", _fixed(x / 1e6, 1)))
    )


def _screened(text: str) -> pl.Expr:
    """A screen's reason: its text (`{country}`: the row's Country), or where a member's symbol now
    names another kind of security, that."""
    said = (
        pl.format(text.replace("{country}", "{}"), pl.col("country")) if "{country}" in text else pl.lit(text)
    )
    reused = pl.format(
        "a member's symbol, now a {}: its common stock is not in the universe file (renamed?)", said
    )
    return pl.when(pl.col("reused")).then(reused).otherwise(said)


_PRICE = pl.format("price ${} below $1.00", _fixed(pl.col("company_price"), 2))
# A class below the price while another class of its company passes (companies.priced_classes).
_CLASS_PRICE = pl.format(
    "price ${} below $1.00: each class must close at $1.00 or more, and its company ranks by its class {} "
    "at ${}",
    _fixed(pl.col("price"), 2),
    pl.col("primary_symbol"),
    _fixed(pl.col("company_price"), 2),
)


def _average(column: str) -> pl.Expr:
    return pl.format(", and its 30-day average ${} too", _fixed(pl.col(column), 2)).fill_null(
        "; its 30-day average (which keeps a member at $1.00 or more) is unknown: no closes before rank day"
    )


# The reason of each rule that the row alone says, built once.
_REASONS = {
    **{rule: _screened(text) for rule, (_, text) in R.SCREENS.items()},
    "no_market_cap": pl.when(pl.col("action") == "stay")
    .then(pl.lit("no market cap in the universe file: not ranked, kept as it stands"))
    .otherwise(pl.lit("no market cap in the universe file: not ranked")),
    "min_total_cap": pl.format("total market cap {} below $30.0M", money(pl.col("total_market_cap"))),
    "voting_rights": pl.lit(
        "its listed shares carry no vote (its voting class is not listed): under 5% of its voting rights "
        "are in unrestricted hands"
    ),
    "min_price": pl.when(pl.col("line_priced")).then(_CLASS_PRICE).otherwise(_PRICE),
    "min_price_member": pl.when(pl.col("line_priced"))
    .then(pl.format("{}{}", _CLASS_PRICE, _average("line_average_30d")))
    .otherwise(pl.format("{}{}", _PRICE, _average("average_30d"))),
    "listed_before": pl.format(
        "total market cap {}, above the Russell 1000 break, but not a member though listed {}: left out "
        "at the last reconstitution, taken to stay out",
        money(pl.col("total_market_cap")),
        pl.format("since {}", pl.col("ipo_year")).fill_null("before (no IPO year given)"),
    ),
}
# A rank with its thousands grouped (`rank 3,214`).
_RANK = pl.col("rank")
_WHERE = pl.format("rank {}", _grouped(_RANK.cast(pl.String)))


def reason(rule: str, b: dict, r3000: int) -> pl.Expr:
    """One human line for the rows of one rule, with their numbers (evaluated on those rows only)."""
    if rule in _REASONS:
        return _REASONS[rule]
    if rule == "band_r1000":
        low, high = b[R1000]["band_low_pct"], b[R1000]["band_high_pct"]
        return pl.format(
            f"{{}}: kept in the {{}}: within the band ({{}}% cumulative, band {low:.2f}-{high:.2f}%)",
            _WHERE,
            pl.col("index_after"),
            _fixed(pl.col("cumulative_cap_pct"), 2),
        )
    cap3000 = b[R3000]["market_cap"]
    below = f" (its market cap ${cap3000 / 1e6:,.1f}M)" if cap3000 is not None else ""
    placed = (
        pl.when(pl.col("action").is_in(["delete", "out"]) & (_RANK > r3000))
        .then(pl.lit("below the Russell 3000 break" + below))
        .when(pl.col("index_before") == R3000)
        .then(pl.format("{} (before: Russell 3000, its segment unknown)", pl.col("index_after")))
        .otherwise(pl.col("index_after"))
    )
    return pl.format("{}: {}", _WHERE, placed)  # the rank written once


def with_reasons(out: pl.DataFrame, b: dict, r3000: int) -> pl.LazyFrame:
    """`out` (the rows of each rule together) with `reason`, computed rule by rule on the rule's rows
    alone; a renamed member's says under which symbol it was one."""
    parts, start = [], 0
    for n, rule in out.select(pl.col("rule").rle()).unnest("rule").iter_rows():
        parts.append(out.lazy().slice(start, n).with_columns(reason=reason(rule, b, r3000)))
        start += n
    renamed = pl.col("renamed_from").is_not_null() & ~pl.col("reused")
    said = pl.format(
        "{}; a member as {}, listed now as {} (same company name)",
        pl.col("reason"),
        pl.col("renamed_from"),
        pl.col("symbol"),
    )
    replaces = pl.format(
        "{}; another class of a member company whose printed class leaves below $1.00: added in its place",
        pl.col("reason"),
    )
    return pl.concat(parts).with_columns(
        reason=pl.when(renamed)
        .then(said)
        .when(pl.col("replaces_class") & (pl.col("action") == "add"))
        .then(replaces)
        .otherwise(pl.col("reason"))
    )
