"""`build` rebuilds what changed and only that; a bad document fails its own year and nothing else."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from russell_pipeline.defs.index.checks import levels_current
from russell_pipeline.lake.store import Lake
from russell_pipeline.lib.calendar.sessions import expected_last_session
from russell_pipeline.planning import stale
from russell_pipeline_tests.conftest import resources_for
from russell_pipeline_tests.helpers import cli
from russell_pipeline_tests.lake.test_reliability import _lake

# An amended 2019 schedule (read after the seed's, so it wins) moving the reconstitution a week earlier.
AMENDED_2019 = """Russell US Indexes - Annual Reconstitution 2019 (amended)

Friday 10 May 2019: Rank day.
Friday 07 June 2019: Preliminary membership lists are published after market close.
Friday 21 June 2019: The Russell US reconstitution is implemented after market close.
"""


@pytest.mark.slow
def test_a_new_schedule_rebuilds_its_year_and_the_reviews_it_moves(tmp_path, small_market):
    root, env = _lake(tmp_path, small_market)
    assert cli("build", env=env).returncode == 0
    lake = Lake(root)
    unmoved = "SELECT * FROM index_levels WHERE date <= '2019-06-21' ORDER BY date"
    levels_before = lake.query(unmoved)
    (root / "raw" / "2019" / "zz_amended_2019.txt").write_text(AMENDED_2019)
    assert stale.stale_years(lake, [str(y) for y in range(2010, 2031)]) == {
        "documents": ["2019"], "recon_calendar": ["2019"]}
    done = cli("build", env=env)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    lines = done.stdout.decode().splitlines()
    assert lines[0] == "years: 1 of 21 out of date (2019)"
    assert lines[1].startswith("recon_year_job 2019: ok")
    assert lines[2] == "market_data: up to date"
    # 2019-06's rebalance moved: its weights and levels change, the period before it ends earlier, and
    # every later period starts from a different level; the sessions before the move stay as they were.
    assert lines[3] == "reviews: 5 out of date (2019-03..2020-03)"
    assert lines[4].startswith("quarterly_weights 2019-06: ok")  # only the review whose dates moved
    assert lines[5].startswith("index_levels 2019-03..2020-03: ok")
    moved = lake.query("SELECT DISTINCT effective_date FROM quarterly_weights WHERE review = '2019-06'")
    assert moved.item() == date(2019, 6, 21)
    assert lake.query(unmoved).equals(levels_before)
    again = cli("build", env=env).stdout.decode().splitlines()
    assert again[:3] == ["years: 0 of 21 out of date", "market_data: up to date", "reviews: 0 out of date"]


@pytest.mark.slow
def test_a_bad_document_fails_only_its_year_and_the_build_says_so(tmp_path, small_market):
    root, env = _lake(tmp_path, small_market)
    (root / "raw" / "2021").mkdir()
    (root / "raw" / "2021" / "empty.pdf").write_bytes(b"")
    done = cli("build", env=env)
    out, err = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == 1
    assert "recon_year_job 2010..2030: failed; running its partitions one by one" in out
    assert "recon_year_job 2020: ok" in out and "recon_year_job 2022: ok" in out
    assert "index_levels 2019-03..2020-03: ok" in out  # the index still builds
    assert err.splitlines() == [
        f"recon_year_job 2021: FAILED: documents: {root}/raw/2021/empty.pdf: empty file",
        "build finished with 1 failure(s):",
        f"  recon_year_job 2021: documents: {root}/raw/2021/empty.pdf: empty file",
    ]
    assert "Traceback" not in out + err
    lake = Lake(root)
    assert lake.query("SELECT DISTINCT recon_year FROM recon_calendar WHERE recon_year = 2021").height == 1
    # The failed year stays out of date until its files change: the next build asks for it alone.
    assert stale.stale_years(lake, [str(y) for y in range(2010, 2031)])["documents"] == ["2021"]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 20, 19, 59), date(2026, 11, 19)),  # Friday before the deadline: Thursday's close
        (datetime(2026, 11, 20, 20, 0), date(2026, 11, 20)),  # after it: Friday's
        (datetime(2026, 11, 23, 9, 0), date(2026, 11, 20)),  # Monday morning: still Friday's
        (datetime(2026, 11, 27, 21, 0), date(2026, 11, 27)),  # the day after Thanksgiving (half day)
        (datetime(2026, 11, 26, 21, 0), date(2026, 11, 25)),  # Thanksgiving: no session, Wednesday's
    ],
)
def test_levels_are_due_for_the_last_session_closed_before_the_deadline(now, expected):
    assert expected_last_session(now.replace(tzinfo=ZoneInfo("America/New_York"))) == expected


@pytest.mark.slow
def test_freshness_check_fails_when_the_series_missed_a_night(tmp_path, small_market):
    root, env = _lake(tmp_path, small_market)
    assert cli("build", env=env).returncode == 0
    # The small feed ends 2020-03-31: today the series is years behind the last session.
    result = levels_current(lake=resources_for(root)["lake"])
    assert not result.passed
    assert result.metadata["latest_level_date"].value == "2020-03-31"


@pytest.mark.slow
def test_a_blocking_check_failing_on_bad_input_publishes_nothing(tmp_lake):
    """A list row whose symbol cannot be read (`BE TA`) is a data line the parser drops: the blocking
    `rows_match_pages` check fails on the staged frames and the stored year stays as it was."""
    import dagster as dg

    from russell_pipeline.defs.documents.assets import documents
    from russell_pipeline.planning.runs import failure_lines

    resources = resources_for(tmp_lake)
    with dg.instance_for_test() as instance:
        assert dg.materialize([documents], resources=resources, instance=instance, partition_key="2023").success
        before = Lake(tmp_lake).read("constituent_changes", "recon_year", [2023])
        (tmp_lake / "raw" / "2023" / "adds.txt").write_text(
            "Russell 2000 Index - Additions\n\nCompany\tSymbol\tSector\nACME CORP\tACME\tTechnology\n"
            "BETA INDUSTRIES\tBE TA\tTechnology\nGAMMA HOLDINGS\tGAMM\tEnergy\n")
        result = dg.materialize([documents], resources=resources, instance=instance, partition_key="2023",
                                raise_on_error=False)
    assert not result.success
    checks = {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    check = checks["rows_match_pages"]
    assert (check.passed, check.metadata["failures"].value) == (False, 1)
    # The refusal names the file and the page, in the run's failure and in the check.
    first = "page where rows parsed differ from the data lines present: path=raw/2023/adds.txt, page=1, data_lines=3, rows=2"
    assert check.metadata["first"].value == first
    assert failure_lines(result) == [("documents: blocking check failed, nothing written (the stored partitions "
                                      f"stay): source_documents.rows_match_pages ({first})")]
    assert result.asset_materializations_for_node("documents") == []
    assert Lake(tmp_lake).read("constituent_changes", "recon_year", [2023]).equals(before)


def test_parse_refuses_a_list_with_a_line_it_cannot_read(tmp_path):
    bad = tmp_path / "adds.txt"
    bad.write_text("Russell 2000 Index - Additions\n\nCompany\tSymbol\tSector\nACME CORP\tACME\tTechnology\n"
                   "BETA INDUSTRIES\tBE TA\tTechnology\n")
    done = cli("parse", str(bad))
    assert done.returncode == 1 and done.stdout == b""
    assert done.stderr.decode().splitlines() == [
        (f"error: {bad}: page 1: 2 data lines but 1 rows read (a line the parser could not read as company, "
        "symbol and sector)")]
