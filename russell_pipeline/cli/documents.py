"""The verbs that read documents: parse (one document) and calendar (a year's reconstitution events)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from russell_pipeline.cli.common import UsageError, emit, open_lake, write_out
from russell_pipeline.lib.errors import InputError
from russell_pipeline.settings import Settings

if TYPE_CHECKING:
    import polars as pl

    from russell_pipeline.lib.documents.pdftext import PdfReading


def _warn_contradictions(contradictions: pl.DataFrame) -> None:
    for c in contradictions.iter_rows(named=True):
        other = f"{c['other_line']} ({c['other_date'] or 'footnote'})"
        print(
            f"warning: {c['path']}: {c['review']} {c['event']}: {c['line']} ({c['date']}) contradicts "
            f"{other}; dropped, the projection stands",
            file=sys.stderr,
        )


def cmd_parse(args, settings: Settings) -> int:
    from russell_pipeline.lib.documents.pdftext import start_pdf
    from russell_pipeline.lib.documents.raw_files import read_limited

    path = Path(args.file)
    # A PDF's bounded reading child starts first: pdfium reads the pages while this process loads the
    # parser and its libraries (polars, numpy), the other half of a parse's time.
    started = start_pdf(path, read_limited(path, settings.limits), settings.limits)
    try:
        return _parse(args, path, settings, started)
    finally:
        if started is not None:
            started.stop()  # nothing once its pages were read; a child no longer needed ends here


def _parse(args, path: Path, settings: Settings, started: PdfReading | None) -> int:
    import polars as pl

    from russell_pipeline.lib.calendar.projection import rank_day
    from russell_pipeline.lib.documents.corrections import ready_entry
    from russell_pipeline.lib.documents.ingest import read_one

    doc = read_one(path, settings.limits, rank_day, started)
    if doc.doc_type == "schedule":  # only a schedule needs the calendar rules (and NYSE sessions)
        from russell_pipeline.lib.calendar.published import read_schedule

        schedule = read_schedule(doc, str(path))
        _warn_contradictions(schedule.contradictions)
        emit(schedule.rows, args.format)
        print(
            f"{path}: schedule, {doc.index_name or '-'}, {schedule.rows.height} calendar rows",
            file=sys.stderr,
        )
        return 0
    # A data line the parser could not read is an error, as in the pipeline; each is followed by the
    # raw/<year>/corrections.csv entry that settles it, on a line of its own, ready to paste.
    if doc.unread_problem():
        print(f"error: {InputError(path, doc.unread_problem())}", file=sys.stderr)
        for page, line, _ in doc.unread.iter_rows():
            print(ready_entry(path.name, page, line), file=sys.stderr)
        return 1
    # Under raw/<year>/ the folder names the reconstitution year; elsewhere the document's date does.
    year = (
        int(path.parent.name)
        if path.parent.name.isdecimal()
        else (doc.as_of_date.year if doc.as_of_date else None)
    )
    rows = doc.rows.with_columns(recon_year=pl.lit(year, pl.Int64)).select(["recon_year", *doc.rows.columns])
    emit(rows, args.format)
    dated = (
        f"dated {doc.as_of_date} ({doc.date_source})"
        if doc.as_of_date
        else f"no date ({doc.date_source or '-'})"
    )
    print(
        f"{path}: {doc.doc_type}, {doc.index_name or '-'}, {doc.stage or '-'}, {rows.height} rows, {dated}",
        file=sys.stderr,
    )
    for page, why in doc.furniture:  # pages read as no part of the table, and why
        print(f"{path}: page {page}: furniture ({why})", file=sys.stderr)
    return 0


def cmd_calendar(args, settings: Settings) -> int:
    from russell_pipeline.lib.calendar.ics import to_ics
    from russell_pipeline.lib.calendar.projection import FIRST_YEAR, LAST_YEAR
    from russell_pipeline.lib.calendar.published import year_calendar

    if not FIRST_YEAR <= args.year <= LAST_YEAR:
        raise UsageError(
            f"calendar {args.year}: the reconstitution calendar covers {FIRST_YEAR}..{LAST_YEAR} "
            "(projected by rule, with the published schedules under raw/<year>/ applied)"
        )

    found = year_calendar(open_lake(settings).raw, args.year, settings.limits)
    for err in found.errors:
        print(f"warning: {err} (projected dates kept)", file=sys.stderr)
    _warn_contradictions(found.contradictions)
    if args.format == "ics":
        write_out(to_ics(found.calendar))
    else:
        emit(found.calendar, args.format)
    return 0
