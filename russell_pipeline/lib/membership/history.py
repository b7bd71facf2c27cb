"""Membership history: the intervals in which each symbol was in each index, from the published lists.

A membership list is the index as it stands after a review; the final addition and deletion lists
are the changes that take effect at the review's effective open (the first session after
recon_close). Each document is placed on the review its date belongs to (recon_calendar), and each
interval [start_date, end_date) is traced to the document rows that open and close it.

Nothing is inferred beyond what the documents say. A ticker is one member while it stays in the
index; when it leaves and comes back under a name that shares no word with the one it left under
(lib/securities/identity.py), it is another company's: `member` counts them. Membership before an
index's first document is unknown (`first_listed`), and at a reconstitution no deletion list or
membership list covers, the intervals in force end (`not_covered`): who stayed is unknown, not
assumed. Beside the intervals, the walk records for each member the document row in force (the
latest list or addition printing it) and whether the index's membership is complete there: a
membership list in force and every final change list since (lib/membership/in_force.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from russell_pipeline.lib.membership import in_force, placement
from russell_pipeline.lib.membership.in_force import Segment
from russell_pipeline.lib.membership.placement import TRACE, Step, trace
from russell_pipeline.lib.membership.reconcile import reconcile_membership
from russell_pipeline.lib.membership.revisions import list_revisions
from russell_pipeline.lib.securities.identity import same_company, significant_words

LIST_SIGHTINGS = ("membership_list", "addition", "deletion")  # the master's sightings of list rows
HISTORY_COLUMNS = {
    "index_name": pl.String,
    "symbol": pl.String,
    "security_id": pl.String,
    "member": pl.Int64,
    "company": pl.String,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "start_review": pl.String,
    "end_review": pl.String,
    "opened_by": pl.String,
    "closed_by": pl.String,
    **{f"open_{k}": t for k, t in TRACE.items()},
    **{f"close_{k}": t for k, t in TRACE.items()},
}


class _Walk:
    """One index's reviews in effective order: its intervals, and each member's segments
    (lib/membership/in_force.py). Members are keyed by security (placement.index_steps): a member
    printed under a new ticker is the same member, its interval closed and opened again `renamed`."""

    def __init__(self, index: str):
        self.index = index
        self.intervals: list[dict] = []  # every interval, in the order opened
        self.current: dict[str, dict] = {}  # security -> its open interval
        self.shown: dict[str, Segment] = {}  # security -> its open segment
        self.segments: list[Segment] = []
        # Whether `current` is the whole index as the lists give it: a membership list, then the final
        # change lists of every reconstitution since.
        self.lists_whole = False
        # What the lake cannot know since that list: the quarterly IPO reviews whose additions are not
        # stored, and a clause per review whose deletions name companies it cannot place among the members.
        self.missing_ipo: tuple[str, ...] = ()
        self.unplaced: tuple[str, ...] = ()
        self.base: Step | None = None  # the membership list the current members rest on

    @property
    def gaps(self) -> tuple[str, ...]:
        """What the lake cannot know since the membership list in force, one clause each (none where the
        lists are not whole: the index is not known whole then for want of a list)."""
        if not self.lists_whole:
            return ()
        if not self.missing_ipo:
            return self.unplaced
        *rest, last = self.missing_ipo
        said = f"{', '.join(rest)} and {last}" if rest else last
        return (f"the quarterly IPO additions of {said} are not in the lake", *self.unplaced)

    def begin(self, key: str, step: Step | None, how: str | None, row: dict) -> dict:
        interval = {
            "index_name": self.index,
            "symbol": row["symbol"],
            "security_id": key,
            "company": row["company"],
            "start_date": step and step.effective_date,
            "start_review": step and step.review,
            "opened_by": how,
            **trace("open", row if step else None),
            "end_date": None,
            "end_review": None,
            "closed_by": None,
            **trace("close", None),
        }
        self.intervals.append(interval)
        return interval

    def end(self, interval: dict, step: Step, how: str, row: dict | None) -> None:
        interval.update(
            end_date=step.effective_date, end_review=step.review, closed_by=how, **trace("close", row)
        )
        segment = self.shown.get(interval["security_id"])
        if segment is not None and segment.interval is interval:
            segment.valid_to = step.effective_date
            del self.shown[interval["security_id"]]

    def step(self, step: Step) -> None:
        listed, added, deleted = step.membership, step.addition or {}, step.deletion
        printed = {**(deleted or {}), **added, **(listed or {})}
        unplaced = []
        for key, row in (deleted or {}).items():
            if listed is not None and key in listed:
                continue  # the membership list contradicts the deletion; the reconciliation reports it
            key = key if key in self.current else self._same_name(row, printed)
            if key is None:  # a deletion of a company no earlier document lists: a member until here
                unplaced.append(row["symbol"])
                self.end(self.begin(row["security_id"], None, None, row), step, "deletion", row)
            else:
                self.end(self.current.pop(key), step, "deletion", row)
        if listed is not None:
            for key in [k for k in self.current if k not in listed]:
                self.end(self.current.pop(key), step, "not_listed", step.membership_source)
            for key, row in listed.items():
                how = "addition" if key in added else "listed" if self.lists_whole else "first_listed"
                self._open(key, step, how, added.get(key, row))
            self.lists_whole, self.missing_ipo, self.unplaced, self.base = True, (), (), step
            self.show(step)
            return
        if step.reconstitution and deleted is None:
            for key in list(self.current):
                self.end(self.current.pop(key), step, "not_covered", None)
            self.base = None
        for key, row in added.items():
            self._open(key, step, "addition", row)
        if step.reconstitution:
            self.lists_whole = self.lists_whole and step.addition is not None and deleted is not None
        elif step.addition is None:
            self.missing_ipo += (step.review,)
        if unplaced:
            which = "company" if len(unplaced) == 1 else "companies"
            self.unplaced += (
                (
                    f"the final deletions of {step.review} name {len(unplaced)} {which} the lake cannot "
                    f"place among the members ({', '.join(sorted(unplaced))}: renamed since the list, or "
                    "added without a list it holds)"
                ),
            )
        self.show(step)

    def _open(self, key: str, step: Step, how: str, row: dict) -> None:
        """`key`'s interval from `step` on, as `row` prints it: a new one where it is not a member, and
        where it is one under another ticker, its interval closed and a new one opened `renamed`."""
        interval = self.current.get(key)
        if interval is not None and interval["symbol"] == row["symbol"]:
            return
        if interval is not None:
            self.end(interval, step, "renamed", row)
            how = "renamed"
        self.current[key] = self.begin(key, step, how, row)

    def _same_name(self, row: dict, printed: dict) -> str | None:
        """The one member no row of this review prints whose name is the deleted row's (the same
        significant words): the company renamed its ticker only; None when none or several."""
        words = significant_words(row["company"])
        found = [
            k
            for k, interval in self.current.items()
            if k not in printed and words and significant_words(interval["company"]) == words
        ]
        return found[0] if len(found) == 1 else None

    def show(self, step: Step) -> None:
        """After `step`: a new segment for each member whose row in force, completeness or base changed."""
        day, printed = step.effective_date, {**(step.addition or {}), **(step.membership or {})}
        for key, interval in self.current.items():
            old = self.shown.get(key)
            row = printed.get(key) or old.row
            if (
                old is not None
                and old.row is row
                and old.gaps == self.gaps
                and old.lists_whole == self.lists_whole
                and old.base is self.base
            ):
                continue
            if old is not None:
                old.valid_to = day
            self.shown[key] = Segment(interval, row, day, self.lists_whole, self.gaps, self.base)
            self.segments.append(self.shown[key])

    def number_members(self) -> None:
        """`member` of every interval: 1 for the first company the documents show under the ticker, one
        more each time it comes back under a name sharing no word with the one it left under."""
        names: dict[int, list[str]] = {}
        for segment in self.segments:
            names.setdefault(id(segment.interval), []).append(segment.row["company"])
        by_symbol: dict[str, list[dict]] = {}
        for interval in self.intervals:
            by_symbol.setdefault(interval["symbol"], []).append(interval)
        for intervals in by_symbol.values():
            member, left_as = 1, None
            for interval in sorted(
                intervals, key=lambda i: (i["end_date"] or date.max, i["start_date"] or date.min)
            ):
                shown = names.get(id(interval)) or [interval["company"]]
                if left_as is not None and not same_company(left_as, shown[0], interval["symbol"]):
                    member += 1
                interval["member"], left_as = member, shown[-1]


def _walks(indexes: list[tuple[str, list[Step]]]) -> list[_Walk]:
    walks = []
    for index, steps in indexes:
        walk = _Walk(index)
        for step in steps:
            walk.step(step)
        walk.number_members()
        walks.append(walk)
    return walks


def _history(walks: list[_Walk]) -> pl.DataFrame:
    """HISTORY_COLUMNS: one row per interval of membership of a symbol in an index."""
    return pl.DataFrame([i for w in walks for i in w.intervals], schema=HISTORY_COLUMNS).sort(
        "index_name", "symbol", pl.col("start_date").fill_null(date.min), "end_date"
    )


def overlapping_intervals(history: pl.DataFrame) -> pl.DataFrame:
    """Intervals of one symbol in one index that begin before the one ending before them has ended
    (an interval whose start is unknown overlaps nothing)."""
    symbol = ["index_name", "symbol"]
    ordered = history.sort(*symbol, pl.col("end_date").fill_null(date.max))
    previous_end = pl.col("end_date").shift(1).over(symbol)
    has_previous = pl.int_range(pl.len()).over(symbol) > 0
    return ordered.filter(
        has_previous
        & pl.col("start_date").is_not_null()
        & (previous_end.is_null() | (previous_end > pl.col("start_date")))
    )


@dataclass(frozen=True)
class MembershipTables:
    history: pl.DataFrame  # HISTORY_COLUMNS
    in_force: pl.DataFrame  # in_force.IN_FORCE_COLUMNS: each member's row in force, and the derived indexes
    reconciliation: pl.DataFrame  # membership_reconcile.DIFFERENCE_COLUMNS
    summary: (
        pl.DataFrame
    )  # membership_reconcile.SUMMARY_COLUMNS: what each reconstitution could be checked for
    revisions: pl.DataFrame  # revisions.REVISION_COLUMNS
    unplaced: pl.DataFrame  # list documents no review of the calendar takes, with the problem


def membership_tables(
    constituents: pl.DataFrame,
    changes: pl.DataFrame,
    sources: pl.DataFrame,
    calendar: pl.DataFrame,
    keyed: pl.DataFrame | None = None,
) -> MembershipTables:
    """Everything the membership tables hold, from the document tables and the calendar; `keyed`: the
    security master's sightings (lib/securities/master.py `Master.keyed`), which give each list row its
    security (without it, each symbol is its own)."""
    rows, placed, reviews = placement.placed_lists(constituents, changes, sources, calendar)
    if keyed is not None:
        # A row is its document, page, line and symbol (two tables side by side share a line).
        on = ["sha256", "page", "line", "symbol"]
        ids = keyed.filter(pl.col("kind").is_in(LIST_SIGHTINGS)).select(
            *on[:3], symbol="ticker", security_id="security_id"
        )
        rows = rows.join(ids.unique(on), on=on, how="left")
        rows = rows.with_columns(pl.col("security_id").fill_null(pl.col("symbol")))
    indexes = list(placement.index_steps(rows, placed, reviews))
    differences, summary = reconcile_membership(indexes)
    walks = _walks(indexes)
    return MembershipTables(
        _history(walks),
        in_force.in_force_table([s for w in walks for s in w.segments]),
        differences,
        summary,
        list_revisions(rows, placed),
        placement.unplaced(placed),
    )
