"""Reconstitution calendar: rules projection, published schedules, reconciliation, iCalendar."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import polars as pl
import pytest

from russell_pipeline.lib.calendar.ics import to_ics
from russell_pipeline.lib.calendar.projection import (
    CALENDAR_SCHEMA,
    LAST_YEAR,
    RULES,
    RULES_TEXT,
    parse_rules,
    project_calendar,
    rank_day,
    rule_basis,
    rule_words,
)
from russell_pipeline.lib.calendar.published import disagreements, reconcile
from russell_pipeline.lib.calendar.rule_sources import RULE_SOURCES
from russell_pipeline.lib.calendar.schedules import parse_schedule
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.sessions import FIRST_DAY, LAST_DAY, is_session, sessions
from russell_pipeline_tests.helpers import SHARED

RAW = Path(__file__).resolve().parents[2] / "data_lake" / "raw"
SEED_2019 = next(RAW.glob("2019/002_*.txt"))
SEED_2022 = next(RAW.glob("2022/003_*.txt"))


def _on(year: int, review: str, event: str, review_type: str | None = None) -> list[date]:
    cal = project_calendar(year).filter(review=review, event=event)
    if review_type:
        cal = cal.filter(review_type=review_type)
    return sorted(cal["date"].to_list())


def _facts_table() -> list:
    """(year, event, date) from CALENDAR_FACTS.md's table of published dates."""
    path = SHARED / "CALENDAR_FACTS.md"
    if not path.exists():  # one skipped case naming the file (conftest fails it where ../shared/real exists)
        reason = f"{path} not present (FTSE Russell's published dates, kept beside the real PDFs)"
        return [pytest.param(0, "", None, marks=pytest.mark.skip(reason=reason))]
    events = {
        "rank_day": "rank_day",
        "first preliminary_list": "preliminary_list",
        "lock_down": "lock_down",
        "recon_close": "recon_close",
    }
    text = path.read_text().splitlines()
    start = next(i for i, ln in enumerate(text) if ln.startswith("|"))
    # The first table only (the published dates); other tables follow it after a line of prose.
    lines = [ln for ln in itertools.takewhile(lambda ln: ln.startswith("|"), text[start:])]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    out = []
    for line in lines[2:]:
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|"))))
        for column, event in events.items():
            if cells[column]:
                out.append((int(cells["year"]), event, date.fromisoformat(cells[column])))
    return out


# Before 2016 (dates typed from the membership lists FTSE Russell dated the Monday the new index took
# effect, or the Friday before; rank day as of May 31, the last session on or before it: Friday 28 May
# in 2010, May 31 being Memorial Day; Friday 30 May 2014 and Friday 29 May 2015, weekends).
EARLY = [
    (2010, "2010-05-28", "2010-06-25", "2010-06-28"),
    (2011, "2011-05-31", "2011-06-24", "2011-06-27"),
    (2012, "2012-05-31", "2012-06-22", "2012-06-25"),
    (2013, "2013-05-31", "2013-06-28", "2013-07-01"),
    (2014, "2014-05-30", "2014-06-27", "2014-06-30"),
    (2015, "2015-05-29", "2015-06-26", "2015-06-29"),
]


@pytest.mark.parametrize(
    ("year", "rank_day", "recon_close", "effective_open"), EARLY, ids=[e[0] for e in EARLY]
)
def test_2010_to_2015_project_rank_day_recon_close_and_the_effective_open(
    year, rank_day, recon_close, effective_open
):
    russell = project_calendar(year).filter(
        pl.col("review_type") == "annual_reconstitution", pl.col("event") != "price_cutoff"
    )  # the 90/10 index's own
    got = {r["event"]: str(r["date"]) for r in russell.iter_rows(named=True)}
    assert got == {"rank_day": rank_day, "recon_close": recon_close, "effective_open": effective_open}


@pytest.mark.parametrize(("year", "event", "expected"), _facts_table(), ids=lambda v: str(v))
def test_calendar_facts_table(year, event, expected):
    assert _on(year, f"{year}-06", event, "annual_reconstitution") == [expected]


# The published dates of docs/methodology.md section 3.6 (the table of CALENDAR_FACTS.md, restated):
# the rules of every era from 2016 are checked here, whether or not ../shared is present.
PUBLISHED_TEXT = """
2016 2016-05-27 2016-06-10 -          2016-06-24
2017 2017-05-12 2017-06-09 -          2017-06-23
2018 2018-05-11 2018-06-08 -          2018-06-22
2019 2019-05-10 2019-06-07 2019-06-17 2019-06-28
2020 2020-05-08 2020-06-05 -          2020-06-26
2021 2021-05-07 2021-06-04 -          2021-06-25
2022 2022-05-06 2022-06-03 2022-06-13 2022-06-24
2023 2023-04-28 2023-05-19 2023-06-05 2023-06-23
2024 2024-04-30 2024-05-24 2024-06-10 2024-06-28
2025 2025-04-30 2025-05-23 2025-06-09 2025-06-27
"""
PUBLISHED = [
    (int(year), event, date.fromisoformat(day))
    for year, *days in (line.split() for line in PUBLISHED_TEXT.strip().splitlines())
    for event, day in zip(("rank_day", "preliminary_list", "lock_down", "recon_close"), days, strict=True)
    if day != "-"
]


