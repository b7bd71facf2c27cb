"""The calendar a year ends with: its published schedule documents read and applied over the
projection by rule, published dates winning and projected ones kept visible."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from russell_pipeline.lib.calendar.projection import (
    CALENDAR_SCHEMA,
    FIRST_YEAR,
    KEY,
    REPEATING_EVENTS,
    project_calendar,
    with_occurrence,
)
from russell_pipeline.lib.calendar.schedules import CONTRADICTION_SCHEMA, PublishedSchedule, parse_schedule
from russell_pipeline.lib.documents.limits import Limits
from russell_pipeline.lib.documents.raw_files import list_year
from russell_pipeline.lib.documents.reading import Document, read_document
from russell_pipeline.lib.errors import InputError


def reconcile(projected: pl.DataFrame, published: pl.DataFrame | None) -> pl.DataFrame:
    """Final calendar: published wins per (review, review_type, event, occurrence); projected_date kept.

    Several documents may publish the same event: pass them oldest first, the last one wins
    (repeating events keep every distinct date). `published` None means no schedule documents."""
    projected = projected.select(list(CALENDAR_SCHEMA)).cast(CALENDAR_SCHEMA)
    if published is None or published.is_empty():  # most years: the projection as it stands
        return projected.with_columns(projected_date="date").sort("date", *KEY)
    published = published.select(list(CALENDAR_SCHEMA)).cast(CALENDAR_SCHEMA)
    repeating = pl.col("event").is_in(list(REPEATING_EVENTS))
    several = published.filter(repeating).unique([*KEY, "date"], keep="first", maintain_order=True)
    one_off = published.filter(~repeating).unique(KEY, keep="last", maintain_order=True)
    published = pl.concat([several, one_off])
    projected = with_occurrence(projected)
    on = [*KEY, "occurrence"]
    joined = projected.join(with_occurrence(published), on=on, how="full", coalesce=True, suffix="_pub")
    has_pub = pl.col("date_pub").is_not_null()
    out = joined.select(
        pl.coalesce("recon_year_pub", "recon_year").alias("recon_year"),
        *KEY,
        date=pl.coalesce("date_pub", "date"),
        source=pl.when(has_pub).then("source_pub").otherwise("source"),
        source_sha256=pl.when(has_pub).then("source_sha256_pub").otherwise("source_sha256"),
        basis=pl.when(has_pub).then("basis_pub").otherwise("basis"),
        projected_date="date",
    )
    return out.sort("date", "review", "review_type", "event")


def disagreements(calendar: pl.DataFrame) -> pl.DataFrame:
    """Published events whose date differs from the projection, or that the rules do not project."""
    differ = calendar.filter(
        (pl.col("source") == "published")
        & (pl.col("projected_date").is_null() | (pl.col("date") != pl.col("projected_date")))
    )
    days_off = (pl.col("date") - pl.col("projected_date")).dt.total_days()
    return differ.select(
        "recon_year", *KEY, "date", "projected_date", days_off.alias("days_off"), "source_sha256"
    )


def read_schedule(doc: Document, name: str) -> PublishedSchedule:
    """The calendar rows a schedule document publishes; InputError when it dates no event at all."""
    where = [f"page {p} line {n}" if doc.pages > 1 else f"line {n}" for p, n, _ in doc.lines]
    published = parse_schedule([text for _, _, text in doc.lines], name, doc.sha256, where)
    if published.rows.is_empty() and published.contradictions.is_empty():
        raise InputError(name, "schedule document: no reconstitution or review date could be read")
    return published


@dataclass(frozen=True)
class YearCalendar:
    calendar: pl.DataFrame  # projected, with published schedule rows applied
    errors: list[str]  # schedule documents that could not be read (the projection stands)
    contradictions: pl.DataFrame  # rows a schedule contradicts itself with, dropped (CONTRADICTION_SCHEMA)


def year_calendar(
    raw: Path, year: int, limits: Limits | None = None, paths: list[Path] | None = None
) -> YearCalendar:
    """The year's projected calendar with its published schedules applied.

    `paths` narrows the documents read (the asset passes the ones classified as schedules).
    A schedule document that does not parse is reported (one line each) and skipped, and a
    date it contradicts itself on is reported and dropped, so the projection still stands there.
    """
    published, errors, contradictions = [], [], []
    limits = limits or Limits()
    if paths is None:
        try:
            paths = list_year(raw, year).documents
        except InputError as err:  # a refused file fails `documents` for the year; the projection stands
            errors.append(str(err))
            paths = []
    for path in paths:
        try:
            doc = read_document(path, limits, root=raw)
        except InputError:
            continue  # not a readable document: `documents` fails its year with the reason
        if doc.doc_type != "schedule":
            continue
        rel = path.relative_to(raw.parent).as_posix() if path.is_relative_to(raw.parent) else str(path)
        try:
            schedule = read_schedule(doc, rel)
        except InputError as err:
            errors.append(str(err))
            continue
        published.append(schedule.rows)
        contradictions.append(schedule.contradictions)
    # A document filed under one year may also date events of another; each year keeps its own.
    found = (
        pl.concat(published, how="vertical_relaxed").filter(pl.col("recon_year") == year)
        if published
        else None
    )
    bad = pl.concat([pl.DataFrame(schema=CONTRADICTION_SCHEMA), *contradictions]).filter(
        pl.col("recon_year") == year
    )
    # Before the rules' first era only what the year's documents publish is known.
    projected = project_calendar(year) if year >= FIRST_YEAR else pl.DataFrame(schema=CALENDAR_SCHEMA)
    return YearCalendar(reconcile(projected, found), errors, bad)
