"""Where each published list belongs: the review it takes effect at, and its version there.

Lists are placed on the reviews of recon_calendar by their date. A membership list shows the
index after the latest review closed on or before its date; an addition or deletion list takes
effect at the first effective open (the session after recon_close) on or after its date. The
versions of one list (preliminary, updates, final) are ordered by stage, then date, then path;
membership follows the last membership list and the last final change lists of each review.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from russell_pipeline.lib.calendar.reviews import review_dates

STAGE_ORDER = {"preliminary": 0, "update": 1, "final": 2}
# A list is dated within a quarter of the review it belongs to (preliminary lists come five weeks
# ahead, membership lists on the recon_close or the effective open); further off, the calendar
# lacks its review and the document is reported, not placed on a neighbouring one.
PLACEMENT_DAYS = 92

DOCUMENT_COLUMNS = {
    "recon_year": pl.Int64,
    "index_name": pl.String,
    "kind": pl.String,
    "stage": pl.String,
    "as_of_date": pl.Date,
    "sha256": pl.String,
    "path": pl.String,
    "rows": pl.Int64,
}
ROW_COLUMNS = {
    "recon_year": pl.Int64,
    "index_name": pl.String,
    "kind": pl.String,
    "stage": pl.String,
    "as_of_date": pl.Date,
    "symbol": pl.String,
    "company": pl.String,
    "sector": pl.String,
    "classification": pl.String,
    "sha256": pl.String,
    "page": pl.Int64,
    "line": pl.Int64,
}
PLACEMENT = ["review", "review_type", "effective_date"]
# The reviews an index steps through without a document: a reconstitution (its lists missing, what
# was known ends there) and a quarterly IPO review (its additions missing, the membership has a gap).
UNDOCUMENTED_STEPS = ("annual_reconstitution", "semi_annual_reconstitution", "quarterly_ipo")
# What a step keeps of each document row (Step).
ROW_KEYS = ("symbol", "security_id", "company", "sector", "classification", "sha256", "path", "page", "line")
TRACE = {"sha256": pl.String, "path": pl.String, "page": pl.Int64, "line": pl.Int64}  # a document row


def trace(prefix: str, row: dict | None) -> dict:
    """The TRACE fields of a document row as `<prefix>_sha256`, ... (all null without a row)."""
    return {f"{prefix}_{k}": (row or {}).get(k) for k in TRACE}


def document_rows(constituents: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """Every list row (membership lists and addition/deletion lists) in one shape (ROW_COLUMNS)."""
    none = pl.lit(None, pl.String)
    lists = constituents.select(
        "recon_year",
        "index_name",
        pl.lit("membership").alias("kind"),
        none.alias("stage"),
        "as_of_date",
        "symbol",
        "company",
        none.alias("sector"),
        none.alias("classification"),
        pl.col("source_sha256").alias("sha256"),
        pl.col("source_page").alias("page"),
        pl.col("source_line").alias("line"),
    )
    moves = changes.select(
        "recon_year",
        "index_name",
        pl.col("change").alias("kind"),
        "stage",
        "as_of_date",
        "symbol",
        "company",
        "sector",
        "classification",
        pl.col("source_sha256").alias("sha256"),
        pl.col("source_page").alias("page"),
        pl.col("source_line").alias("line"),
    )
    return pl.concat([lists.cast(ROW_COLUMNS), moves.cast(ROW_COLUMNS)])


def list_documents(rows: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """One row per list document (DOCUMENT_COLUMNS): its kind, stage, date and path."""
    key = ["recon_year", "index_name", "kind", "stage", "as_of_date", "sha256"]
    paths = sources.select("recon_year", pl.col("sha256"), "path").unique(["recon_year", "sha256"])
    return (
        rows.group_by(key)
        .agg(pl.len().cast(pl.Int64).alias("rows"))
        .join(paths, on=["recon_year", "sha256"], how="left")
        .select(list(DOCUMENT_COLUMNS))
    )


def place_lists(lists: pl.DataFrame, reviews: pl.DataFrame) -> pl.DataFrame:
    """`lists` (rows with recon_year, kind, as_of_date) with the review each takes effect at:
    `review_year` and PLACEMENT, null when the calendar has none within PLACEMENT_DAYS.

    A membership list shows the index after the latest review closed on or before its date; a
    change list takes effect at the first effective open on or after its date. An undated list
    belongs to its year's annual reconstitution."""
    tolerance, columns = timedelta(days=PLACEMENT_DAYS), [*lists.columns, "review_year", *PLACEMENT]
    dated = lists.filter(pl.col("as_of_date").is_not_null()).sort("as_of_date")
    right = reviews.drop_nulls("recon_close").select(
        pl.col("recon_year").alias("review_year"),
        "review",
        "review_type",
        pl.col("effective_open").alias("effective_date"),
        "recon_close",
    )
    members = dated.filter(pl.col("kind") == "membership").join_asof(
        right.sort("recon_close"),
        left_on="as_of_date",
        right_on="recon_close",
        strategy="backward",
        tolerance=tolerance,
    )
    moves = dated.filter(pl.col("kind") != "membership").join_asof(
        right.sort("effective_date"),
        left_on="as_of_date",
        right_on="effective_date",
        strategy="forward",
        tolerance=tolerance,
    )
    annual = right.filter(pl.col("review_type") == "annual_reconstitution").with_columns(
        pl.col("review_year").alias("recon_year")
    )
    undated = lists.filter(pl.col("as_of_date").is_null()).join(annual, on="recon_year", how="left")
    return pl.concat([f.select(columns) for f in (members, moves, undated)])


