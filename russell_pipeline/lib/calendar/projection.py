"""Projected Russell US reconstitution calendar: a rules table (data) and the engine that reads it.

Every era of the schedule is a row of `RULES_TEXT`, so a change announced by FTSE Russell
(a new rank-day rule, the month of the semi-annual reconstitution) is an edit of that table,
never a new branch in code. Holidays and special closures come only from the NYSE calendar
(lib/sessions.py).
"""

from __future__ import annotations

import calendar as _cal
import re
from datetime import date, timedelta
from functools import cache

import polars as pl

from russell_pipeline.lib.calendar.rule_sources import RULE_SOURCES
from russell_pipeline.lib.rules_text import table_rows
from russell_pipeline.lib.sessions import next_session, previous_session

FIRST_YEAR, LAST_YEAR = 1989, 2035  # annual reconstitution every June since 1989
# The first review the calendar dates (price cut-off and rebalance): the earliest any market data may
# hold members for, and the first review partition.
FIRST_DATED_REVIEW = f"{FIRST_YEAR}-03"

# Rule language (dates are computed for one review: year Y, review month M):
#   friN[+Kd]  N-th Friday of month M, plus K days  (fri2+5d = Wednesday after the 2nd Friday);
#              friL = the last Friday of month M
#   R-Kw|R-Kd  K weeks/days before the review's nominal recon_close Friday
#   eom-K      last NYSE session of month M-K      (eom-2 in June = last business day of April)
#   dMM-DD     that calendar date of the review's year (d05-31 = May 31)
#   next       first session after recon_close
#   weekly     each Friday after preliminary_list and before final_list (or recon_close)
# holiday: prev = a date that is not a session moves to the previous session;
#          keep = the date is the opening of a period, published as a calendar date even on a
#                 holiday (seeds/003: lock-down "open of 5 September 2022", Labor Day).
# source: a key of rule_sources.RULE_SOURCES, what the row rests on (each projected calendar row
# carries its rule and that text in `basis`).
# Eras of the annual reconstitution before 2016 (docs/methodology.md section 3.3):
# - rank day as of May 31 until 2015. "As of May 31" is the close of the last trading day of May
#   ("as of the end of May" in Russell's 2003 release), so a May 31 that is not a session rolls to the
#   previous session, as the 2010-2015 row always did (2010: Friday 28 May, May 31 being Memorial Day).
# - recon_close: the last trading day of June until 2003; the last Friday of June 2004-2006 (Friday
#   30 June 2006); from 2007 the fourth Friday (the last Friday, or the Friday before when that is
#   the 29th or 30th: 22 June 2007).
# - list releases: dated only from 2004 (preliminary lists two weeks before recon_close, weekly
#   updates); 2010-2015 are left without them, as before. None is known before 2004.
RULES_TEXT = """
# review_type               months  years      event                     rule     holiday  source
annual_reconstitution       6       1989-2003  recon_close               d06-30   prev     june30
annual_reconstitution       6       2004-2006  recon_close               friL     prev     lastfri
annual_reconstitution       6       2007-2035  recon_close               fri4     prev     fri4
annual_reconstitution       6       1989-2035  effective_open            next     keep     next
annual_reconstitution       6       1989-2015  rank_day                  d05-31   prev     may31
annual_reconstitution       6       2016-2016  rank_day                  R-4w     prev     schedules
annual_reconstitution       6       2017-2018  rank_day                  R-6w     prev     schedules
annual_reconstitution       6       2019-2022  rank_day                  R-7w     prev     schedules
annual_reconstitution       6       2023-2035  rank_day                  eom-2    prev     schedules
annual_reconstitution       6       2004-2009  preliminary_list          R-2w     prev     prelim
annual_reconstitution       6       2016-2018  preliminary_list          R-2w     prev     schedules
annual_reconstitution       6       2019-2022  preliminary_list          R-3w     prev     schedules
annual_reconstitution       6       2023-2035  preliminary_list          R-5w     prev     schedules
annual_reconstitution       6       2004-2009  updated_preliminary_list  weekly   prev     prelim
annual_reconstitution       6       2016-2035  updated_preliminary_list  weekly   prev     schedules
annual_reconstitution       6       2019-2022  final_list                R-1w     prev     schedules
annual_reconstitution       6       2019-2035  query_period_start        R-5w     keep     schedules
annual_reconstitution       6       2019-2022  query_period_end          R-2w     prev     schedules
annual_reconstitution       6       2023-2035  query_period_end          R-3w     prev     schedules
annual_reconstitution       6       2019-2022  lock_down                 R-11d    keep     schedules
annual_reconstitution       6       2023-2035  lock_down                 R-18d    keep     schedules
annual_reconstitution       6       1989-2035  price_cutoff              fri2+5d  prev     cutoff
quarterly_ipo               3,9,12  2016-2035  recon_close               fri3     prev     ipo
quarterly_ipo               3,9,12  2016-2035  effective_open            next     keep     ipo
quarterly_ipo               3,9,12  2016-2022  ipo_rank                  R-5w     prev     ipo
quarterly_ipo               3       2023-2035  ipo_rank                  R-5w     prev     ipo
quarterly_ipo               9,12    2023-2035  ipo_rank                  eom-2    prev     ipo
quarterly_ipo               3,9,12  2016-2035  ipo_announce              R-3w     prev     ipo
quarterly_ipo               3,9,12  2016-2035  preliminary_list          R-3w     prev     ipo
quarterly_ipo               3,9,12  2016-2035  final_list                R-2w     prev     ipo
quarterly_ipo               3,9,12  2016-2035  query_period_start        R-18d    keep     ipo
quarterly_ipo               3,9,12  2016-2035  query_period_end          R-2w     prev     ipo
quarterly_ipo               3,9,12  2016-2035  lock_down                 R-11d    keep     ipo
quarterly_ipo               3,9,12  2016-2035  price_cutoff              fri1+5d  prev     cutoff
semi_annual_reconstitution  12      2026-2035  recon_close               fri2     prev     semi
# The 90/10 index's own March, September and December reviews before the quarterly IPO reviews are
# dated here (2016): its cut-off rule, and its rebalance on the third Friday those reviews keep.
index_review                3,9,12  1989-2015  price_cutoff              fri1+5d  prev     cutoff
index_review                3,9,12  1989-2015  rebalance                 fri3     prev     backcast
semi_annual_reconstitution  12      2026-2035  rank_day                  eom-2    prev     semi
semi_annual_reconstitution  12      2026-2035  effective_open            next     keep     semi
"""

