"""Published FTSE Russell schedules -> calendar rows (reconcile.py lays them over the projection).

One parser for the family, driven by what the text says: timetable lines that start with a
date (`Friday 10 May 2019: Rank day.`, summary rows without a year) and review tables whose
header names the reviews (`Quarterly IPO March 2022`, `2022 Third-quarter additions`). A
document that dates one event twice differently loses that event only, and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import polars as pl

from russell_pipeline.lib.calendar.projection import CALENDAR_SCHEMA, REPEATING_EVENTS, review_key
from russell_pipeline.lib.calendar.schedule_events import Footnotes, footnotes, implementation, note_for
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.sessions import FIRST_DAY, LAST_DAY

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
# `implementation` is recon_close and effective_open at once (schedule_events.py).
_LABELS = [
    ("updated_preliminary_list", r"updated preliminary"),
    ("preliminary_list", r"preliminary (?:index )?(?:membership|addition|deletion|lists|files)"),
    ("final_list", r"\bfinal (?:files|lists|membership|addition|deletion)"),
    ("query_period", r"query period"),
    ("lock_down", r"lock[- ]?down"),
    ("ipo_announce", r"announce(?:ment)? date"),
    ("rank", r"\brank (?:day|date)|\brank and cut-off|market capitali[sz]ation data cut-off"),
    (
        "implementation",
        r"implemented after (?:the )?(?:market )?close|effective date|effective \(?from the open",
    ),
]
_LABELS = [(event, re.compile(pattern, re.IGNORECASE)) for event, pattern in _LABELS]
_QUARTERS = {"first": 3, "second": 6, "third": 9, "fourth": 12}
CONTRADICTION_SCHEMA = {
    "recon_year": pl.Int64,
    "review": pl.String,
    "review_type": pl.String,
    "event": pl.String,
    "path": pl.String,
    "line": pl.String,
    "date": pl.Date,
    "text": pl.String,
    "other_line": pl.String,
    "other_date": pl.Date,
    "other_text": pl.String,
}


@dataclass(frozen=True)
class PublishedSchedule:
    """What one schedule document publishes: calendar rows, and the rows it contradicts itself
    with (dropped from `rows`, so the projection stands for that event)."""

    rows: pl.DataFrame  # CALENDAR_SCHEMA, source 'published'
    contradictions: pl.DataFrame  # CONTRADICTION_SCHEMA


@dataclass(frozen=True)
class _Source:
    path: str
    lines: list[str]
    where: list[str]  # how to name line n (1-based) in messages: "line 12", "page 2 line 14"
    notes: Footnotes

    def error(self, n: int, problem: str) -> InputError:
        return InputError(self.path, f"{self.where[n - 1]}: {problem}")


def _event(text: str, review_type: str | None) -> str | None:
    name = next((event for event, pattern in _LABELS if pattern.search(text)), None)
    if name == "rank":
        return "ipo_rank" if review_type == "quarterly_ipo" else "rank_day"
    if name == "ipo_announce" and review_type not in (None, "quarterly_ipo"):
        return None
    return name


def _date(text: str, year: int | None, src: _Source, n: int) -> date:
    m = _ONE.search(text)
    y = int(m["year"]) if m["year"] else year
    if y is None:
        raise src.error(n, f"date '{text}' has no year and the document names none")
    try:
        d = date(y, _MONTHS[(m["m1"] or m["m2"]).lower()], int(m["d1"] or m["d2"]))
    except ValueError:
        raise src.error(n, f"impossible date '{text.strip()}'") from None
    if m["wd"] and m["wd"].lower() != d.strftime("%A").lower():
        raise src.error(n, f"'{text.strip()}' is a {d:%A}, not a {m['wd'].capitalize()}")
    return d


def _range(m: re.Match, year: int | None, src: _Source, n: int) -> list[date]:
    """One or two dates; a range's first date borrows the second one's year."""
    if not m["b"]:
        return [_date(m["a"], year, src, n)]
    end = _date(m["b"], year, src, n)
    start = _date(m["a"], end.year, src, n)
    if start > end and not _ONE.search(m["a"])["year"]:
        start = start.replace(year=end.year - 1)
    return [start, end]


def _emit(event: str, label: str, dates: list[date], src: _Source, n: int) -> list[tuple]:
    """(event, date, line, other date, other line) of one dated label; other line is set when the
    row contradicts it (its own footnote)."""
    if event == "query_period":
        return [(ev, d, n, None, None) for ev, d in zip(("query_period_start", "query_period_end"), dates)]
    if event != "implementation":
        return [(event, dates[0], n, None, None)]  # a period given for a point event starts on its first date
    if not FIRST_DAY <= dates[0] <= LAST_DAY:  # its other face is a session away
        raise src.error(n, f"{dates[0]} is outside the NYSE calendar ({FIRST_DAY}..{LAST_DAY})")
    note = note_for(label, n, src.notes)
    faces = implementation(label, note[1] if note else None, dates[0])
    if faces is None:
        return [("recon_close, effective_open", dates[0], n, None, note[0])]
    return [("recon_close", faces[0], n, None, None), ("effective_open", faces[1], n, None, None)]


def _header(cell: str) -> tuple[str, str] | None:
    m = _HEADER.match(cell)
    if not m:
        return None
    if m["q"]:  # the second quarter's additions are the annual reconstitution's
        month = _QUARTERS[m["q"].lower()]
        return review_key(int(m["y2"]), month), "annual_reconstitution" if month == 6 else "quarterly_ipo"
    return review_key(int(m["y1"]), _MONTHS[m["month"].lower()]), _kind(m["kind"])


def _named(pattern: re.Pattern, lines: list[str]) -> re.Match | None:
    """The first match of `pattern` on a line that names rather than tells (a title, a header: not a
    sentence ending in a full stop), else the first anywhere: a disclaimer's prose (`Quarterly IPO
    additions are announced after ...`, `Copyright 2025 ...`) does not say what the document is."""
    for line in lines:
        if not line.rstrip().endswith(".") and (m := pattern.search(line)):
            return m
    return pattern.search("\n".join(lines))


def _kind(text: str) -> str:
    return text.lower().replace("-", "_").replace(" ", "_")


def _timetable_review(
    found: list[tuple], kind: str | None, year: int | None, src: _Source
) -> tuple[str, str]:
    """Which review a document's timetable lines describe: its title type, recon_close month."""
    if kind is None:
        raise src.error(found[0][2], "timetable dates but the document names no review type")
    dates = {event: d for event, d, *_ in found}
    if "recon_close" in dates:
        close = dates["recon_close"]
    elif kind == "annual_reconstitution" and year is not None:
        return review_key(year, 6), kind
    else:
        raise src.error(found[0][2], "cannot tell which review the timetable describes")
    return review_key(close.year, close.month), kind


def _table_row(cells: list[str], columns: list[tuple], width: int, src: _Source, n: int) -> list[tuple]:
    """(review, review_type, event, date, line, other date, other line) of one review-table row."""
    rows = []
    for j, review, review_type in columns:
        event = _event(cells[0], review_type)
        if event is None:
            continue
        if len(cells) != width:
            raise src.error(n, f"row has {len(cells)} cells, its table header {width}")
        cell = cells[j].strip()
        if cell.lower().rstrip("*") in _EMPTY_CELLS:
            continue
        m = _CELL.match(cell)
        if not m:
            raise src.error(n, f"unparseable date '{cell}' under '{review}'")
        rows += [
            (review, review_type, *r)
            for r in _emit(event, cells[0].strip(), _range(m, int(review[:4]), src, n), src, n)
        ]
    return rows


def parse_schedule(
    lines: list[str], path: str, sha256: str, where: list[str] | None = None
) -> PublishedSchedule:
    """Published calendar rows of one schedule document (source 'published').

    `where` names each line in messages (default `line N`, N counting `lines` from 1)."""
    src = _Source(path, lines, where or [f"line {n}" for n in range(1, len(lines) + 1)], footnotes(lines))
    year_m, type_m = _named(_YEAR, lines), _named(_DOC_TYPE, lines)
    year = int(year_m[0]) if year_m else None
    doc_type = _kind(type_m[0]) if type_m else None
    rows: list[tuple] = []  # review, review_type, event, date, line, other date, other line
    timetable: list[tuple] = []  # the same without review and review_type, known at the end
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
            rows += _table_row(cells, columns, width, src, n)
            continue
        m = _TIMETABLE.match(line)
        if m:
            dates = _range(m, year, src, n)  # validates every timetable date, used or not
            sentence = re.split(r"\.\s", m["text"], maxsplit=1)[0]
            event = _event(sentence, doc_type)
            if event:
                timetable += _emit(event, sentence, dates, src, n)
        elif (look := _DATED_LOOK.match(line)) and _event(look["text"].split(". ")[0], doc_type):
            raise src.error(n, f"unparseable date in '{line.strip()[:60]}'")
    if timetable:
        review, review_type = _timetable_review(timetable, doc_type, year, src)
        rows += [(review, review_type, *r) for r in timetable]
    return _published(rows, src, sha256)


def _published(rows: list[tuple], src: _Source, sha256: str) -> PublishedSchedule:
    """Rows deduplicated; a one-off event the document dates twice differently is dropped and reported."""
    conflicts = [r for r in rows if r[-1] is not None]  # rows contradicting their footnote
    dates: dict[tuple, dict[date, int]] = {}  # key -> date -> first line giving it
    for review, review_type, event, d, n, _, other in rows:
        if other is None:
            key = (review, review_type, event, d if event in REPEATING_EVENTS else None)
            dates.setdefault(key, {}).setdefault(d, n)
    out = []
    for (review, review_type, event, _), by_date in dates.items():
        (first, n0), *others = sorted(by_date.items(), key=lambda item: item[1])
        if others:
            conflicts += [(review, review_type, event, d, n, first, n0) for d, n in others]
            continue
        out.append(
            (
                int(review[:4]),
                review,
                review_type,
                event,
                first,
                "published",
                sha256,
                f"published: {src.path}",
            )
        )
    frame = pl.DataFrame(out, schema=CALENDAR_SCHEMA, orient="row").sort(
        "date", "review", "review_type", "event"
    )
    return PublishedSchedule(frame, _contradictions(conflicts, src))


def _contradictions(conflicts: list[tuple], src: _Source) -> pl.DataFrame:
    """One row per pair of lines that disagree (a footnote has no date of its own)."""

    def said(n: int) -> str:
        return " ".join(src.lines[n - 1].split())

    out = [
        (
            int(review[:4]),
            review,
            review_type,
            event,
            src.path,
            src.where[n - 1],
            d,
            said(n),
            src.where[n0 - 1],
            d0,
            said(n0),
        )
        for review, review_type, event, d, n, d0, n0 in conflicts
    ]
    return pl.DataFrame(out, schema=CONTRADICTION_SCHEMA, orient="row").sort(
        "review", "event", maintain_order=True
    )
