"""A document's date, from the evidence it carries, compared: its text, its file name, its PDF
metadata, the folder it is filed in.

Precedence: the date the text prints, else the date in the file name, else the PDF's creation date
(its modification date when it has none), else only the folder's year (`date_source` says which).
The folder `raw/<year>/` must be the year of that date; the sources that lose must still agree with
the winner within what is normal:
- a PDF modified (re-saved) after the fact is normal, and so is one created after the date it bears
  (an export made later); the modification date is shown, never held against the document;
- a list is made shortly before the date it bears: a PDF created more than `EARLY_DAYS` before it
  (before the previous reconstitution, for an annual list) is not that list: a list of an earlier
  year under a new name;
- a date in the text wins over the file name whatever the file is called.
- a final list is published after the rank day it ranks members on: one dated before its year's rank
  day (`before_rank_day`) is not final on that date, whatever its text, name or metadata say.
Metadata is the weakest evidence (anyone can edit it), and no date proves a list is its year's own:
ingest.py also refuses a list whose rows equal a list of another year (the same document in all but
its bytes and dates).
A list that breaks one of these is refused with one line naming the file, what each source says, and
the move that settles it. Schedules and ground rules are dated the same way but never refused for it:
a schedule is published in the year before the one it schedules.

A universe file (a snapshot of the market) whose name carries no date may carry the moment it was
taken instead: the Nasdaq screener names its download `nasdaq_screener_<Unix time in ms>.csv`. It is
dated by the close it holds (`sessions.close_held`: the last NYSE session closed at that moment), and
refused when it was taken while a session was open (its prices are then no session's close).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from russell_pipeline.lib.sessions import FIRST_DAY, LAST_DAY, NEW_YORK, close_held

SOURCES = ("text", "file_name", "metadata", "folder")
EARLY_DAYS = 92  # a list is made within a quarter before the date it bears
_NAME_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_]?(\d{2})[-_]?(\d{2})(?!\d)")
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})(\d{2})")
_NAME_MOMENT = re.compile(r"(?<!\d)(\d{13})(?!\d)")  # a Unix time in milliseconds


@dataclass(frozen=True)
class Evidence:
    """What each source says about a document's date."""

    text: dt.date | None = None
    file_name: dt.date | None = None
    created: dt.date | None = None  # the PDF's CreationDate
    modified: dt.date | None = None  # the PDF's ModDate
    taken: dt.datetime | None = None  # the moment the file name gives (a snapshot's download time)

    def with_name(self, name: str) -> Evidence:
        """The same document's evidence under another file name (a copy's)."""
        return Evidence(self.text, name_date(name), self.created, self.modified, name_moment(name))

    def said(self) -> str:
        """What each source says, in precedence order:
        `text 2024-06-28; file name 2024-06-28; PDF created ...`."""
        parts = [
            f"{label} {value}"
            for label, value in (
                ("text", self.text),
                ("file name", self.file_name),
                ("PDF created", self.created),
                ("PDF modified", self.modified),
                (
                    "file name taken",
                    self.taken and f"{self.taken.astimezone(NEW_YORK):%Y-%m-%d %H:%M} New York",
                ),
            )
            if value is not None
        ]
        return "; ".join(parts) or "no date in its text, file name or PDF metadata"


@dataclass(frozen=True)
class Dated:
    as_of: dt.date | None
    source: str | None  # text | file_name | metadata | folder | None (no date and no folder)
    problem: str | None = None  # why the evidence refuses the document (one line, without the path)


def name_date(name: str) -> dt.date | None:
    """A yyyymmdd (or yyyy-mm-dd, yyyy_mm_dd) date in a file name that is a real date."""
    for y, m, d in _NAME_DATE.findall(Path(name).name):
        try:
            return dt.date(int(y), int(m), int(d))
        except ValueError:
            continue
    return None


