"""Who is a member on rank day beyond the lists in force, and what the forecast does with it
(lib/forecast/evidence.py through `forecast(...)`): a company an ETF holdings file places, the
`ipo_review` and `spin_off` rules, a blank-check company known by the units its CIK listed, and the
lines of one CIK as one company; with the inputs of lib/forecast/inputs.py that feed them."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import polars as pl
import pytest

from russell_pipeline.lib.documents.holdings import HOLDINGS_COLUMNS, read_holdings
from russell_pipeline.lib.documents.reading import CHANGE_COLUMNS
from russell_pipeline.lib.forecast import inputs
from russell_pipeline.lib.forecast.predict import forecast
from russell_pipeline_tests.documents.test_ticker_maps_and_holdings import holdings_file, holdings_row
from russell_pipeline_tests.forecast.test_forecast import RANK_DAY, action, companies, line, universe
from russell_pipeline_tests.membership.helpers import CALENDAR, lake_frames, tables_of
from russell_pipeline_tests.securities.test_master import M1, sec
from russell_pipeline_tests.securities.test_on_day import as_on

RECON = inputs.Calendar(CALENDAR)  # the membership tests' calendar, its review dates worked out once

REVIEW = "2023-06"
PREVIOUS = date(2022, 5, 6)  # the 2022 reconstitution's rank day
LIST = "raw/2022/ru3000_membershiplist_20220624.pdf"
NO_CHANGES = pl.DataFrame(schema=CHANGE_COLUMNS)


def held(fund: str, day: date, tickers: list[str]) -> pl.DataFrame:
    """fund_holdings rows of a holdings file of `fund` on `day` holding `tickers`, read by the reader."""
    text = holdings_file(fund, f"{day:%b %d, %Y}", [holdings_row(t, f"{t} INC") for t in tickers])
    data = text.encode()
    rows, as_of = read_holdings(f"raw/{day.year}/holdings.csv", data, hashlib.sha256(data).hexdigest())
    return rows.with_columns(recon_year=pl.lit(day.year), as_of_date=pl.lit(as_of)).select(
        list(HOLDINGS_COLUMNS)
    )


def listed(symbols: list[str], names: list[str] | None = None) -> pl.DataFrame:
    """The members in force on rank day as the pipeline hands them over (inputs.members_on): the Russell
    3000 list of 2022, whole."""
    return pl.DataFrame(
        {
            "symbol": symbols,
            "company": names or symbols,
            "index_name": "Russell 3000",
            "complete": True,
            "lists_whole": True,
            "source_path": LIST,
            "listed_on": M1,
        },
        schema_overrides={"complete": pl.Boolean, "lists_whole": pl.Boolean, "listed_on": pl.Date},
    )


def run(rows, members: pl.DataFrame, maps: pl.DataFrame | None = None, **kw) -> pl.DataFrame:
    """The forecast of the 2023 reconstitution as the pipeline makes it: each universe line identified by
    the SEC maps saved by rank day, each member carried to its company's ticker of that day."""
    lines = universe(rows)
    if maps is not None:
        lines, members = as_on(RANK_DAY, lines, maps, members)
    return forecast(lines, members, REVIEW, RANK_DAY, **kw).rows


# ---------------------------------------------------------------- a holdings file places a member
def test_a_company_a_russell_2000_fund_holds_since_the_list_is_a_member_ranked_as_one():
    # 3,001 companies: MIDCO ranks 1,501 (the Russell 2000), LOWCO 3,001 (below the break). Neither is on
    # the list; the fund holds both after it.
    rows = [
        *companies(1500, cap=2e9),
        line("MIDCO", "Midco Inc. Common Stock", 20.0, 1.5e9),
        *companies(1499, cap=1e9, start=1500),
        line("LOWCO", "Lowco Inc. Common Stock", 20.0, 5e8),
    ]
    members = listed([r[0] for r in rows if r[0] not in ("MIDCO", "LOWCO")])
    before = run(rows, members)
    assert (action(before, "MIDCO")["rank"], action(before, "LOWCO")["rank"]) == (1501, 3001)
    assert action(before, "MIDCO")["action"] == "add" and action(before, "LOWCO")["action"] == "out"
    fund = held("iShares Russell 2000 ETF", date(2023, 3, 1), ["MIDCO", "LOWCO"])
    out = run(rows, members, holdings=fund)
    stays, below = action(out, "MIDCO"), action(out, "LOWCO")
    assert (stays["action"], stays["index_before"], stays["index_after"]) == (
        "stay",
        "Russell 2000",
        "Russell 2000",
    )
    assert (below["action"], below["index_before"]) == ("delete", "Russell 2000")
    for row in (stays, below):
        assert row["evidence"].startswith("holdings: iShares Russell 2000 ETF holds it on 2023-03-01 (line 1")
    assert out.filter(pl.col("action") == "add").height == 0
    # A member on the list keeps the list as its evidence.
    assert action(out, "C00000")["evidence"] == f"{LIST} prints it as C00000"


