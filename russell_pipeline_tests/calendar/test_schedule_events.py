"""Schedules: one event written by its close or by its next open, footnoted labels, and a
contradictory row that is reported and dropped while the document's other dates stand."""

from __future__ import annotations

import io
from datetime import date

import dagster as dg
import polars as pl
import pytest

from russell_pipeline.lib.calendar.published import read_schedule, year_calendar
from russell_pipeline.lib.calendar.schedules import parse_schedule
from russell_pipeline.lib.documents.reading import read_document
from russell_pipeline.lib.errors import InputError
from russell_pipeline.runner.runs import failure_lines
from russell_pipeline_tests.helpers import RAW, materialize, run_main
from russell_pipeline_tests.test_pipeline import YEAR_ASSETS, _resources

A, Q = "annual_reconstitution", "quarterly_ipo"
# Modelled on seeds/003 (the 2022 review schedule and its IPO table) for 2024, with one
# contradiction: the September rank date differs between the two tables (lines 4 and 10).
SCHEDULE_2024 = """Russell U.S. Equity Indexes Review Schedule 2024

\tQuarterly IPO March 2024\tAnnual Reconstitution June 2024\tQuarterly IPO September 2024
Index Rebalance Market Capitalisation data cut-off\t9 February 2024\t30 April 2024\t31 July 2024
Release of Preliminary Index Membership Files\t23 February 2024\t24 May 2024\t23 August 2024
Lock-Down Period (open of)\t4 March 2024\t10 June 2024\t3 September 2024
Review Effective Date (open of)\t18 March 2024\t1 July 2024\t23 September 2024

Quarterly addition\tGuidelines\t2024 First-quarter additions\t2024 Third-quarter additions
Rank date*\tFive weeks prior to implementation.\t9 February 2024\t16 August 2024
Effective date**\tThird Friday of the month.\t{march}\t23 September 2024
* If a date falls on a holiday the previous business day is used.\t\t\t
** After the close on the third Friday of the month.\t\t\t
"""
KEPT = [
    ("2024-03", Q, "ipo_rank", date(2024, 2, 9)),
    ("2024-03", Q, "preliminary_list", date(2024, 2, 23)),
    ("2024-03", Q, "lock_down", date(2024, 3, 4)),
    ("2024-03", Q, "recon_close", date(2024, 3, 15)),
    ("2024-03", Q, "effective_open", date(2024, 3, 18)),
    ("2024-06", A, "rank_day", date(2024, 4, 30)),
    ("2024-06", A, "preliminary_list", date(2024, 5, 24)),
    ("2024-06", A, "lock_down", date(2024, 6, 10)),
    ("2024-06", A, "recon_close", date(2024, 6, 28)),
    ("2024-06", A, "effective_open", date(2024, 7, 1)),
    ("2024-09", Q, "preliminary_list", date(2024, 8, 23)),
    ("2024-09", Q, "lock_down", date(2024, 9, 3)),
    ("2024-09", Q, "recon_close", date(2024, 9, 20)),
    ("2024-09", Q, "effective_open", date(2024, 9, 23)),
]
RANK_CONTRADICTION = (
    2024,
    "2024-09",
    Q,
    "ipo_rank",
    "x.txt",
    "line 10",
    date(2024, 8, 16),
    "Rank date* Five weeks prior to implementation. 9 February 2024 16 August 2024",
    "line 4",
    date(2024, 7, 31),
    "Index Rebalance Market Capitalisation data cut-off 9 February 2024 30 April 2024 31 July 2024",
)


def _lines(march: str = "18 March 2024") -> list[str]:
    return SCHEDULE_2024.format(march=march).splitlines()


def _events(rows: pl.DataFrame) -> list[tuple]:
    return sorted(rows.select("review", "review_type", "event", "date").rows())


@pytest.mark.parametrize("march", ["18 March 2024", "15 March 2024"], ids=["next-open", "friday-close"])
def test_footnoted_label_by_close_or_open_agrees_and_a_contradiction_drops_one_event(march):
    """`Effective date**` dated by the Monday open or the Friday close is the same event as
    `Review Effective Date (open of)`; the September rank date given twice is dropped alone."""
    published = parse_schedule(_lines(march), "x.txt", "sha")
    assert _events(published.rows) == sorted(KEPT)
    assert set(published.rows["source"]) == {"published"}
    assert published.contradictions.rows() == [RANK_CONTRADICTION]


def test_a_date_its_own_footnote_contradicts_is_dropped_naming_the_footnote():
    published = parse_schedule(_lines("25 March 2024"), "x.txt", "sha")  # neither 15 nor 18 March
    assert _events(published.rows) == sorted(KEPT)  # line 7 still dates the March implementation
    footnote = published.contradictions.filter(pl.col("review") == "2024-03")
    assert footnote.select("event", "line", "date", "other_line", "other_date").rows() == [
        ("recon_close, effective_open", "line 11", date(2024, 3, 25), "line 13", None)
    ]
    assert footnote["other_text"][0] == "** After the close on the third Friday of the month."


def test_close_and_open_rows_that_disagree_drop_that_event_only():
    lines = [
        "Russell US Indexes – Annual Reconstitution 2023",
        "Friday 28 April 2023: Rank day.",
        "Friday 23 June 2023: The Russell US reconstitution is implemented after market close.",
        "Summary:",
        "Monday 03 July\tThe Reconstitution changes are effective (from the open)",
    ]
    published = parse_schedule(lines, "x.txt", "sha")
    assert _events(published.rows) == [("2023-06", A, "rank_day", date(2023, 4, 28))]
    assert published.contradictions.select("event", "line", "date", "other_line", "other_date").rows() == [
        ("effective_open", "line 5", date(2023, 7, 3), "line 3", date(2023, 6, 26)),
        ("recon_close", "line 5", date(2023, 6, 30), "line 3", date(2023, 6, 23)),
    ]


