"""The membership tables through Dagster, the warehouse macro, the planner and the `members` / `diff` verbs."""

from __future__ import annotations

import hashlib
import io
import shutil
from datetime import date

import dagster as dg
import polars as pl
import pytest

from russell_pipeline.defs.calendar.assets import recon_calendar
from russell_pipeline.defs.documents.assets import documents
from russell_pipeline.defs.membership.assets import membership
from russell_pipeline.defs.membership.sensors import stale_membership
from russell_pipeline.lake.store import Lake
from russell_pipeline.planning import stale
from russell_pipeline.planning.runs import failure_lines
from russell_pipeline_tests.conftest import documents_lake, publish_after_runs, resources_for
from russell_pipeline_tests.helpers import cli

RANGE = {"dagster/asset_partition_range_start": "2022", "dagster/asset_partition_range_end": "2024"}
MEMBERS = "Russell US Indexes\nMembership list\nRussell 2000® Index\n{day}\nCompany\tTicker\n{rows}"
ADDS = "Russell 2000® Index - {stage}Additions\n{day}\n\nCompany Symbol Industry\n{rows}"
DELS = "Russell 2000® Index - {stage}Deletions\n{day}\n\nCompany\tSymbol\tSector\n{rows}"
# A Russell 2000 in miniature: the 2022 list, the 2023 lists in three stages, and the 2023 list,
# which lacks a final addition (GOLF) and holds a name no change list gives (HOTEL).
DOCUMENTS = {
    "2022/members_20220624.txt": MEMBERS.format(day="June 24, 2022",
                                                rows="ALPHA INC\tALPH\nBRAVO CORP\tBRVO\nCHARLIE CO\tCHRL\n"),
    "2023/adds_prelim.txt": ADDS.format(stage="Preliminary ", day="May 19, 2023",
                                        rows="DELTA INC DLTA Technology\nECHO CORP ECHO Health Care\n"),
    "2023/adds_update.txt": ADDS.format(stage="Updated ", day="May 26, 2023",
                                        rows="DELTA INC DLTA Technology\nFOXTROT CO FXT Financials\n"),
    "2023/adds_final.txt": ADDS.format(stage="", day="June 23, 2023", rows="DELTA INC DLTA Technology\n"
                                       "FOXTROT CO FXT Financials\nGOLF INC GOLF Industrials\n"),
    "2023/dels_prelim.txt": DELS.format(stage="Preliminary ", day="May 19, 2023",
                                        rows="BRAVO CORP\tBRVO\tEnergy\nCHARLIE CO\tCHRL\tUtilities\n"),
    "2023/dels_final.txt": DELS.format(stage="", day="June 23, 2023", rows="BRAVO CORP\tBRVO\tEnergy\n"),
    "2023/members_20230623.txt": MEMBERS.format(day="June 23, 2023", rows="ALPHA INC\tALPH\nCHARLIE CO\tCHRL\n"
                                                "DELTA INC\tDLTA\nFOXTROT CO\tFXT\nHOTEL INC\tHTL\n"),
}


def _sha(name: str) -> str:
    return hashlib.sha256(DOCUMENTS[name].encode()).hexdigest()


def _check(result, name: str) -> dg.AssetCheckEvaluation:
    return next(e.asset_check_evaluation_data for e in result.all_events
                if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.asset_check_evaluation_data.check_name == name)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = documents_lake(tmp_path_factory.mktemp("membership"), DOCUMENTS)
    resources = resources_for(root)
    with dg.instance_for_test() as instance:
        years = dg.materialize([documents, recon_calendar], resources=resources, instance=instance, tags=RANGE)
        assert years.success, failure_lines(years)
        assert stale.membership_stale(Lake(root))
        result = dg.materialize([membership], resources=resources, instance=instance, raise_on_error=False)
        publish_after_runs(instance, resources)
        yield root, instance, result


def test_membership_asset_writes_the_three_tables_with_checks(built):
    root, _, result = built
    assert result.success, failure_lines(result)
    assert _check(result, "intervals_disjoint").passed and _check(result, "documents_placed").passed
    reconciles = _check(result, "membership_reconciles")
    assert not reconciles.passed and reconciles.severity == dg.AssetCheckSeverity.WARN
    assert (reconciles.metadata["differences"].value, reconciles.metadata["unaccounted"].value) == (2, 2)
    lake = Lake(root)
    assert lake.query("SELECT difference, cause, symbol FROM membership_reconciliation ORDER BY symbol").rows() == [
        ("missing_from_list", "contradicts_final_list", "GOLF"), ("unexpected_in_list", "unexplained", "HTL")]
    assert lake.query("SELECT symbol FROM members_on(DATE '2023-06-23', index := 'Russell 2000')").rows() == [
        ("ALPH",), ("BRVO",), ("CHRL",)]
    assert lake.query("SELECT review, previous_review, expected, listed, differences, scope "
                      "FROM membership_reconciliation_summary ORDER BY review").rows() == [
        ("2022-06", None, None, 3, 0, "no_previous_list"), ("2023-06", "2022-06", 5, 5, 2, "compared")]
    assert lake.query("SELECT count(*) FROM list_revisions").item() == 4
    materialized = {e.asset_key.to_user_string(): e.step_materialization_data.materialization.metadata
                    for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}
    assert materialized["membership_history"]["dagster/row_count"].value == 6
    assert materialized["membership_history"]["first_date"].value == "2022-06-27"


