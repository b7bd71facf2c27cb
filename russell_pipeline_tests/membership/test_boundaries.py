"""Both sides of every date the membership answers turn on: the day before, the day of and the day after
each effective date (and the close before it), for `members_on`, the derived Russell 1000, the history's
intervals and the spans known whole; where a list is placed, on each side of the review dates it is placed
by and of the placement tolerance. A list one day early or late changes an answer here."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from russell_pipeline.lib.calendar.reviews import review_dates
from russell_pipeline.lib.calendar.rules import project_calendar
from russell_pipeline.lib.membership.in_force import coverage
from russell_pipeline.lib.membership.placement import PLACEMENT_DAYS, place_lists
from russell_pipeline_tests.membership.helpers import intervals, members_on, tables_of

CALENDAR = pl.concat([project_calendar(y) for y in range(2013, 2027)])
R3000, R2000, R1000 = "Russell 3000", "Russell 2000", "Russell 1000"
DAY = timedelta(days=1)
NEXT = date(2026, 6, 29)  # the 2026 effective open, which no document covers: every interval ends there
# The 2023, 2024 and 2025 reconstitutions: recon_close (a Friday), effective_open (the Monday after).
CLOSE = {2023: date(2023, 6, 23), 2024: date(2024, 6, 28), 2025: date(2025, 6, 27)}
OPEN = {2023: date(2023, 6, 26), 2024: date(2024, 7, 1), 2025: date(2025, 6, 30)}
LISTS = (
    # 2023: both membership lists, dated on the recon_close; the Russell 1000 is BIG1 BIG2.
    (2023, "membership", None, CLOSE[2023], "ALPH BRVO CHRL", R2000),
    (2023, "membership", None, CLOSE[2023], "ALPH BIG1 BIG2 BRVO CHRL", R3000),
    # 2024: final changes, dated on the recon_close, in force from the effective open.
    (2024, "addition", "final", CLOSE[2024], "DLTA", R2000),
    (2024, "deletion", "final", CLOSE[2024], "BRVO", R2000),
    (2024, "addition", "final", CLOSE[2024], "BIG3 DLTA", R3000),
    (2024, "deletion", "final", CLOSE[2024], "BRVO", R3000),
    # 2025: a new Russell 2000 list dated the Friday; the Russell 3000 has no 2025 document.
    (2025, "membership", None, CLOSE[2025], "ALPH DLTA ECHO", R2000),
)
BEFORE_2023: list[str] = []
IN_2023 = ["ALPH", "BRVO", "CHRL"]
IN_2024 = ["ALPH", "CHRL", "DLTA"]
IN_2025 = ["ALPH", "DLTA", "ECHO"]


@pytest.fixture(scope="module")
def tables():
    return tables_of(*LISTS, calendar=CALENDAR)


@pytest.mark.parametrize(
    ("day", "members"),
    [
        (CLOSE[2023], BEFORE_2023),  # the list's own date: the index it shows takes effect at the open after
        (OPEN[2023] - DAY, BEFORE_2023),
        (OPEN[2023], IN_2023),
        (OPEN[2023] + DAY, IN_2023),
        (CLOSE[2024], IN_2023),  # the last session the 2023 index stands
        (OPEN[2024] - DAY, IN_2023),
        (OPEN[2024], IN_2024),
        (OPEN[2024] + DAY, IN_2024),
        (CLOSE[2025], IN_2024),
        (OPEN[2025] - DAY, IN_2024),
        (OPEN[2025], IN_2025),
        (OPEN[2025] + DAY, IN_2025),
    ],
    ids=str,
)
def test_members_on_each_side_of_every_effective_date(tables, day, members):
    assert members_on(tables, day, R2000) == members


@pytest.mark.parametrize(
    ("day", "members"),
    [
        (OPEN[2023] - DAY, []),
        (OPEN[2023], ["BIG1", "BIG2"]),
        (OPEN[2024] - DAY, ["BIG1", "BIG2"]),
        (OPEN[2024], ["BIG1", "BIG2", "BIG3"]),
        (OPEN[2024] + DAY, ["BIG1", "BIG2", "BIG3"]),
        # 2025: no Russell 3000 document covers the reconstitution, so who stayed in it is unknown from its
        # effective open: no Russell 1000 is derived from that day on.
        (OPEN[2025] - DAY, ["BIG1", "BIG2", "BIG3"]),
        (OPEN[2025], []),
    ],
    ids=str,
)
def test_the_derived_russell_1000_on_each_side_of_every_effective_date(tables, day, members):
    assert members_on(tables, day, R1000) == members


def test_intervals_open_and_close_on_the_effective_dates_themselves(tables):
    history = tables.history.filter(pl.col("index_name") == R2000)
    assert intervals(history, "BRVO") == [(OPEN[2023], OPEN[2024], "first_listed", "deletion")]
    assert intervals(history, "DLTA") == [(OPEN[2024], NEXT, "addition", "not_covered")]
    assert intervals(history, "CHRL") == [(OPEN[2023], OPEN[2025], "first_listed", "not_listed")]
    assert intervals(history, "ECHO") == [(OPEN[2025], NEXT, "listed", "not_covered")]


def test_spans_known_whole_start_and_end_on_effective_dates(tables):
    assert coverage(tables.in_force).rows() == [
        (R1000, True, OPEN[2023], OPEN[2025]),
        (R2000, True, OPEN[2023], NEXT),
        (R3000, True, OPEN[2023], OPEN[2025]),
    ]
    in_force = tables.in_force.filter(pl.col("index_name") == R2000)
    assert sorted(set(in_force["valid_from"])) == [OPEN[2023], OPEN[2024], OPEN[2025]]
    assert sorted(set(in_force["valid_to"].drop_nulls())) == [OPEN[2024], OPEN[2025], NEXT]


REVIEWS = review_dates(CALENDAR)


def _placed(kind: str, day: date) -> str | None:
    lists = pl.DataFrame({"recon_year": [day.year], "kind": [kind], "as_of_date": [day]})
    return place_lists(lists, REVIEWS)["review"][0]


@pytest.mark.parametrize(
    ("day", "review"),
    [
        # A membership list shows the index after the latest review closed on or before its date.
        (date(2024, 3, 14), "2023-12"),  # the day before the March IPO review's close (Friday 15 March)
        (date(2024, 3, 15), "2024-03"),
        (date(2024, 3, 16), "2024-03"),
        (CLOSE[2024] - DAY, None),  # 104 days after March's close: beyond the tolerance, reported
        (CLOSE[2024], "2024-06"),
        (OPEN[2024], "2024-06"),
        # Before 2016 no review but June's closes: the tolerance alone decides.
        (date(2014, 6, 27) + timedelta(days=PLACEMENT_DAYS), "2014-06"),
        (date(2014, 6, 27) + timedelta(days=PLACEMENT_DAYS + 1), None),
    ],
    ids=str,
)
def test_a_membership_list_is_placed_by_the_close_on_or_before_its_date(day, review):
    assert _placed("membership", day) == review


@pytest.mark.parametrize(
    ("day", "review"),
    [
        # A change list takes effect at the first effective open on or after its date.
        (OPEN[2024] - DAY, "2024-06"),
        (OPEN[2024], "2024-06"),
        (OPEN[2024] + DAY, "2024-09"),  # the September IPO review's open, 23 September
        (date(2024, 9, 23), "2024-09"),
        (date(2024, 9, 24), "2024-12"),
        (date(2015, 6, 29) - timedelta(days=PLACEMENT_DAYS), "2015-06"),
        (date(2015, 6, 29) - timedelta(days=PLACEMENT_DAYS + 1), None),
    ],
    ids=str,
)
def test_a_change_list_is_placed_by_the_open_on_or_after_its_date(day, review):
    assert _placed("addition", day) == review