@pytest.mark.parametrize(
    ("fund", "placed"),
    [
        ("iShares Russell 2000 Growth ETF", True),  # a style index: members of the Russell 2000
        ("iShares Russell 1000 ETF", True),
        ("iShares Russell Microcap ETF", False),  # not the Russell 3000's
        ("iShares Russell Mid-Cap ETF", False),
    ],
)
def test_only_a_fund_of_the_russell_3000_or_its_segments_places_a_member(fund, placed):
    rows = [
        line("MOG.A", "Moog Inc. Class A Common Stock", 80.0, 2e9),
        line("OTHER", "Other Inc. Common Stock", 20.0, 1e9),
    ]
    # The fund writes the class without its separator.
    out = run(rows, listed(["OTHER"]), holdings=held(fund, date(2023, 3, 1), ["MOGA"]))
    assert (action(out, "MOG.A")["action"] != "add") is placed


# ---------------------------------------------------------------- the ipo_review rule
# NEWC's company (CIK 4) is first in the map of rank day and not in the 2022 one: it listed between
# 2022-06-25 and rank day; the universe's IPO year narrows that.
MAPS = pl.concat(
    [
        sec(M1, [(100 + i, f"Member {i} Inc", f"MEM{i}") for i in range(3)]),
        sec(
            RANK_DAY, [(100 + i, f"Member {i} Inc", f"MEM{i}") for i in range(3)] + [(4, "Newco Inc", "NEWC")]
        ),
    ]
)
MEMBERS = listed([f"MEM{i}" for i in range(3)], [f"MEMBER {i} INC" for i in range(3)])
IPO_LIST = lake_frames((2022, "addition", "final", date(2022, 12, 9), "ZZZZ", "Russell 3000"))[1]


def newco(
    ipo: str, maps: pl.DataFrame = MAPS, changes: pl.DataFrame = NO_CHANGES, symbol: str = "NEWC"
) -> dict:
    rows = [line(f"MEM{i}", f"Member {i} Inc. Common Stock", 20.0, 1e9) for i in range(3)]
    rows.append(line(symbol, "Newco Inc. Common Stock", 20.0, 1e9, ipo=ipo))
    reviews = inputs.ipo_reviews(RECON, changes, date(2022, 6, 27), RANK_DAY)
    return action(run(rows, MEMBERS, maps, previous_rank_day=PREVIOUS, ipo_reviews=reviews), symbol)


def test_inputs_give_the_ipo_reviews_since_the_list_and_whether_their_lists_are_missing():
    assert inputs.ipo_reviews(RECON, NO_CHANGES, date(2022, 6, 27), RANK_DAY).rows() == [
        ("2022-09", date(2022, 8, 12), True),
        ("2022-12", date(2022, 11, 11), True),
        ("2023-03", date(2023, 2, 10), True),
    ]
    # An addition list dated in the weeks before a review's effective date is its list.
    assert inputs.ipo_reviews(RECON, IPO_LIST, date(2022, 6, 27), RANK_DAY)["list_missing"].to_list() == [
        True,
        False,
        True,
    ]
    # The window is the 35 days up to the effective open, both ends included.
    opened = RECON.dates.filter(review="2022-12")["effective_open"].item()
    for day, held in (
        (opened, True),
        (opened - timedelta(days=35), True),
        (opened - timedelta(days=36), False),
    ):
        dated = lake_frames((2022, "addition", "final", day, "ZZZZ", "Russell 3000"))[1]
        assert inputs.ipo_reviews(RECON, dated, date(2022, 6, 27), RANK_DAY)["list_missing"][1] is not held, (
            day
        )
    assert inputs.previous_rank_day(RECON, RANK_DAY) == PREVIOUS
    assert inputs.previous_rank_day(RECON, date(2026, 10, 30)) == date(2026, 4, 30)  # semi-annual
    assert inputs.previous_rank_day(RECON, date(1990, 1, 1)) is None
    tables = tables_of((2022, "membership", None, M1, "ALPH BETA", "Russell 3000"))
    assert inputs.base_date(tables.in_force, RECON, RANK_DAY) == date(2022, 6, 27)
    assert inputs.base_date(tables.in_force, RECON, date(2022, 1, 3)) is None


