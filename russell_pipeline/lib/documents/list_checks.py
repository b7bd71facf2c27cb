"""Checks on parsed lists, as offending-row frames: pages, duplicates, non-rows, list sizes (pure)."""

from __future__ import annotations

import polars as pl

from russell_pipeline.lib.documents.lists import FURNITURE

# Words that only ever appear in headers, footers and disclaimers, never as a company or symbol.
NOT_A_ROW = rf"(?i)^(company|symbol|ticker|sector|industry)$|{FURNITURE}"
SYMBOL = r"^[A-Z0-9]+([.\-/][A-Z0-9]+)*$"
# Nominal sizes of the full membership lists; other indexes (styles, 2500, Midcap, ...) are not checked.
NOMINAL_SIZE = {
    "Russell 1000": 1_000,
    "Russell 2000": 2_000,
    "Russell 3000": 3_000,
    "Russell 3000E": 4_000,
    "Russell Microcap": 2_000,
}
# The real Russell 3000 lists hold 3,005 (2016) and 3,010 (2022) rows; a list 15% off is a partial parse
# or a mislabelled document.
LIST_SIZE_TOLERANCE = 0.15


def unread_lines(unread: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """Lines holding data the parser read no row from: path, page, line, text."""
    paths = documents.select(source_sha256="sha256", path="path").unique("source_sha256")
    return (
        unread.join(paths, on="source_sha256", how="left")
        .select("path", "page", "line", "text")
        .sort("path", "page", "line")
    )


def duplicate_symbols(rows: pl.DataFrame) -> pl.DataFrame:
    """Symbols listed twice within one document (one list), with the year it is filed under."""
    return (
        rows.group_by("recon_year", "source_sha256", "symbol")
        .len()
        .filter(pl.col("len") > 1)
        .sort("recon_year", "source_sha256", "symbol")
    )


def non_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows that look like a header, footer or disclaimer rather than a company."""
    return rows.filter(
        pl.col("company").str.contains(NOT_A_ROW)
        | pl.col("symbol").str.contains(NOT_A_ROW)
        | ~pl.col("symbol").str.contains(SYMBOL)
        | (pl.col("company").str.strip_chars() == "")
    )


def overlapping_changes(changes: pl.DataFrame) -> pl.DataFrame:
    """Symbols both added and deleted in the same index, stage and year."""
    keys = ["recon_year", "index_name", "stage", "symbol"]
    adds = changes.filter(pl.col("change") == "addition").select(keys).unique()
    dels = changes.filter(pl.col("change") == "deletion").select(keys).unique()
    return adds.join(dels, on=keys, how="inner", nulls_equal=True)


def list_sizes(constituents: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """One row per full membership list: path, index_name, as_of_date, rows, nominal, low, high, within.

    `nominal` is null for an index of no known size (its list is not checked)."""
    sizes = (
        constituents.group_by("source_sha256", "index_name", "as_of_date")
        .agg(rows=pl.len())
        .join(
            documents.select(pl.col("sha256").alias("source_sha256"), "path").unique("source_sha256"),
            on="source_sha256",
            how="left",
        )
        .with_columns(
            nominal=pl.col("index_name").replace_strict(NOMINAL_SIZE, default=None, return_dtype=pl.Int64)
        )
        .with_columns(
            low=(pl.col("nominal") * (1 - LIST_SIZE_TOLERANCE)).round().cast(pl.Int64),
            high=(pl.col("nominal") * (1 + LIST_SIZE_TOLERANCE)).round().cast(pl.Int64),
        )
        .with_columns(within=pl.col("rows").is_between("low", "high"))
    )
    return sizes.select("path", "index_name", "as_of_date", "rows", "nominal", "low", "high", "within").sort(
        "path", "index_name"
    )


def list_counts(sizes: pl.DataFrame) -> pl.DataFrame:
    """index_name, review (`<as_of_date> <path>`), members of each full membership list, for
    member_count_changes."""
    return sizes.select("index_name", review=pl.format("{} {}", "as_of_date", "path"), members="rows")