def test_the_planner_and_sensor_rerun_membership_only_when_its_inputs_change(built):
    root, instance, _ = built
    lake = Lake(root)
    context = dg.build_sensor_context(instance=instance, resources=resources_for(root))
    assert not stale.membership_stale(lake)
    assert isinstance(stale_membership(context), dg.SkipReason)
    # The calendar rewritten with the same dates changes nothing the membership tables read.
    again = dg.materialize([recon_calendar], resources=resources_for(root), instance=instance,
                           tags=RANGE)
    assert again.success and not stale.membership_stale(lake)
    extra = root.parent / "extra"
    shutil.copytree(root, extra)
    (extra / "raw" / "2023" / "adds_update2.txt").write_text(ADDS.format(
        stage="Updated ", day="June 2, 2023", rows="DELTA INC DLTA Technology\n"))
    changed = dg.materialize([documents], resources=resources_for(extra), instance=instance,
                             tags={**RANGE, "dagster/asset_partition_range_start": "2023",
                                   "dagster/asset_partition_range_end": "2023"})
    assert changed.success and stale.membership_stale(Lake(extra))
    request = stale_membership(dg.build_sensor_context(instance=instance,
                                                       resources=resources_for(extra)))
    assert request.run_key == f"membership:{stale.membership_inputs(Lake(extra))[1]}"


def test_definitions_hold_the_membership_job_and_sensor():
    from russell_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    for name in ("membership_history", "membership_reconciliation", "membership_reconciliation_summary",
                 "list_revisions"):
        node = graph.get(dg.AssetKey(name))
        assert {k.to_user_string() for k in node.parent_keys} == {
            "source_documents", "constituents", "constituent_changes", "recon_calendar"}
        assert node.metadata["dagster/table_name"] == f"warehouse.main.{name}"
    assert defs.resolve_job_def("membership_job") and defs.resolve_sensor_def("stale_membership")


def test_members_prints_the_list_in_force_with_the_documents_that_open_it(built):
    root = built[0]
    done = cli("members", "2023-06-26", "--index", "Russell 2000", env={"RUSSELL_DATA_LAKE": str(root)})
    assert done.returncode == 0, done.stderr.decode()
    m22, m23 = "raw/2022/members_20220624.txt", "raw/2023/members_20230623.txt"
    adds = "raw/2023/adds_final.txt"
    rows = [("ALPH", "ALPHA INC", "2022-06-27", "2022-06", "first_listed", m22, 6),
            ("CHRL", "CHARLIE CO", "2022-06-27", "2022-06", "first_listed", m22, 8),
            ("DLTA", "DELTA INC", "2023-06-26", "2023-06", "addition", adds, 5),
            ("FXT", "FOXTROT CO", "2023-06-26", "2023-06", "addition", adds, 6),
            ("HTL", "HOTEL INC", "2023-06-26", "2023-06", "listed", m23, 10)]
    assert done.stdout.decode().splitlines() == [
        "index_name,symbol,company,start_date,end_date,start_review,opened_by,open_sha256,open_path,open_page,open_line",
        *(f"Russell 2000,{symbol},{company},{start},2024-07-01,{review},{how},{_sha(path[4:])},{path},1,{line}"
          for symbol, company, start, review, how, path, line in rows)]
    assert done.stderr.decode() == ("Russell 2000 on 2023-06-26: 5 members; the documents cover "
                                    "[2022-06-27, 2024-07-01)\n")


def test_members_in_parquet_keeps_the_types(built):
    done = cli("members", "2023-06-23", "--format", "parquet", env={"RUSSELL_DATA_LAKE": str(built[0])})
    assert done.returncode == 0, done.stderr.decode()
    got = pl.read_parquet(io.BytesIO(done.stdout))
    assert got.select("symbol", "start_date", "open_line").rows() == [
        ("ALPH", date(2022, 6, 27), 6), ("BRVO", date(2022, 6, 27), 7), ("CHRL", date(2022, 6, 27), 8)]