@pytest.mark.parametrize(("year", "event", "expected"), PUBLISHED, ids=lambda v: str(v))
def test_published_dates_of_every_era_from_2016(year, event, expected):
    assert _on(year, f"{year}-06", event, "annual_reconstitution")[:1] == [expected]


# The years on both sides of each change of rule (RULES_TEXT's eras): the event's dates in the last
# year of one era and the first of the next, worked out on a calendar of each June ([]: no such event).
ERA_SIDES = [
    (2015, "rank_day", ["2015-05-29"]),  # as of May 31, a Sunday: the session before
    (2016, "rank_day", ["2016-05-27"]),  # four weeks before recon_close (24 June)
    (2016, "preliminary_list", ["2016-06-10"]),
    (2015, "preliminary_list", []),  # 2010-2015: no list release is dated
    (2010, "preliminary_list", []),
    (2009, "preliminary_list", ["2009-06-12"]),  # two weeks before recon_close (26 June)
    (2018, "lock_down", []),
    (2019, "lock_down", ["2019-06-17"]),  # 11 days before recon_close (28 June)
    (2022, "lock_down", ["2022-06-13"]),
    (2023, "lock_down", ["2023-06-05"]),  # 18 days before recon_close (23 June)
    (2018, "query_period_start", []),
    (2019, "query_period_start", ["2019-05-24"]),
    (2018, "query_period_end", []),
    (2019, "query_period_end", ["2019-06-14"]),  # two weeks before recon_close
    (2022, "query_period_end", ["2022-06-10"]),
    (2023, "query_period_end", ["2023-06-02"]),  # three weeks before recon_close
    (2018, "final_list", []),
    (2019, "final_list", ["2019-06-21"]),  # a week before recon_close, 2019-2022 only
    (2022, "final_list", ["2022-06-17"]),
    (2023, "final_list", []),
    (2022, "rank_day", ["2022-05-06"]),  # seven weeks before recon_close
    (2023, "rank_day", ["2023-04-28"]),  # the last session of April (the 30th a Sunday)
    (2003, "recon_close", ["2003-06-30"]),  # the last trading day of June, a Monday
    (2004, "recon_close", ["2004-06-25"]),  # the last Friday
    (2006, "recon_close", ["2006-06-30"]),
    (2007, "recon_close", ["2007-06-22"]),  # the fourth Friday (the last is the 29th)
    # Weekly updates: until recon_close where no final list is dated, until the final list where one is.
    (2018, "updated_preliminary_list", ["2018-06-15"]),  # lists 8 June, recon_close 22 June
    (2019, "updated_preliminary_list", ["2019-06-14"]),  # lists 7 June, final list 21 June
    (2022, "updated_preliminary_list", ["2022-06-10"]),  # lists 3 June, final list 17 June
]


@pytest.mark.parametrize(("year", "event", "expected"), ERA_SIDES, ids=lambda v: str(v))
def test_both_sides_of_every_change_of_rule(year, event, expected):
    assert _on(year, f"{year}-06", event, "annual_reconstitution") == [
        date.fromisoformat(d) for d in expected
    ]


@pytest.mark.parametrize(
    ("year", "reviews"),
    [(2015, []), (2016, ["2016-03", "2016-09", "2016-12"]), (2025, ["2025-03", "2025-09", "2025-12"])],
)
def test_quarterly_ipo_reviews_start_in_2016(year, reviews):
    cal = project_calendar(year).filter(review_type="quarterly_ipo", event="recon_close")
    assert sorted(cal["review"]) == reviews


@pytest.mark.parametrize(("year", "reviews"), [(2025, []), (2026, ["2026-12"])])
def test_the_semi_annual_reconstitution_starts_in_2026(year, reviews):
    cal = project_calendar(year).filter(review_type="semi_annual_reconstitution", event="recon_close")
    assert sorted(cal["review"]) == reviews


# Dates stated in CALENDAR_FACTS.md's rules prose.
PROSE_FACTS = [
    (2023, "2023-03", "quarterly_ipo", "ipo_rank", [date(2023, 2, 10)]),
    (2023, "2023-09", "quarterly_ipo", "ipo_rank", [date(2023, 7, 31)]),
    (2023, "2023-12", "quarterly_ipo", "ipo_rank", [date(2023, 10, 31)]),
    (2024, "2024-06", "annual_reconstitution", "preliminary_list", [date(2024, 5, 24)]),
    (
        2024,
        "2024-06",
        "annual_reconstitution",
        "updated_preliminary_list",
        [date(2024, 5, 31), date(2024, 6, 7), date(2024, 6, 14), date(2024, 6, 21)],
    ),
    (2024, "2024-06", "annual_reconstitution", "lock_down", [date(2024, 6, 10)]),
    (2024, "2024-06", "annual_reconstitution", "recon_close", [date(2024, 6, 28)]),
    (2024, "2024-06", "annual_reconstitution", "effective_open", [date(2024, 7, 1)]),
    (2026, "2026-12", "semi_annual_reconstitution", "rank_day", [date(2026, 10, 30)]),
    (2026, "2026-12", "semi_annual_reconstitution", "recon_close", [date(2026, 12, 11)]),
    (2026, "2026-12", "semi_annual_reconstitution", "effective_open", [date(2026, 12, 14)]),
]


@pytest.mark.parametrize(("year", "review", "review_type", "event", "expected"), PROSE_FACTS)
def test_calendar_facts_prose(year, review, review_type, event, expected):
    assert _on(year, review, event, review_type) == expected


