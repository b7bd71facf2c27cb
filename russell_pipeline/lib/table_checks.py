"""Checks any lake table can fail, as offending-row frames: contract nulls and count changes (pure)."""

from __future__ import annotations

import polars as pl

MEMBER_COUNT_CHANGE = 0.30  # members of one review (or list) vs the previous one

# The non-nullable columns of each table contract (docs/methodology.md §2).
REQUIRED_COLUMNS = {
    "constituents": (
        "recon_year",
        "as_of_date",
        "index_name",
        "company",
        "symbol",
        "source_sha256",
        "source_page",
        "source_line",
    ),
    "constituent_changes": (
        "recon_year",
        "index_name",
        "change",
        "stage",
        "company",
        "symbol",
        "source_sha256",
        "source_page",
        "source_line",
    ),
    "quarterly_weights": (
        "review",
        "cutoff_date",
        "effective_date",
        "symbol",
        "price",
        "shares",
        "free_float",
        "fx",
        "scc_fraction",
        "r2g_fraction",
        "final_mcap",
        "weight",
        "weighting_factor",
    ),
    "index_levels": ("date", "price_return", "total_return", "divisor", "review", "constituents"),
    "pro_forma_weights": (
        "review",
        "cutoff_date",
        "effective_date",
        "prices_date",
        "stand_in",
        "as_of_date",
        "symbol",
        "move",
        "weight_now",
        "weight_pro_forma",
        "change",
        "price",
        "fx",
        "shares_per_billion",
        "members_review",
        "members_carried",
        "members_forecast",
    ),
}


def null_contract_cells(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """column, nulls: each contract column of `table` holding nulls (a missing column counts every row)."""
    counts = [
        (c, frame.height if c not in frame.columns else frame.get_column(c).null_count())
        for c in REQUIRED_COLUMNS[table]
    ]
    return pl.DataFrame(
        [(c, n) for c, n in counts if n], schema={"column": pl.String, "nulls": pl.Int64}, orient="row"
    )


def after_write(stored: pl.DataFrame | None, staged: pl.DataFrame, column: str, keys: list) -> pl.DataFrame:
    """The table as it will be once `staged` replaces the partitions `keys` (values of `column`) of
    `stored`."""
    kept = stored.filter(~pl.col(column).is_in(keys)) if stored is not None else staged.clear()
    return pl.concat([kept, staged], how="diagonal_relaxed")  # kept rows may predate a new extra column


def member_count_changes(
    counts: pl.DataFrame, over: str | None = None, touching: list | None = None
) -> pl.DataFrame:
    """Consecutive reviews (review, members; per `over`, e.g. index_name) whose member count changed by more
    than MEMBER_COUNT_CHANGE; only the pairs with a review in `touching`, when given."""

    def previous(column: str) -> pl.Expr:
        return pl.col(column).shift(1).over(over) if over else pl.col(column).shift(1)

    pairs = (
        counts.sort(*([over] if over else []), "review")
        .select(
            *([over] if over else []),
            previous_review=previous("review"),
            previous_members=previous("members"),
            review="review",
            members="members",
        )
        .drop_nulls("previous_review")
    )
    if touching is not None:
        pairs = pairs.filter(pl.col("review").is_in(touching) | pl.col("previous_review").is_in(touching))
    return pairs.with_columns(change=pl.col("members") / pl.col("previous_members") - 1).filter(
        pl.col("change").abs() > MEMBER_COUNT_CHANGE
    )