@pytest.mark.parametrize("printed", ["20 March 2008", "24 March 2008"], ids=["close", "next-open"])
def test_footnoted_close_on_a_holiday_moves_to_the_previous_session(printed):
    """Third Friday of March 2008 was Good Friday: the close is Thursday 20 March."""
    lines = [
        "\tQuarterly IPO March 2008",
        f"Effective date*\t{printed}",
        "* After the close on the third Friday of the month.",
    ]
    published = parse_schedule(lines, "x.txt", "sha")
    assert _events(published.rows) == [
        ("2008-03", Q, "effective_open", date(2008, 3, 24)),
        ("2008-03", Q, "recon_close", date(2008, 3, 20)),
    ]
    assert published.contradictions.is_empty()


def test_ingestion_names_file_lines_and_keeps_the_other_published_dates(tmp_path):
    folder = tmp_path / "raw" / "2024"
    folder.mkdir(parents=True)
    (folder / "schedule.txt").write_text(SCHEDULE_2024.format(march="18 March 2024"), encoding="utf-8")
    found = year_calendar(tmp_path / "raw", 2024)
    assert found.errors == []
    assert found.contradictions.select("path", "line", "other_line").rows() == [
        ("raw/2024/schedule.txt", "line 10", "line 4")
    ]
    published = found.calendar.filter(pl.col("source") == "published")
    assert _events(published) == sorted(KEPT)
    rank = found.calendar.filter(review="2024-09", event="ipo_rank")
    assert rank.select("date", "source").rows() == [(date(2024, 7, 31), "projected")]


@pytest.mark.slow
def test_contradiction_is_a_warn_check_naming_both_lines_and_the_rest_is_published(tmp_lake):
    (tmp_lake.root / "raw" / "2024" / "schedule.txt").write_text(
        SCHEDULE_2024.format(march="15 March 2024"), encoding="utf-8"
    )
    with dg.instance_for_test() as instance:
        result = materialize(YEAR_ASSETS, _resources(tmp_lake.root), instance, ("2024", "2024"), publish=True)
    assert result.success, failure_lines(result)
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    warned = checks["schedule_contradictions"]
    assert (warned.passed, warned.severity, warned.metadata["failures"].value) == (
        False,
        dg.AssetCheckSeverity.WARN,
        1,
    )
    example = warned.metadata["examples"].value
    assert "raw/2024/schedule.txt" in example and "line 10" in example and "line 4" in example
    assert checks["published_schedules_parse"].passed
    calendar = tmp_lake.lake.tables.read("recon_calendar", "recon_year", [2024])
    assert _events(calendar.filter(pl.col("source") == "published")) == sorted(KEPT)
    assert calendar.filter(review="2024-09", event="ipo_rank")["source"].to_list() == ["projected"]


def test_seed_2022_dates_its_implementations_both_ways_without_contradiction():
    path = next((RAW / "2022").glob("003_*.txt"))
    published = read_schedule(read_document(path), "raw/2022/003.txt")
    assert published.contradictions.is_empty()
    faces = published.rows.filter(pl.col("event").is_in(["recon_close", "effective_open"]))
    assert faces.select("review", "event", "date").rows() == [
        ("2022-03", "recon_close", date(2022, 3, 18)),
        ("2022-03", "effective_open", date(2022, 3, 21)),
        ("2022-06", "recon_close", date(2022, 6, 24)),
        ("2022-06", "effective_open", date(2022, 6, 27)),
        ("2022-09", "recon_close", date(2022, 9, 16)),
        ("2022-09", "effective_open", date(2022, 9, 19)),
        ("2022-12", "recon_close", date(2022, 12, 16)),
        ("2022-12", "effective_open", date(2022, 12, 19)),
    ]


def test_parse_of_a_schedule_prints_its_calendar_rows(tmp_path):
    path = tmp_path / "schedule.txt"
    path.write_text(SCHEDULE_2024.format(march="18 March 2024"), encoding="utf-8")
    done = run_main("parse", str(path), "--format", "parquet", text=False)
    assert done.returncode == 0, done.stderr.decode()
    rows = pl.read_parquet(io.BytesIO(done.stdout))
    assert rows.columns == [
        "recon_year",
        "review",
        "review_type",
        "event",
        "date",
        "source",
        "source_sha256",
        "basis",
    ]
    assert set(rows["basis"]) == {f"published: {path}"}
    assert _events(rows) == sorted(KEPT)
    assert done.stderr.decode().splitlines() == [
        (
            f"warning: {path}: 2024-09 ipo_rank: line 10 (2024-08-16) contradicts line 4 (2024-07-31); "
            "dropped, the projection stands"
        ),
        f"{path}: schedule, Russell U.S. Equity, 14 calendar rows",
    ]


def test_schedule_with_no_readable_date_is_an_error(tmp_path):
    path = tmp_path / "schedule.txt"
    path.write_text("Russell reconstitution schedule\nDates to follow.\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_schedule(read_document(path), str(path))
    assert str(info.value) == f"{path}: schedule document: no reconstitution or review date could be read"
    done = run_main("parse", str(path), text=False)
    assert (done.returncode, done.stderr.decode()) == (1, f"error: {info.value}\n")
