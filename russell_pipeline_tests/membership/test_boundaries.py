"""Both sides of every date the membership answers turn on: the day before, the day of and the day after
each effective date (and the close before it), for `members_on`, the derived Russell 1000, the history's
intervals and the spans known whole; where a list is placed, on each side of the review dates it is placed
by and of the placement tolerance. A list one day early or late changes an answer here."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from russell_pipeline.lib.calendar.projection import project_calendar
from russell_pipeline.lib.calendar.reviews import review_dates
from russell_pipeline.lib.membership.in_force import coverage
from russell_pipeline.lib.membership.placement import PLACEMENT_DAYS, place_lists
from russell_pipeline_tests.membership.helpers import intervals, macro, members_on, tables_of

CALENDAR = pl.concat([project_calendar(y) for y in range(2013, 2027)])
R3000, R2000, R1000 = "Russell 3000", "Russell 2000", "Russell 1000"
DAY = timedelta(days=1)
NEXT = date(2026, 6, 29)  # the 2026 effective open, which no document covers: every interval ends there
# The 2023, 2024 and 2025 reconstitutions: recon_close (a Friday), effective_open (the Monday after).
CLOSE = {2023: date(2023, 6, 23), 2024: date(2024, 6, 28), 2025: date(2025, 6, 27)}
OPEN = {2023: date(2023, 6, 26), 2024: date(2024, 7, 1), 2025: date(2025, 6, 30)}
# The quarterly IPO reviews from the 2023 list to 2026 (the third Friday of March, September and
# December and the Monday after): a list is complete only with each one's additions (lib/membership/
# history.py), so each adds one IPO, IPOA to IPOI, to both indexes (the Russell 1000, their difference,
# is unchanged), in a final additions list dated the Friday before the Monday it takes effect at.
IPO_CLOSE = {
    "IPOA": date(2023, 9, 15),
    "IPOB": date(2023, 12, 15),
    "IPOC": date(2024, 3, 15),
    "IPOD": date(2024, 9, 20),
    "IPOE": date(2024, 12, 20),
    "IPOF": date(2025, 3, 21),
    "IPOG": date(2025, 9, 19),
    "IPOH": date(2025, 12, 19),
    "IPOI": date(2026, 3, 20),
}
IPO_OPEN = {ipo: close + 3 * DAY for ipo, close in IPO_CLOSE.items()}
IPO_LISTS = tuple(
    (close.year, "addition", "final", close, ipo, index)
    for ipo, close in IPO_CLOSE.items()
    for index in (R2000, R3000)
)
LISTS = (
    # 2023: both membership lists, dated on the recon_close; the Russell 1000 is BIG1 BIG2.
    (2023, "membership", None, CLOSE[2023], "ALPH BRVO CHRL", R2000),
    (2023, "membership", None, CLOSE[2023], "ALPH BIG1 BIG2 BRVO CHRL", R3000),
    # 2024: final changes, dated on the recon_close, in force from the effective open.
    (2024, "addition", "final", CLOSE[2024], "DLTA", R2000),
    (2024, "deletion", "final", CLOSE[2024], "BRVO", R2000),
    (2024, "addition", "final", CLOSE[2024], "BIG3 DLTA", R3000),
    (2024, "deletion", "final", CLOSE[2024], "BRVO", R3000),
    # 2025: a new Russell 2000 list dated the Friday (without the IPOs of 2023-09 to 2025-03, which leave
    # there); the Russell 3000 has no 2025 document.
    (2025, "membership", None, CLOSE[2025], "ALPH DLTA ECHO", R2000),
    *IPO_LISTS,
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
        # An IPO joins at its review's effective open, not at the close before it.
        (IPO_CLOSE["IPOA"], IN_2023),
        (IPO_OPEN["IPOA"] - DAY, IN_2023),
        (IPO_OPEN["IPOA"], [*IN_2023, "IPOA"]),
        (IPO_OPEN["IPOA"] + DAY, [*IN_2023, "IPOA"]),
        # the last session the 2023 index stands, with the IPOs of 2023-09, 2023-12 and 2024-03
        (CLOSE[2024], [*IN_2023, "IPOA", "IPOB", "IPOC"]),
        (OPEN[2024] - DAY, [*IN_2023, "IPOA", "IPOB", "IPOC"]),
        (OPEN[2024], [*IN_2024, "IPOA", "IPOB", "IPOC"]),
        (OPEN[2024] + DAY, [*IN_2024, "IPOA", "IPOB", "IPOC"]),
        (CLOSE[2025], [*IN_2024, "IPOA", "IPOB", "IPOC", "IPOD", "IPOE", "IPOF"]),
        (OPEN[2025] - DAY, [*IN_2024, "IPOA", "IPOB", "IPOC", "IPOD", "IPOE", "IPOF"]),
        (OPEN[2025], IN_2025),  # the 2025 list holds none of the IPOs: they leave there
        (OPEN[2025] + DAY, IN_2025),
        (IPO_OPEN["IPOG"] - DAY, IN_2025),
        (IPO_OPEN["IPOG"], [*IN_2025, "IPOG"]),
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
    assert intervals(history, "IPOA") == [(IPO_OPEN["IPOA"], OPEN[2025], "addition", "not_listed")]
    assert intervals(history, "IPOG") == [(IPO_OPEN["IPOG"], NEXT, "addition", "not_covered")]


def test_spans_known_whole_start_and_end_on_effective_dates(tables):
    assert coverage(tables.in_force).rows() == [
        (R1000, True, OPEN[2023], OPEN[2025]),
        (R2000, True, OPEN[2023], NEXT),
        (R3000, True, OPEN[2023], OPEN[2025]),
        # No Russell 3000 document covers 2025: the IPOs added since are all the lake holds of it.
        (R3000, False, IPO_OPEN["IPOG"], NEXT),
    ]
    # The rows in force change at the reconstitutions' effective opens and at those of the IPO reviews
    # that add a member (each IPO's own row begins there).
    in_force = tables.in_force.filter(pl.col("index_name") == R2000)
    assert sorted(set(in_force["valid_from"])) == sorted(
        [OPEN[2023], OPEN[2024], OPEN[2025], *IPO_OPEN.values()]
    )
    assert sorted(set(in_force["valid_to"].drop_nulls())) == [OPEN[2024], OPEN[2025], NEXT]


def test_an_ipo_review_without_its_additions_ends_what_is_known_whole(tables):
    """The 2024-09 IPO additions missing from the lake: from that review's effective open the Russell 2000
    is not known whole (the Russell 1000 is not derived), until the 2025 list; the gap is named."""
    missing = tables_of(
        *(spec for spec in LISTS if not (spec[4] == "IPOD" and spec[5] == R2000)), calendar=CALENDAR
    )
    assert coverage(missing.in_force).rows() == [
        (R1000, True, OPEN[2023], IPO_OPEN["IPOD"]),
        (R2000, True, OPEN[2023], IPO_OPEN["IPOD"]),
        (R2000, False, IPO_OPEN["IPOD"], OPEN[2025]),
        (R2000, True, OPEN[2025], NEXT),
        (R3000, True, OPEN[2023], OPEN[2025]),
        (R3000, False, IPO_OPEN["IPOG"], NEXT),
    ]
    for day in (IPO_OPEN["IPOD"], OPEN[2025] - DAY):
        rows = macro(missing, day, R2000)
        assert rows["symbol"].to_list() == [
            *IN_2024,
            "IPOA",
            "IPOB",
            "IPOC",
            *(["IPOE", "IPOF"] if day > IPO_OPEN["IPOF"] else []),
        ]
        assert not rows["complete"].any()
        assert set(rows["gaps"]) == {"the quarterly IPO additions of 2024-09 are not in the lake"}
    # The lists of the reconstitutions are all there (lists_whole): the IPO list alone is missing.
    assert missing.in_force.filter(pl.col("index_name") == R2000, ~pl.col("complete"))["lists_whole"].all()
    assert members_on(missing, IPO_OPEN["IPOD"] - DAY, R1000) == ["BIG1", "BIG2", "BIG3"]
    assert members_on(missing, IPO_OPEN["IPOD"], R1000) == []


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