def test_members_errors_are_one_line(built, tmp_path):
    root = built[0]
    unknown = cli("members", "2023-06-26", "--index", "Russell 1000", env={"RUSSELL_DATA_LAKE": str(root)})
    assert unknown.returncode == 1
    assert unknown.stderr.decode() == ("error: --index Russell 1000: no such index in membership_history "
                                       "(indexes: Russell 2000)\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = cli("members", "2023-06-26", env={"RUSSELL_DATA_LAKE": str(empty)})
    assert missing.returncode == 1
    assert missing.stderr.decode() == (f"error: {empty}/lake/membership_history: not built yet: run "
                                       "`russell-pipeline build` first\n")
    bad = cli("members", "2023-02-30", env={"RUSSELL_DATA_LAKE": str(root)})
    assert (bad.returncode, bad.stderr.decode()) == (2, (
        "error: russell-pipeline members: argument date: not a date (YYYY-MM-DD): '2023-02-30' "
        "(see russell-pipeline members --help)\n"))


def test_members_tells_what_an_answer_means(built):
    env = {"RUSSELL_DATA_LAKE": str(built[0])}
    # Any letter case names the index; a Saturday is the membership in force that day.
    saturday = cli("members", "2023-07-01", "--index", "russell  2000", text=True, env=env)
    assert saturday.returncode == 0, saturday.stderr
    assert pl.read_csv(io.StringIO(saturday.stdout))["symbol"].to_list() == ["ALPH", "CHRL", "DLTA", "FXT", "HTL"]
    assert saturday.stderr.splitlines()[0] == (
        "note: 2023-07-01 (Saturday) is not an NYSE session: the members in force that day")
    # Before the first stored list nothing is known: said, not answered as an empty index.
    early = cli("members", "2021-01-04", text=True, env=env)
    assert (early.returncode, early.stdout.splitlines()[1:]) == (0, [])
    assert early.stderr.splitlines()[-1] == (
        "note: no stored document covers 2021-01-04: 0 members is what the lake knows, not that the index was empty")
    diff = cli("diff", "2023", "--index", "RUSSELL 2000", text=True, env=env)
    assert diff.returncode == 0 and "Russell 2000" in diff.stdout


def test_diff_prints_who_entered_and_left_between_list_versions(built):
    root = built[0]
    done = cli("diff", "2023", env={"RUSSELL_DATA_LAKE": str(root)})
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert lines[0] == ("recon_year,review,index_name,change,version,stage,as_of_date,previous_stage,"
                        "previous_as_of_date,revision,symbol,company,source_sha256,source_path,source_page,source_line")
    assert [",".join(line.split(",")[3:12]) for line in lines[1:]] == [
        "addition,2,update,2023-05-26,preliminary,2023-05-19,entered,FXT,FOXTROT CO",
        "addition,2,update,2023-05-26,preliminary,2023-05-19,left,ECHO,ECHO CORP",
        "addition,3,final,2023-06-23,update,2023-05-26,entered,GOLF,GOLF INC",
        "deletion,2,final,2023-06-23,preliminary,2023-05-19,left,CHRL,CHARLIE CO",
    ]
    assert lines[3].endswith(f"{_sha('2023/adds_final.txt')},raw/2023/adds_final.txt,1,7")  # GOLF entered
    assert lines[4].endswith(f"{_sha('2023/dels_prelim.txt')},raw/2023/dels_prelim.txt,1,6")  # CHRL left
    assert done.stderr.decode().splitlines() == [
        "2023-06 Russell 2000 additions: preliminary 2023-05-19 -> update 2023-05-26: 1 entered, 1 left",
        "2023-06 Russell 2000 additions: update 2023-05-26 -> final 2023-06-23: 1 entered, 0 left",
        "2023-06 Russell 2000 deletions: preliminary 2023-05-19 -> final 2023-06-23: 0 entered, 1 left",
    ]
    none = cli("diff", "2022", env={"RUSSELL_DATA_LAKE": str(root)})
    assert none.returncode == 0 and none.stdout.decode().count("\n") == 1
    assert none.stderr.decode() == "2022: no addition or deletion list with more than one version\n"


def test_macros_are_created_only_over_stored_tables(tmp_path):
    lake = Lake(tmp_path)
    lake.write("constituents", pl.DataFrame({"recon_year": [2022], "symbol": ["ALPH"]}), "recon_year")
    assert lake.query("SELECT count(*) FROM constituents").item() == 1  # published without members_on
    assert lake.query("SELECT count(*) FROM duckdb_functions() WHERE function_name = 'members_on'").item() == 0


def test_a_2012_list_is_placed_on_its_projected_review_and_members_answers_from_it(tmp_path):
    """Before 2016 the calendar is projected from that era's rules, so a stored 2012 list is placed."""
    root = tmp_path / "lake"
    (root / "raw" / "2012").mkdir(parents=True)
    (root / "raw" / "2012" / "members_20120625.txt").write_text(
        MEMBERS.format(day="June 25, 2012", rows="ALPHA INC\tALPH\nBRAVO CORP\tBRVO\n"))
    resources = resources_for(root)
    with dg.instance_for_test() as instance:
        years = dg.materialize([documents, recon_calendar], resources=resources, instance=instance,
                               tags={"dagster/asset_partition_range_start": "2012",
                                     "dagster/asset_partition_range_end": "2012"})
        assert years.success, failure_lines(years)
        result = dg.materialize([membership], resources=resources, instance=instance, raise_on_error=False)
        publish_after_runs(instance, resources)
    assert result.success, failure_lines(result)
    assert _check(result, "documents_placed").passed
    done = cli("members", "2012-07-02", "--index", "Russell 2000", text=True, env={"RUSSELL_DATA_LAKE": str(root)})
    assert done.returncode == 0, done.stderr
    assert pl.read_csv(io.StringIO(done.stdout))["symbol"].to_list() == ["ALPH", "BRVO"]
    assert done.stderr.startswith("Russell 2000 on 2012-07-02: 2 members; the documents cover [2012-06-25, ")