CALENDAR_SCHEMA = {
    "recon_year": pl.Int64,
    "review": pl.String,
    "review_type": pl.String,
    "event": pl.String,
    "date": pl.Date,
    "source": pl.String,
    "source_sha256": pl.String,
    "basis": pl.String,  # the rule and what it rests on (projected), or the document (published)
}
RULES_SCHEMA = {
    "review_type": pl.String,
    "month": pl.Int64,
    "first_year": pl.Int64,
    "last_year": pl.Int64,
    "event": pl.String,
    "rule": pl.String,
    "holiday": pl.String,
    "source": pl.String,
}
REVIEW_TYPES = ("annual_reconstitution", "semi_annual_reconstitution", "quarterly_ipo", "index_review")
EVENTS = (
    "rank_day",
    "ipo_rank",
    "preliminary_list",
    "updated_preliminary_list",
    "final_list",
    "ipo_announce",
    "query_period_start",
    "query_period_end",
    "lock_down",
    "recon_close",
    "effective_open",
    "price_cutoff",
    "rebalance",
)
# Events that legitimately occur several times in one review (told apart by date order).
REPEATING_EVENTS = frozenset({"updated_preliminary_list"})
KEY = ["review", "review_type", "event"]

_RULE = re.compile(
    r"^(?:(?P<base>fri(?P<nth>[1-5L])|R|eom-(?P<back>\d+))(?P<off>[+-]\d+[wd])?"
    r"|d(?P<mm>\d\d)-(?P<dd>\d\d)|next|weekly)$"
)


