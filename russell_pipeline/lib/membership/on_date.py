"""The answer to "who was in the index on this date": the members where the lake knows them whole,
and for every other index asked, one clause saying what it holds instead (lib/membership/in_force.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from russell_pipeline.lib.membership.in_force import DERIVED


@dataclass(frozen=True)
class Answer:
    members: pl.DataFrame  # the rows of members_on for the indexes counted whole
    notes: list[str]  # one line per index counted: its count and what it rests on
    uncounted: list[str]  # one clause per index asked whose count the lake cannot give

    def error(self, day: date) -> str:
        return (
            f"members {day}: no count for " + "; ".join(self.uncounted) + " (the rows it holds, each marked "
            f"complete or not: russell-pipeline query \"SELECT * FROM members_on(DATE '{day}')\")"
        )


def _spans(spans: pl.DataFrame, index: str) -> str:
    known = spans.filter(pl.col("index_name") == index, pl.col("complete"))
    text = ", ".join(
        f"[{a}, {b or 'no later document'})" for a, b in known.select("valid_from", "valid_to").iter_rows()
    )
    return f"its membership is known whole over {text}" if text else "no complete membership of it is stored"


def before_first(day: date, spans: pl.DataFrame, index: str | None = None) -> str | None:
    """The answer for a date before the first the lake can count (of `index`, or of any index), in
    one line that starts with that first date; None when `day` is not before it. `spans`:
    in_force.coverage."""
    whole = spans.filter(pl.col("complete"))
    if index is not None:
        whole = whole.filter(pl.col("index_name") == index)
    if not whole.height:
        return None
    first = whole["valid_from"].min()
    if day >= first:
        return None
    names = ", ".join(sorted(whole.filter(pl.col("valid_from") == first)["index_name"].unique()))
    return (
        f"members {day}: the first date the lake can answer is {first} ({names}: "
        f"russell-pipeline members {first}); {day} is before the first membership list stored"
    )


def known_whole(spans: pl.DataFrame) -> str:
    """Where each index's membership is known whole (`spans`: in_force.coverage), in words."""
    whole = spans.filter(pl.col("complete"))
    if not whole.height:
        return "no index's membership is stored whole: it needs a membership list"
    return "known whole: " + "; ".join(
        f"{name} [{a}, {b or 'no later document'})"
        for name, a, b in whole.select("index_name", "valid_from", "valid_to").iter_rows()
    )


def _rests_on(rows: pl.DataFrame) -> str:
    head = rows.row(0, named=True)
    if head["derived_from"] is not None:
        return f"derived: {head['derived_from']} of the same date (lists of {head['base_review']})"
    later = rows.filter(pl.col("source_path") != pl.col("base_path")).height
    return f"the membership list of {head['base_review']} in force ({head['base_path']})" + (
        f", {later} of them from final additions since" if later else ""
    )


def _partial(rows: pl.DataFrame, summary: pl.DataFrame, index: str) -> str:
    """What the lake holds of an index on a date it cannot count whole."""
    head = rows.sort("start_review", descending=True, nulls_last=True).row(0, named=True)
    gaps = "; ".join(dict.fromkeys(g for g in rows["gaps"].drop_nulls()))
    why = (
        "no membership list is in force"
        if head["base_review"] is None
        else f"what the lake lacks since the membership list of {head['base_review']}: {gaps}"
        if gaps
        else f"the final change lists since the membership list of {head['base_review']} are not all stored"
    )
    added = rows.filter(pl.col("opened_by") == "addition")
    held = f"the lake holds {rows.height} of its members"
    review = added["start_review"].max()
    if review is not None:
        done = summary.filter(pl.col("index_name") == index, pl.col("review") == review)
        deletions = done["deletions"].max() if done.height else None
        held += (
            f" ({added.height} added by the final additions of {review}; its final deletions: "
            + (f"{deletions} rows" if deletions is not None else "no list stored")
            + ")"
        )
    return f"{why}; {held}"


def answer(
    day: date,
    asked: list[str],
    on_day: pl.DataFrame,
    spans: pl.DataFrame,
    summary: pl.DataFrame,
    gaps: dict[str, str] | None = None,
) -> Answer:
    """`on_day`: members_on(day) of the indexes `asked`; `spans`: in_force.coverage; `summary`:
    membership_reconciliation_summary (the change lists each reconstitution has); `gaps`: what each
    index lacks that day ({index: gaps}, from members_on(day) of every index), for a derived index's
    parts."""
    gaps = gaps or {}
    counted, notes, uncounted = [], [], []
    for index in asked:
        rows = on_day.filter(pl.col("index_name") == index)
        if rows.height and rows["complete"].all():
            counted.append(index)
            notes.append(
                f"{index} on {day}: {rows.height} members; {_rests_on(rows)}; {_spans(spans, index)}"
            )
        elif rows.height:
            uncounted.append(f"{index}: {_partial(rows, summary, index)}; {_spans(spans, index)}")
        elif index in DERIVED:
            whole, part = DERIVED[index]
            lacks = "".join(f"; {name} lacks: {gaps[name]}" for name in (whole, part) if gaps.get(name))
            uncounted.append(
                f"{index}: no list of its own covers {day}, and it is derived as {whole} minus {part} "
                f"only where both are stored whole; {whole}: {_spans(spans, whole)}; "
                f"{part}: {_spans(spans, part)}{lacks}"
            )
        else:
            uncounted.append(f"{index}: no stored document covers {day}; {_spans(spans, index)}")
    return Answer(on_day.filter(pl.col("index_name").is_in(counted)), notes, uncounted)
