"""The membership tables through Dagster, the warehouse macro, the planner and the `members` / `diff`
verbs."""

from __future__ import annotations

import hashlib
import io
import shutil
from datetime import date
from importlib.resources import files
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from russell_pipeline.defs.calendar.assets import recon_calendar
from russell_pipeline.defs.documents.assets import documents
from russell_pipeline.defs.documents.sensors import new_documents
from russell_pipeline.defs.membership.assets import membership
from russell_pipeline.defs.membership.sensors import stale_membership
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.planning import stale
from russell_pipeline.runner.runs import failure_lines
from russell_pipeline_tests.helpers import materialize, run_main
from russell_pipeline_tests.lakes import documents_lake, lake_folder
from russell_pipeline_tests.membership.helpers import intervals, ipo_lists, macro, sec_map, tables_of

R2000 = "Russell 2000"
MEMBERS = "Russell US Indexes\nMembership list\nRussell 2000® Index\n{day}\nCompany\tTicker\n{rows}"
ADDS = "Russell 2000® Index - {stage}Additions\n{day}\n\nCompany Symbol Industry\n{rows}"
DELS = "Russell 2000® Index - {stage}Deletions\n{day}\n\nCompany\tSymbol\tSector\n{rows}"
# A Russell 2000 in miniature: the 2022 list, the 2023 lists in three stages, and the 2023 list,
# which lacks a final addition (GOLF) and holds a name no change list gives (HOTEL).
DOCUMENTS = {
    "2022/members_20220624.txt": MEMBERS.format(
        day="June 24, 2022", rows="ALPHA INC\tALPH\nBRAVO CORP\tBRVO\nCHARLIE CO\tCHRL\n"
    ),
    "2023/adds_prelim.txt": ADDS.format(
        stage="Preliminary ",
        day="May 19, 2023",
        rows="DELTA INC DLTA Technology\nECHO CORP ECHO Health Care\n",
    ),
    "2023/adds_update.txt": ADDS.format(
        stage="Updated ", day="May 26, 2023", rows="DELTA INC DLTA Technology\nFOXTROT CO FXT Financials\n"
    ),
    "2023/adds_final.txt": ADDS.format(
        stage="",
        day="June 23, 2023",
        rows="DELTA INC DLTA Technology\nFOXTROT CO FXT Financials\nGOLF INC GOLF Industrials\n",
    ),
    "2023/dels_prelim.txt": DELS.format(
        stage="Preliminary ",
        day="May 19, 2023",
        rows="BRAVO CORP\tBRVO\tEnergy\nCHARLIE CO\tCHRL\tUtilities\n",
    ),
    "2023/dels_final.txt": DELS.format(stage="", day="June 23, 2023", rows="BRAVO CORP\tBRVO\tEnergy\n"),
    "2023/members_20230623.txt": MEMBERS.format(
        day="June 23, 2023",
        rows="ALPHA INC\tALPH\nCHARLIE CO\tCHRL\nDELTA INC\tDLTA\nFOXTROT CO\tFXT\nHOTEL INC\tHTL\n",
    ),
}


def _sha(name: str) -> str:
    return hashlib.sha256(DOCUMENTS[name].encode()).hexdigest()


def _query(env: dict[str, str], sql: str) -> list[str]:
    """The lines `russell-pipeline query SQL --format csv` prints."""
    return run_main("query", sql, "--format", "csv", env=env).stdout.splitlines()


