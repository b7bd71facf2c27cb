"""Sector vocabularies of FTSE Russell lists: RGS sectors (Russell's own) and ICB
industries, how a printed sector name is recognized, and which classification a list uses."""

from __future__ import annotations

import re

RGS_SECTORS = frozenset(
    {
        "Consumer Discretionary",
        "Consumer Staples",
        "Energy",
        "Financial Services",
        "Health Care",
        "Materials & Processing",
        "Producer Durables",
        "Technology",
        "Utilities",
    }
)
ICB_INDUSTRIES = frozenset(
    {
        "Basic Materials",
        "Consumer Discretionary",
        "Consumer Goods",
        "Consumer Services",
        "Consumer Staples",
        "Energy",
        "Financials",
        "Health Care",
        "Industrials",
        "Oil & Gas",
        "Real Estate",
        "Technology",
        "Telecommunications",
        "Utilities",
    }
)
SECTOR_NAMES = RGS_SECTORS | ICB_INDUSTRIES
_LOWER_RE = re.compile(r"[a-z]")


def is_sector(tokens: list[str]) -> bool:
    """A sector name as printed; page edges may cut the last word of a longer one."""
    return (
        " ".join(tokens) in SECTOR_NAMES
        or len(tokens) > 1
        and any(_is_cut(tokens, name.split()) for name in SECTOR_NAMES)
    )


def _is_cut(tail: list[str], name: list[str]) -> bool:
    return len(tail) == len(name) and tail[:-1] == name[:-1] and name[-1].startswith(tail[-1])


def sector_width(tokens: list[str], at_end: bool) -> int:
    """How many tokens at the line's end (or start) name a sector, a whole name before a cut one."""

    def part(k: int) -> list[str]:
        return tokens[-k:] if at_end else tokens[:k]

    widths = [k for k in (3, 2, 1) if len(tokens) > k]  # the company keeps at least one token
    for k in widths:
        if " ".join(part(k)) in SECTOR_NAMES:
            return k
    for k in widths:
        if k > 1 and any(_is_cut(part(k), name.split()) for name in SECTOR_NAMES):
            return k
    # Unknown sector: split where mixed case starts (ends), so the row still counts
    # as a candidate and a dropped line shows in the page stats.
    mixed = [i for i, t in enumerate(tokens) if _LOWER_RE.search(t)]
    if not mixed:
        return 0
    return len(tokens) - mixed[0] if at_end else mixed[-1] + 1


def classification(names: set[str], header: str) -> str:
    """ICB or RGS from the sector names; the header word ("Industry" = ICB) decides when names fit both."""
    icb_only = any(n in ICB_INDUSTRIES - RGS_SECTORS for n in names)
    rgs_only = any(n in RGS_SECTORS - ICB_INDUSTRIES for n in names)
    if icb_only != rgs_only:
        return "ICB" if icb_only else "RGS"
    return "ICB" if header == "Industry" else "RGS"
