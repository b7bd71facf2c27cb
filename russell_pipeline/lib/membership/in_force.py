"""Who was in each index on a date, as the documents in force that day show it.

The membership of an index on a date is known completely only from a **complete base**: the
membership list in force (the latest placed on a review closed by then) plus every final addition
and deletion list of the reconstitutions since. Without a list in force (only change lists stored),
or after a reconstitution that lacks its final additions or deletions, what the lake holds is
partial: the rows say so (`complete` false), they are never a count of the index.

Each member's name (and sector, where the document prints one) is the one printed by the document
in force for it: the membership list in force, or the final additions list that added it since. A
segment is a span [valid_from, valid_to) in which a member's row in force, the completeness and the
base list stay the same; `members_on(d)` reads the segments covering d.

An index the documents do not list but that two listed indexes give is **derived**: the Russell
1000 is the Russell 3000 minus the Russell 2000 of the same date, on the dates both are complete
(and no Russell 1000 list of its own is); its rows say `derived_from`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import polars as pl

from russell_pipeline.lib.membership.placement import TRACE, Step

IN_FORCE_COLUMNS = {
    "index_name": pl.String,
    "symbol": pl.String,
    "security_id": pl.String,
    "member": pl.Int64,
    "company": pl.String,
    "sector": pl.String,
    "classification": pl.String,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
    "complete": pl.Boolean,
    "lists_whole": pl.Boolean,
    "gaps": pl.String,
    "derived_from": pl.String,
    "base_review": pl.String,
    "base_path": pl.String,
    **{f"source_{k}": t for k, t in TRACE.items()},
    "start_date": pl.Date,
    "end_date": pl.Date,
    "start_review": pl.String,
    "opened_by": pl.String,
    **{f"open_{k}": t for k, t in TRACE.items()},
}
# Indexes no list need cover: name -> (the whole, the part), on dates both are complete.
DERIVED = {"Russell 1000": ("Russell 3000", "Russell 2000")}
_INTERVAL = ["start_date", "end_date", "start_review", "opened_by", *(f"open_{k}" for k in TRACE)]
Span = tuple[date, date]  # [from, to); date.max: no later document


@dataclass(eq=False)
class Segment:
    """A member's span with one row in force, one completeness and one base list (history._Walk)."""

    interval: dict  # the membership_history interval it belongs to
    row: dict  # the document row in force: symbol, company, sector, classification, sha256, path, page, line
    valid_from: date
    lists_whole: bool  # a membership list, then the final change lists of every reconstitution since
    gaps: tuple[str, ...]  # what the lake cannot know besides (missing IPO lists, unplaced deletions)
    base: Step | None  # the membership list in force (None: no list under these members)
    valid_to: date | None = None

    @property
    def complete(self) -> bool:
        return self.lists_whole and not self.gaps

    def record(self) -> tuple:
        """The IN_FORCE_COLUMNS values, in order."""
        i, r, base = self.interval, self.row, self.base
        return (
            i["index_name"],
            i["symbol"],
            i["security_id"],
            i["member"],
            r["company"],
            r["sector"],
            r["classification"],
            self.valid_from,
            self.valid_to,
            self.complete,
            self.lists_whole,
            "; ".join(self.gaps) or None,
            None,
            base and base.review,
            base and base.membership_source["path"],
            r["sha256"],
            r["path"],
            r["page"],
            r["line"],
            *(i[k] for k in _INTERVAL),
        )


def in_force_table(segments: Iterable[Segment]) -> pl.DataFrame:
    """IN_FORCE_COLUMNS: every segment of every listed index, then the derived indexes' rows."""
    listed = pl.DataFrame([s.record() for s in segments], schema=IN_FORCE_COLUMNS, orient="row")
    return pl.concat(
        [listed, *(derived(listed, name, whole, part) for name, (whole, part) in DERIVED.items())]
    ).sort("index_name", "symbol", "valid_from")


def _spans(frame: pl.DataFrame) -> list[Span]:
    return [(a, b or date.max) for a, b in frame.select("valid_from", "valid_to").iter_rows()]


def union(spans: Iterable[Span]) -> list[Span]:
    """The spans merged where they touch or overlap, in order."""
    out: list[Span] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _minus(spans: list[Span], cuts: list[Span]) -> list[Span]:
    """The parts of `spans` outside `cuts` (both in order, each without overlaps)."""
    out = []
    for a, b in spans:
        for c, d in cuts:
            if c < b and d > a:
                if c > a:
                    out.append((a, c))
                a = max(a, d)
        if a < b:
            out.append((a, b))
    return out


