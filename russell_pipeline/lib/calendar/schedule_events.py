"""The one event schedules date in two ways, and the footnotes that say which way.

A review is implemented after the close of one session (`recon_close`) and is in force from
the next session's open (`effective_open`). FTSE Russell's schedules name it either way
("implemented after the close on Friday 28 June", "Review Effective Date (open of) 21 March
2022") and qualify labels with footnotes (seeds/003: `Effective date**` 21 March 2022, then
`** After the close on the third Friday of the month.`). One dated mention gives both faces;
the label, or else its footnote, tells which face the printed date is.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from russell_pipeline.lib.sessions import next_session, previous_session

_MARK = r"\*+|†+|‡+"
_LABEL_MARK = re.compile(rf"({_MARK})\s*$")
# A footnote: the marker, then text; not a line in bold (`**Rank day**`).
_NOTE = re.compile(rf"^\s*(?P<mark>{_MARK})\s*(?P<text>[A-Za-z(].*?)\s*$")
_OPEN = re.compile(r"\bopen of\b|\(open\)|\bfrom the open\b|\bat the open\b", re.IGNORECASE)
_CLOSE = re.compile(r"\bafter (?:the )?(?:market )?close\b|\bat the close\b|\bclose of\b", re.IGNORECASE)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
_NTH = ("first", "second", "third", "fourth")
_DAY_RULE = re.compile(
    rf"\b(?:(?P<nth>{'|'.join(_NTH)}|last)\s+)?(?P<wd>{'|'.join(_WEEKDAYS)})\b", re.IGNORECASE
)

Footnotes = dict[str, list[tuple[int, str]]]  # marker -> (line, text) of each definition


def footnotes(lines: list[str]) -> Footnotes:
    """Every footnote definition of a document, by marker."""
    notes: Footnotes = {}
    for n, line in enumerate(lines, 1):
        m = _NOTE.match(" ".join(line.split()))
        if m and not re.search(rf"(?:{_MARK})$", m["text"]):
            notes.setdefault(m["mark"], []).append((n, m["text"]))
    return notes


def note_for(label: str, n: int, notes: Footnotes) -> tuple[int, str] | None:
    """The footnote a label's trailing marker points to: the first one defined after line n."""
    m = _LABEL_MARK.search(label)
    defined = notes.get(m[1]) if m else None
    if not defined:
        return None
    return next((d for d in defined if d[0] > n), defined[-1])


def _face(text: str) -> str | None:
    found = [
        (m.start(), face)
        for face, pattern in (("open", _OPEN), ("close", _CLOSE))
        if (m := pattern.search(text))
    ]
    return min(found)[1] if found else None


def _named_close(rule: re.Match, around: date) -> date:
    """The session whose close a rule like "third Friday of the month" names in around's month."""
    wd = _WEEKDAYS.index(rule["wd"].lower())
    nth = (rule["nth"] or "").lower()
    if not nth:  # a weekday alone: the latest one on or before `around`
        day = around - timedelta(days=(around.weekday() - wd) % 7)
    elif nth == "last":
        end = date(around.year, around.month, calendar.monthrange(around.year, around.month)[1])
        day = end - timedelta(days=(end.weekday() - wd) % 7)
    else:
        first = date(around.year, around.month, 1)
        day = first + timedelta(days=(wd - first.weekday()) % 7 + 7 * _NTH.index(nth))
    return previous_session(day)  # a holiday moves the close to the previous business day


def implementation(label: str, note: str | None, d: date) -> tuple[date, date] | None:
    """(recon_close, effective_open) of the implementation dated d, or None when d is neither
    the close nor the next open of the day the label's footnote names."""
    face, source = _face(label), label
    if face is None and note:
        face, source = _face(note), note
    # Unqualified, an "effective date" is the first session with the new weights.
    if face != "close":
        return previous_session(d - timedelta(days=1)), d
    rule = _DAY_RULE.search(source)
    if rule is None:
        return d, next_session(d)
    for around in (d, previous_session(d - timedelta(days=1))):
        close = _named_close(rule, around)
        if d == close:
            return close, next_session(close)
        if d == next_session(close):
            return close, d
    return None
