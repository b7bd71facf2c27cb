"""The security master as it stood on one day (lib/securities/on_day.py): what a forecast made on a rank
day may know of the companies behind the tickers, from the SEC maps saved by then only."""

from __future__ import annotations

from datetime import date

import polars as pl
from polars.testing import assert_frame_equal

from russell_pipeline.lib.securities.on_day import carried, identify, maps_until, resolver_on
from russell_pipeline_tests.forecast.test_forecast import RANK_DAY, line, universe
from russell_pipeline_tests.securities.test_master import M1, sec

LATER = date(2023, 5, 15)  # a map saved after rank day
UNIVERSE = universe(
    [
        line("UPBD", "Upbound Group Inc. Common Stock", 30.0, 1.6e9),
        line("CR", "Crane Company Common Stock", 80.0, 4e9),
        line("CXT", "Crane NXT Co. Common Stock", 50.0, 3e9),
        line("NEWC", "Newco Inc. Common Stock", 20.0, 1e9, ipo="2022"),
        line("BCO", "Bco Corp Class A Common Stock", 10.15, 5e8),
        line("LOOSE", "Loose Ends Inc. Common Stock", 5.0, 1e8),
    ]
)
BEFORE = sec(
    M1,
    [
        (933036, "Rent-A-Center Inc.", "RCII"),
        (1, "Crane Holdings, Co.", "CR"),
        (6, "Bco Corp", "BCO"),
        (6, "Bco Corp", "BCO-UN"),
    ],
)
ON_RANK_DAY = sec(
    RANK_DAY,
    [
        (933036, "Upbound Group, Inc.", "UPBD"),
        (1, "Crane NXT, Co.", "CXT"),
        (2, "Crane Co", "CR"),
        (4, "Newco Inc", "NEWC"),
        (6, "Bco Corp", "BCO"),
    ],
)
# Saved after rank day: Newco renamed, Loose Ends listed, Upbound's units: none of it was known then.
AFTER = sec(
    LATER,
    [
        (933036, "Upbound Group, Inc.", "UPBD"),
        (933036, "Upbound Group, Inc.", "UPBDU"),
        (1, "Crane NXT, Co.", "CXT"),
        (2, "Crane Co", "CR"),
        (4, "Newco Inc", "NWCO"),
        (7, "Loose Ends Inc", "LOOSE"),
        (6, "Bco Corp", "BCO"),
    ],
)
MAPS = pl.concat([BEFORE, ON_RANK_DAY])


def as_on(
    day: date, lines: pl.DataFrame, sec: pl.DataFrame, members: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The universe `lines` identified and the `members` carried as a forecast of `day` does it
    (planning/forecast_years.py): from the SEC maps of `sec` saved by that day, one resolver for both."""
    known = maps_until(sec, day)
    resolver = resolver_on(known)
    lines = identify(lines, known, day, resolver)
    return lines, None if members is None else carried(members, lines, resolver)


def identity(frame: pl.DataFrame) -> dict[str, tuple]:
    columns = [
        "cik",
        "cik_first_seen",
        "cik_unseen_before",
        "listed_units",
        "cik_listed_units",
        "previous_cik",
    ]
    return {r[0]: r[1:] for r in frame.select("symbol", *columns).iter_rows()}


def test_identify_gives_each_line_its_company_when_it_first_appears_and_what_it_listed():
    got = identity(as_on(RANK_DAY, UNIVERSE, MAPS)[0])
    assert got == {
        "UPBD": (933036, M1, None, False, False, None),
        "CR": (2, RANK_DAY, M1, False, False, 1),  # CR was CIK 1's in the earlier map
        "CXT": (1, M1, None, False, False, None),
        "NEWC": (4, RANK_DAY, M1, False, False, None),
        "BCO": (6, M1, None, True, True, None),  # BCO.UN: its units under its own ticker
        "LOOSE": (None, None, None, False, None, None),  # no map names it: its company is unknown
    }


def test_a_map_saved_after_the_day_changes_nothing():
    known = as_on(RANK_DAY, UNIVERSE, MAPS)[0]
    assert_frame_equal(as_on(RANK_DAY, UNIVERSE, pl.concat([MAPS, AFTER]))[0], known)
    # The day after that map, it is known.
    later = identity(as_on(LATER, UNIVERSE, pl.concat([MAPS, AFTER]))[0])
    assert later["LOOSE"][:3] == (7, LATER, RANK_DAY) and later["UPBD"][4] is True
    assert later["NEWC"][0] == 4  # NWCO by then, but the map of 17 days before still names its NEWC


def test_no_map_by_the_day_leaves_every_line_unknown():
    got = as_on(RANK_DAY, UNIVERSE, AFTER)[0]
    assert got.height == UNIVERSE.height
    assert got.select("cik", "security_id", "cik_first_seen").null_count().row(0) == (6, 6, 6)


def members(*rows: tuple[str, str, date]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"symbol": s, "company": c, "listed_on": d, "index_name": "Russell 3000"} for s, c, d in rows]
    )


def test_carried_gives_a_member_its_companys_ticker_of_the_day_and_keeps_the_listed_one():
    listed = members(
        ("RCII", "RENT A CENTER INC", M1),  # renamed since its list: Upbound
        ("CR", "CRANE HOLDINGS CO", M1),  # took CXT; the CR of rank day is another company
        ("GONE", "GONE AWAY INC", M1),  # no map names it: it keeps its ticker
    )
    got = as_on(RANK_DAY, UNIVERSE, MAPS, listed)[1]
    assert got.select("symbol", "listed_symbol", "cik").rows() == [
        ("UPBD", "RCII", 933036),
        ("CXT", "CR", 1),
        ("GONE", "GONE", None),
    ]
    assert got["company"].to_list() == listed["company"].to_list()
    # With only the maps saved after the day, nothing is carried.
    alone = as_on(RANK_DAY, UNIVERSE, AFTER, listed)[1]
    assert alone.select("symbol", "listed_symbol").rows() == [
        ("RCII", "RCII"),
        ("CR", "CR"),
        ("GONE", "GONE"),
    ]
    # A later map does not change the day's answer.
    assert_frame_equal(as_on(RANK_DAY, UNIVERSE, pl.concat([MAPS, AFTER]), listed)[1], got)
