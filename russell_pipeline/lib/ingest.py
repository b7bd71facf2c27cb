"""A reconstitution year's documents into the three document tables, plus the quality checks."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import polars as pl

from russell_pipeline.lib.calendar_rules import CALENDAR_SCHEMA, FIRST_YEAR, project_calendar
from russell_pipeline.lib.documents import CHANGE_COLUMNS, CONSTITUENT_COLUMNS, Document, read_document
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.limits import Limits
from russell_pipeline.lib.raw_files import list_year
from russell_pipeline.lib.reconcile import reconcile
from russell_pipeline.lib.schedules import CONTRADICTION_SCHEMA, PublishedSchedule, parse_schedule

SOURCE_COLUMNS = {
    "recon_year": pl.Int64,
    "path": pl.String,
    "sha256": pl.String,
    "bytes": pl.Int64,
    "pages": pl.Int64,
    "doc_type": pl.String,
    "index_name": pl.String,
    "stage": pl.String,
    "as_of_date": pl.Date,
    "rows": pl.Int64,
}
PAGE_STAT_COLUMNS = {"source_sha256": pl.String, "page": pl.Int64, "candidate_lines": pl.Int64, "rows": pl.Int64}
# Words that only ever appear in headers, footers and disclaimers, never as a company or symbol.
NOT_A_ROW = r"(?i)^(company|symbol|ticker|sector|industry)$|ftse russell|lse group|london stock exchange|©"
SYMBOL = r"^[A-Z0-9]+([.\-/][A-Z0-9]+)*$"


@dataclass(frozen=True)
class YearTables:
    source_documents: pl.DataFrame
    constituents: pl.DataFrame
    constituent_changes: pl.DataFrame
    page_stats: pl.DataFrame
    skipped: tuple[str, ...] = ()  # junk files left unread, one line each


def _read_all(paths: list[Path], raw: Path, limits: Limits) -> list[Document]:
    read = partial(read_document, limits=limits, root=raw)
    # lstat: a link is not followed here; read_document refuses it with one line.
    pdf_bytes = sum(p.lstat().st_size for p in paths if p.suffix.lower() == ".pdf")
    workers = min(len(paths), os.cpu_count() or 1)
    # A pool only pays for its start-up (about a second per worker) on many sizeable PDFs.
    if workers < 2 or pdf_bytes < 4_000_000:
        return [read(p) for p in paths]
    # Spawn, not fork: polars' and pdfium's threads and locks do not survive a fork.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(read, paths))


def ingest_year(raw: Path, year: int, limits: Limits | None = None) -> YearTables:
    """Parse every document under `raw/<year>/`; any bad document raises InputError.

    `limits` default to `Limits.from_env()`.
    """
    folder = list_year(raw, year)
    docs = _read_all(folder.documents, raw, limits or Limits.from_env())
    sources = pl.DataFrame(
        [
            {
                "recon_year": year,
                "path": Path(d.path).relative_to(raw.parent).as_posix()
                if Path(d.path).is_relative_to(raw.parent)
                else str(d.path),
                "sha256": d.sha256,
                "bytes": d.bytes,
                "pages": d.pages,
                "doc_type": d.doc_type,
                "index_name": d.index_name,
                "stage": d.stage,
                "as_of_date": d.as_of_date,
                "rows": d.rows.height,
            }
            for d in docs
        ],
        schema=SOURCE_COLUMNS,
    )
    return YearTables(
        source_documents=sources,
        constituents=_stack(docs, "membership_list", CONSTITUENT_COLUMNS, year),
        constituent_changes=_stack(docs, ("additions", "deletions"), CHANGE_COLUMNS, year),
        page_stats=pl.concat(
            [d.page_stats.with_columns(source_sha256=pl.lit(d.sha256)) for d in docs]
            or [pl.DataFrame(schema=PAGE_STAT_COLUMNS)],
            how="diagonal_relaxed",
        ).select(list(PAGE_STAT_COLUMNS)),
        skipped=tuple(folder.skipped),
    )


def _stack(docs: list[Document], doc_types, columns: dict, year: int) -> pl.DataFrame:
    types = (doc_types,) if isinstance(doc_types, str) else doc_types
    frames = [d.rows.with_columns(recon_year=pl.lit(year, pl.Int64)) for d in docs if d.doc_type in types]
    if not frames:
        return pl.DataFrame(schema=columns)
    return pl.concat(frames, how="diagonal_relaxed").select(
        [pl.col(c).cast(t) for c, t in columns.items()]
    )


def page_mismatches(page_stats: pl.DataFrame) -> pl.DataFrame:
    """Pages where the rows parsed differ from the data lines present."""
    return page_stats.filter(pl.col("candidate_lines") != pl.col("rows"))


def duplicate_symbols(rows: pl.DataFrame) -> pl.DataFrame:
    """Symbols listed twice within one document (one list)."""
    return rows.group_by("source_sha256", "symbol").len().filter(pl.col("len") > 1)


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


def year_calendar(raw: Path, year: int, paths: list[Path] | None = None) -> YearCalendar:
    """The year's projected calendar with its published schedules applied.

    `paths` narrows the documents read (the asset passes the ones classified as schedules).
    A schedule document that does not parse is reported (one line each) and skipped, and a
    date it contradicts itself on is reported and dropped, so the projection still stands there.
    """
    published, errors, contradictions = [], [], []
    limits = Limits.from_env()
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
    found = pl.concat(published, how="vertical_relaxed").filter(pl.col("recon_year") == year) if published else None
    bad = pl.concat([pl.DataFrame(schema=CONTRADICTION_SCHEMA), *contradictions]).filter(pl.col("recon_year") == year)
    # Before the rules' first era only what the year's documents publish is known.
    projected = project_calendar(year) if year >= FIRST_YEAR else pl.DataFrame(schema=CALENDAR_SCHEMA)
    return YearCalendar(reconcile(projected, found), errors, bad)