# What each seed says, read by eye from the document (review, review_type, event, date).
A, Q = "annual_reconstitution", "quarterly_ipo"
SEED_2019_EXPECTED = {
    ("2019-06", A, "rank_day", date(2019, 5, 10)),
    ("2019-06", A, "preliminary_list", date(2019, 6, 7)),
    ("2019-06", A, "query_period_start", date(2019, 5, 24)),
    ("2019-06", A, "query_period_end", date(2019, 6, 14)),
    ("2019-06", A, "lock_down", date(2019, 6, 17)),
    ("2019-06", A, "recon_close", date(2019, 6, 28)),
    ("2019-06", A, "effective_open", date(2019, 7, 1)),
}
_Q22 = {  # review: (ipo_rank/prelim..., final, query start, lock-down, effective)
    "2022-03": ("11 Feb", "25 Feb", "4 Mar", "28 Feb", "7 Mar", "21 Mar"),
    "2022-09": ("12 Aug", "26 Aug", "2 Sep", "29 Aug", "5 Sep", "19 Sep"),
    "2022-12": ("11 Nov", "25 Nov", "2 Dec", "28 Nov", "5 Dec", "19 Dec"),
}


def _d(text: str) -> date:
    return datetime.strptime(f"{text} 2022", "%d %b %Y").date()


SEED_2022_EXPECTED = {
    ("2022-06", A, "rank_day", date(2022, 5, 6)),
    ("2022-06", A, "preliminary_list", date(2022, 6, 3)),
    ("2022-06", A, "updated_preliminary_list", date(2022, 6, 10)),
    ("2022-06", A, "final_list", date(2022, 6, 17)),
    ("2022-06", A, "query_period_start", date(2022, 5, 20)),
    ("2022-06", A, "query_period_end", date(2022, 6, 10)),
    ("2022-06", A, "lock_down", date(2022, 6, 13)),
    ("2022-06", A, "recon_close", date(2022, 6, 24)),  # the Friday close before the open of 27 June
    ("2022-06", A, "effective_open", date(2022, 6, 27)),
} | {
    row
    for review, (rank, prelim, final, q_start, lock, eff) in _Q22.items()
    for row in [
        (review, Q, "ipo_rank", _d(rank)),
        (review, Q, "ipo_announce", _d(prelim)),
        (review, Q, "preliminary_list", _d(prelim)),
        (review, Q, "final_list", _d(final)),
        (review, Q, "query_period_start", _d(q_start)),
        (review, Q, "query_period_end", _d(final)),
        (review, Q, "lock_down", _d(lock)),
        (review, Q, "recon_close", _d(eff) - timedelta(days=3)),  # the Friday close before that Monday
        (review, Q, "effective_open", _d(eff)),
    ]
}


def _parse(path: Path) -> pl.DataFrame:
    return parse_schedule(path.read_text().splitlines(), str(path), "sha-" + path.stem).rows


@pytest.mark.parametrize(
    ("seed", "expected"), [(SEED_2019, SEED_2019_EXPECTED), (SEED_2022, SEED_2022_EXPECTED)]
)
def test_seed_parses_to_what_the_document_says(seed, expected):
    published = _parse(seed)
    assert dict(published.schema) == CALENDAR_SCHEMA
    assert set(published.select("review", "review_type", "event", "date").iter_rows()) == expected
    assert published["source"].unique().to_list() == ["published"]
    assert published["source_sha256"].unique().to_list() == ["sha-" + seed.stem]


def _published_rows():
    return [row for seed in (SEED_2019, SEED_2022) for row in _parse(seed).iter_rows(named=True)]


@pytest.mark.parametrize(
    "row", _published_rows(), ids=lambda r: f"{r['review']}-{r['review_type']}-{r['event']}"
)
def test_every_published_seed_date_equals_projection(row):
    assert row["date"] in _on(row["recon_year"], row["review"], row["event"], row["review_type"])


def test_seeds_reconcile_without_disagreement():
    for seed in (SEED_2019, SEED_2022):
        published = _parse(seed)
        cal = reconcile(project_calendar(published["recon_year"][0]), published)
        assert disagreements(cal).height == 0
        assert cal.filter(source="published").height == published.height


def test_juneteenth_moves_to_previous_session():
    assert not is_session(date(2024, 6, 19))
    assert _on(2024, "2024-06", "price_cutoff") == [date(2024, 6, 18)]
    # 2026-06-19 is a Friday: the weekly update moves to Thursday.
    assert date(2026, 6, 18) in _on(2026, "2026-06", "updated_preliminary_list")


