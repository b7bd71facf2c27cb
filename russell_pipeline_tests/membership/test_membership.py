"""Membership history, reconciliation and list revisions: the pure functions, on constructed and real
lists."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from russell_pipeline.lib.calendar.reviews import review_dates
from russell_pipeline.lib.documents import ingest
from russell_pipeline.lib.membership.history import membership_tables, overlapping_intervals
from russell_pipeline.lib.membership.in_force import coverage
from russell_pipeline.lib.membership.placement import (
    document_rows,
    list_documents,
    place_documents,
    placed_lists,
)
from russell_pipeline.lib.membership.revisions import revision_steps
from russell_pipeline_tests.membership.helpers import (
    CALENDAR,
    R2000,
    intervals,
    ipo_lists,
    lake_frames,
    members_on,
    real_tables,
    tables_of,
)

# 2022 list, 2023 final changes and list, nothing for 2024: the effective opens are 2022-06-27,
# 2023-06-26 (recon_close Friday 2023-06-23) and 2024-07-01.
YEARS = (
    (2022, "membership", None, date(2022, 6, 24), "ALPH BRVO CHRL"),
    (2023, "addition", "final", date(2023, 6, 23), "DLTA"),
    (2023, "deletion", "final", date(2023, 6, 23), "BRVO"),
    (2023, "membership", None, date(2023, 6, 23), "ALPH CHRL DLTA"),
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2022, 6, 24), []),  # the first list takes effect at the next open
        (date(2022, 6, 27), ["ALPH", "BRVO", "CHRL"]),
        (date(2023, 6, 23), ["ALPH", "BRVO", "CHRL"]),  # recon_close: changes apply after its close
        (date(2023, 6, 26), ["ALPH", "CHRL", "DLTA"]),
        (date(2024, 6, 28), ["ALPH", "CHRL", "DLTA"]),
        (date(2024, 7, 1), []),  # no document covers the 2024 reconstitution: unknown, not assumed
    ],
)
def test_members_on_a_date_are_the_lists_in_force(day, expected):
    assert members_on(tables_of(*YEARS), day) == expected


def test_intervals_are_traced_to_the_rows_that_open_and_close_them():
    history = tables_of(*YEARS).history
    assert intervals(history, "BRVO") == [(date(2022, 6, 27), date(2023, 6, 26), "first_listed", "deletion")]
    assert intervals(history, "DLTA") == [(date(2023, 6, 26), date(2024, 7, 1), "addition", "not_covered")]
    brvo = history.filter(pl.col("symbol") == "BRVO").row(0, named=True)
    assert (brvo["open_path"], brvo["open_page"], brvo["open_line"]) == (
        "raw/2022/2022-membership-None-2022-06-24.txt",
        1,
        6,
    )
    assert (brvo["close_sha256"], brvo["close_line"]) == ("2023-deletion-final-2023-06-23", 5)
    assert overlapping_intervals(history).height == 0


def test_a_symbol_deleted_and_added_again_has_twointervals():
    tables = tables_of(
        (2021, "membership", None, date(2021, 6, 25), "ALPH BRVO"),
        (2022, "addition", "final", date(2022, 6, 24), "CHRL"),
        (2022, "deletion", "final", date(2022, 6, 24), "BRVO"),
        (2023, "addition", "final", date(2023, 6, 23), "BRVO"),
        (2023, "deletion", "final", date(2023, 6, 23), "CHRL"),
    )
    history = tables.history
    assert intervals(history, "BRVO") == [
        (date(2021, 6, 28), date(2022, 6, 27), "first_listed", "deletion"),
        (date(2023, 6, 26), date(2024, 7, 1), "addition", "not_covered"),
    ]
    assert intervals(history, "ALPH") == [
        (date(2021, 6, 28), date(2024, 7, 1), "first_listed", "not_covered")
    ]
    assert members_on(tables, date(2022, 12, 30)) == ["ALPH", "CHRL"]


def test_nothing_is_guessed_across_missing_years_or_ticker_changes():
    tables = tables_of(
        (2020, "membership", None, date(2020, 6, 26), "ALPH OLDT"),
        (2023, "membership", None, date(2023, 6, 23), "ALPH NEWT"),
        (2023, "deletion", "final", date(2023, 6, 23), "GONE"),
        # The IPO additions of the three quarterly reviews after each list, without which neither list
        # is the whole index past the first of them (they leave where each list's span ends).
        *ipo_lists(date(2020, 6, 30), date(2021, 6, 27)),
        *ipo_lists(date(2023, 6, 27), date(2024, 6, 30)),
    )
    history = tables.history
    # 2021 and 2022 have no document: membership is unknown there, and ALPH opens again as first seen.
    assert intervals(history, "ALPH") == [
        (date(2020, 6, 29), date(2021, 6, 28), "first_listed", "not_covered"),
        (date(2023, 6, 26), date(2024, 7, 1), "first_listed", "not_covered"),
    ]
    assert intervals(history, "OLDT") == [
        (date(2020, 6, 29), date(2021, 6, 28), "first_listed", "not_covered")
    ]
    assert intervals(history, "NEWT") == [
        (date(2023, 6, 26), date(2024, 7, 1), "first_listed", "not_covered")
    ]
    # A deletion no earlier list shows: a member until the review, since an unknown date.
    assert intervals(history, "GONE") == [(None, date(2023, 6, 26), None, "deletion")]
    assert members_on(tables, date(2022, 1, 3)) == []
    assert coverage(tables.in_force).rows() == [
        (R2000, True, date(2020, 6, 29), date(2021, 6, 28)),
        (R2000, True, date(2023, 6, 26), date(2024, 7, 1)),
    ]


def test_a_symbol_that_left_between_lists_closes_at_the_next_list():
    history = tables_of(
        (2022, "membership", None, date(2022, 6, 24), "ALPH BRVO"),
        (2023, "membership", None, date(2023, 6, 23), "ALPH CHRL"),
    ).history
    assert intervals(history, "BRVO") == [
        (date(2022, 6, 27), date(2023, 6, 26), "first_listed", "not_listed")
    ]
    assert intervals(history, "CHRL") == [(date(2023, 6, 26), date(2024, 7, 1), "listed", "not_covered")]
    closed = history.filter(pl.col("symbol") == "BRVO").row(0, named=True)
    assert (closed["close_sha256"], closed["close_line"]) == ("2023-membership-None-2023-06-23", None)


def test_indexes_are_separate_and_ipo_additions_join_at_their_quarter():
    tables = tables_of(
        (2022, "membership", None, date(2022, 6, 24), "ALPH"),
        (2022, "membership", None, date(2022, 6, 24), "ZULU", "Russell Microcap"),
        (2022, "addition", "final", date(2022, 9, 2), "IPOA"),  # placed on the 2022-09 IPO review
    )
    assert intervals(tables.history, "IPOA") == [
        (date(2022, 9, 19), date(2023, 6, 26), "addition", "not_covered")
    ]
    assert members_on(tables, date(2022, 12, 30), R2000) == ["ALPH", "IPOA"]
    assert members_on(tables, date(2022, 12, 30), "Russell Microcap") == ["ZULU"]


@pytest.mark.parametrize(
    ("kind", "as_of", "review"),
    [
        ("membership", date(2022, 6, 24), "2022-06"),  # dated on its recon_close
        ("membership", date(2022, 6, 27), "2022-06"),  # dated on the effective open
        ("membership", date(2022, 12, 30), "2022-12"),  # a snapshot after the December IPO review
        ("addition", date(2022, 6, 3), "2022-06"),  # a preliminary list five weeks ahead
        ("deletion", date(2022, 6, 24), "2022-06"),
        ("addition", date(2022, 8, 26), "2022-09"),  # a quarterly IPO list
        ("addition", None, "2022-06"),  # undated: its year's annual reconstitution
        ("membership", date(2015, 6, 26), None),  # before the calendar's first year: not placed
    ],
)
def test_documents_are_placed_on_the_review_their_date_belongs_to(kind, as_of, review):
    members, changes, sources = lake_frames((as_of.year if as_of else 2022, kind, "final", as_of, "ALPH"))
    placed = place_documents(list_documents(document_rows(members, changes), sources), review_dates(CALENDAR))
    assert placed["review"].to_list() == [review]


def test_unplaced_documents_are_reported_with_the_reason():
    tables = tables_of((2015, "membership", None, date(2015, 6, 26), "ALPH"))
    assert tables.history.height == 0
    assert tables.unplaced.select("recon_year", "kind", "problem").rows() == [
        (2015, "membership", "recon_calendar has no review within 92 days of its date")
    ]


def test_reconciliation_classifies_every_difference_the_documents_explain():
    tables = tables_of(
        (2022, "membership", None, date(2022, 6, 24), "ALPH BRVO CHRL ECHO GOLF"),
        (2022, "addition", "final", date(2022, 9, 2), "IPOA IPOB"),
        (2023, "addition", "preliminary", date(2023, 5, 19), "DLTA PREL"),
        (2023, "deletion", "preliminary", date(2023, 5, 19), "BRVO GOLF"),
        (2023, "addition", "final", date(2023, 6, 23), "ALPH DLTA FOXT"),
        (2023, "deletion", "final", date(2023, 6, 23), "BRVO XRAY IPOB"),
        (2023, "membership", None, date(2023, 6, 23), "ALPH BRVO CHRL DLTA IPOA PREL NEWC"),
    )
    got = tables.reconciliation.select("difference", "cause", "symbol", "source_sha256").rows()
    assert got == [
        ("addition_of_member", "unexplained", "ALPH", "2023-addition-final-2023-06-23"),
        ("deletion_of_non_member", "ipo_addition", "IPOB", "2022-addition-final-2022-09-02"),
        ("deletion_of_non_member", "unexplained", "XRAY", "2023-deletion-final-2023-06-23"),
        ("missing_from_list", "contradicts_final_list", "FOXT", "2023-addition-final-2023-06-23"),
        ("missing_from_list", "list_revision", "GOLF", "2023-deletion-preliminary-2023-05-19"),
        ("missing_from_list", "unexplained", "ECHO", "2022-membership-None-2022-06-24"),
        ("unexpected_in_list", "contradicts_final_list", "BRVO", "2023-deletion-final-2023-06-23"),
        ("unexpected_in_list", "ipo_addition", "IPOA", "2022-addition-final-2022-09-02"),
        ("unexpected_in_list", "list_revision", "PREL", "2023-addition-preliminary-2023-05-19"),
        ("unexpected_in_list", "unexplained", "NEWC", "2023-membership-None-2023-06-23"),
    ]
    assert set(tables.reconciliation["previous_review"]) == {"2022-06"}
    assert tables.summary.select(
        "review",
        "previous_members",
        "additions",
        "deletions",
        "expected",
        "listed",
        "differences",
        "unexplained",
        "scope",
    ).rows() == [
        ("2022-06", None, None, None, None, 5, 0, 0, "no_previous_list"),
        ("2023-06", 5, 3, 3, 6, 7, 10, 6, "compared"),
    ]


def test_list_revisions_between_preliminary_updates_and_final(tmp_path):
    """Text lists of both seed layouts (space- and tab-separated), three versions of the additions
    (filed in any order) and two of the deletions."""
    folder = tmp_path / "raw" / "2023"
    folder.mkdir(parents=True)
    adds = (
        "Russell 2000® Index - {stage}Additions\n{day}\n\nCompany Symbol Industry\n"
        "ALPHA INC ALPH Technology\n\n{rows}"
    )
    (folder / "c_final.txt").write_text(
        adds.format(stage="", day="June 23, 2023", rows="DELTA INC DLTA Industrials\n\nGOLF CO GOLF Energy\n")
    )
    (folder / "a_prelim.txt").write_text(
        adds.format(stage="Preliminary ", day="May 19, 2023", rows="BRAVO CORP BRVO Health Care\n")
    )
    (folder / "b_update.txt").write_text(
        adds.format(stage="Updated ", day="May 26, 2023", rows="DELTA INC DLTA Industrials\n")
    )
    dels = "Russell 2000® Index - {stage}Deletions\n{day}\n\nCompany\tSymbol\tSector\n{rows}"
    (folder / "d_prelim.txt").write_text(
        dels.format(
            stage="Preliminary ",
            day="May 19, 2023",
            rows="ECHO CORP\tECHO\tEnergy\nFOXTROT INC\tFOXT\tTechnology\n",
        )
    )
    (folder / "e_final.txt").write_text(
        dels.format(stage="", day="June 23, 2023", rows="ECHO CORP\tECHO\tEnergy\n")
    )
    year = ingest.ingest_year(tmp_path / "raw", 2023)
    got = membership_tables(
        year.constituents, year.constituent_changes, year.source_documents, CALENDAR
    ).revisions
    assert got.select(
        "review",
        "change",
        "version",
        "previous_stage",
        "stage",
        "as_of_date",
        "revision",
        "symbol",
        "source_path",
        "source_line",
    ).rows() == [
        (
            "2023-06",
            "addition",
            2,
            "preliminary",
            "update",
            date(2023, 5, 26),
            "entered",
            "DLTA",
            "raw/2023/b_update.txt",
            7,
        ),
        (
            "2023-06",
            "addition",
            2,
            "preliminary",
            "update",
            date(2023, 5, 26),
            "left",
            "BRVO",
            "raw/2023/a_prelim.txt",
            7,
        ),
        (
            "2023-06",
            "addition",
            3,
            "update",
            "final",
            date(2023, 6, 23),
            "entered",
            "GOLF",
            "raw/2023/c_final.txt",
            9,
        ),
        (
            "2023-06",
            "deletion",
            2,
            "preliminary",
            "final",
            date(2023, 6, 23),
            "left",
            "FOXT",
            "raw/2023/d_prelim.txt",
            6,
        ),
    ]
    assert set(got["index_name"]) == {R2000} and set(got["recon_year"]) == {2023}
    # Each step between versions, with its counts (what `diff` prints): a step nobody entered is 0, not
    # absent.
    _, placed, _ = placed_lists(year.constituents, year.constituent_changes, year.source_documents, CALENDAR)
    assert revision_steps(placed, got).select(
        "kind", "version", "previous_stage", "stage", "entered", "left"
    ).rows() == [
        ("addition", 2, "preliminary", "update", 1, 1),
        ("addition", 3, "update", "final", 1, 0),
        ("deletion", 2, "preliminary", "final", 0, 1),
    ]


def test_real_2022_list_and_2023_final_changes_reconcile_except_six_deletions(real_lists):
    tables = real_tables(real_lists, {2022, 2023})
    assert tables.summary.select(
        "review", "previous_members", "additions", "deletions", "expected", "listed", "differences", "scope"
    ).rows() == [
        ("2022-06", None, None, None, None, 3010, 0, "no_previous_list"),
        ("2023-06", 3010, 281, 173, 3124, None, 6, "changes_only"),
    ]
    assert tables.summary["note"].to_list() == [
        "no earlier membership list to start from",
        "no membership list: the final changes are checked against the previous list only",
    ]
    # Six final deletions name symbols the 2022 list does not hold (new tickers and spin-offs since).
    assert tables.reconciliation.select("difference", "cause", "symbol").rows() == [
        ("deletion_of_non_member", "unexplained", s) for s in ("BHM", "CELL", "IVVD", "LFCR", "OCTO", "WGS")
    ]
    history = tables.history
    assert len(members_on(tables, date(2023, 6, 23))) == 3010
    assert len(members_on(tables, date(2023, 6, 26))) == 3124
    on_close, after = (set(members_on(tables, d)) for d in (date(2023, 6, 23), date(2023, 6, 26)))
    assert {"XXII", "DIBS"} <= on_close - after  # final deletions
    assert {"SCWO", "ETNB"} <= after - on_close  # final additions
    scwo = history.filter(pl.col("symbol") == "SCWO").row(0, named=True)
    assert (scwo["opened_by"], scwo["open_path"], scwo["open_page"], scwo["open_line"]) == (
        "addition",
        "raw/2023/ru3000-additions-final-20230623.pdf",
        1,
        6,
    )


def test_real_2016_and_2022_lists_compare_across_the_missing_years(real_lists):
    tables = real_tables(real_lists, {2016, 2022})
    row = tables.summary.filter(pl.col("review") == "2022-06").row(0, named=True)
    assert (row["previous_review"], row["previous_members"], row["expected"], row["listed"]) == (
        "2016-06",
        3005,
        3005,
        3010,
    )
    assert row["note"].startswith(
        "no final addition list; no final deletion list; no documents for 5 "
        "reconstitution(s) since the previous list (2017-06, 2018-06, 2019-06, 2020-06, "
        "2021-06)"
    )
    # Without the change lists of 2017-2022 every difference is one a missing document would explain:
    # a state of the lake, not an inconsistency (the check counts no `unexplained` row). The security
    # master (issue 61) keys each of the 23 re-used tickers (two companies by their names, below) as two
    # securities: the 2016 company is missing from the 2022 list and the 2022 one unexpected in it, 23
    # differences more each way than when the lists were compared by ticker (1145 and 1150).
    reused = set(tables.history.filter(pl.col("member") > 1)["symbol"])
    assert len(reused) == 23
    counts = tables.reconciliation.group_by("difference", "cause").len().sort("difference").rows()
    assert counts == [
        ("missing_from_list", "missing_document", 1145 + 23),
        ("unexpected_in_list", "missing_document", 1150 + 23),
    ]
    differences = tables.reconciliation.filter(pl.col("symbol").is_in(list(reused)))
    assert differences.group_by("difference").len().sort("difference").rows() == [
        ("missing_from_list", 23),
        ("unexpected_in_list", 23),
    ]
    assert (row["scope"], row["unexplained"], row["missing_document"]) == ("no_change_lists", 0, 2341)
    assert 3005 - 1168 == 3010 - 1173  # the securities in both lists
