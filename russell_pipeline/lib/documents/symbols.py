"""Tickers as the documents print them and in the one form the lake keys them by: FTSE Russell's lists
print a share class with a dot (`BRK.B`), the Nasdaq screener with a slash (`BRK/B`), the SEC with a
dash (`BRK-B`); all three are `BRK.B` in the lake. An ETF holdings file writes the class without any
separator (`BRKB`): lib/securities/ tells that form from a ticker of its own."""

from __future__ import annotations

import re

import polars as pl

# A ticker as any of the documents prints one: ASCII letters and digits, and `.`, `/` or `-` before a
# class or a suffix; at most 20 characters.
TICKER = re.compile(r"[A-Z0-9][A-Z0-9./\-]{0,19}")


def lists_form(symbol: pl.Expr) -> pl.Expr:
    """A symbol in the lists' form: `BRK/B`, `brk-b` and ` BRK.B ` are `BRK.B`."""
    return symbol.str.strip_chars().str.to_uppercase().str.replace_all(r"[/\-]", ".")


def is_ticker(text: str) -> bool:
    """Whether `text` (stripped, in any letter case) is a ticker as a document prints one."""
    return text.isascii() and TICKER.fullmatch(text.strip().upper()) is not None