def test_the_sessions_load_the_nyse_calendar_alone_and_its_closures_are_the_packages_own():
    """lib/sessions.py runs holidays' NYSE module from its file: a new process computing sessions imports
    no other exchange and no country, and the closures equal `holidays.financial_holidays("NYSE")`'s."""
    code = (
        "import sys; from russell_pipeline.lib.sessions import FIRST_DAY, LAST_DAY, sessions; "
        "sessions(FIRST_DAY, LAST_DAY); "
        "print(sorted(m for m in sys.modules if m.startswith(('holidays.financial', 'holidays.countries'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout[:500]
    import holidays

    from russell_pipeline.lib.sessions import _closures

    years = range(FIRST_DAY.year, LAST_DAY.year + 1)
    assert dict(_closures(years)) == dict(holidays.financial_holidays("NYSE", years=years))


def test_the_sessions_are_exchange_calendars_xnys_sessions_day_for_day():
    """The NYSE closures come from the holidays package; exchange-calendars' XNYS calendar (a test
    dependency) is the reference: every session from 1989 to 2035 the same, holidays and special
    closures (2001-09-11..14, 2012-10-29..30, the days of mourning) included."""
    import exchange_calendars as xcals

    xnys = xcals.get_calendar("XNYS", start=FIRST_DAY.isoformat(), end=LAST_DAY.isoformat())
    expected = [ts.date() for ts in xnys.sessions]
    assert sessions(FIRST_DAY, LAST_DAY) == expected and len(expected) == 11829
    for closed in (
        date(2001, 9, 11),
        date(2001, 9, 14),
        date(2012, 10, 29),
        date(2012, 10, 30),
        date(2004, 6, 11),
        date(2007, 1, 2),
        date(2018, 12, 5),
        date(2025, 1, 9),
        date(2022, 6, 20),
        date(2035, 12, 25),
    ):
        assert not is_session(closed)


def test_special_closures_come_from_the_nyse_calendar():
    # Rules landing on the 2018-12-05 and 2025-01-09 closures (no hand-written holiday list).
    rules = parse_rules("""
        quarterly_ipo  12  2018-2018  recon_close   fri3     prev  ipo
        quarterly_ipo  12  2018-2018  price_cutoff  fri1-2d  prev  cutoff
        quarterly_ipo  1   2025-2025  recon_close   fri2     prev  ipo
        quarterly_ipo  1   2025-2025  price_cutoff  fri2-1d  prev  cutoff
    """)
    assert not is_session(date(2018, 12, 5)) and not is_session(date(2025, 1, 9))
    assert project_calendar(2018, rules).filter(event="price_cutoff")["date"].to_list() == [date(2018, 12, 4)]
    assert project_calendar(2025, rules).filter(event="price_cutoff")["date"].to_list() == [date(2025, 1, 8)]
    source = (Path(__file__).resolve().parents[2] / "russell_pipeline/lib/calendar/projection.py").read_text()
    assert not re.search(r"2018.12.0?5|2025.0?1.0?9", source)


def test_semi_annual_month_is_data_not_code():
    assert {"2026-12"} == set(
        project_calendar(2026).filter(review_type="semi_annual_reconstitution")["review"]
    )
    assert project_calendar(2025).filter(review_type="semi_annual_reconstitution").height == 0
    november = parse_rules(
        RULES_TEXT.replace("semi_annual_reconstitution  12 ", "semi_annual_reconstitution  11 ")
    )
    semi = project_calendar(2026, november).filter(review_type="semi_annual_reconstitution")
    assert dict(zip(semi["event"], semi["date"])) == {
        "rank_day": date(2026, 9, 30),
        "recon_close": date(2026, 11, 13),
        "effective_open": date(2026, 11, 16),
    }
    # The rules' projection, kept per year for the process, is not the one of other rules.
    assert {"2026-12"} == set(
        project_calendar(2026).filter(review_type="semi_annual_reconstitution")["review"]
    )


@pytest.mark.parametrize("year", range(2016, LAST_YEAR + 1))  # the 90/10 reviews: quarterly from 2016
def test_one_price_cutoff_and_recon_close_per_review(year):
    cal = project_calendar(year)
    assert dict(cal.schema) == CALENDAR_SCHEMA
    assert (cal["recon_year"] == year).all() and cal["review"].str.starts_with(str(year)).all()
    assert (cal["source"] == "projected").all() and cal["source_sha256"].is_null().all()
    weights = cal.filter(pl.col("review_type").is_in(["annual_reconstitution", "quarterly_ipo"]))
    for month in ("03", "06", "09", "12"):
        review = weights.filter(review=f"{year}-{month}")
        (cutoff,) = review.filter(event="price_cutoff")["date"]
        (close,) = review.filter(event="recon_close")["date"]
        assert is_session(cutoff) and is_session(close) and cutoff < close
        assert close.weekday() == 4 or not is_session(close + timedelta(days=1))  # Friday or rolled
    assert (
        cal.filter(pl.col("event") != "updated_preliminary_list")
        .select("review", "review_type", "event")
        .is_duplicated()
        .sum()
        == 0
    )


def test_rules_table_has_no_overlapping_eras():
    years = RULES.with_columns(year=pl.int_ranges("first_year", pl.col("last_year") + 1)).explode("year")
    assert years.select("review_type", "month", "event", "year").is_duplicated().sum() == 0


LINES_2023 = """Russell US Indexes – Annual Reconstitution 2023
Friday 28 April 2023: Rank day. Eligibility is determined at market close.
Friday 19 May 2023: Preliminary membership lists are published after market close.
Monday 05 June 2023: Lock-down.
Friday 23 June 2023: The Russell US reconstitution is implemented after market close.
Summary:
Date\tAction
Friday 28 April\tRank and cut-off day for new information
Friday 19 May to Friday 02 June\tQuery period
Monday 26 June\tThe Reconstitution changes are effective (from the open)""".splitlines()

LINES_2024 = """Russell US Indexes – Annual Reconstitution 2024
Tuesday 30 April 2024: Rank day.
Friday 24 May 2024: Preliminary membership lists are published after market close.
Friday 31 May 2024: Updated preliminary lists are published after market close.
Friday 07 June 2024: Updated preliminary lists are published after market close.
Monday 10 June 2024: Lock-down.
Friday 14 June 2024: Updated preliminary lists are published after market close.
Friday 21 June 2024: Updated preliminary lists are published after market close.
Friday 28 June 2024: The Russell US reconstitution is implemented after market close.
Summary:
Friday 07 June	Updated preliminary lists""".splitlines()

LINES_2026 = """Index Review Reference Data cut-off dates for 2026
\tQuarterly IPO September 2026\tSemi-Annual Reconstitution December 2026
Index Rebalance Market Capitalisation data cut-off\t31 July 2026\t30 October 2026
Release of Updated Preliminary Index Membership Files\tN/A\tN/A
Review Effective Date (open of)\t21 September 2026\t14 December 2026""".splitlines()


@pytest.mark.parametrize(
    ("lines", "rows"),
    [(LINES_2023, 7), (LINES_2024, 9), (LINES_2026, 6)],
    ids=["2019-style-2023", "weekly-updates-2024", "2022-style-2026"],
)
def test_other_years_of_the_family_parse_and_match(lines, rows):
    published = parse_schedule(lines, "doc.txt", "abc").rows
    assert published.height == rows
    for row in published.iter_rows(named=True):
        assert row["date"] in _on(row["recon_year"], row["review"], row["event"], row["review_type"]), row


@pytest.mark.parametrize("where", ["before", "after"])
def test_prose_naming_another_review_or_year_does_not_say_what_the_schedule_is(where):
    """A disclaimer page before the timetable that mentions quarterly IPO additions and a copyright year
    read the whole schedule as a quarterly IPO one (its rank day as `ipo_rank`, no lock-down): the
    document is what its title names, not what a sentence of prose mentions."""
    prose = [
        "Copyright 2025 London Stock Exchange Group plc and its applicable group undertakings.",
        "Quarterly IPO additions are announced after the close of the rank day of each quarter.",
    ]
    schedule = [
        "Russell US Indexes - Annual Reconstitution 2024",
        "Tuesday 30 April 2024: Rank day.",
        "Friday 24 May 2024: Preliminary lists posted after the close.",
        "Monday 10 June 2024: Lock-down period begins.",
        "Friday 28 June 2024: Reconstitution implemented after the close.",
    ]
    lines = prose + schedule if where == "before" else schedule + prose
    published = parse_schedule(lines, "schedule.txt", "abc").rows
    assert set(published["review_type"]) == {"annual_reconstitution"}
    assert published.filter(pl.col("event") == "rank_day")["date"].to_list() == [date(2024, 4, 30)]
    assert published.filter(pl.col("event") == "lock_down")["date"].to_list() == [date(2024, 6, 10)]


def test_us_style_dates_parse():
    lines = [
        "2024 Russell annual reconstitution schedule",
        "Tuesday, April 30, 2024 – Rank day",
        "Friday, June 28, 2024 – Reconstitution implemented after the close",
    ]
    published = parse_schedule(lines, "us.txt", "abc").rows
    assert published.select("review", "event", "date").rows() == [
        ("2024-06", "rank_day", date(2024, 4, 30)),
        ("2024-06", "recon_close", date(2024, 6, 28)),
        ("2024-06", "effective_open", date(2024, 7, 1)),
    ]


HEAD_19 = "Russell US Indexes – Annual Reconstitution 2019"
HEAD_22 = "\tQuarterly IPO March 2022\tAnnual Reconstitution June 2022"


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        ([HEAD_19, "Friday 31 June 2019: Rank day."], "line 2: impossible date"),
        (
            [HEAD_19, "Friday 11 May 2019: Rank day."],
            "line 2: 'Friday 11 May 2019' is a Saturday, not a Friday",
        ),
        ([HEAD_19, "", "Friday 11 May\tRank and cut-off day"], "line 3: 'Friday 11 May' is a Saturday"),
        ([HEAD_19, "Friday 1O May 2019: Rank day."], "line 2: unparseable date"),
        (
            [HEAD_22, "Release of Preliminary Index Membership Files\t25 February 2022\t31 June 2022"],
            "line 2: impossible date '31 June 2022'",
        ),
        (
            [HEAD_22, "Release of Preliminary Index Membership Files\t25 February 2022\tsoon"],
            "line 2: unparseable date 'soon' under '2022-06'",
        ),
    ],
)
def test_bad_dates_raise_input_error_naming_file_and_line(lines, problem):
    with pytest.raises(InputError) as err:
        parse_schedule(lines, "raw/2019/bad.txt", "abc")
    message = str(err.value)
    assert message.startswith("raw/2019/bad.txt: ") and problem in message and "\n" not in message


