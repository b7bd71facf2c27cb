"""Membership history: the intervals in which each symbol was in each index, from the published lists.

A membership list is the index as it stands after a review; the final addition and deletion lists
are the changes that take effect at the review's effective open (the first session after
recon_close). Each document is placed on the review its date belongs to (recon_calendar), and each
interval [start_date, end_date) is traced to the document rows that open and close it.

Nothing is inferred beyond what the documents say. A symbol is its own identity: a ticker change
is one interval closing and another opening. Membership before an index's first document is
unknown (`first_listed`), and at a reconstitution no deletion list or membership list covers, the
intervals in force end (`not_covered`): who stayed is unknown, not assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from russell_pipeline.lib.membership import placement
from russell_pipeline.lib.membership.placement import Step
from russell_pipeline.lib.membership.reconcile import reconcile_membership
from russell_pipeline.lib.membership.revisions import list_revisions

_TRACE = {"sha256": pl.String, "path": pl.String, "page": pl.Int64, "line": pl.Int64}
HISTORY_COLUMNS = {
    "index_name": pl.String, "symbol": pl.String, "company": pl.String,
    "start_date": pl.Date, "end_date": pl.Date, "start_review": pl.String, "end_review": pl.String,
    "opened_by": pl.String, "closed_by": pl.String,
    **{f"open_{k}": t for k, t in _TRACE.items()}, **{f"close_{k}": t for k, t in _TRACE.items()},
}


def _trace(prefix: str, row: dict | None) -> dict:
    return {f"{prefix}_{k}": (row or {}).get(k) for k in _TRACE}


def _index_history(index: str, steps: list[Step]) -> list[dict]:
    done: list[dict] = []
    current: dict[str, dict] = {}
    complete = False  # whether `current` is the whole index (a list, then complete change lists)

    def begin(symbol: str, step: Step | None, how: str | None, row: dict) -> dict:
        return {"index_name": index, "symbol": symbol, "company": row["company"],
                "start_date": step and step.effective_date, "start_review": step and step.review,
                "opened_by": how, **_trace("open", row if step else None)}

    def end(interval: dict, step: Step, how: str, row: dict | None) -> None:
        done.append(interval | {"end_date": step.effective_date, "end_review": step.review, "closed_by": how,
                                **_trace("close", row)})

    for step in steps:
        listed, added, deleted = step.membership, step.addition or {}, step.deletion
        for symbol, row in (deleted or {}).items():
            if listed is not None and symbol in listed:
                continue  # the membership list contradicts the deletion; the reconciliation reports it
            # A deletion of a symbol no earlier document lists: a member until here, since unknown.
            end(current.pop(symbol) if symbol in current else begin(symbol, None, None, row), step, "deletion", row)
        if listed is not None:
            for symbol in [s for s in current if s not in listed]:
                end(current.pop(symbol), step, "not_listed", step.membership_source)
            for symbol, row in listed.items():
                if symbol not in current:
                    how = "addition" if symbol in added else "listed" if complete else "first_listed"
                    current[symbol] = begin(symbol, step, how, added.get(symbol, row))
            complete = True
            continue
        if step.reconstitution and deleted is None:
            for symbol in list(current):
                end(current.pop(symbol), step, "not_covered", None)
        for symbol, row in added.items():
            if symbol not in current:
                current[symbol] = begin(symbol, step, "addition", row)
        if step.reconstitution:
            complete = complete and step.addition is not None and deleted is not None
    return done + [i | {"end_date": None, "end_review": None, "closed_by": None, **_trace("close", None)}
                   for i in current.values()]


def membership_history(rows: pl.DataFrame, placed: pl.DataFrame, reviews: pl.DataFrame) -> pl.DataFrame:
    """HISTORY_COLUMNS: one row per interval of membership of a symbol in an index."""
    intervals = [i for index, steps in placement.index_steps(rows, placed, reviews) for i in _index_history(index, steps)]
    return (pl.DataFrame(intervals, schema=HISTORY_COLUMNS)
            .sort("index_name", "symbol", pl.col("start_date").fill_null(date.min), "end_date"))


def overlapping_intervals(history: pl.DataFrame) -> pl.DataFrame:
    """Intervals of one symbol in one index that begin before the one ending before them has ended
    (an interval whose start is unknown overlaps nothing)."""
    symbol = ["index_name", "symbol"]
    ordered = history.sort(*symbol, pl.col("end_date").fill_null(date.max))
    previous_end = pl.col("end_date").shift(1).over(symbol)
    has_previous = pl.int_range(pl.len()).over(symbol) > 0
    return ordered.filter(has_previous & pl.col("start_date").is_not_null()
                          & (previous_end.is_null() | (previous_end > pl.col("start_date"))))


@dataclass(frozen=True)
class MembershipTables:
    history: pl.DataFrame  # HISTORY_COLUMNS
    reconciliation: pl.DataFrame  # membership_reconcile.DIFFERENCE_COLUMNS
    summary: pl.DataFrame  # membership_reconcile.SUMMARY_COLUMNS: what each reconstitution could be checked for
    revisions: pl.DataFrame  # revisions.REVISION_COLUMNS
    unplaced: pl.DataFrame  # list documents no review of the calendar takes, with the problem


def membership_tables(constituents: pl.DataFrame, changes: pl.DataFrame, sources: pl.DataFrame,
                      calendar: pl.DataFrame) -> MembershipTables:
    """Everything the membership tables hold, from the document tables and the calendar."""
    reviews = placement.review_dates(calendar)
    rows = placement.document_rows(constituents, changes)
    placed = placement.place_documents(placement.list_documents(rows, sources), reviews)
    differences, summary = reconcile_membership(rows, placed, reviews)
    return MembershipTables(membership_history(rows, placed, reviews), differences, summary,
                            list_revisions(rows, placed), placement.unplaced(placed))


def coverage(history: pl.DataFrame) -> pl.DataFrame:
    """index_name, start_date, end_date: the spans in which the documents say who was in each index
    (the union of its intervals with a known start; end_date null: no later document)."""
    known = (history.filter(pl.col("start_date").is_not_null())
             .select("index_name", "start_date", pl.col("end_date").fill_null(date.max))
             .sort("index_name", "start_date"))
    reach = pl.col("end_date").cum_max().shift(1).over("index_name")
    spans = known.with_columns(span=(reach.is_null() | (pl.col("start_date") > reach)).cum_sum().over("index_name"))
    return (spans.group_by("index_name", "span").agg(pl.col("start_date").min(), pl.col("end_date").max())
            .sort("index_name", "start_date")
            .select("index_name", "start_date", pl.when(pl.col("end_date") < date.max).then(pl.col("end_date"))))
