"""The reconstitution calendar as iCalendar (RFC 5545) bytes, for analysts' calendar apps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import polars as pl

from russell_pipeline.lib.calendar.projection import with_occurrence

PRODID = "-//russell_pipeline//Russell reconstitution calendar//EN"
UID_DOMAIN = "russell-pipeline"
_KIND = {
    "annual_reconstitution": "annual reconstitution",
    "semi_annual_reconstitution": "semi-annual reconstitution",
    "quarterly_ipo": "quarterly IPO review",
    "index_review": "90/10 index review",
}


def event_uid(review: str, review_type: str, event: str, occurrence: int) -> str:
    """Identity of an event, not of its date: a re-import with a moved date updates it in place."""
    return f"{review}.{review_type}.{event}.{occurrence}@{UID_DOMAIN}"


def _summary(row: dict) -> str:
    what = row["event"].replace("_", " ").replace("ipo ", "IPO ")
    if row["occurrence"] > 1 or row["event"] == "updated_preliminary_list":
        what += f" #{row['occurrence']}"
    kind = _KIND.get(row["review_type"], row["review_type"])
    return f"Russell {row['review']} {kind}: {what} ({row['source']})"


def _description(row: dict) -> str:
    parts = [f"source: {row['source']}"]
    if row.get("basis"):
        parts.append(f"basis: {row['basis']}")
    if row.get("source_sha256"):
        parts.append(f"document sha256: {row['source_sha256']}")
    projected = row.get("projected_date")
    if projected is not None and projected != row["date"]:
        parts.append(f"projected date was {projected.isoformat()}")
    return "\n".join(parts)


def to_ics(calendar: pl.DataFrame, exported: datetime | None = None) -> bytes:
    """One all-day VEVENT per calendar row; the same bytes for the same frame and export time.

    Every event's DTSTAMP is `exported` (default: now), in UTC to the second: RFC 5545 makes it the
    time the iCalendar object was created, so it is never a date of the calendar (those lie ahead),
    and a re-export of moved dates carries a later stamp for the same UIDs."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Russell US reconstitution calendar")
    stamp = (exported or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    rows = with_occurrence(calendar).sort("date", "review", "review_type", "event", "occurrence")
    for row in rows.iter_rows(named=True):
        ev = icalendar.Event()
        ev.add("uid", event_uid(row["review"], row["review_type"], row["event"], row["occurrence"]))
        ev.add("dtstamp", stamp)
        ev.add("dtstart", row["date"])
        ev.add("dtend", row["date"] + timedelta(days=1))
        ev.add("summary", _summary(row))
        ev.add("description", _description(row))
        ev.add("categories", [row["review_type"], row["source"]])
        ev.add("transp", "TRANSPARENT")  # a schedule marker, not time the reader is busy
        cal.add_component(ev)
    return cal.to_ical()