def _published(*rows) -> pl.DataFrame:
    return pl.DataFrame(
        [(int(r[0][:4]), *r, "published", "sha", "published: raw/2024/schedule.txt") for r in rows],
        schema=CALENDAR_SCHEMA,
        orient="row",
    )


def test_reconcile_published_wins_and_both_stay_visible():
    projected = project_calendar(2024)
    published = _published(
        ("2024-06", "annual_reconstitution", "rank_day", date(2024, 5, 1)),
        ("2024-06", "annual_reconstitution", "updated_preliminary_list", date(2024, 5, 31)),
        ("2024-06", "annual_reconstitution", "final_list", date(2024, 6, 21)),
    )
    cal = reconcile(projected, published)
    assert cal.columns == [*CALENDAR_SCHEMA, "projected_date"]
    assert cal.height == projected.height + 1  # final_list is not projected in the 2023+ era
    rank = cal.filter(event="rank_day", review="2024-06").row(0, named=True)
    assert (rank["date"], rank["projected_date"], rank["source"]) == (
        date(2024, 5, 1),
        date(2024, 4, 30),
        "published",
    )
    updates = cal.filter(event="updated_preliminary_list")
    assert updates["source"].to_list() == ["published", "projected", "projected", "projected"]
    assert (cal.filter(source="projected")["date"] == cal.filter(source="projected")["projected_date"]).all()
    assert reconcile(projected, None).drop("projected_date").equals(projected)
    assert reconcile(projected, published.clear()).equals(reconcile(projected, None))  # no rows: None
    diff = disagreements(cal)
    assert diff.select("event", "days_off").rows() == [("rank_day", 1), ("final_list", None)]