def test_a_new_company_an_ipo_review_ranked_stays_when_that_reviews_list_is_missing():
    row = newco("2022")
    assert (row["action"], row["rule"], row["index_before"]) == ("stay", "ipo_review", "Russell 3000")
    assert row["evidence"].startswith(
        "rule ipo_review: listed between 2022-06-25 and 2022-12-31 (IPO year 2022; CIK 4 first in the SEC "
        "map of 2023-04-28, not in that of 2022-06-24), after the previous reconstitution's rank day "
        "2022-05-06: ranked at the quarterly IPO review of 2022-09, 2022-12, 2023-03 and added there"
    )
    assert "by rule ipo_review" in row["reason"]


MAY_HAVE_JOINED = (
    "): it may have joined at the quarterly IPO review of 2022-09, 2022-12, 2023-03, whose addition list "
    "is not in the lake; the evidence does not say"
)


@pytest.mark.parametrize(
    ("ipo", "changes", "caveat"),
    [
        # the review that ranked it has its list in the lake, and the company is not on it
        ("2022", IPO_LIST, None),
        # its window reaches past the last IPO review's rank day: it may have joined, or not yet
        (
            "2023",
            NO_CHANGES,
            "listed between 2023-01-01 and 2023-04-28 (IPO year 2023; CIK 4 first in the SEC map",
        ),
        (
            "",
            NO_CHANGES,
            "listed between 2022-06-25 and 2023-04-28 (CIK 4 first in the SEC map",
        ),  # no IPO year
        # an IPO year before the map that lacks it: no window at all
        ("2021", NO_CHANGES, None),
    ],
)
def test_a_new_company_no_ipo_review_accounts_for_is_an_addition(ipo, changes, caveat):
    row = newco(ipo, changes=changes)
    assert (row["action"], row["rule"]) == ("add", "break_r3000")
    if caveat is None:
        assert row["evidence"] is None
    else:  # what the lake cannot tell is said on the row
        assert row["evidence"].startswith(caveat) and row["evidence"].endswith(MAY_HAVE_JOINED)


def three_maps(units: bool, ticker: str = "SPAC") -> pl.DataFrame:
    """CIK 4 first in a map of October 2022 (as `ticker`, with its units or not), NEWC on rank day."""
    october = sec(
        date(2022, 10, 3), [(4, "Spac Corp", ticker)] + ([(4, "Spac Corp", f"{ticker}-U")] if units else [])
    )
    return pl.concat([MAPS, october]).sort("as_of_date")


def test_a_company_whose_cik_listed_units_merged_with_a_blank_check_company_and_is_no_ipo():
    assert newco("2022", three_maps(units=False))["rule"] == "ipo_review"
    row = newco("2022", three_maps(units=True))
    assert (row["action"], row["rule"]) == ("add", "break_r3000")


def test_a_new_company_whose_own_ticker_ends_in_u_is_ranked_at_its_ipo_review_like_any_other():
    maps = pl.concat([MAPS.filter(pl.col("ticker") != "NEWC"), sec(RANK_DAY, [(4, "Acmu Inc", "ACMU")])])
    row = newco("2022", maps, symbol="ACMU")
    assert (row["action"], row["rule"]) == ("stay", "ipo_review")


def test_the_ipo_review_rule_never_makes_a_company_below_the_break_a_deletion():
    rows = companies(3000, cap=2e9) + [line("NEWC", "Newco Inc. Common Stock", 20.0, 1e9, ipo="2022")]
    maps = pl.concat([MAPS, sec(RANK_DAY, [(1000 + i, f"C{i}", r[0]) for i, r in enumerate(rows[:3000])])])
    maps = maps.unique(["as_of_date", "ticker"], keep="first")
    reviews = inputs.ipo_reviews(RECON, NO_CHANGES, date(2022, 6, 27), RANK_DAY)
    out = run(
        rows, listed([r[0] for r in rows[:3000]]), maps, previous_rank_day=PREVIOUS, ipo_reviews=reviews
    )
    row = action(out, "NEWC")
    assert (
        row["rank"] == 3001 and row["action"] not in ("delete", "stay", "add") and row["rule"] != "ipo_review"
    )