def place_documents(documents: pl.DataFrame, reviews: pl.DataFrame) -> pl.DataFrame:
    """Each document with the review it belongs to (`place_lists`; null when the calendar has none),
    and its `version` within (index, review, kind), ordered by stage, then date (undated last), then path."""
    placed = place_lists(documents, reviews).select(*DOCUMENT_COLUMNS, *PLACEMENT)
    placed = placed.with_columns(
        pl.when(pl.col("index_name").is_null()).then(None).otherwise(pl.col(c)).alias(c) for c in PLACEMENT
    )
    return placed.sort(*versions_key()).with_columns(
        version=pl.int_range(1, pl.len() + 1)
        .over(["index_name", "review", "review_type", "kind"])
        .cast(pl.Int64)
    )


def placed_lists(
    constituents: pl.DataFrame, changes: pl.DataFrame, sources: pl.DataFrame, calendar: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(document_rows, place_documents, review_dates) of the stored list tables on the calendar."""
    reviews = review_dates(calendar)
    rows = document_rows(constituents, changes)
    return rows, place_documents(list_documents(rows, sources), reviews), reviews


def versions_key() -> list:
    """Sort order of a list's versions: preliminary, updates, final; then by date; then by path."""
    stage = pl.col("stage").replace_strict(STAGE_ORDER, default=len(STAGE_ORDER), return_dtype=pl.Int64)
    return [
        pl.col("index_name"),
        pl.col("review"),
        pl.col("kind"),
        stage,
        pl.col("as_of_date").fill_null(date.max),
        pl.col("path"),
        pl.col("sha256"),
    ]


def in_force(placed: pl.DataFrame) -> pl.DataFrame:
    """The documents membership follows: the last membership list and the last final change list
    of each kind per index and review (a later final copy replaces an earlier one)."""
    usable = placed.filter(
        pl.col("review").is_not_null() & ((pl.col("kind") == "membership") | (pl.col("stage") == "final"))
    )
    return usable.filter(
        pl.col("version") == pl.col("version").max().over(["index_name", "review", "review_type", "kind"])
    )


def unplaced(placed: pl.DataFrame) -> pl.DataFrame:
    """Documents that cannot be placed on a review, with the reason."""
    reason = (
        pl.when(pl.col("index_name").is_null())
        .then(pl.lit("the list names no index"))
        .when(pl.col("as_of_date").is_null())
        .then(pl.lit("undated, and recon_calendar has no annual reconstitution for its year"))
        .otherwise(pl.lit(f"recon_calendar has no review within {PLACEMENT_DAYS} days of its date"))
    )
    return placed.filter(pl.col("review").is_null()).select(
        "recon_year", "path", "kind", "stage", "index_name", "as_of_date", reason.alias("problem")
    )


@dataclass
class Step:
    """One review of one index: its date and the lists in force there ({security: row} or None; a row
    is the document's: its `symbol` as printed, its `security_id`, company, trace)."""

    review: str
    review_type: str
    effective_date: date
    membership: dict | None = None
    addition: dict | None = None
    deletion: dict | None = None
    membership_source: dict | None = None  # the membership list itself (sha256, path): what an absence cites
    # Symbols of the earlier versions of this review's change lists (preliminary, updates, a
    # replaced final copy), by kind: what a difference between list versions is traced to.
    earlier: dict[str, dict] = field(default_factory=lambda: {"addition": {}, "deletion": {}})

    @property
    def reconstitution(self) -> bool:
        return self.review_type != "quarterly_ipo"


def index_steps(
    rows: pl.DataFrame, placed: pl.DataFrame, reviews: pl.DataFrame
) -> Iterator[tuple[str, list[Step]]]:
    """Per index: its reviews in effective order from its first document on (every review, documented
    or not), with their lists keyed by security: `rows`' `security_id` (lib/securities/master.py), else
    the symbol printed."""
    if "security_id" not in rows.columns:
        rows = rows.with_columns(security_id=pl.col("symbol"))
    current = in_force(placed).select("recon_year", "sha256", current=pl.lit(True))
    docs = (
        placed.filter(pl.col("review").is_not_null())
        .join(current, on=["recon_year", "sha256"], how="left")
        .select("recon_year", "sha256", "path", *PLACEMENT, "version", pl.col("current").fill_null(False))
    )
    located = rows.join(docs, on=["recon_year", "sha256"])
    for (index,), group in located.sort("index_name").group_by("index_name", maintain_order=True):
        steps: dict[tuple[str, str], Step] = {}
        for r in group.sort("version", "page", "line").iter_rows(named=True):
            step = steps.setdefault(
                (r["review"], r["review_type"]), Step(r["review"], r["review_type"], r["effective_date"])
            )
            row = {k: r[k] for k in ROW_KEYS}
            if not r["current"]:
                if r["kind"] != "membership":
                    step.earlier[r["kind"]].setdefault(r["security_id"], row)
                continue
            found = getattr(step, r["kind"])
            if found is None:
                found = {}
                setattr(step, r["kind"], found)
                if r["kind"] == "membership":
                    step.membership_source = row | {"page": None, "line": None}
            found.setdefault(r["security_id"], row)
        first = min(s.effective_date for s in steps.values())
        undocumented = [  # a reconstitution without them ends what is known; an IPO review leaves a gap
            Step(r["review"], r["review_type"], r["effective_open"])
            for r in reviews.filter(
                (pl.col("effective_open") > first) & pl.col("review_type").is_in(UNDOCUMENTED_STEPS)
            ).iter_rows(named=True)
            if (r["review"], r["review_type"]) not in steps
        ]
        yield index, sorted([*steps.values(), *undocumented], key=lambda s: (s.effective_date, s.review_type))