def test_ics_round_trips_with_stable_unique_uids():
    cal = reconcile(project_calendar(2022), _parse(SEED_2022))
    exported = datetime(2022, 3, 1, 12, 30, 5, tzinfo=UTC)
    data = to_ics(cal, exported)
    assert data == to_ics(cal, exported)  # the same bytes for the same frame and export time
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    uids = [str(e["uid"]) for e in events]
    assert len(events) == cal.height and len(set(uids)) == len(uids)
    assert sorted(e.decoded("dtstart") for e in events) == sorted(cal["date"])
    summaries = {str(e["summary"]) for e in events}
    assert "Russell 2022-06 annual reconstitution: rank day (published)" in summaries
    assert "Russell 2022-06 annual reconstitution: recon close (published)" in summaries
    assert "Russell 2022-06 annual reconstitution: price cutoff (projected)" in summaries
    projected = icalendar.Calendar.from_ical(to_ics(project_calendar(2024))).walk("VEVENT")
    assert "Russell 2024-06 annual reconstitution: rank day (projected)" in {
        str(e["summary"]) for e in projected
    }
    moved = cal.with_columns(
        date=pl.when(pl.col("event") == "rank_day")
        .then(pl.col("date") + pl.duration(days=1))
        .otherwise("date")
    )
    moved_uids = [str(e["uid"]) for e in icalendar.Calendar.from_ical(to_ics(moved)).walk("VEVENT")]
    assert set(moved_uids) == set(uids)


# DESIGN "90/10 methodology" step 1, typed from a wall calendar (not from the rules table):
# cut-off = the Wednesday after the 1st Friday of Mar/Sep/Dec and after the 2nd Friday of June,
# effective = the 3rd Friday of Mar/Sep/Dec and the annual reconstitution Friday of June (the
# 4th Friday; CALENDAR_FACTS.md's recon_close column). Either moves to the previous session on
# an NYSE holiday: only Juneteenth 2024 (Wednesday 19 June) hits one of them in 2019-2026.
TYPED_REVIEW_DATES = [
    ("2019-03", date(2019, 3, 6), date(2019, 3, 15)),
    ("2019-06", date(2019, 6, 19), date(2019, 6, 28)),
    ("2019-09", date(2019, 9, 11), date(2019, 9, 20)),
    ("2019-12", date(2019, 12, 11), date(2019, 12, 20)),
    ("2020-03", date(2020, 3, 11), date(2020, 3, 20)),
    ("2020-06", date(2020, 6, 17), date(2020, 6, 26)),
    ("2020-09", date(2020, 9, 9), date(2020, 9, 18)),
    ("2020-12", date(2020, 12, 9), date(2020, 12, 18)),
    ("2021-03", date(2021, 3, 10), date(2021, 3, 19)),
    ("2021-06", date(2021, 6, 16), date(2021, 6, 25)),
    ("2021-09", date(2021, 9, 8), date(2021, 9, 17)),
    ("2021-12", date(2021, 12, 8), date(2021, 12, 17)),
    ("2022-03", date(2022, 3, 9), date(2022, 3, 18)),
    ("2022-06", date(2022, 6, 15), date(2022, 6, 24)),
    ("2022-09", date(2022, 9, 7), date(2022, 9, 16)),
    ("2022-12", date(2022, 12, 7), date(2022, 12, 16)),
    ("2023-03", date(2023, 3, 8), date(2023, 3, 17)),
    ("2023-06", date(2023, 6, 14), date(2023, 6, 23)),
    ("2023-09", date(2023, 9, 6), date(2023, 9, 15)),
    ("2023-12", date(2023, 12, 6), date(2023, 12, 15)),
    ("2024-03", date(2024, 3, 6), date(2024, 3, 15)),
    ("2024-06", date(2024, 6, 18), date(2024, 6, 28)),  # Wed 19 June 2024 is Juneteenth
    ("2024-09", date(2024, 9, 11), date(2024, 9, 20)),
    ("2024-12", date(2024, 12, 11), date(2024, 12, 20)),
    ("2025-03", date(2025, 3, 12), date(2025, 3, 21)),
    ("2025-06", date(2025, 6, 18), date(2025, 6, 27)),
    ("2025-09", date(2025, 9, 10), date(2025, 9, 19)),
    ("2025-12", date(2025, 12, 10), date(2025, 12, 19)),
    ("2026-03", date(2026, 3, 11), date(2026, 3, 20)),
    ("2026-06", date(2026, 6, 17), date(2026, 6, 26)),
    ("2026-09", date(2026, 9, 9), date(2026, 9, 18)),
    ("2026-12", date(2026, 12, 9), date(2026, 12, 18)),  # the semi-annual recon (11 Dec) is not T
]