def parse_rules(text: str) -> pl.DataFrame:
    """The rules table as a frame, one row per (review_type, month, year range, event)."""
    rows = []
    for line, fields in table_rows(text, 7, "rules row (7 fields, the last a source)"):
        review_type, months, years, event, rule, holiday, source = fields
        first, last = (int(y) for y in years.split("-"))
        if (
            review_type not in REVIEW_TYPES
            or event not in EVENTS
            or holiday not in ("prev", "keep")
            or source not in RULE_SOURCES
        ):
            raise ValueError(f"bad rules row: {line.strip()}")
        if not _RULE.match(rule) or (rule.startswith("eom") and _RULE.match(rule)["off"]):
            raise ValueError(f"bad rule {rule!r} in rules row: {line.strip()}")
        for month in months.split(","):
            rows.append((review_type, int(month), first, last, event, rule, holiday, source))
    return pl.DataFrame(rows, schema=RULES_SCHEMA, orient="row")


RULES = parse_rules(RULES_TEXT)


def review_key(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def nth_friday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 7 * (n - 1))


def last_friday(year: int, month: int) -> date:
    end = date(year, month, _cal.monthrange(year, month)[1])
    return end - timedelta(days=(end.weekday() - 4) % 7)


def last_session_of_month(year: int, month: int) -> date:
    return previous_session(date(year, month, _cal.monthrange(year, month)[1]))


def _offset(text: str | None) -> timedelta:
    if not text:
        return timedelta(0)
    days = int(text[:-1]) * (7 if text[-1] == "w" else 1)
    return timedelta(days=days)


def _nominal(rule: str, year: int, month: int, anchor: date | None) -> date:
    """The rule's date before any holiday roll (anchor = nominal recon_close)."""
    m = _RULE.match(rule)
    if m["mm"]:
        return date(year, int(m["mm"]), int(m["dd"]))
    if m["nth"]:
        friday = last_friday(year, month) if m["nth"] == "L" else nth_friday(year, month, int(m["nth"]))
        return friday + _offset(m["off"])
    if m["back"]:
        y, mo = divmod(year * 12 + month - 1 - int(m["back"]), 12)
        return last_session_of_month(y, mo + 1)
    if anchor is None:
        raise ValueError(f"rule {rule!r} needs a recon_close rule for the same review")
    return anchor + _offset(m["off"])


def _roll(d: date, holiday: str) -> date:
    return previous_session(d) if holiday == "prev" else d


def _project_review(year: int, month: int, rules: dict[str, tuple[str, str]]) -> list[tuple[str, date]]:
    """(event, date) pairs of one review from its rules {event: (rule, holiday)}. Rules relative to
    recon_close (`R-...`, `next`, `weekly`) need a recon_close rule of the same review."""
    anchor = _nominal(rules["recon_close"][0], year, month, None) if "recon_close" in rules else None
    if anchor is None and any(rule in ("next", "weekly") for rule, _ in rules.values()):
        raise ValueError(
            f"review {review_key(year, month)} has rules relative to recon_close but no recon_close rule"
        )
    nominal = {
        event: _nominal(rule, year, month, anchor)
        for event, (rule, _) in rules.items()
        if rule not in ("next", "weekly")
    }
    out = [(event, _roll(d, rules[event][1])) for event, d in nominal.items()]
    if anchor is None:
        return out
    close = _roll(anchor, rules["recon_close"][1])
    out += [(event, next_session(close)) for event, (rule, _) in rules.items() if rule == "next"]
    for event, (rule, holiday) in rules.items():
        if rule == "weekly" and "preliminary_list" in nominal:
            # Updates come every Friday after the preliminary lists until the final list
            # (or, in eras without one, until the last Friday before recon_close).
            stop = nominal.get("final_list", anchor)
            d = nominal["preliminary_list"] + timedelta(weeks=1)
            while d < stop:
                out.append((event, _roll(d, holiday)))
                d += timedelta(weeks=1)
    return out


