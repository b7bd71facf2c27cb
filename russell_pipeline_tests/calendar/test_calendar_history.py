"""The reconstitution calendar 1989-2009: dates typed by hand from each era's rule and a wall calendar.

Eras (docs/methodology.md section 3.3): rank day as of May 31 (the last session on or before it);
recon_close the last trading day of June until 2003, the last Friday of June 2004-2006, the fourth
Friday from 2007; effective_open the next session; from 2004 preliminary lists two weeks before
recon_close and an update each Friday after.
"""

from __future__ import annotations

import io
import re
from datetime import date

import polars as pl
import pytest

from russell_pipeline.lib.calendar.projection import project_calendar
from russell_pipeline.lib.sessions import is_session
from russell_pipeline_tests.helpers import run_main

# year, rank_day, recon_close, effective_open: each worked out on a calendar of that June.
TYPED_TEXT = """
1989 1989-05-31 1989-06-30 1989-07-03  1 June a Thursday: May 31 a Wednesday; June 30 a Friday (the 5th)
1990 1990-05-31 1990-06-29 1990-07-02  1 June a Friday: June 30 a Saturday, so Friday 29 June
1992 1992-05-29 1992-06-30 1992-07-01  1 June a Monday: May 31 a Sunday; June 30 a Tuesday, not a Friday
1995 1995-05-31 1995-06-30 1995-07-03  1 June a Thursday: Friday 30 June; Monday 3 July (July 4 a Tuesday)
1997 1997-05-30 1997-06-30 1997-07-01  1 June a Sunday: May 31 a Saturday; Monday 30 June
2001 2001-05-31 2001-06-29 2001-07-02  1 June a Friday: June 30 a Saturday, so Friday 29 June
2003 2003-05-30 2003-06-30 2003-07-01  1 June a Sunday: the last year on the last trading day of June
2004 2004-05-28 2004-06-25 2004-06-28  Memorial Day 31 May; last Friday 25 June, open 28 June \
(release of Feb 2004)
2005 2005-05-31 2005-06-24 2005-06-27  Memorial Day 30 May; Friday 24 June (Russell's April 2005 schedule)
2006 2006-05-31 2006-06-30 2006-07-03  Fridays 2..30: the last, 30 June (Russell, June 2006), \
not the 4th (23rd)
2007 2007-05-31 2007-06-22 2007-06-25  Fridays 1..29: the last is the 29th, so 22 June \
(release of 11 June 2007)
2008 2008-05-30 2008-06-27 2008-06-30  1 June a Sunday: May 31 a Saturday; Fridays 6, 13, 20, 27
2009 2009-05-29 2009-06-26 2009-06-29  1 June a Monday: May 31 a Sunday; Fridays 5, 12, 19, 26
"""
TYPED = [(int(f[0]), *f[1:4]) for f in (line.split(maxsplit=4) for line in TYPED_TEXT.strip().splitlines())]

# (year, preliminary_list, [updated_preliminary_list ...]) from 2004 on, two weeks before recon_close:
LISTS = [
    # Friday 11 June 2004 the NYSE was closed (President Reagan's funeral): the rule's holiday move
    # gives Thursday 10 June; the update Friday 18 June.
    (2004, "2004-06-10", ["2004-06-18"]),
    (2005, "2005-06-10", ["2005-06-17"]),  # both published (Russell, April and June 2005)
    (2006, "2006-06-16", ["2006-06-23"]),  # the update published (Russell, June 2006)
    (2007, "2007-06-08", ["2007-06-15"]),
    (2009, "2009-06-12", ["2009-06-19"]),
]


def _events(year: int) -> dict[str, list[str]]:
    cal = project_calendar(year).filter(review=f"{year}-06")
    out: dict[str, list[str]] = {}
    for row in cal.sort("date").iter_rows(named=True):
        out.setdefault(row["event"], []).append(str(row["date"]))
    return out


@pytest.mark.parametrize(
    ("year", "rank_day", "recon_close", "effective_open"), TYPED, ids=[t[0] for t in TYPED]
)
def test_rank_day_recon_close_and_effective_open_by_era(year, rank_day, recon_close, effective_open):
    got = _events(year)
    assert (got["rank_day"], got["recon_close"], got["effective_open"]) == (
        [rank_day],
        [recon_close],
        [effective_open],
    )


@pytest.mark.parametrize(("year", "preliminary", "updates"), LISTS, ids=[t[0] for t in LISTS])
def test_list_releases_from_2004(year, preliminary, updates):
    got = _events(year)
    assert got["preliminary_list"] == [preliminary] and got["updated_preliminary_list"] == updates


