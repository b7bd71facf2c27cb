"""Published FTSE Russell schedules -> calendar rows, and published-vs-projected reconciliation.

One parser for the family, driven by what the text says: timetable lines that start with a
date (`Friday 10 May 2019: Rank day.`, summary rows without a year) and review tables whose
header names the reviews (`Quarterly IPO March 2022`, `2022 Third-quarter additions`).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import polars as pl

from russell_pipeline.lib.calendar_rules import (
    CALENDAR_SCHEMA,
    KEY,
    REPEATING_EVENTS,
    review_key,
    with_occurrence,
)
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.sessions import previous_session

_MONTH_NAMES = "january february march april may june july august september october november december"
_MONTHS = {n: i + 1 for i, n in enumerate(_MONTH_NAMES.split())}
_MONTHS |= {n[:3]: i for n, i in _MONTHS.items()} | {"sept": 9}
_M = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WD = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_ORD = r"(?:st|nd|rd|th)?"
# Day-month (`07 June 2019`) or month-day (`June 7, 2019`), optional weekday and year.
_DM = rf"\d{{1,2}}{_ORD}\s+(?:{_M})\b\.?|(?:{_M})\b\.?\s+\d{{1,2}}{_ORD}\b"
_DATE = rf"(?:{_WD},?\s*)?(?:{_DM})(?:,?\s+\d{{4}}\b)?"
_ONE = re.compile(
    rf"(?:(?P<wd>{_WD}),?\s*)?"
    rf"(?:(?P<d1>\d{{1,2}}){_ORD}\s+(?P<m1>{_M})\.?|(?P<m2>{_M})\.?\s+(?P<d2>\d{{1,2}}){_ORD})"
    rf"(?:,?\s+(?P<year>\d{{4}}))?",
    re.IGNORECASE,
)
_RANGE = rf"(?P<a>{_DATE})(?:\s+(?:to|until|through|–|—|-)\s+(?P<b>{_DATE}))?"
_TIMETABLE = re.compile(rf"^\s*{_RANGE}\s*(?::|\t|\s[–—-]\s)\s*(?P<text>\S.*)$", re.IGNORECASE)
# A line shaped like a timetable entry whose date the strict pattern could not read.
_DATED_LOOK = re.compile(rf"^\s*(?:{_WD}|\d{{1,2}}\b)[^:\t]*[:\t]\s*(?P<text>\S.*)$", re.IGNORECASE)
_CELL = re.compile(rf"^\s*{_RANGE}\s*\**\s*$", re.IGNORECASE)
_EMPTY_CELLS = {"", "n/a", "na", "tbc", "tba", "-", "–", "—"}
_HEADER = re.compile(
    r"^\s*(?:(?P<kind>quarterly ipo|(?:semi-annual|annual) reconstitution)"
    rf"\s+(?P<month>{_M})\s+(?P<y1>\d{{4}})"
    r"|(?P<y2>\d{4})\s+(?P<q>first|second|third|fourth)-quarter additions)\s*$",
    re.IGNORECASE,
)
_DOC_TYPE = re.compile(r"\b(?:semi-annual|annual) reconstitution\b|\bquarterly ipo\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# Label/description -> event, first match wins (so "updated preliminary" before "preliminary").
_LABELS = [
    ("updated_preliminary_list", r"updated preliminary"),
    ("preliminary_list", r"preliminary (?:index )?(?:membership|addition|deletion|lists|files)"),
    ("final_list", r"\bfinal (?:files|lists|membership|addition|deletion)"),
    ("query_period", r"query period"),
    ("lock_down", r"lock[- ]?down"),
    ("ipo_announce", r"announce(?:ment)? date"),
    ("rank", r"\brank (?:day|date)|\brank and cut-off|market capitali[sz]ation data cut-off"),
    ("recon_close", r"implemented after (?:the )?(?:market )?close"),
    ("effective_open", r"effective date|effective \(?from the open"),
]
_LABELS = [(event, re.compile(pattern, re.IGNORECASE)) for event, pattern in _LABELS]
_QUARTERS = {"first": 3, "second": 6, "third": 9, "fourth": 12}


def _event(text: str, review_type: str | None) -> str | None:
    name = next((event for event, pattern in _LABELS if pattern.search(text)), None)
    if name == "rank":
        return "ipo_rank" if review_type == "quarterly_ipo" else "rank_day"
    if name == "ipo_announce" and review_type not in (None, "quarterly_ipo"):
        return None
    return name


def _date(text: str, year: int | None, path: str, n: int) -> date:
    m = _ONE.search(text)
    y = int(m["year"]) if m["year"] else year
    if y is None:
        raise InputError(path, f"line {n}: date '{text}' has no year and the document names none")
    try:
        d = date(y, _MONTHS[(m["m1"] or m["m2"]).lower()], int(m["d1"] or m["d2"]))
    except ValueError:
        raise InputError(path, f"line {n}: impossible date '{text.strip()}'") from None
    if m["wd"] and m["wd"].lower() != d.strftime("%A").lower():
        raise InputError(path, f"line {n}: '{text.strip()}' is a {d:%A}, not a {m['wd'].capitalize()}")
    return d


def _range(m: re.Match, year: int | None, path: str, n: int) -> list[date]:
    """One or two dates; a range's first date borrows the second one's year."""
    if not m["b"]:
        return [_date(m["a"], year, path, n)]
    end = _date(m["b"], year, path, n)
    start = _date(m["a"], end.year, path, n)
    if start > end and not _ONE.search(m["a"])["year"]:
        start = start.replace(year=end.year - 1)
    return [start, end]


def _emit(event: str, dates: list[date]) -> list[tuple[str, date]]:
    if event == "query_period":
        return list(zip(("query_period_start", "query_period_end"), dates))
    return [(event, dates[0])]  # a period given for a point event starts on its first date


def _header(cell: str) -> tuple[str, str] | None:
    m = _HEADER.match(cell)
    if not m:
        return None
    if m["q"]:  # the second quarter's additions are the annual reconstitution's
        month = _QUARTERS[m["q"].lower()]
        return review_key(int(m["y2"]), month), "annual_reconstitution" if month == 6 else "quarterly_ipo"
    return review_key(int(m["y1"]), _MONTHS[m["month"].lower()]), _kind(m["kind"])


def _kind(text: str) -> str:
    return text.lower().replace("-", "_").replace(" ", "_")


def _timetable_review(found: list[tuple], kind: str | None, year: int | None, path: str) -> tuple[str, str]:
    """Which review a document's timetable lines describe: its title type, recon_close month."""
    if kind is None:
        raise InputError(path, f"line {found[0][2]}: timetable dates but the document names no review type")
    dates = {event: d for event, d, _ in found}
    if "recon_close" in dates:
        close = dates["recon_close"]
    elif "effective_open" in dates:
        close = previous_session(dates["effective_open"] - timedelta(days=1))
    elif kind == "annual_reconstitution" and year is not None:
        return review_key(year, 6), kind
    else:
        raise InputError(path, f"line {found[0][2]}: cannot tell which review the timetable describes")
    return review_key(close.year, close.month), kind


