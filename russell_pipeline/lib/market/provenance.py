"""Where the prices behind a row come from: the `price_source` column every priced table carries.

One of three labels (docs/methodology.md §2.1):
- `synthetic`: the built-in synthetic feed, which is not market data;
- `market file <name>`: the prices file of the market-data folder (`RUSSELL_MARKET_DATA`), by its name
  (`prices.csv`): where the folder lives is not part of the data (`market_source` names the folder);
- `imported file <name>`: a user's price file, stored by `import-prices` (or read by `event-study`).

A row computed from several sources (the reconstitution effect of a year whose listed names come from
an imported file while the index's levels come from the market data) carries each group's own label.
"""

from __future__ import annotations

import polars as pl

COLUMN = "price_source"
SCHEMA = {COLUMN: pl.String}
SYNTHETIC = "synthetic"
# How a note, a chart or a summary says it, wherever a figure rests on the synthetic feed.
SYNTHETIC_WORDS = "SYNTHETIC prices (the built-in feed, not market data)"


def market_file(name: str) -> str:
    return f"market file {name}"


def imported_file(name: str) -> str:
    return f"imported file {name}"


def is_synthetic(label: str | None) -> bool:
    return label == SYNTHETIC


def stamped(rows: pl.DataFrame, label: str | None) -> pl.DataFrame:
    """`rows` with `price_source` = `label` as their last column."""
    return rows.with_columns(pl.lit(label, pl.String).alias(COLUMN))


def synthetic_note(what: str) -> str:
    """The line a command prints on stderr when its answer rests on the synthetic feed (`what`: plural)."""
    return f"note: {what} rest on {SYNTHETIC_WORDS}; real prices come from a RUSSELL_MARKET_DATA folder"