def _runs(by: list[str], start: str, end: str) -> pl.Expr:
    """A run number per row (of a frame sorted by `by`, then `start`): a new run where `by` changes or
    a row does not begin where the one before it ends."""
    apart = pl.any_horizontal(
        *(pl.col(c) != pl.col(c).shift(1) for c in by), pl.col(start) != pl.col(end).shift(1)
    )
    return apart.fill_null(True).cum_sum()


def derived(listed: pl.DataFrame, name: str, whole: str, part: str) -> pl.DataFrame:
    """IN_FORCE_COLUMNS of the index `name` = `whole` minus `part`, on the dates both are complete and
    no list of `name` is: the whole's rows (names, traces, base list) of the symbols the part lacks.

    The dates are cut at every boundary of either index's rows into periods in which both are
    constant; a whole's row is kept in the periods its symbol is not in the part, and the periods
    it keeps in a row are joined again."""
    complete = listed.filter(pl.col("complete"))
    of = {k: complete.filter(pl.col("index_name") == k) for k in (name, whole, part)}
    dates = _minus(union(_spans(of[part])), union(_spans(of[name])))
    if of[whole].is_empty() or not dates:
        return pl.DataFrame(schema=IN_FORCE_COLUMNS)
    ends = pl.col("valid_to").fill_null(date.max)
    bounds = sorted(
        {
            *of[whole]["valid_from"],
            *of[part]["valid_from"],
            *of[whole].select(ends).to_series(),
            *of[part].select(ends).to_series(),
            *(d for span in dates for d in span),
        }
    )
    position = {d: k for k, d in enumerate(bounds)}
    inside = [
        k for k in range(len(bounds) - 1) if any(a <= bounds[k] and bounds[k + 1] <= b for a, b in dates)
    ]

    def periods(frame: pl.DataFrame) -> pl.DataFrame:
        at = {
            c: e.replace_strict(position, return_dtype=pl.Int64)
            for c, e in (("a", pl.col("valid_from")), ("b", ends))
        }
        return (
            frame.with_columns(k=pl.int_ranges(at["a"], at["b"]))
            .explode("k")
            .filter(pl.col("k").is_in(inside))
        )

    kept = (
        periods(of[whole].with_row_index("row"))
        .join(periods(of[part]).select("security_id", "k"), on=["security_id", "k"], how="anti")
        .sort("row", "k")
        .with_columns(next_k=pl.col("k") + 1)
    )
    day = {"valid_from": pl.col("k").min(), "valid_to": pl.col("next_k").max()}
    pieces = (
        kept.with_columns(run=_runs(["row"], "k", "next_k"))
        .group_by("run")
        .agg(
            pl.exclude("k", "next_k", "run", "valid_from", "valid_to").first(),
            **{c: e.replace_strict(dict(enumerate(bounds)), return_dtype=pl.Date) for c, e in day.items()},
        )
        .with_columns(index_name=pl.lit(name), derived_from=pl.lit(f"{whole} minus {part}"))
        .sort("symbol", "valid_from")
    )
    span = pieces.with_columns(interval=_runs(["symbol", "member"], "valid_from", "valid_to"))
    return (
        span.with_columns(
            start_date=pl.col("valid_from").min().over("interval"),
            end_date=pl.col("valid_to").max().over("interval"),
        )
        .with_columns(
            *(pl.when(pl.col(c) < date.max).then(pl.col(c)).alias(c) for c in ("valid_to", "end_date")),
            start_review=pl.lit(None, pl.String),
            opened_by=pl.lit("derived"),
            **{f"open_{k}": pl.lit(None, t) for k, t in TRACE.items()},
        )
        .select(list(IN_FORCE_COLUMNS))
        .cast(IN_FORCE_COLUMNS)
    )


def coverage(in_force: pl.DataFrame) -> pl.DataFrame:
    """index_name, complete, valid_from, valid_to: the spans in which the lake holds members of each
    index, complete or partial (valid_to null: no later document)."""
    rows = [
        (index, flag, a, None if b == date.max else b)
        for (index, flag), group in in_force.group_by("index_name", "complete")
        for a, b in union(_spans(group))
    ]
    return pl.DataFrame(
        rows,
        schema={"index_name": pl.String, "complete": pl.Boolean, "valid_from": pl.Date, "valid_to": pl.Date},
        orient="row",
    ).sort("index_name", "valid_from")
