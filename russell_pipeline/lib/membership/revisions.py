"""Revisions of a change list during a review: which names entered or left between its versions.

FTSE Russell publishes preliminary addition and deletion lists, weekly updates, then the final
ones. The versions of one list (index, review, change) are ordered by stage, then date, then path
(list_placement.versions_key); each consecutive pair gives the symbols that entered (in the later
version only) and left (in the earlier version only).
"""

from __future__ import annotations

import polars as pl

REVISION_COLUMNS = {
    "recon_year": pl.Int64,
    "review": pl.String,
    "index_name": pl.String,
    "change": pl.String,
    "version": pl.Int64,
    "stage": pl.String,
    "as_of_date": pl.Date,
    "previous_stage": pl.String,
    "previous_as_of_date": pl.Date,
    "revision": pl.String,
    "symbol": pl.String,
    "company": pl.String,
    "source_sha256": pl.String,
    "source_path": pl.String,
    "source_page": pl.Int64,
    "source_line": pl.Int64,
}
LIST = ["index_name", "review", "review_type", "kind"]


def _change_lists(placed: pl.DataFrame) -> pl.DataFrame:
    return placed.filter((pl.col("kind") != "membership") & pl.col("index_name").is_not_null())


def version_pairs(placed: pl.DataFrame) -> pl.DataFrame:
    """Each version of a change list after its first, with the stage and date of the version before it
    (`placed`: list_placement.place_documents)."""
    docs = _change_lists(placed)
    return docs.join(
        docs.select(
            *LIST,
            (pl.col("version") + 1).alias("version"),
            pl.col("stage").alias("previous_stage"),
            pl.col("as_of_date").alias("previous_as_of_date"),
        ),
        on=[*LIST, "version"],
        nulls_equal=True,
    )


def revision_steps(placed: pl.DataFrame, revisions: pl.DataFrame) -> pl.DataFrame:
    """Each version of a change list after its first (`version_pairs` of `placed`), in order, with how many
    names `entered` and `left` since the version before (counted in `revisions`, their REVISION_COLUMNS
    rows; null where none is stored)."""
    pairs = version_pairs(placed).sort("review", "index_name", "kind", "version")
    counts = revisions.group_by("review", "index_name", "change", "version").agg(
        (pl.col("revision") == "entered").sum().alias("entered"),
        (pl.col("revision") == "left").sum().alias("left"),
    )
    return pairs.join(
        counts,
        left_on=["review", "index_name", "kind", "version"],
        right_on=["review", "index_name", "change", "version"],
        how="left",
    )


def list_revisions(rows: pl.DataFrame, placed: pl.DataFrame) -> pl.DataFrame:
    """REVISION_COLUMNS for every change list with more than one version.

    `rows`: list_placement.document_rows (with `security_id` where the security master gives it: a
    company printed under a new ticker in a later version neither entered nor left); `placed`:
    list_placement.place_documents (its `version`). A version's row that names the company is the
    trace: the later one for `entered`, the earlier one for `left`."""
    ident = "security_id" if "security_id" in rows.columns else "symbol"
    docs = _change_lists(placed)
    named = (
        rows.join(
            docs.select("recon_year", "sha256", "path", *LIST[1:3], "version"), on=["recon_year", "sha256"]
        )
        .sort("version", "page", "line")
        .unique([*LIST, "version", ident], keep="first", maintain_order=True)
    )
    pairs = version_pairs(placed)
    key = [*LIST, "version", ident]
    later = named.filter(pl.col("version") > 1)
    earlier = named.with_columns(pl.col("version") + 1)
    entered = later.join(earlier, on=key, how="anti", nulls_equal=True).with_columns(
        revision=pl.lit("entered")
    )
    left = earlier.join(later, on=key, how="anti", nulls_equal=True).with_columns(revision=pl.lit("left"))
    moves = pl.concat([entered, left]).select(
        *dict.fromkeys([*key, "symbol"]), "revision", "company", "sha256", "path", "page", "line"
    )
    out = pairs.select(
        *LIST, "recon_year", "version", "stage", "as_of_date", "previous_stage", "previous_as_of_date"
    ).join(moves, on=[*LIST, "version"], nulls_equal=True)
    return (
        out.select(
            "recon_year",
            "review",
            "index_name",
            pl.col("kind").alias("change"),
            "version",
            "stage",
            "as_of_date",
            "previous_stage",
            "previous_as_of_date",
            "revision",
            "symbol",
            "company",
            pl.col("sha256").alias("source_sha256"),
            pl.col("path").alias("source_path"),
            pl.col("page").alias("source_page"),
            pl.col("line").alias("source_line"),
        )
        .cast(REVISION_COLUMNS)
        .sort("recon_year", "review", "index_name", "change", "version", "revision", "symbol")
    )