# ---------------------------------------------------------------- spin-offs and blank checks
def test_a_new_company_that_took_a_members_ticker_while_the_member_took_another_is_its_spin_off():
    maps = pl.concat(
        [
            sec(M1, [(1, "Crane Holdings, Co.", "CR"), (9, "Other Inc", "OTHER")]),
            sec(RANK_DAY, [(1, "Crane NXT, Co.", "CXT"), (2, "Crane Co", "CR"), (9, "Other Inc", "OTHER")]),
        ]
    )
    rows = [
        line("CXT", "Crane NXT Co. Common Stock", 50.0, 3e9),
        line("CR", "Crane Company Common Stock", 80.0, 4e9),
        line("OTHER", "Other Inc. Common Stock", 20.0, 1e9),
    ]
    members = listed(["CR", "OTHER"], ["CRANE HOLDINGS CO", "OTHER INC"])
    out = run(rows, members, maps)
    parent, spun = action(out, "CXT"), action(out, "CR")
    assert (parent["action"], parent["index_before"]) == ("stay", "Russell 3000")
    assert (
        parent["evidence"]
        == f"{LIST} prints it as CR; the SEC maps by rank day carry its company (CIK 1) as CXT"
    )
    assert (spun["action"], spun["rule"]) == ("stay", "spin_off")
    assert spun["evidence"].startswith(
        "rule spin_off: CR was a member's ticker (CIK 1) until that member took CXT"
    )
    # Without the maps, CR is the member the list prints and the new CXT an addition.
    blind = run(rows, members)
    assert (action(blind, "CR")["action"], action(blind, "CXT")["action"]) == ("stay", "add")


@pytest.mark.parametrize(
    ("units", "expected"), [(True, ("out", "blank_check")), (False, ("add", "break_r3000"))]
)
def test_a_company_at_ten_dollars_is_a_blank_check_where_its_cik_listed_units(units, expected):
    entries = [(6, "Bco Corp", "BCO")] + ([(6, "Bco Corp", "BCO.UN")] if units else [])
    maps = pl.concat([sec(M1, entries), sec(RANK_DAY, [(6, "Bco Corp", "BCO"), (9, "Other Inc", "OTHER")])])
    rows = [
        line("BCO", "Bco Corp Class A Common Stock", 10.15, 5e8),
        line("OTHER", "Other Inc. Common Stock", 20.0, 1e9),
    ]
    row = action(run(rows, listed(["OTHER"]), maps), "BCO")
    assert (row["action"], row["rule"]) == expected


# ---------------------------------------------------------------- the lines of one CIK
def test_the_lines_of_one_cik_are_one_company_sized_by_its_most_traded_line():
    # The screener prints the company's total on each class line at that class's price: 5, 10 and 2 billion.
    rows = [
        line("TRI", "Triad Industries Class A Common Stock", 50.0, 5e9, volume=1_000_000),
        line("TRIB", "Tri-Ad Holdings Class B Voting Shares", 100.0, 10e9, volume=100),
        line("TRIK", "TriAd Group Class C Capital Stock", 20.0, 2e9, volume=10_000),
        line("MID", "Middling Corp. Common Stock", 20.0, 6e9),
    ]
    maps = pl.concat(
        [
            sec(
                RANK_DAY,
                [(7, "Triad Industries Inc", t) for t in ("TRI", "TRIB", "TRIK")] + [(9, "Middling", "MID")],
            )
        ]
    )
    out = run(rows, listed(["TRIB"]), maps)
    tri = out.filter(pl.col("symbol").is_in(["TRI", "TRIB", "TRIK"]))
    assert tri.height == 3 and set(tri["primary_symbol"]) == {"TRI"}
    assert set(tri["total_market_cap"]) == {5e9}  # not the sum (17e9), nor the largest (10e9)
    assert set(tri["rank"]) == {2} and action(out, "MID")["rank"] == 1
    assert set(tri["action"]) == {"stay"}  # a member by its class B line, so by all three
    # Without the map, the three names are three companies.
    assert run(rows, listed(["TRIB"]))["rank"].n_unique() == 4