def _check(result, name: str) -> dg.AssetCheckEvaluation:
    return next(
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.asset_check_evaluation_data.check_name == name
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = documents_lake(tmp_path_factory.mktemp("membership"), DOCUMENTS).root
    resources = lake_folder(root).resources()
    with dg.instance_for_test() as instance:
        years = materialize([documents, recon_calendar], resources, instance, ("2022", "2024"))
        assert years.success, failure_lines(years)
        assert stale.membership_stale(Lake(root))
        yield root, instance, materialize([membership], resources, instance, publish=True)


def test_membership_asset_writes_the_three_tables_with_checks(built):
    root, _, result = built
    assert result.success, failure_lines(result)
    assert _check(result, "intervals_disjoint").passed and _check(result, "documents_placed").passed
    # No market data stored: nothing to compare the vendor memberships with.
    assert _check(result, "vendor_memberships_listed").passed
    reconciles = _check(result, "membership_reconciles")
    assert not reconciles.passed and reconciles.severity == dg.AssetCheckSeverity.WARN
    assert (reconciles.metadata["differences"].value, reconciles.metadata["unaccounted"].value) == (2, 2)
    lake = Lake(root)
    assert lake.warehouse.read(
        "SELECT difference, cause, symbol FROM membership_reconciliation ORDER BY symbol"
    ).rows() == [
        ("missing_from_list", "contradicts_final_list", "GOLF"),
        ("unexpected_in_list", "unexplained", "HTL"),
    ]
    assert lake.warehouse.read(
        "SELECT symbol FROM members_on(DATE '2023-06-23', index := 'Russell 2000')"
    ).rows() == [
        ("ALPH",),
        ("BRVO",),
        ("CHRL",),
    ]
    assert lake.warehouse.read(
        "SELECT review, previous_review, expected, listed, differences, scope "
        "FROM membership_reconciliation_summary ORDER BY review"
    ).rows() == [
        ("2022-06", None, None, 3, 0, "no_previous_list"),
        ("2023-06", "2022-06", 5, 5, 2, "compared"),
    ]
    assert lake.warehouse.read("SELECT count(*) FROM list_revisions").item() == 4
    materialized = {
        e.asset_key.to_user_string(): e.step_materialization_data.materialization.metadata
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    assert materialized["membership_history"]["dagster/row_count"].value == 6
    assert materialized["membership_history"]["first_date"].value == "2022-06-27"
    # A member's row in force changes at each quarterly IPO review whose additions the lake lacks (its gaps
    # grow by one review), so each of the 2022 list's 3 members has 4 rows until the 2023 list (the list,
    # then 2022-09, 2022-12 and 2023-03), and each of the 2023 list's 5 has 4 more until 2024-07-01 (was 3 + 5
    # before issue 61, when a member's row ignored the IPO reviews): ALPH and CHRL 8, BRVO 4, the others 4.
    assert materialized["membership_in_force"]["dagster/row_count"].value == 3 * 4 + 5 * 4
    ipo = "the quarterly IPO additions of {} are not in the lake"
    assert lake.warehouse.read(
        "SELECT valid_from, valid_to, complete, gaps FROM membership_in_force WHERE symbol = 'ALPH' "
        "ORDER BY valid_from"
    ).rows() == [
        (date(2022, 6, 27), date(2022, 9, 19), True, None),
        (date(2022, 9, 19), date(2022, 12, 19), False, ipo.format("2022-09")),
        (date(2022, 12, 19), date(2023, 3, 20), False, ipo.format("2022-09 and 2022-12")),
        (date(2023, 3, 20), date(2023, 6, 26), False, ipo.format("2022-09, 2022-12 and 2023-03")),
        (date(2023, 6, 26), date(2023, 9, 18), True, None),
        (date(2023, 9, 18), date(2023, 12, 18), False, ipo.format("2023-09")),
        (date(2023, 12, 18), date(2024, 3, 18), False, ipo.format("2023-09 and 2023-12")),
        (date(2024, 3, 18), date(2024, 7, 1), False, ipo.format("2023-09, 2023-12 and 2024-03")),
    ]


def test_the_planner_and_sensor_rerun_membership_only_when_its_inputs_change(built, tmp_path):
    root, instance, _ = built
    lake = Lake(root)
    context = dg.build_sensor_context(instance=instance, resources=lake_folder(root).resources())
    assert not stale.membership_stale(lake)
    assert isinstance(stale_membership(context), dg.SkipReason)
    # The calendar rewritten with the same dates changes nothing the membership tables read.
    again = materialize([recon_calendar], lake_folder(root).resources(), instance, ("2022", "2024"))
    assert again.success and not stale.membership_stale(lake)
    extra = lake_folder(root).copy(tmp_path).root
    (extra / "raw" / "2023" / "adds_update2.txt").write_text(
        ADDS.format(stage="Updated ", day="June 2, 2023", rows="DELTA INC DLTA Technology\n")
    )
    changed = materialize([documents], lake_folder(extra).resources(), instance, ("2023", "2023"))
    assert changed.success and stale.membership_stale(Lake(extra))
    request = stale_membership(
        dg.build_sensor_context(instance=instance, resources=lake_folder(extra).resources())
    )
    assert request.run_key == f"membership:{stale.membership_inputs(Lake(extra))[1]}"


def test_definitions_hold_the_membership_job_and_sensor():
    from russell_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    for name in (
        "membership_history",
        "membership_reconciliation",
        "membership_reconciliation_summary",
        "list_revisions",
        "securities",
        "ticker_changes",
    ):
        node = graph.get(dg.AssetKey(name))
        # the lists and the calendar, and the documents the security master reads (issue 61)
        assert {k.to_user_string() for k in node.parent_keys} == {
            "source_documents",
            "constituents",
            "constituent_changes",
            "recon_calendar",
            "universe_securities",
            "sec_tickers",
            "fund_holdings",
        }
        assert node.metadata["dagster/table_name"] == f"warehouse.main.{name}"
    assert defs.resolve_job_def("membership_job") and defs.resolve_sensor_def("stale_membership")


def test_members_prints_the_list_in_force_with_the_documents_that_open_it(built):
    root = built[0]
    done = run_main(
        "members", "2023-06-26", "--index", "Russell 2000", env=lake_folder(root).env(), text=False
    )
    assert done.returncode == 0, done.stderr.decode()
    m22, m23 = "raw/2022/members_20220624.txt", "raw/2023/members_20230623.txt"
    adds = "raw/2023/adds_final.txt"
    rows = [
        ("ALPH", "ALPHA INC", "2022-06-27", "2022-06", "first_listed", m22, 6),
        ("CHRL", "CHARLIE CO", "2022-06-27", "2022-06", "first_listed", m22, 8),
        ("DLTA", "DELTA INC", "2023-06-26", "2023-06", "addition", adds, 5),
        ("FXT", "FOXTROT CO", "2023-06-26", "2023-06", "addition", adds, 6),
        ("HTL", "HOTEL INC", "2023-06-26", "2023-06", "listed", m23, 10),
    ]
    lines = done.stdout.decode().splitlines()
    # `symbol` is the ticker on the date, `listed_symbol` the one the document prints and `security_id` the
    # security both stand for (issue 61): without an SEC map, the ticker's own.
    assert [",".join(line.split(",")[:13]) for line in lines] == [
        (
            "index_name,symbol,listed_symbol,security_id,company,start_date,end_date,start_review,opened_by,"
            "open_sha256,open_path,open_page,open_line"
        ),
        *(
            (
                f"Russell 2000,{symbol},{symbol},TICKER:{symbol},{company},{start},2024-07-01,{review},"
                f"{how},{_sha(path[4:])},{path},1,{line}"
            )
            for symbol, company, start, review, how, path, line in rows
        ),
    ]
    got = pl.read_csv(io.StringIO(done.stdout.decode()))
    # Every name as the list in force prints it (the 2023 list, line by line), the whole index.
    assert got.select("symbol", "complete", "base_review", "source_path", "source_line").rows() == [
        (s, True, "2023-06", m23, line)
        for s, line in (("ALPH", 6), ("CHRL", 7), ("DLTA", 8), ("FXT", 9), ("HTL", 10))
    ]
    # Known whole from each list to the first quarterly IPO review after it, whose additions the lake
    # lacks (before issue 61: [2022-06-27, 2024-07-01), through the IPO reviews).
    assert done.stderr.decode() == (
        "Russell 2000 on 2023-06-26: 5 members; the membership list of 2023-06 in force "
        "(raw/2023/members_20230623.txt); its membership is known whole over "
        "[2022-06-27, 2022-09-19), [2023-06-26, 2023-09-18)\n"
    )


def test_members_in_parquet_keeps_the_types(built):
    # A day the 2022 list is whole: 2023-06-23, asked before issue 61, comes after the 2022-09 to 2023-03
    # IPO reviews whose additions the lake lacks, and is no count now (the --partial test below).
    done = run_main(
        "members", "2022-07-01", "--format", "parquet", env=lake_folder(built[0]).env(), text=False
    )
    assert done.returncode == 0, done.stderr.decode()
    got = pl.read_parquet(io.BytesIO(done.stdout))
    assert got.select("symbol", "start_date", "open_line", "complete", "gaps").rows() == [
        ("ALPH", date(2022, 6, 27), 6, True, None),
        ("BRVO", date(2022, 6, 27), 7, True, None),
        ("CHRL", date(2022, 6, 27), 8, True, None),
    ]
    assert got.schema["security_id"] == got.schema["gaps"] == pl.String


def test_members_partial_prints_what_the_lake_holds_and_names_the_missing_ipo_reviews(built):
    """2023-06-23: the 2022 list is in force, but the lake lacks the additions of the quarterly IPO reviews
    since (2022-09, 2022-12, 2023-03). Without --partial: no count, exit 1, one line naming them; with it:
    the rows the lake holds, each complete=false with the gaps, exit 0, and stderr says what is missing."""
    env = lake_folder(built[0]).env()
    why = (
        "Russell 2000: what the lake lacks since the membership list of 2022-06: the quarterly IPO additions "
        "of 2022-09, 2022-12 and 2023-03 are not in the lake; the lake holds 3 of its members; its "
        "membership is known whole over [2022-06-27, 2022-09-19), [2023-06-26, 2023-09-18)"
    )
    whole = run_main("members", "2023-06-23", env=env)
    assert (whole.returncode, whole.stdout) == (1, "")
    assert whole.stderr == (
        f"error: members 2023-06-23: no count for {why} (the rows it holds, each marked complete or not: "
        "russell-pipeline query \"SELECT * FROM members_on(DATE '2023-06-23')\")\n"
    )
    partial = run_main("members", "2023-06-23", "--partial", env=env)
    assert partial.returncode == 0, partial.stderr
    got = pl.read_csv(io.StringIO(partial.stdout))
    assert got.select("symbol", "listed_symbol", "security_id", "complete").rows() == [
        ("ALPH", "ALPH", "TICKER:ALPH", False),
        ("BRVO", "BRVO", "TICKER:BRVO", False),
        ("CHRL", "CHRL", "TICKER:CHRL", False),
    ]
    assert set(got["gaps"]) == {
        "the quarterly IPO additions of 2022-09, 2022-12 and 2023-03 are not in the lake"
    }
    assert partial.stderr == f"{why}; printed as a part, not the whole index (complete = false)\n"
    # A day the lake holds whole is printed the same with or without --partial.
    on_list = [run_main("members", "2023-06-26", *flag, env=env) for flag in ((), ("--partial",))]
    assert on_list[0].returncode == on_list[1].returncode == 0
    assert on_list[0].stdout == on_list[1].stdout and on_list[0].stderr == on_list[1].stderr


def test_members_errors_are_one_line(built, tmp_path):
    root = built[0]
    unknown = run_main(
        "members", "2023-06-26", "--index", "Russell Midcap", env=lake_folder(root).env(), text=False
    )
    assert unknown.returncode == 1
    assert unknown.stderr.decode() == (
        "error: --index Russell Midcap: no such index in membership_in_force (indexes: Russell 2000)\n"
    )  # not the Russell 1000 (before), which it derives only where a Russell 3000 list is stored too
    # The Russell 1000 is derived where a Russell 3000 and a Russell 2000 list are both in force.
    derived = run_main("members", "2023-06-26", "--index", "russell 1000", env=lake_folder(root).env())
    assert (derived.returncode, derived.stdout, derived.stderr.count("\n")) == (1, "", 1)
    assert derived.stderr.startswith(
        "error: members 2023-06-26: no count for Russell 1000: no list of its own covers 2023-06-26, and it "
        "is derived as Russell 3000 minus Russell 2000 only where both are stored whole; Russell 3000: no "
        "complete membership of it is stored; Russell 2000: its membership is known whole over "
        "[2022-06-27, 2022-09-19), [2023-06-26, 2023-09-18)"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = run_main("members", "2023-06-26", env=lake_folder(empty).env(), text=False)
    assert missing.returncode == 1
    assert missing.stderr.decode() == (
        f"error: {empty}/lake/membership_in_force: not built yet: run `russell-pipeline build` first\n"
    )
    bad = run_main("members", "2023-02-30", env=lake_folder(root).env(), text=False)
    assert (bad.returncode, bad.stderr.decode()) == (
        2,
        (
            "error: russell-pipeline members: argument date: not a date (YYYY-MM-DD): '2023-02-30' "
            "(see russell-pipeline members --help)\n"
        ),
    )


def test_members_tells_what_an_answer_means(built):
    env = lake_folder(built[0]).env()
    # Any letter case names the index; a Saturday is the membership in force that day.
    saturday = run_main("members", "2023-07-01", "--index", "russell  2000", env=env)
    assert saturday.returncode == 0, saturday.stderr
    assert pl.read_csv(io.StringIO(saturday.stdout))["symbol"].to_list() == [
        "ALPH",
        "CHRL",
        "DLTA",
        "FXT",
        "HTL",
    ]
    assert saturday.stderr.splitlines()[0] == (
        "note: 2023-07-01 (Saturday) is not an NYSE session: the members in force that day"
    )
    # Before the first stored list nothing is known: an error, not an empty index.
    early = run_main("members", "2021-01-04", env=env)
    assert (early.returncode, early.stdout) == (1, "")
    assert early.stderr == (
        "error: members 2021-01-04: the first date the lake can answer is 2022-06-27 (Russell 2000: "
        "russell-pipeline members 2022-06-27); 2021-01-04 is before the first membership list stored "
        f"(in {built[0]}/lake/membership_in_force)\n"
    )
    diff = run_main("diff", "2023", "--index", "RUSSELL 2000", env=env)
    assert diff.returncode == 0 and "Russell 2000" in diff.stdout


def test_diff_prints_who_entered_and_left_between_list_versions(built):
    root = built[0]
    done = run_main("diff", "2023", env=lake_folder(root).env(), text=False)
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert lines[0] == (
        "recon_year,review,index_name,change,version,stage,as_of_date,previous_stage,"
        "previous_as_of_date,revision,symbol,company,source_sha256,source_path,source_page,source_line"
    )
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
    # Nothing to compare is an error: no change list at all, or each with one version.
    none = run_main("diff", "2022", env=lake_folder(root).env(), text=False)
    assert (none.returncode, none.stdout) == (1, b"")
    assert (
        none.stderr.decode()
        == "error: diff 2022: nothing to compare: no addition or deletion list is stored for 2022\n"
    )


def test_macros_are_created_only_over_stored_tables(tmp_path):
    lake = Lake(tmp_path)
    lake.tables.write("constituents", pl.DataFrame({"recon_year": [2022], "symbol": ["ALPH"]}), "recon_year")
    assert (
        lake.warehouse.read("SELECT count(*) FROM constituents").item() == 1
    )  # published without members_on
    assert (
        lake.warehouse.read(
            "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'members_on'"
        ).item()
        == 0
    )


def test_a_2012_list_is_placed_on_its_projected_review_and_members_answers_from_it(tmp_path):
    """Before 2016 the calendar is projected from that era's rules, so a stored 2012 list is placed."""
    root = tmp_path / "lake"
    (root / "raw" / "2012").mkdir(parents=True)
    (root / "raw" / "2012" / "members_20120625.txt").write_text(
        MEMBERS.format(day="June 25, 2012", rows="ALPHA INC\tALPH\nBRAVO CORP\tBRVO\n")
    )
    with dg.instance_for_test() as instance:
        years = materialize(
            [documents, recon_calendar], lake_folder(root).resources(), instance, ("2012", "2012")
        )
        assert years.success, failure_lines(years)
        result = materialize([membership], lake_folder(root).resources(), instance, publish=True)
    assert result.success, failure_lines(result)
    assert _check(result, "documents_placed").passed
    done = run_main("members", "2012-07-02", "--index", "Russell 2000", env=lake_folder(root).env())
    assert done.returncode == 0, done.stderr
    assert pl.read_csv(io.StringIO(done.stdout))["symbol"].to_list() == ["ALPH", "BRVO"]
    assert done.stderr.startswith(
        "Russell 2000 on 2012-07-02: 2 members; the membership list of 2012-06 in force "
        "(raw/2012/members_20120625.txt); its membership is known whole over [2012-06-25, "
    )


R3000_MEMBERS = MEMBERS.replace("Russell 2000®", "Russell 3000®")
# FTSE Russell's quarterly IPO additions, ticker first.
IPO_ADDS = "Russell {index}® Index - IPO Additions\n{day}\n\nTicker\tCompany Name\n{rows}"
# Three years of Russell 3000 lists and no change list; ABY renamed in 2016; a 2016 Russell 2000 list;
# the 2016-09 IPO additions of both (one IPO, in both: the Russell 1000 derived from them is unchanged),
# without which neither is known whole on that review's effective open (2016-09-19), which the vendor's
# 2016-09 memberships are compared on.
THREE_YEARS = {
    "2014/r3000_20140627.txt": R3000_MEMBERS.format(
        day="June 27, 2014",
        rows="ABENGOA YIELD PLC\tABY\nALCOA INC\tAA\nBRAVO CORP\tBRVO\nCHARLIE CO\tCHRL\n",
    ),
    "2015/r3000_20150626.txt": R3000_MEMBERS.format(
        day="June 26, 2015", rows="ABENGOA YIELD PLC\tABY\nALCOA INC\tAA\nBRAVO CORP\tBRVO\nDELTA INC\tDLTA\n"
    ),
    "2016/r3000_20160624.txt": R3000_MEMBERS.format(
        day="June 24, 2016",
        rows="ATLANTICA YIELD PLC\tABY\nALCOA INC\tAA\nBRAVO HOLDINGS\tBRVO\nDELTA INC\tDLTA\n",
    ),
    "2016/r2000_20160624.txt": MEMBERS.format(
        day="June 24, 2016", rows="BRAVO HOLDINGS\tBRVO\nDELTA INC\tDLTA\n"
    ),
    **{
        f"2016/r{index}_ipo_20160916.txt": IPO_ADDS.format(
            index=index, day="September 16, 2016", rows="IPOA\tIPO ALPHA INC\n"
        )
        for index in (3000, 2000)
    },
}


@pytest.fixture(scope="module")
def three_years(tmp_path_factory):
    root = documents_lake(tmp_path_factory.mktemp("three_years"), THREE_YEARS).root
    with dg.instance_for_test() as instance:
        years = materialize(
            [documents, recon_calendar], lake_folder(root).resources(), instance, ("2014", "2016")
        )
        assert years.success, failure_lines(years)
        yield root, instance, materialize([membership], lake_folder(root).resources(), instance, publish=True)


def test_lists_without_change_lists_reconcile_as_a_state_not_a_failure(three_years):
    result = three_years[2]
    assert result.success, failure_lines(result)
    reconciles = _check(result, "membership_reconciles")
    assert reconciles.passed
    assert (reconciles.metadata["unaccounted"].value, reconciles.metadata["missing_document"].value) == (0, 2)
    missing = reconciles.metadata["documents_missing"].value
    assert (
        "| 2015-06 | Russell 3000 | no_change_lists | no final addition list; no final deletion list |"
        in missing
    )
    assert "| 2016-06 | Russell 3000 | no_change_lists |" in missing


def test_members_names_every_member_as_the_list_in_force_prints_it(three_years):
    env = lake_folder(three_years[0]).env()
    for day, names in (
        (
            "2015-07-01",
            {"ABY": "ABENGOA YIELD PLC", "AA": "ALCOA INC", "BRVO": "BRAVO CORP", "DLTA": "DELTA INC"},
        ),
        (
            "2016-07-01",
            {"ABY": "ATLANTICA YIELD PLC", "AA": "ALCOA INC", "BRVO": "BRAVO HOLDINGS", "DLTA": "DELTA INC"},
        ),
    ):
        done = run_main("members", day, "--index", "Russell 3000", env=env)
        assert done.returncode == 0, done.stderr
        got = pl.read_csv(io.StringIO(done.stdout))
        assert dict(got.select("symbol", "company").iter_rows()) == names
        assert set(got["member"]) == {1} and got["complete"].all()


def test_russell_1000_is_derived_and_labelled_so(three_years):
    env = lake_folder(three_years[0]).env()
    done = run_main("members", "2016-07-01", "--index", "Russell 1000", env=env)
    assert done.returncode == 0, done.stderr
    got = pl.read_csv(io.StringIO(done.stdout))
    assert got.select("symbol", "company", "derived_from").rows() == [
        ("AA", "ALCOA INC", "Russell 3000 minus Russell 2000"),
        ("ABY", "ATLANTICA YIELD PLC", "Russell 3000 minus Russell 2000"),
    ]
    # Derived only where both parts are whole: to the 2016-12 IPO review, whose additions the lake lacks
    # (before issue 61: to no later document, through the IPO reviews).
    assert done.stderr == (
        "Russell 1000 on 2016-07-01: 2 members; derived: Russell 3000 minus Russell 2000 of the "
        "same date (lists of 2016-06); its membership is known whole over [2016-06-27, 2016-12-19)\n"
    )
    assert _query(
        env,
        "SELECT DISTINCT index_name, complete, gaps FROM members_on(DATE '2016-12-19') ORDER BY index_name",
    ) == [
        "index_name,complete,gaps",
        *(
            f"{index},false,the quarterly IPO additions of 2016-12 are not in the lake"
            for index in ("Russell 2000", "Russell 3000")
        ),
    ]
    assert _query(
        env,
        "SELECT symbol, complete, derived_from FROM members_on(DATE '2016-07-01', index := 'Russell 1000')",
    ) == [
        "symbol,complete,derived_from",
        "AA,true,Russell 3000 minus Russell 2000",
        "ABY,true,Russell 3000 minus Russell 2000",
    ]
    # Where no Russell 2000 list is in force, nothing is derived, and the answer says why.
    before = run_main("members", "2015-07-01", "--index", "Russell 1000", env=env)
    assert (before.returncode, before.stdout, before.stderr.count("\n")) == (1, "", 1)
    assert before.stderr.startswith(
        "error: members 2015-07-01: the first date the lake can answer is 2016-06-27 (Russell 1000: "
        "russell-pipeline members 2016-06-27"
    ), before.stderr


def test_a_derived_index_a_part_of_which_lacks_an_ipo_list_names_the_list(three_years):
    env = lake_folder(three_years[0]).env()
    done = run_main("members", "2016-12-19", "--index", "Russell 1000", env=env)
    assert (done.returncode, done.stdout, done.stderr.count("\n")) == (1, "", 1)
    assert "the quarterly IPO additions of 2016-12 are not in the lake" in done.stderr, done.stderr


def _market(root, synthetic: bool, members: dict[str, list[str]]) -> None:
    """A market source and its memberships written to the lake as market_data writes them."""
    lake = Lake(root)
    lake.tables.write(
        "market_source",
        pl.DataFrame(
            {"source": ["folder /vendor"], "synthetic": [synthetic], "last_price_date": [date(2016, 9, 30)]}
        ),
    )
    rows = [("2016-09", index, s, 1.0, 2016) for index, symbols in members.items() for s in symbols]
    lake.tables.write(
        "market_memberships",
        pl.DataFrame(
            rows,
            schema={
                "review": pl.String,
                "index": pl.String,
                "symbol": pl.String,
                "fraction": pl.Float64,
                "year": pl.Int32,
            },
            orient="row",
        ),
        "year",
    )


def test_vendor_memberships_absent_from_the_list_in_force_are_named(three_years, tmp_path):
    root = lake_folder(three_years[0]).copy(tmp_path).root
    resources = lake_folder(root).resources()
    wrong = {
        "RUSSELL_SMALL_CAP_COMPLETENESS": ["AA", "BRVO", "AAPLX"],
        "RUSSELL_2000_GROWTH": ["BRVO", "ABY"],
    }
    with dg.instance_for_test() as instance:
        for synthetic, passed in ((False, False), (True, True)):
            _market(root, synthetic, wrong)
            assert stale.membership_stale(Lake(root))  # the vendor's memberships are what the check reads
            result = materialize([membership], resources, instance)
            assert result.success, failure_lines(result)
            check = _check(result, "vendor_memberships_listed")
            assert (check.passed, check.severity) == (passed, dg.AssetCheckSeverity.WARN)
            if not synthetic:
                assert check.metadata["failures"].value == 2
                assert check.metadata["first"].value.startswith(
                    "market-data member absent from the published list in force: review=2016-09, "
                    "index=RUSSELL_2000_GROWTH, symbol=ABY, list_index=Russell 2000, on_date=2016-09-19"
                )
                assert "symbol=AAPLX" not in check.metadata["first"].value
                assert "AAPLX" in check.metadata["examples"].value
                assert check.metadata["compared"].value.startswith("1 of 1 reviews (2016-09)")
            else:
                assert check.metadata["compared"].value.startswith(
                    "none: the market data is the synthetic feed"
                )


def test_members_with_only_change_lists_for_the_date_gives_no_count(tmp_path):
    """A 2023 list, nothing for 2024, and the 2025 final additions: on 2025-07-01 the lake holds the
    additions only, which is not the index: one line saying what it holds, and exit code 1."""
    adds = ADDS.replace("Russell 2000®", "Russell 3000®")
    root = documents_lake(
        tmp_path / "lake",
        {
            "2023/r3000_20230623.txt": R3000_MEMBERS.format(
                day="June 23, 2023", rows="ALPHA INC\tALPH\nBRAVO CO\tBRVO\n"
            ),
            "2025/adds_final.txt": adds.format(
                stage="",
                day="June 27, 2025",
                rows="DELTA INC DLTA Technology\nECHO CORP ECHO Energy\nFOXTROT CO FXT Financials\n",
            ),
        },
    ).root
    with dg.instance_for_test() as instance:
        years = materialize(
            [documents, recon_calendar], lake_folder(root).resources(), instance, ("2023", "2025")
        )
        assert years.success, failure_lines(years)
        assert materialize([membership], lake_folder(root).resources(), instance, publish=True).success
    env = lake_folder(root).env()
    for asked in (["--index", "Russell 3000"], []):
        done = run_main("members", "2025-07-01", *asked, env=env)
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr == (
            "error: members 2025-07-01: no count for Russell 3000: no membership list is in force; the lake "
            "holds 3 of its members (3 added by the final additions of 2025-06; its final deletions: no list "
            "stored); its membership is known whole over [2023-06-26, 2023-09-18) (the rows it holds, each "
            "marked complete or not: "
            "russell-pipeline query \"SELECT * FROM members_on(DATE '2025-07-01')\")\n"
        )
    # The 2023 list is whole to the first IPO review after it, whose additions the lake lacks (before issue
    # 61: to the 2024 reconstitution, 2024-07-01, through the IPO reviews).
    whole = run_main("members", "2023-07-03", env=env)
    assert whole.returncode == 0 and pl.read_csv(io.StringIO(whole.stdout))["symbol"].to_list() == [
        "ALPH",
        "BRVO",
    ]
    gap = run_main("members", "2023-09-18", env=env)
    assert (gap.returncode, gap.stdout) == (1, "")
    assert gap.stderr.startswith(
        "error: members 2023-09-18: no count for Russell 3000: what the lake lacks since the membership list "
        "of 2023-06: the quarterly IPO additions of 2023-09 are not in the lake; the lake holds 2 of its "
        "members"
    ), gap.stderr
    # The macro gives the rows it holds, each marked: never a silent partial count.
    assert _query(
        env, "SELECT symbol, complete, base_review, opened_by FROM members_on(DATE '2025-07-01')"
    ) == [
        "symbol,complete,base_review,opened_by",
        "DLTA,false,,addition",
        "ECHO,false,,addition",
        "FXT,false,,addition",
    ]


# A rename only the SEC maps show: the 2022 list prints OLDT, the 2023 final deletions NEWT under a name
# sharing no word with the old one. A re-used ticker: REUS passed from one company to another between the
# maps, the first deleted and the second added at the 2023 reconstitution. The IPO additions of 2022-09 to
# 2023-03 are stored, so what the index lacks is what the deletions leave unplaced.
RENAMES = (
    (
        2022,
        "membership",
        None,
        date(2022, 6, 24),
        [("ALPH", "ALPHA INC"), ("OLDT", "OLD NAME THERAPEUTICS"), ("REUS", "REUSE HOLDINGS CORP")],
    ),
    *ipo_lists(date(2022, 6, 28), date(2023, 6, 25)),
    (
        2023,
        "addition",
        "final",
        date(2023, 6, 23),
        [("DLTA", "DELTA INC", "Technology"), ("REUS", "ANOTHER COMPANY INC", "Energy")],
    ),
    (
        2023,
        "deletion",
        "final",
        date(2023, 6, 23),
        [("NEWT", "FRESH BIO INC", "Health Care"), ("REUS", "REUSE HOLDINGS CORP", "Industrials")],
    ),
)
# Two SEC maps, one of the 2022 list's date and one later: CIK 1000001 under OLDT, then under NEWT; REUS
# under CIK 1000003, then under CIK 1000004.
SEC_MAPS = (
    sec_map(
        date(2022, 6, 24),
        [
            (1000001, "OLDT", "Old Name Therapeutics, Inc."),
            (1000002, "ALPH", "Alpha Inc."),
            (1000003, "REUS", "Reuse Holdings Corp"),
        ],
    ),
    sec_map(
        date(2023, 4, 28),
        [
            (1000001, "NEWT", "Fresh Bio, Inc."),
            (1000002, "ALPH", "Alpha Inc."),
            (1000004, "REUS", "Another Company Inc"),
        ],
    ),
)
AFTER = ["ALPH", "DLTA", "I2209", "I2212", "I2303", "REUS"]  # the 2022 list, the IPOs, 2023's changes


def test_a_rename_the_sec_maps_show_is_one_member_the_deletion_under_its_new_ticker_closes():
    keyed = tables_of(*RENAMES, maps=SEC_MAPS)
    assert keyed.master.changes.filter(pl.col("kind") == "renamed").select(
        "security_id", "old_ticker", "new_ticker", "old_last_seen", "new_first_seen"
    ).rows() == [("CIK1000001", "OLDT", "NEWT", date(2022, 6, 24), date(2023, 4, 28))]
    # Before the deletion, members prints the member under the ticker it carries on the date (the later
    # map's), and the one its list printed beside it.
    before = macro(keyed, date(2023, 6, 23), R2000)
    assert before.filter(pl.col("security_id") == "CIK1000001").select(
        "symbol", "listed_symbol", "company"
    ).rows() == [("NEWT", "OLDT", "OLD NAME THERAPEUTICS")]
    assert before["complete"].all()
    # The deletion printing NEWT closes the member the list printed as OLDT: gone, and the index whole.
    history = keyed.history.filter(pl.col("security_id") == "CIK1000001")
    assert history.select("symbol", "start_date", "end_date", "closed_by", "close_line").rows() == [
        ("OLDT", date(2022, 6, 27), date(2023, 6, 26), "deletion", 5)
    ]
    after = macro(keyed, date(2023, 6, 26), R2000)
    assert after["symbol"].to_list() == AFTER
    assert after["complete"].all() and after["gaps"].is_null().all()
    # Without the maps nothing ties NEWT to OLDT: the deletion is unplaced, OLDT is still held, and the
    # answer is not whole: `gaps` names NEWT.
    unkeyed = tables_of(*RENAMES)
    assert intervals(unkeyed.history, "NEWT") == [(None, date(2023, 6, 26), None, "deletion")]
    held = macro(unkeyed, date(2023, 6, 26), R2000)
    assert held["symbol"].to_list() == sorted([*AFTER, "OLDT"])
    assert not held["complete"].any()
    assert set(held["gaps"]) == {
        (
            "the final deletions of 2023-06 name 1 company the lake cannot place among the members (NEWT: "
            "renamed since the list, or added without a list it holds)"
        )
    }


def test_a_ticker_two_sec_maps_give_two_companies_is_two_securities():
    keyed = tables_of(*RENAMES, maps=SEC_MAPS)
    reus = keyed.master.securities.filter(pl.col("ticker") == "REUS")
    assert reus.select("security_id", "cik").rows() == [("CIK1000003", 1000003), ("CIK1000004", 1000004)]
    assert keyed.master.changes.filter(pl.col("kind") == "reused").select(
        "previous_security_id", "security_id", "old_ticker", "new_ticker"
    ).rows() == [("CIK1000003", "CIK1000004", "REUS", "REUS")]
    # The first company leaves by its deletion, the second joins by its addition: two members of the ticker.
    history = keyed.history.filter(pl.col("symbol") == "REUS")
    assert history.select("security_id", "member", "company", "opened_by", "closed_by").rows() == [
        ("CIK1000003", 1, "REUSE HOLDINGS CORP", "first_listed", "deletion"),
        ("CIK1000004", 2, "ANOTHER COMPANY INC", "addition", "not_covered"),
    ]
    assert macro(keyed, date(2023, 6, 26), R2000).filter(pl.col("symbol") == "REUS").select(
        "security_id", "company"
    ).rows() == [("CIK1000004", "ANOTHER COMPANY INC")]


def test_the_deletion_of_the_first_company_under_a_reused_ticker_is_its_sighting():
    keyed = tables_of(*RENAMES, maps=SEC_MAPS).master.keyed
    deletion = keyed.filter(pl.col("kind") == "deletion", pl.col("ticker") == "REUS")
    assert deletion.select("company", "security_id").rows() == [("REUSE HOLDINGS CORP", "CIK1000003")]


def _prices(path, symbols=("AAA", "DDD")) -> None:
    """A long price file over 2022's reconstitution window for `symbols`."""
    import exchange_calendars as xcals

    days = xcals.get_calendar("XNYS").sessions_in_range("2022-03-01", "2022-08-31")
    rows = [
        f"{d:%Y-%m-%d},{s},{10 + k + i / 100:.2f}" for i, d in enumerate(days) for k, s in enumerate(symbols)
    ]
    path.write_text("Date,Ticker,Close\n" + "\n".join(rows) + "\n")


def _redated(text: str, dates: dict[str, str]) -> str:
    for old, new in dates.items():
        text = text.replace(old, new)
    return text


@pytest.mark.slow
def test_after_a_failed_year_event_study_and_diff_say_the_build_failed_and_why(tmp_path):
    """2022 built from good lists; 2023's lists are there but an HTML page saved as .pdf fails its
    year (a run the `new_documents` sensor asks for, as after a `build`): the verbs name the failed
    run and its reason instead of asking for lists, and exit 1. Then a bad file fails 2022 again: the
    verbs still answer from 2022's stored tables, with a warning."""
    html = "<!DOCTYPE html><html><head><title>Access denied</title></head><body>no</body></html>"
    lists = {
        "adds_prelim.txt": ADDS.format(
            stage="Preliminary ", day="May 20, 2022", rows="ALPHA INC AAA Energy\n"
        ),
        "adds_final.txt": ADDS.format(
            stage="", day="June 24, 2022", rows="ALPHA INC AAA Energy\nBRAVO CO BBB Utilities\n"
        ),
        "dels_final.txt": DELS.format(stage="", day="June 24, 2022", rows="DELTA INC\tDDD\tEnergy\n"),
    }
    # 2023's lists are dated in 2023 (a list dated 2022 under raw/2023/ is refused as misfiled) and name
    # other companies (a list whose rows equal another year's is that list, and refused as such).
    dated_2023 = {"May 20, 2022": "May 19, 2023", "June 24, 2022": "June 23, 2023"} | {
        "ALPHA INC AAA": "ECHO INC EEE",
        "BRAVO CO BBB": "GOLF CO GGG",
        "DELTA INC\tDDD": "HOTEL INC\tHHH",
    }
    root = documents_lake(
        tmp_path / "lake",
        {f"2022/{name}": text for name, text in lists.items()}
        | {f"2023/{name}": _redated(text, dated_2023) for name, text in lists.items()}
        | {"2023/saved_page.pdf": html},
    ).root
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(Path(files("russell_pipeline") / "dagster.yaml"), home / "dagster.yaml")
    resources, env = lake_folder(root).resources(), lake_folder(root, home=home).env()
    prices = tmp_path / "prices.csv"
    _prices(prices)

    def sensor_runs(instance, years: tuple[str, ...]) -> dict[str, str]:
        """The runs the new_documents sensor asks for `years` (a year's documents, and its calendar),
        executed as the daemon would: {year: the run id of its documents}."""
        asked = new_documents(dg.build_sensor_context(instance=instance, resources=resources))
        done = {}
        for request in (r for r in asked.run_requests if r.partition_key in years):
            of_documents = request.run_key.startswith("documents:")
            run = materialize(
                [documents] if of_documents else [recon_calendar],
                resources,
                instance,
                request.partition_key,
                tags=request.tags,
            )
            if of_documents:
                done[request.partition_key] = run.run_id
        assert materialize([membership], resources, instance, publish=True).success
        return done

    with dg.instance_for_test(temp_dir=str(home)) as instance:
        runs = sensor_runs(instance, ("2022", "2023"))
        assert sorted(runs) == ["2022", "2023"]
        failed = run_main("event-study", "2023", "--prices", str(prices), env=env)
        assert (failed.returncode, failed.stdout, failed.stderr.count("\n")) == (1, "", 1)
        assert failed.stderr == (
            f"error: {root}/lake/constituent_changes: no final addition or deletion list for 2023: the build "
            f"of 2023 failed on its files under raw/2023/ (run {runs['2023']}): documents: "
            "raw/2023/saved_page.pdf: is an HTML page, not a PDF (a failed download saved as .pdf?)\n"
        )
        diff = run_main("diff", "2023", env=env)
        assert (diff.returncode, diff.stdout) == (1, "")
        assert diff.stderr.startswith(
            f"error: diff 2023: nothing to compare: the build of 2023 failed on its files "
            f"under raw/2023/ (run {runs['2023']}): documents: "
        )
        # Files not built yet are said to be so.
        (root / "raw" / "2024").mkdir()
        (root / "raw" / "2024" / "adds_final.txt").write_text(
            _redated(lists["adds_final.txt"], {"June 24, 2022": "June 28, 2024"})
        )
        unbuilt = run_main("diff", "2024", env=env)
        assert unbuilt.stderr == (
            "error: diff 2024: nothing to compare: the files under raw/2024/ are not built yet: "
            "run `russell-pipeline build`\n"
        )
        # A year whose tables an earlier build left: answered from them, with a warning naming the failure.
        (root / "raw" / "2022" / "saved_page.pdf").write_text(html)
        again = sensor_runs(instance, ("2022",))
    answered = run_main("event-study", "2022", "--prices", str(prices), env=env)
    assert answered.returncode == 0, answered.stderr
    assert answered.stderr.splitlines()[0] == (
        f"warning: the build of 2022 failed on its files under raw/2022/ (run {again['2022']}): documents: "
        "raw/2022/saved_page.pdf: is an HTML page, not a PDF (a failed download saved as .pdf?); this answer "
        "rests on the tables an earlier build of 2022 left"
    )
    # `members` of a date in 2022 answers from the membership tables that failed year's earlier build left.
    members = run_main("members", "2022-07-01", env=env)
    assert (
        f"warning: the build of 2022 failed on its files under raw/2022/ (run {again['2022']}): documents: "
        "raw/2022/saved_page.pdf: is an HTML page, not a PDF (a failed download saved as .pdf?); this answer "
        "rests on the membership tables an earlier build left"
    ) in members.stderr.splitlines()
    versions = run_main("diff", "2022", env=env)
    assert versions.returncode == 0 and versions.stderr.splitlines()[-1] == (
        "2022-06 Russell 2000 additions: preliminary 2022-05-20 -> final 2022-06-24: 1 entered, 0 left"
    )


@pytest.mark.parametrize("index", [None, "Russell 2000"], ids=["any-index", "one-index"])
def test_members_before_the_first_list_answers_with_the_first_date_it_can_answer(built, index):
    """Before, the line began with the lake's path (`.../membership_in_force: members 2021-03-01: no
    stored document covers that date ...`); now it begins with what a user needs: the first date."""
    root = built[0]
    args = ("--index", index) if index else ()
    done = lake_folder(root).run("members", "2021-03-01", *args)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(
        "error: members 2021-03-01: the first date the lake can answer is 2022-06-27 (Russell 2000: "
        "russell-pipeline members 2022-06-27); 2021-03-01 is before the first membership list stored"
    ), done.stderr
    assert done.stderr.count("\n") == 1
    later = lake_folder(root).run("members", "2022-06-27", *args)
    assert later.returncode == 0, later.stderr
