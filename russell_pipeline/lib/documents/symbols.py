"""Tickers as the documents print them and in the one form the lake keys them by: FTSE Russell's lists
print a share class with a dot (`BRK.B`), the Nasdaq screener with a slash (`BRK/B`), the SEC with a
dash (`BRK-B`); all three are `BRK.B` in the lake. An ETF holdings file writes the class without any
separator (`BRKB`): lib/securities/ tells that form from a ticker of its own."""

from __future__ import annotations

import polars as pl

from russell_pipeline.lib.text_rules import symbol_problem


def lists_form(symbol: pl.Expr) -> pl.Expr:
    """A symbol in the lists' form: `BRK/B`, `brk-b` and ` BRK.B ` are `BRK.B`."""
    return symbol.str.strip_chars().str.to_uppercase().str.replace_all(r"[/\-]", ".")


def ticker_problem(text: str) -> str | None:
    """Why `text` (stripped) is not a ticker as a document prints one (lib/text_rules.py's symbol rule,
    at most 20 characters), or None."""
    value = text.strip()
    if len(value) > 20:
        return f"symbol {value[:24]!r}... is {len(value)} characters long: a ticker is at most 20"
    return symbol_problem(value)