def test_no_list_release_before_2004_and_no_russell_review_but_june():
    # Nothing dates a list release before 2004, and the quarterly IPO reviews start in 2016: the March,
    # September and December reviews before are the 90/10 index's own, a cut-off and a rebalance only.
    for year in range(1989, 2004):
        assert set(_events(year)) == {"rank_day", "price_cutoff", "recon_close", "effective_open"}
    for year in range(1989, 2016):
        cal = project_calendar(year)
        assert set(cal.filter(review_type="annual_reconstitution")["review"]) == {f"{year}-06"}
        own = cal.filter(pl.col("review_type") != "annual_reconstitution")
        assert set(own["review_type"]) == {"index_review"} and set(own["event"]) == {
            "price_cutoff",
            "rebalance",
        }
        assert sorted(own["review"].unique()) == [f"{year}-03", f"{year}-09", f"{year}-12"]


def test_every_date_1989_2009_is_an_nyse_session_by_the_exchange_calendar():
    # Checked against exchange-calendars directly, not through the project's session helpers (imported
    # here: every xdist worker collects this module, one runs this test).
    import exchange_calendars as xcals

    xnys = xcals.get_calendar("XNYS", start="1989-01-01", end="2009-12-31")
    cal = pl.concat([project_calendar(year) for year in range(1989, 2010)])
    # June: 1989-2003 four events a year, 2004-2009 six; March, September and December: two each
    assert cal.height == 15 * 4 + 6 * 6 + 21 * 3 * 2
    off = [(r["event"], r["date"]) for r in cal.iter_rows(named=True) if not xnys.is_session(r["date"])]
    assert off == []


def test_special_closures_of_the_period_come_from_the_exchange_calendar():
    # Days the NYSE closed that a weekday rule could land on (typed from history).
    for closed in (
        date(1994, 4, 27),
        date(2001, 9, 11),
        date(2001, 9, 14),
        date(2004, 6, 11),
        date(2007, 1, 2),
    ):
        assert not is_session(closed), closed
    assert is_session(date(1989, 1, 3)) and is_session(date(2001, 9, 17))


def test_every_row_names_its_rule_and_source():
    cal = pl.concat([project_calendar(year) for year in range(1989, 2010)])
    assert cal["basis"].null_count() == 0
    close = dict(cal.filter(event="recon_close").select("recon_year", "basis").iter_rows())
    assert close[1995].startswith("rule d06-30 = June 30 (previous session if not one): ")
    assert close[2005].startswith("rule friL ") and close[2008].startswith("rule fri4 ")
    assert all("11 February 2004" in close[y] for y in range(1989, 2007))
    assert "11 June 2007" in close[2007]
    assert cal.filter(event="preliminary_list")["basis"].str.contains("inferred").all()


def test_every_rule_code_is_explained_in_words_beside_it():
    """Wherever a rule code is shown (the `basis` of `calendar`, `recon_calendar`, the .ics), the words
    beside it say what it means for that review, and they agree with the date it gives."""
    import calendar as months

    from russell_pipeline.lib.calendar.projection import RULES, rule_words

    for rule, month in RULES.select("rule", "month").unique().rows():
        words = rule_words(rule, month)
        assert (
            words and rule not in words and not re.search(r"\b(fri[1-5L]|eom-\d|R-\d|d\d\d-\d\d)", words)
        ), rule
    assert rule_words("eom-2", 6) == "the last NYSE session of April"
    assert rule_words("eom-2", 12) == "the last NYSE session of October"
    assert rule_words("fri2+5d", 6) == "the Wednesday after the second Friday of June"
    assert rule_words("friL", 6) == "the last Friday of June" and rule_words("d05-31", 6) == "May 31"
    assert rule_words("R-4w", 6) == "4 weeks before the nominal recon_close Friday"
    cal = pl.concat([project_calendar(year) for year in range(1989, 2036)])
    assert cal["basis"].str.contains(r"^rule \S+ = [^:]+: ").all()
    # The words are the date's: a price cut-off on `the Wednesday after ...` is a Wednesday (or the
    # session before, when that is a holiday), a rank day `the last NYSE session of April` is in April.
    cutoffs = cal.filter(pl.col("basis").str.starts_with("rule fri2+5d = the Wednesday after"))
    assert cutoffs.height >= 20 and cutoffs["date"].dt.weekday().is_in([2, 3]).all()
    for row in cal.filter(pl.col("basis").str.contains("= the last NYSE session of ")).iter_rows(named=True):
        named = row["basis"].split("= the last NYSE session of ")[1].split(" ")[0]
        assert months.month_name[row["date"].month] == named, row