def test_price_cutoff_and_effective_date_of_every_review_2019_2026():
    from russell_pipeline.lib.calendar.reviews import rebalance_dates

    calendar = pl.concat([project_calendar(year) for year in range(2019, 2027)])
    got = rebalance_dates(calendar)
    assert got.rows() == TYPED_REVIEW_DATES
    # The typed cut-offs are Wednesdays except where a holiday moved them (to a Tuesday).
    weekdays = {review: cutoff.weekday() for review, cutoff, _ in TYPED_REVIEW_DATES}
    assert {r for r, wd in weekdays.items() if wd != 2} == {"2024-06"} and weekdays["2024-06"] == 1


GOOD_ROW = "quarterly_ipo  3  2020-2020  recon_close  fri3  prev  ipo"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "weekly_ipo  3  2020-2020  recon_close  fri3  prev  ipo",
            "bad rules row: weekly_ipo  3  2020-2020  recon_close  fri3  prev  ipo",
        ),
        (
            "quarterly_ipo  3  2020-2020  close_day  fri3  prev  ipo",
            "bad rules row: quarterly_ipo  3  2020-2020  close_day  fri3  prev  ipo",
        ),
        (
            "quarterly_ipo  3  2020-2020  recon_close  fri3  next  ipo",
            "bad rules row: quarterly_ipo  3  2020-2020  recon_close  fri3  next  ipo",
        ),
        (
            "quarterly_ipo  3  2020-2020  recon_close  fri3  prev  hearsay",
            "bad rules row: quarterly_ipo  3  2020-2020  recon_close  fri3  prev  hearsay",
        ),
        (
            "quarterly_ipo  3  2020-2020  recon_close  fri3  prev",
            (
                "bad rules row \\(7 fields, the last a source\\): "
                "quarterly_ipo  3  2020-2020  recon_close  fri3  prev"
            ),
        ),
        (
            "quarterly_ipo  3  2020-2020  recon_close  fri6  prev  ipo",
            "bad rule 'fri6' in rules row: quarterly_ipo  3  2020-2020  recon_close  fri6  prev  ipo",
        ),
        (
            "quarterly_ipo  3  2020-2020  rank_day  eom-2+1d  prev  ipo",
            (
                "bad rule 'eom-2\\+1d' in rules row: "
                "quarterly_ipo  3  2020-2020  rank_day  eom-2\\+1d  prev  ipo"
            ),
        ),
    ],
)
def test_bad_rules_rows_are_refused_naming_the_row(row, message):
    # One bad field at a time (the others valid), so each check must stand on its own.
    with pytest.raises(ValueError, match=f"^{message}$"):
        parse_rules(f"{GOOD_ROW}\n  {row}  \n")


def test_rules_text_comments_and_blank_lines():
    rules = parse_rules(f"\n   # an indented comment\n\n{GOOD_ROW}\n\t# a tabbed one\n")
    assert rules.rows() == [("quarterly_ipo", 3, 2020, 2020, "recon_close", "fri3", "prev", "ipo")]