def name_moment(name: str) -> dt.datetime | None:
    """The moment a 13-digit Unix time in milliseconds in a file name gives, within the years the NYSE
    sessions are known (sessions.FIRST_DAY-LAST_DAY)."""
    for ms in _NAME_MOMENT.findall(Path(name).name):
        moment = dt.datetime.fromtimestamp(int(ms) / 1000, dt.UTC)
        if FIRST_DAY < moment.date() <= LAST_DAY:
            return moment
    return None


def pdf_date(value: str | None) -> dt.date | None:
    """The date of a PDF date string (`D:20230623003008-07'00'`), as written (its own time zone)."""
    m = _PDF_DATE.match(value or "")
    if not m:
        return None
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:
        return None


def evidence(text: dt.date | None, path: str | Path, metadata: dict[str, str]) -> Evidence:
    return Evidence(
        text,
        name_date(Path(path).name),
        pdf_date(metadata.get("CreationDate")),
        pdf_date(metadata.get("ModDate")),
        name_moment(Path(path).name),
    )


def decide(
    ev: Evidence,
    folder: int | None = None,
    is_list: bool = True,
    needs_date: str | None = None,
    snapshot: bool = False,
) -> Dated:
    """The document's date and where it came from, and, for a list, what refuses it: filed under a
    folder of another year, created too long before the date it bears, or no date where the kind
    `needs_date` names must have one (`a membership list needs its date (constituents.as_of_date)`).
    `snapshot`: a snapshot of the market (a universe file), which the moment its file name gives dates
    by the close it holds."""
    made = ev.created or ev.modified
    held = close_held(ev.taken) if snapshot and ev.taken is not None else None
    as_of, source = next(
        (
            (d, s)
            for d, s in (
                (ev.text, "text"),
                (ev.file_name, "file_name"),
                (held, "file_name"),
                (made, "metadata"),
            )
            if d is not None
        ),
        (None, "folder" if folder is not None else None),
    )
    if not is_list:
        return Dated(as_of, source)
    if as_of is None and held is None and snapshot and ev.taken is not None:
        return Dated(
            None,
            source,
            f"its file name says it was taken at {ev.taken.astimezone(NEW_YORK):%Y-%m-%d %H:%M} New York "
            "time, while the NYSE session was open: its prices are no session's close; take it after the "
            "close (16:00) or name it after the close it holds (..._YYYY-MM-DD.csv)",
        )
    if as_of is None and needs_date:
        return Dated(
            None,
            source,
            f"{needs_date} and none is in its text, file name or PDF metadata: put it in the file name "
            "(..._YYYYMMDD.pdf, ..._YYYY-MM-DD.csv)",
        )
    if as_of is None:
        return Dated(None, source)
    said = f"dated {as_of} by its {source.replace('_', ' ')} ({ev.said()})"
    if ev.created is not None and source != "metadata" and (as_of - ev.created).days > EARLY_DAYS:
        days = (as_of - ev.created).days
        return Dated(
            as_of,
            source,
            f"{said}, but the PDF was created {days} days before that date, and a list is "
            f"made at most {EARLY_DAYS} days before the date it bears: it is a list of "
            f"{ev.created.year} or earlier under a new name; name it after its own date and "
            f"file it under its own year, or put the list of {as_of} here",
        )
    if folder is not None and as_of.year != folder:
        return Dated(
            as_of, source, f"{said}: it belongs under raw/{as_of.year}/, not raw/{folder}/; move it there"
        )
    return Dated(as_of, source)


def before_rank_day(
    as_of: dt.date | None, source: str | None, ev: Evidence, rank_day: dt.date | None
) -> str | None:
    """Why a final list dated `as_of` cannot be final: its year's rank day (`rank_day`, the calendar's)
    comes after that date, and a final list is published after the rank day it ranks on. None when it
    can be (or either date is unknown)."""
    if as_of is None or rank_day is None or as_of >= rank_day:
        return None
    return (
        f"a final list dated {as_of} by its {(source or 'folder').replace('_', ' ')} ({ev.said()}), but "
        f"{rank_day.year}'s rank day is {rank_day} and a final list is published after its rank day: "
        "that date is not its own; name it after its own date (..._YYYYMMDD.pdf)"
    )