def _table_row(cells: list[str], columns: list[tuple], width: int, path: str, n: int) -> list[tuple]:
    """(review, review_type, event, date, line) from one row of a review table."""
    out = []
    for j, review, review_type in columns:
        event = _event(cells[0], review_type)
        if event is None:
            continue
        if len(cells) != width:
            raise InputError(path, f"line {n}: row has {len(cells)} cells, its table header {width}")
        cell = cells[j].strip()
        if cell.lower().rstrip("*") in _EMPTY_CELLS:
            continue
        m = _CELL.match(cell)
        if not m:
            raise InputError(path, f"line {n}: unparseable date '{cell}' under '{review}'")
        dates = _range(m, int(review[:4]), path, n)
        out += [(review, review_type, ev, d, n) for ev, d in _emit(event, dates)]
    return out


def parse_schedule(lines: list[str], path: str, sha256: str) -> pl.DataFrame:
    """Published calendar rows of one schedule document (source 'published')."""
    text = "\n".join(lines)
    year_m, type_m = _YEAR.search(text), _DOC_TYPE.search(text)
    year = int(year_m[0]) if year_m else None
    doc_type = _kind(type_m[0]) if type_m else None
    rows: list[tuple[str, str, str, date, int]] = []  # review, review_type, event, date, line
    timetable: list[tuple[str, date, int]] = []
    columns, width = None, 0
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        cells = line.split("\t")
        heads = [(j, _header(c)) for j, c in enumerate(cells)]
        if any(h for _, h in heads):
            columns, width = [(j, *h) for j, h in heads if h], len(cells)
            continue
        if columns and line.strip() and "\t" not in line:
            columns = None  # prose after a table ends it
        if columns and len(cells) > 1 and not _TIMETABLE.match(line):
            rows += _table_row(cells, columns, width, path, n)
            continue
        m = _TIMETABLE.match(line)
        if m:
            dates = _range(m, year, path, n)  # validates every timetable date, used or not
            sentence = re.split(r"\.\s", m["text"], maxsplit=1)[0]
            event = _event(sentence, doc_type)
            if event:
                timetable += [(ev, d, n) for ev, d in _emit(event, dates)]
        elif (look := _DATED_LOOK.match(line)) and _event(look["text"].split(". ")[0], doc_type):
            raise InputError(path, f"line {n}: unparseable date in '{line.strip()[:60]}'")
    if timetable:
        review, review_type = _timetable_review(timetable, doc_type, year, path)
        rows += [(review, review_type, ev, d, n) for ev, d, n in timetable]
    return _published_frame(rows, path, sha256)