def _readme_calendar_claim() -> str:
    text = " ".join((Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8").split())
    return re.search(r"Every date is an NYSE session[^.]*\.[^.]*\.", text)[0]


def test_every_calendar_date_is_a_session_but_the_period_openings_the_readme_names():
    """The README's claim, held: before, it said every date is an NYSE session, while 9 lock-down
    dates fall on Labor Day (the rule is right: the published 2022 schedule opens lock-down on 5
    September 2022, Labor Day, and `keep` reproduces it). Every projected date of 1989..2035 that is
    not a session is of an event the README names, kept on a weekday holiday, and counted as it says."""
    claim = _readme_calendar_claim()
    named = set(re.findall(r"`(\w+)`", claim))
    calendar = pl.concat([project_calendar(y) for y in range(1989, 2036)])
    off = calendar.filter(~pl.col("date").map_elements(is_session, return_dtype=pl.Boolean))
    assert set(off["event"]) == named == {"lock_down", "query_period_start"}
    assert all(d.weekday() < 5 and d.month == 9 and d.day <= 7 for d in off["date"])  # Labor Day
    counts = dict(off.group_by("event").len().iter_rows())
    assert (
        f"{counts['lock_down']} September lock-downs and {counts['query_period_start']} query periods"
        in claim
    )
    assert date(2022, 9, 5) in off.filter(pl.col("event") == "lock_down")["date"].to_list()


def test_the_calendar_verb_prints_the_2022_lock_down_on_labor_day_as_published(tmp_path):
    """As a user reads it: `calendar 2022` on a fresh lake holding the committed 2022 schedule."""
    import shutil

    from russell_pipeline_tests.lakes import sample_lake

    folder = sample_lake(tmp_path / "lake")
    for year in (folder.root / "raw").iterdir():  # the 2022 schedule alone
        if year.name != "2022":
            shutil.rmtree(year)
    got = folder.run("calendar", "2022", "--format", "csv")
    assert got.returncode == 0, got.stderr
    rows = [r for r in got.stdout.splitlines() if "lock_down" in r and "2022-09" in r]
    assert len(rows) == 1 and "2022-09-05" in rows[0] and "published" in rows[0], got.stdout


# Each rule code in the words `basis` shows beside it (docs/methodology.md section 3.2), for a review in
# `month`: weeks and days counted (one week, not one weeks), an offset of under a week from a Friday
# named by its weekday, a month-end rule counted back across the new year.
RULE_WORDS = [
    ("d06-30", 6, "June 30"),
    ("friL", 6, "the last Friday of June"),
    ("fri4", 6, "the fourth Friday of June"),
    ("fri3", 9, "the third Friday of September"),
    ("fri2+5d", 6, "the Wednesday after the second Friday of June"),
    ("fri2-1d", 1, "the Thursday before the second Friday of January"),
    ("fri2+7d", 6, "7 days after the second Friday of June"),  # a week or more: counted
    ("R-1w", 6, "1 week before the nominal recon_close Friday"),
    ("R-2w", 6, "2 weeks before the nominal recon_close Friday"),
    ("R-2d", 6, "the Wednesday before the nominal recon_close Friday"),
    ("R-11d", 6, "11 days before the nominal recon_close Friday"),
    ("eom-2", 9, "the last NYSE session of July"),
    ("eom-2", 1, "the last NYSE session of November"),
    ("next", 6, "the first session after recon_close"),
    ("weekly", 6, "each Friday after the preliminary lists, before the final list"),
]


@pytest.mark.parametrize(("rule", "month", "words"), RULE_WORDS, ids=[f"{r}-{m}" for r, m, _ in RULE_WORDS])
def test_a_rule_reads_in_words(rule, month, words):
    assert rule_words(rule, month) == words


def test_a_basis_says_the_rule_in_words_how_a_holiday_moves_it_and_what_it_rests_on():
    assert rule_basis("R-18d", "keep", "schedules", 6) == (
        "rule R-18d = 18 days before the nominal recon_close Friday (kept on a holiday): "
        + RULE_SOURCES["schedules"]
    )
    assert rule_basis("eom-2", "prev", "ipo", 12) == (
        "rule eom-2 = the last NYSE session of October (previous session if not one): " + RULE_SOURCES["ipo"]
    )
    # The session after recon_close is a session: no holiday to say anything of.
    assert rule_basis("next", "keep", "next", 6) == (
        "rule next = the first session after recon_close: " + RULE_SOURCES["next"]
    )
    with pytest.raises(ValueError, match="^bad rule 'fri9'$"):
        rule_words("fri9", 6)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            ["quarterly_ipo  3  2020-2020  effective_open  next  keep  ipo"],
            "review 2020-03 has rules relative to recon_close but no recon_close rule",
        ),
        (
            ["annual_reconstitution  6  2020-2020  updated_preliminary_list  weekly  prev  schedules"],
            "review 2020-06 has rules relative to recon_close but no recon_close rule",
        ),
        (["quarterly_ipo  9  2020-2020  lock_down  R-11d  keep  ipo"], "rule 'R-11d' needs a recon_close"),
    ],
    ids=["next", "weekly", "before-recon-close"],
)
def test_a_rule_counted_from_recon_close_without_one_is_refused_naming_it(rows, message):
    rules = parse_rules("\n".join(rows))
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        project_calendar(2020, rules)


def test_overlapping_rules_are_refused_naming_the_year_and_the_rows():
    rules = parse_rules("""
        quarterly_ipo  3  2019-2020  recon_close  fri3  prev  ipo
        quarterly_ipo  3  2020-2021  recon_close  fri2  prev  ipo
    """)
    assert project_calendar(2019, rules)["date"].to_list() == [date(2019, 3, 15)]
    with pytest.raises(ValueError, match="^overlapping rules for 2020: ") as err:
        project_calendar(2020, rules)
    assert "'fri3'" in str(err.value) and "'fri2'" in str(err.value)


def test_a_year_outside_the_projected_range_has_no_calendar_and_no_rank_day():
    for year in (1988, LAST_YEAR + 1):
        with pytest.raises(
            ValueError, match=f"^year {year} is outside the projected range 1989..{LAST_YEAR}$"
        ):
            project_calendar(year)
        assert rank_day(year) is None
    # The first and the last projected year have theirs; a year of two reconstitutions, its first.
    assert [rank_day(y) for y in (1989, 2026, 2035)] == [
        date(1989, 5, 31),
        date(2026, 4, 30),
        date(2035, 4, 30),
    ]


def test_the_events_of_one_day_are_listed_by_review_then_review_type_then_event():
    """The calendar's order (what `calendar` prints, row by row) does not depend on the order of the
    rules table: by date, then review, review type and event."""
    rules = parse_rules("""
        quarterly_ipo          3  2020-2020  recon_close       fri3    prev  ipo
        quarterly_ipo          3  2020-2020  query_period_end  R-2w    prev  ipo
        quarterly_ipo          3  2020-2020  final_list        R-2w    prev  ipo
        index_review           9  2020-2020  rebalance         d03-20  prev  backcast
        annual_reconstitution  6  2020-2020  rank_day          eom-2   prev  schedules
        quarterly_ipo          6  2020-2020  ipo_rank          eom-2   prev  ipo
    """)
    assert project_calendar(2020, rules).select("date", "review", "review_type", "event").rows() == [
        (date(2020, 3, 6), "2020-03", "quarterly_ipo", "final_list"),
        (date(2020, 3, 6), "2020-03", "quarterly_ipo", "query_period_end"),
        (date(2020, 3, 20), "2020-03", "quarterly_ipo", "recon_close"),
        (date(2020, 3, 20), "2020-09", "index_review", "rebalance"),
        (date(2020, 4, 30), "2020-06", "annual_reconstitution", "rank_day"),
        (date(2020, 4, 30), "2020-06", "quarterly_ipo", "ipo_rank"),
    ]
