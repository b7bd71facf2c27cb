"""The assets tracking each index, as a user writes them (`--tracked`, `RUSSELL_TRACKED_ASSETS`):
`Russell 2000=1e12,Russell 1000=1e13`, US dollars per index, and the share of a session's volume a fund
trades unless told (`PARTICIPATION`). Read without polars: settings.py and the command line read them at
start-up."""

from __future__ import annotations

import math
from collections.abc import Mapping

# The indexes whose trackers' trades the forecast's demand sizes (lib/forecast/demand.py); the names are
# the forecast's (lib/forecast/rules.py R1000, R2000, R3000).
TRACKED_INDEXES = ("Russell 1000", "Russell 2000", "Russell 3000")
# The share of each session's volume a fund trades when the user does not say (`pro-forma --aum`'s
# `--participation`, lib/index/trade.py).
PARTICIPATION = 0.2


def parse_tracked(text: str) -> tuple[tuple[str, float], ...]:
    """`Russell 2000=1e12,Russell 1000=1.5e13` -> ((index, dollars), ...): each index once, by its name in
    any letter case, each amount a positive number of US dollars. ValueError with one line otherwise."""
    names = {x.lower(): x for x in TRACKED_INDEXES}
    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, amount = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r}: expected INDEX=DOLLARS, e.g. 'Russell 2000=1e12'")
        index = names.get(" ".join(name.split()).lower())
        if index is None:
            known = ", ".join(TRACKED_INDEXES)
            raise ValueError(f"{name.strip()!r} is not an index whose trackers are sized: one of {known}")
        if index in out:
            raise ValueError(f"{index} is given twice")
        try:
            dollars = float(amount.strip().replace("_", "").removeprefix("$"))
        except ValueError:
            dollars = math.nan
        if not (math.isfinite(dollars) and dollars > 0):
            raise ValueError(f"{index}={amount.strip()!r}: expected a positive number of US dollars")
        out[index] = dollars
    if not out:
        raise ValueError("no index given: expected INDEX=DOLLARS, e.g. 'Russell 2000=1e12'")
    return tuple(out.items())


def tracked_text(tracked: Mapping[str, float]) -> str:
    """The assets as `parse_tracked` reads them back."""
    return ",".join(f"{index}={dollars!r}" for index, dollars in tracked.items())


def dollars(amount: float) -> str:
    """$1,000,000,000,000: an amount a user gave, as the output states it back."""
    return f"${amount:,.0f}"


def usd(amount: float) -> str:
    """$1.23T, $4.56B, $164.0M, $12,345: a total as stderr says it."""
    size = abs(amount)
    if size >= 1e12:
        return f"${amount / 1e12:,.2f}T"
    if size >= 1e9:
        return f"${amount / 1e9:,.2f}B"
    if size >= 1e6:
        return f"${amount / 1e6:,.1f}M"
    return f"${amount:,.0f}"