def _published_frame(rows: list[tuple], path: str, sha256: str) -> pl.DataFrame:
    """Rows deduplicated; one document giving two dates for a one-off event is an error."""
    seen: dict[tuple, tuple[date, int]] = {}
    out = []
    for review, review_type, event, d, n in rows:
        key = (review, review_type, event, d if event in REPEATING_EVENTS else None)
        if key in seen:
            if (first := seen[key])[0] != d:
                raise InputError(
                    path, f"line {n}: {review} {event} {d} contradicts {first[0]} on line {first[1]}"
                )
            continue
        seen[key] = (d, n)
        out.append((int(review[:4]), review, review_type, event, d, "published", sha256))
    frame = pl.DataFrame(out, schema=CALENDAR_SCHEMA, orient="row")
    return frame.sort("date", "review", "review_type", "event")


def reconcile(projected: pl.DataFrame, published: pl.DataFrame | None) -> pl.DataFrame:
    """Final calendar: published wins per (review, review_type, event, occurrence); projected_date kept.

    Several documents may publish the same event: pass them oldest first, the last one wins
    (repeating events keep every distinct date). `published` None means no schedule documents."""
    published = pl.DataFrame(schema=CALENDAR_SCHEMA) if published is None else published
    published = published.select(list(CALENDAR_SCHEMA)).cast(CALENDAR_SCHEMA)
    repeating = pl.col("event").is_in(list(REPEATING_EVENTS))
    several = published.filter(repeating).unique([*KEY, "date"], keep="first", maintain_order=True)
    one_off = published.filter(~repeating).unique(KEY, keep="last", maintain_order=True)
    published = pl.concat([several, one_off])
    projected = with_occurrence(projected.select(list(CALENDAR_SCHEMA)).cast(CALENDAR_SCHEMA))
    on = [*KEY, "occurrence"]
    joined = projected.join(with_occurrence(published), on=on, how="full", coalesce=True, suffix="_pub")
    has_pub = pl.col("date_pub").is_not_null()
    out = joined.select(
        pl.coalesce("recon_year_pub", "recon_year").alias("recon_year"),
        *KEY,
        date=pl.coalesce("date_pub", "date"),
        source=pl.when(has_pub).then("source_pub").otherwise("source"),
        source_sha256=pl.when(has_pub).then("source_sha256_pub").otherwise("source_sha256"),
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