_NTH = {"1": "first", "2": "second", "3": "third", "4": "fourth", "5": "fifth", "L": "last"}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _shift(text: str | None, anchor: str) -> str:
    """`anchor` moved by a rule's offset, in words: `+5d` from a Friday is `the Wednesday after ...`."""
    if not text:
        return anchor
    count, unit = abs(int(text[:-1])), "week" if text[-1] == "w" else "day"
    side = "after" if text[0] == "+" else "before"
    if unit == "day" and count < 7 and anchor.startswith(("the ", "its ")) and "Friday" in anchor:
        return f"the {_WEEKDAYS[(4 + int(text[:-1])) % 7]} {side} {anchor}"
    return f"{count} {unit}{'s' if count > 1 else ''} {side} {anchor}"


def rule_words(rule: str, month: int) -> str:
    """A rule of the rules table in words, for a review in `month`: `eom-2` in June is `the last NYSE
    session of April` (the notation: the comment above `RULES_TEXT`, docs/methodology.md section 3.2)."""
    m = _RULE.match(rule)
    if m is None:
        raise ValueError(f"bad rule {rule!r}")
    if m["mm"]:
        return f"{_cal.month_name[int(m['mm'])]} {int(m['dd'])}"
    if m["nth"]:
        return _shift(m["off"], f"the {_NTH[m['nth']]} Friday of {_cal.month_name[month]}")
    if m["back"]:
        return f"the last NYSE session of {_cal.month_name[(month - 1 - int(m['back'])) % 12 + 1]}"
    if rule == "next":
        return "the first session after recon_close"
    if rule == "weekly":
        return "each Friday after the preliminary lists, before the final list"
    return _shift(m["off"], "the nominal recon_close Friday")


def rule_basis(rule: str, holiday: str, source: str, month: int) -> str:
    """What a projected date rests on: its rule with the rule in words (section 3.2 of
    docs/methodology.md), and its source: `rule eom-2 = the last NYSE session of April (previous
    session if not one): ...`."""
    roll = (
        ""
        if rule == "next"
        else " (previous session if not one)"
        if holiday == "prev"
        else " (kept on a holiday)"
    )
    return f"rule {rule} = {rule_words(rule, month)}{roll}: {RULE_SOURCES[source]}"


def project_calendar(year: int, rules: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every projected event of the reviews whose key falls in `year` (recon_year = year)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {year} is outside the projected range {FIRST_YEAR}..{LAST_YEAR}")
    return _by_rules(year) if rules is None else _project(year, rules)


@cache
def _by_rules(year: int) -> pl.DataFrame:
    """`RULES`' projection of `year`, made once per process: the build asks for a year's calendar at every
    document's rank day, review cut-off and calendar partition (a frame: every method returns a new one)."""
    return _project(year, RULES)


def _project(year: int, table: pl.DataFrame) -> pl.DataFrame:
    active = table.filter((pl.col("first_year") <= year) & (pl.col("last_year") >= year))
    dupes = active.filter(pl.struct("review_type", "month", "event").is_duplicated())
    if dupes.height:
        raise ValueError(f"overlapping rules for {year}: {dupes.rows()}")
    rows = []
    for (review_type, month), group in active.sort("review_type", "month").group_by(
        ["review_type", "month"], maintain_order=True
    ):
        spec = {r["event"]: (r["rule"], r["holiday"]) for r in group.iter_rows(named=True)}
        basis = {
            r["event"]: rule_basis(r["rule"], r["holiday"], r["source"], month)
            for r in group.iter_rows(named=True)
        }
        for event, d in _project_review(year, month, spec):
            rows.append(
                (year, review_key(year, month), review_type, event, d, "projected", None, basis[event])
            )
    frame = pl.DataFrame(rows, schema=CALENDAR_SCHEMA, orient="row")
    return frame.sort("date", "review", "review_type", "event")


def with_occurrence(calendar: pl.DataFrame) -> pl.DataFrame:
    """Adds `occurrence` (1, 2, ... by date) within (review, review_type, event)."""
    return calendar.with_columns(occurrence=pl.col("date").rank("ordinal").over(KEY).cast(pl.Int64))


def rank_day(year: int) -> date | None:
    """The year's first rank day by rule (the annual reconstitution's), None outside the projected years."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    days = project_calendar(year).filter(pl.col("event") == "rank_day")["date"]
    return days.min() if days.len() else None