def test_calendar_1995_prints_its_events_with_their_sources():
    done = run_main("calendar", "1995", text=False)
    assert done.returncode == 0, done.stderr.decode()
    rows = pl.read_csv(io.BytesIO(done.stdout), try_parse_dates=True)
    # Wednesdays after the first Friday of March (3rd), September (1st) and December (1st), after the
    # second of June (9th); third Fridays 17 March, 15 September, 15 December.
    assert rows.select("review", "event", "date", "source").rows() == [
        ("1995-03", "price_cutoff", date(1995, 3, 8), "projected"),
        ("1995-03", "rebalance", date(1995, 3, 17), "projected"),
        ("1995-06", "rank_day", date(1995, 5, 31), "projected"),
        ("1995-06", "price_cutoff", date(1995, 6, 14), "projected"),
        ("1995-06", "recon_close", date(1995, 6, 30), "projected"),
        ("1995-06", "effective_open", date(1995, 7, 3), "projected"),
        ("1995-09", "price_cutoff", date(1995, 9, 6), "projected"),
        ("1995-09", "rebalance", date(1995, 9, 15), "projected"),
        ("1995-12", "price_cutoff", date(1995, 12, 6), "projected"),
        ("1995-12", "rebalance", date(1995, 12, 15), "projected"),
    ]
    basis = dict(zip(rows["review"] + " " + rows["event"], rows["basis"], strict=True))
    assert basis["1995-06 rank_day"].startswith("rule d05-31 ") and "May 31" in basis["1995-06 rank_day"]
    assert (
        basis["1995-06 recon_close"].startswith("rule d06-30 ")
        and "last trading day of June" in basis["1995-06 recon_close"]
    )
    assert (
        basis["1995-06 effective_open"].startswith("rule next")
        and "next open" in basis["1995-06 effective_open"]
    )
    assert (
        basis["1995-06 price_cutoff"].startswith("rule fri2+5d ") and "90/10" in basis["1995-06 price_cutoff"]
    )
    assert (
        basis["1995-09 rebalance"].startswith("rule fri3 ")
        and "not a published date" in basis["1995-09 rebalance"]
    )


def test_year_partitions_start_in_1989():
    from russell_pipeline.defs.partitions import recon_years

    keys = recon_years.get_partition_keys()
    assert keys[:2] == ["1989", "1990"] and "2009" in keys


def test_ics_events_carry_their_basis():
    import icalendar

    from russell_pipeline.lib.calendar.ics import to_ics

    events = icalendar.Calendar.from_ical(to_ics(project_calendar(1995))).walk("VEVENT")
    descriptions = {str(e["SUMMARY"]): str(e["DESCRIPTION"]) for e in events}
    close = descriptions["Russell 1995-06 annual reconstitution: recon close (projected)"]
    lines = close.splitlines()
    assert lines[0] == "source: projected" and len(lines) == 2
    assert lines[1].startswith(
        "basis: rule d06-30 = June 30 (previous session if not one): recon_close the last"
    )


# The 90/10 index's reviews before 2016 (its cut-off rule, and the third Friday for its own March,
# September and December reviews), each worked out on a wall calendar of that month.
INDEX_REVIEWS = [
    ("1989-03", date(1989, 3, 8), date(1989, 3, 17)),  # Fridays 3, 10, 17
    ("1989-06", date(1989, 6, 14), date(1989, 6, 30)),  # Fridays 2, 9: Wednesday 14; the June 30 close
    ("1994-12", date(1994, 12, 7), date(1994, 12, 16)),  # Fridays 2, 9, 16
    # Fridays 7, 14, 21: Wednesday 12 September the NYSE was shut (11-14 September), so Monday the 10th
    ("2001-09", date(2001, 9, 10), date(2001, 9, 21)),
    ("2008-03", date(2008, 3, 12), date(2008, 3, 20)),  # Fridays 7, 14, 21: the 21st Good Friday, so Thursday
    ("2015-12", date(2015, 12, 9), date(2015, 12, 18)),  # Fridays 4, 11, 18
]


@pytest.mark.parametrize(("review", "cutoff", "rebalance"), INDEX_REVIEWS, ids=[r[0] for r in INDEX_REVIEWS])
def test_the_index_reviews_before_2016_have_their_cutoff_and_rebalance(review, cutoff, rebalance):
    from russell_pipeline.lib.calendar.reviews import rebalance_dates

    dates = rebalance_dates(project_calendar(int(review[:4]))).filter(review=review)
    assert dates.select("cutoff_date", "effective_date").rows() == [(cutoff, rebalance)]


def test_every_review_from_1989_has_one_cutoff_before_its_rebalance():
    from russell_pipeline.lib.calendar.projection import FIRST_DATED_REVIEW, LAST_YEAR
    from russell_pipeline.lib.calendar.reviews import rebalance_dates

    dates = rebalance_dates(pl.concat([project_calendar(year) for year in range(1989, LAST_YEAR + 1)]))
    assert dates["review"].to_list() == [
        f"{y}-{m:02d}" for y in range(1989, LAST_YEAR + 1) for m in (3, 6, 9, 12)
    ]
    assert dates["review"][0] == FIRST_DATED_REVIEW == "1989-03"
    for r in dates.iter_rows(named=True):
        assert is_session(r["cutoff_date"]) and is_session(r["effective_date"]), r
        assert r["cutoff_date"] < r["effective_date"] and r["effective_date"].month == int(r["review"][5:]), r
