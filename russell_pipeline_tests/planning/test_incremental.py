"""`build` rebuilds what changed and only that; a bad document fails its own year and nothing else."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from russell_pipeline.defs.index.checks import levels_current
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.sessions import expected_last_session
from russell_pipeline.planning import stale
from russell_pipeline.runner.runs import generic_reason
from russell_pipeline.settings import Settings
from russell_pipeline_tests.helpers import DOCUMENT_TABLES, RAW, cli, materialize, up_to_date_lines
from russell_pipeline_tests.lakes import SMALL_END, LakeFolder, lake_folder, sample_lake

pytestmark = pytest.mark.cpu(38)

# An amended 2019 schedule (read after the seed's, so it wins) moving the reconstitution a week earlier.
AMENDED_2019 = """Russell US Indexes - Annual Reconstitution 2019 (amended)

Friday 10 May 2019: Rank day.
Friday 07 June 2019: Preliminary membership lists are published after market close.
Friday 21 June 2019: The Russell US reconstitution is implemented after market close.
"""


@pytest.mark.slow
def test_a_new_schedule_rebuilds_its_year_and_the_reviews_it_moves(tmp_path, lakes):
    built = lakes.copy(tmp_path)
    root, lake = built.root, built.lake
    unmoved = "SELECT * FROM index_levels WHERE date <= '2019-06-21' ORDER BY date"
    levels_before = lake.warehouse.read(unmoved)
    (root / "raw" / "2019" / "zz_amended_2019.txt").write_text(AMENDED_2019)
    assert stale.stale_years(lake, [str(y) for y in range(1989, 2031)]) == {
        "documents": ["2019"],
        "recon_calendar": ["2019"],
    }
    done = built.build()
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "years: 1 of 42 out of date (2019)"
    assert lines[1].startswith("documents 2019: ok")
    # 2019 holds schedules only: its list tables have no rows there, and each says which kind it lacks.
    assert lines[2:7] == [
        "  constituents 2019: 0 rows: no membership list among this year's documents",
        "  constituent_changes 2019: 0 rows: no addition or deletion list among this year's documents",
        "  universe_securities 2019: 0 rows: no universe file among this year's documents",
        "  sec_tickers 2019: 0 rows: no SEC ticker map among this year's documents",
        "  fund_holdings 2019: 0 rows: no ETF holdings file among this year's documents",
    ]
    assert lines[7] == "recon_calendar: 1 of 42 years out of date (2019)"
    assert lines[8].startswith("recon_calendar 2019: ok")
    # The published date differs from the rule's: worth a look, said, and the build passes.
    assert lines[9].startswith(
        "  recon_calendar 2019: warn-level check failed: recon_calendar."
        "published_matches_projection on 2019 (disagreement: recon_year=2019, review=2019-06"
    )
    assert "build finished" not in done.stderr
    assert lines[10] == "market_data: up to date"
    # 2019-06's rebalance moved: its weights and levels change, the period before it ends earlier, and
    # every later period starts from a different level; the sessions before the move stay as they were.
    assert lines[11] == "reviews: 5 out of date (2019-03..2020-03)"
    assert lines[12].startswith("quarterly_weights 2019-06: ok")  # only the review whose dates moved
    assert lines[13].startswith("index_levels 2019-03..2020-03: ok")
    moved = lake.warehouse.read(
        "SELECT DISTINCT effective_date FROM quarterly_weights WHERE review = '2019-06'"
    )
    assert moved.item() == date(2019, 6, 21)
    assert lake.warehouse.read(unmoved).equals(levels_before)
    again = built.build().stdout.splitlines()
    assert again[:4] == up_to_date_lines()[:4]


@pytest.mark.slow
def test_work_follows_the_inputs_a_partition_without_any_is_not_run_and_one_in_a_run_says_0_rows(
    tmp_path, lakes
):
    """A year with no documents, never built, is not run: no materialization, no check, no event of
    Dagster's for it, and its tables hold no rows there (a query of it answers 0 rows). A year without
    documents inside the range of a run (between two years with them) is built with them and
    materialized with 0 rows and its reason, said once. The calendar, which the rules project for
    every year, is built for every year. A build with the same files plans none of them again."""
    import dagster as dg

    from russell_pipeline.defs.partitions import recon_years, reviews

    first = lakes.build()  # the first build of the samples over the small feed, and what it printed
    built = first.folder.copy(tmp_path)
    lines = first.stdout.splitlines()
    assert lines[0] == "years: 5 of 42 out of date (2019..2020, 2022..2024)"
    assert lines[1].startswith("documents 2019..2024: ok")  # one run over the gap
    assert lines[2:8] == [
        (
            "  source_documents, constituents, constituent_changes, universe_securities, sec_tickers, "
            "fund_holdings 2021: 0 rows: no documents under raw/<year>/"
        ),
        # Each table says which kind of document the year lacks (before: "no rows in this year's
        # documents", where the year held lists of another kind).
        "  constituents 2019..2020, 2022..2024: 0 rows: no membership list among this year's documents",
        (
            "  constituent_changes 2019, 2022, 2024: 0 rows: no addition or deletion list among this year's "
            "documents"
        ),
        "  universe_securities 2019..2020, 2022..2024: 0 rows: no universe file among this year's documents",
        "  sec_tickers 2019..2020, 2022..2024: 0 rows: no SEC ticker map among this year's documents",
        "  fund_holdings 2019..2020, 2022..2024: 0 rows: no ETF holdings file among this year's documents",
    ]
    assert lines[8] == "recon_calendar: 42 of 42 years out of date (1989..2030)"
    assert lines[9].startswith("recon_calendar 1989..2030: ok")
    assert lines[10].startswith("market_data: ok")
    with dg.DagsterInstance.from_config(str(built.home)) as instance:
        years = recon_years.get_partition_keys()

        def materialized(asset: str, keys: list[str], partitions) -> list[str]:
            status = instance.get_status_by_partition(dg.AssetKey(asset), keys, partitions)
            return [k for k in keys if status[k] is not None and status[k].value == "MATERIALIZED"]

        with_documents = [str(y) for y in range(2019, 2025)]
        for asset in ("source_documents", "constituents", "constituent_changes"):
            assert materialized(asset, years, recon_years) == with_documents
        assert materialized("recon_calendar", years, recon_years) == years
        # Not one event of any kind for a year the build did not run: 1995 is named only by the calendar.
        named = {
            (entry.dagster_event.asset_key.to_user_string(), entry.dagster_event.partition)
            for run in instance.get_runs()
            for entry in instance.all_logs(run.run_id)
            if entry.dagster_event is not None and entry.dagster_event.asset_key is not None
        }
        assert {asset for asset, key in named if key == "1995"} == {"recon_calendar"}
        assert ("constituents", "2023") in named and ("recon_calendar", "1995") in named
        # Reviews are offered from the first the calendar dates; the feed fills 2019-03..2020-03, and the
        # reviews without members, never built, stay missing.
        keys = reviews.get_partition_keys()
        assert keys[0] == "1989-03"
        for asset in ("quarterly_weights", "index_levels"):
            assert materialized(asset, keys, reviews) == [
                "2019-03",
                "2019-06",
                "2019-09",
                "2019-12",
                "2020-03",
            ]
    assert built.lake.warehouse.read("SELECT count(*) FROM constituents WHERE recon_year = 1995").item() == 0
    assert built.lake.warehouse.read("SELECT count(*) FROM recon_calendar WHERE recon_year = 1995").item() > 0
    # Built from the same files: not planned again, and not said again.
    again = built.build().stdout.splitlines()
    assert again[:4] == up_to_date_lines()[:4]
    assert not [line for line in again if ": 0 rows: " in line]
    # Files dropped into a year never built: only that year is run; emptied again, it is run once
    # more (it held rows), then holds none and is up to date.
    (built.root / "raw" / "1995").mkdir()
    rules = (RAW / "2024" / "004_002a24caca4e0d3c.txt").read_text()  # not a copy: 2024 is not planned
    (built.root / "raw" / "1995" / "rules.txt").write_text(rules + "\n")
    added = built.build().stdout.splitlines()
    assert added[0] == "years: 1 of 42 out of date (1995)" and added[1].startswith("documents 1995: ok")
    shutil.rmtree(built.root / "raw" / "1995")
    emptied = built.build().stdout.splitlines()
    assert emptied[0] == "years: 1 of 42 out of date (1995)"
    assert emptied[2].endswith("1995: 0 rows: no documents under raw/<year>/")
    assert (
        built.lake.warehouse.read("SELECT count(*) FROM source_documents WHERE recon_year = 1995").item() == 0
    )
    assert built.build().stdout.splitlines()[0] == "years: 0 of 42 out of date"


@pytest.fixture(scope="module")
def refused_2021(tmp_path_factory, small_market) -> tuple[LakeFolder, subprocess.CompletedProcess]:
    """The first build of a new lake holding the samples and an empty PDF under raw/2021/, over the small
    feed, and what it printed (read-only: a test that builds again takes a copy). Its split of the
    failed run is asserted by test_a_bad_document_fails_only_its_year_and_the_build_says_so; the runs
    it recorded are where test_a_failed_input_is_not_launched_again_by_build_or_the_sensor_until_it_changes
    starts from."""
    new = sample_lake(tmp_path_factory.mktemp("refused_2021") / "lake", small_market)
    (new.root / "raw" / "2021").mkdir()
    (new.root / "raw" / "2021" / "empty.pdf").write_bytes(b"")
    return new, new.build()


@pytest.mark.slow
def test_a_bad_document_fails_only_its_year_and_the_build_says_so(refused_2021):
    new, done = refused_2021  # a first build: every year is out of date, and 2021's document is empty
    root = new.root
    out, err = done.stdout, done.stderr
    assert done.returncode == 1
    # The failure names the year it refused: that year runs alone and the years around it together,
    # 4 runs, every other year built.
    years = [
        line.split(":")[0] + (": ok" if ": ok in " in line else ": failed")
        for line in out.splitlines()
        if line.startswith("documents")
    ]
    assert years == [
        "documents 2019..2024: failed",
        "documents 2019..2020: ok",
        "documents 2022..2024: ok",
    ]  # and `documents 2021: FAILED: ...` on stderr (below)
    # The "failed" line names the year whose input it failed on; why is said once, when the year runs
    # alone, and in the summary (before: four times, twice more in the range's line and the document list).
    assert "documents 2019..2024: failed on the input of 2021; running it alone and the rest apart" in out
    assert "index_levels 2019-03..2020-03: ok" in out  # the index still builds
    assert "  raw/2021/empty.pdf: refused" in out.splitlines()  # each document of the refused year
    assert (out + err).count("empty file") == 2
    assert err.splitlines()[:-1] == [
        "documents 2021: FAILED: documents: raw/2021/empty.pdf: empty file",
        "build finished with failures: 1 run(s) failed, their partitions keep what they held:",
        "  documents 2021: documents: raw/2021/empty.pdf: empty file",
    ]
    # A failure on its input keeps the tables consistent: the build's tables are published, and it says so.
    assert err.splitlines()[-1].startswith(PUBLISHED)
    assert "Traceback" not in out + err
    lake = Lake(root)
    assert (
        lake.warehouse.read("SELECT DISTINCT recon_year FROM recon_calendar WHERE recon_year = 2021").height
        == 1
    )
    # The failed year stays out of date until its files change.
    assert stale.stale_years(lake, [str(y) for y in range(1989, 2031)])["documents"] == ["2021"]


def test_a_failed_range_runs_its_refused_partitions_alone_and_the_ranges_between_them():
    from russell_pipeline.runner.runs import _apart

    span = ["2018", "2019", "2020", "2021", "2022", "2023"]
    assert _apart(span, {"2020"}) == [["2018", "2019"], ["2020"], ["2021", "2022", "2023"]]
    assert _apart(span, {"2018", "2019", "2023"}) == [["2018"], ["2019"], ["2020", "2021", "2022"], ["2023"]]
    assert _apart(span, set(span)) == [[k] for k in span]


PUBLISHED = "the warehouse shows this build's tables (published "

ADDITIONS_2021 = (
    "Russell 2000 Index - Additions\n\nCompany\tSymbol\tSector\nACME CORP\tACME\tTechnology\n"
    "GAMMA HOLDINGS\tGAMM\tEnergy\n"
)
DELETIONS_2021 = (
    "Russell 2000 Index - Deletions\n\nCompany\tSymbol\tSector\nACME CORP\tACME\tTechnology\n"
    "DELTA INC\tDLTA\tUtilities\n"
)


@pytest.mark.slow
def test_a_failed_error_level_check_fails_the_build_and_a_warn_level_one_does_not(tmp_path, lakes):
    """Like `dbt build`: a check of error level failing on what the build wrote exits 1 and the summary
    names it, apart from failed runs, with the partition its rows are in; a warn-level one failing in the
    same run is printed under it and counts for nothing in the summary. (That a warn-level check alone
    leaves the build passing: test_a_new_schedule_rebuilds_its_year_and_the_reviews_it_moves.)"""
    built = lakes.copy(tmp_path)  # the samples built over the small feed
    root = built.root
    (root / "raw" / "2021").mkdir()
    # ACME both added and deleted in 2021: worth a look (a re-used ticker can be), warn level.
    # GAMM listed twice in one list: the data are wrong, error level. The rows are written; the build fails.
    (root / "raw" / "2021" / "r2000-additions.txt").write_text(
        ADDITIONS_2021 + "GAMMA HOLDINGS\tGAMM\tEnergy\n"
    )
    (root / "raw" / "2021" / "r2000-deletions.txt").write_text(DELETIONS_2021)
    failed = built.build()
    assert failed.returncode == 1, failed.stdout[-2000:]
    assert (
        "  documents 2021: warn-level check failed: "
        "constituent_changes.additions_deletions_disjoint on 2021 (overlap: recon_year=2021, "
        "index_name=Russell 2000, stage=final, symbol=ACME)" in failed.stdout.splitlines()
    ), failed.stdout
    lines = failed.stderr.splitlines()
    check = (
        "documents 2021: error-level check failed: constituent_changes.no_duplicate_symbols on 2021 "
        "(duplicates: recon_year=2021, source_sha256="
    )
    assert lines[0].startswith(f"  {check}") and lines[0].endswith(", symbol=GAMM, len=2)"), lines
    # Said under its run, then in the summary, which tells it from a failed run and leaves the warn-level
    # check out.
    assert lines[1:-1] == [
        "build finished with failures: 1 error-level check(s) failed on rows that were written:",
        lines[0],
    ]
    assert lines[-1].startswith(PUBLISHED)
    assert "documents 2021: ok in" in failed.stdout  # the run itself succeeded
    written = Lake(root).tables.read("constituent_changes", "recon_year", [2021])
    assert written.filter(written["symbol"] == "GAMM").height == 2


@pytest.mark.slow
def test_a_failed_input_is_not_launched_again_by_build_or_the_sensor_until_it_changes(tmp_path, refused_2021):
    """What was attempted with which inputs is one record, the runs' `russell/inputs` tag in the
    instance (planning/attempts.py): `build` and the `new_documents` sensor (which starts with the UI)
    both read it, so neither re-runs a year whose files already failed; new files run again."""
    import dagster as dg

    from russell_pipeline.defs.documents.sensors import new_documents
    from russell_pipeline.planning.keys import RANGE_END, RANGE_START

    # The samples and an empty PDF under raw/2021/, built once (2021 failed): a copy, to build again.
    refused, first = refused_2021
    built = refused.copy(tmp_path)
    root = built.root
    assert first.returncode == 1
    reason = "documents: raw/2021/empty.pdf: empty file"

    def runs_of_2021(instance) -> list:
        return [
            r
            for r in instance.get_runs()
            if r.tags.get(RANGE_START) == r.tags.get(RANGE_END) == "2021"
            or r.tags.get("dagster/partition") == "2021"
        ]

    with dg.DagsterInstance.from_config(str(built.home)) as instance:
        [failed] = runs_of_2021(instance)
        assert failed.status == dg.DagsterRunStatus.FAILURE
        # The UI starts: its sensor sees the build's failure and asks for nothing.
        tick = new_documents(
            dg.build_sensor_context(instance=instance, resources=lake_folder(root).resources())
        )
        assert tick.run_requests == []
        assert tick.skip_reason.skip_message.startswith(
            f"documents 2021: not run: failed with the same inputs in run {failed.run_id}"
        )
    again = built.build()
    assert again.returncode == 1
    assert again.stdout.splitlines()[0] == "years: 1 of 42 out of date (2021)"
    line = (
        f"documents 2021: not run: failed with the same inputs in run {failed.run_id} (it runs again "
        f"when its inputs or code change): {reason}"
    )
    assert again.stderr.splitlines()[:-1] == [
        line,
        "build finished with failures: 1 run(s) failed, their partitions keep what they held:",
        f"  {line}",
    ]
    assert again.stderr.splitlines()[-1].startswith(PUBLISHED)
    (root / "raw" / "2021" / "empty.pdf").unlink()  # the bad file replaced by a good one: new inputs
    (root / "raw" / "2021" / "r2000-additions.txt").write_text(ADDITIONS_2021)
    with dg.DagsterInstance.from_config(str(built.home)) as instance:
        assert runs_of_2021(instance) == [failed]  # the second build launched nothing
        # New files are new inputs: asked for again, the documents and the calendar they are read for.
        tick = new_documents(
            dg.build_sensor_context(instance=instance, resources=lake_folder(root).resources())
        )
        assert [(r.partition_key, r.run_key.split(":")[0]) for r in tick.run_requests] == [
            ("2021", "documents"),
            ("2021", "recon_calendar"),
        ]
    done = built.build()
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[1].startswith("documents 2021: ok")


@pytest.mark.slow
def test_a_list_of_a_year_before_the_first_review_recomputes_no_review(tmp_path):
    """Digests cover what each partition reads: the synthetic feed names its stocks after the lists of
    the years from its first review with members (2019) on, so a 2016 list rebuilds its year (and the
    membership tables, which read every list) but reaches neither the market data nor any weights or
    levels."""
    import dagster as dg

    from russell_pipeline.defs.calendar.assets import recon_calendar
    from russell_pipeline.defs.documents.assets import documents
    from russell_pipeline.defs.index.assets import index_levels, quarterly_weights
    from russell_pipeline.defs.index.pro_forma_assets import pro_forma_weights
    from russell_pipeline.defs.index.sensors import stale_reviews_sensor
    from russell_pipeline.defs.market.assets import market_data
    from russell_pipeline.lake.document_tables import ingested_lists

    root = sample_lake(tmp_path / "lake").root
    settings = Settings(synthetic_end=date(2020, 3, 31), synthetic_stocks=120).with_lake(root)
    resources, lake = (
        lake_folder(root).resources(synthetic_end=settings.synthetic_end, synthetic_stocks=120),
        Lake(root),
    )
    with dg.instance_for_test() as instance:
        # The years from the new list's on: the earlier ones hold no document and date no review with
        # members (each partition a run covers costs its events: all 42 were most of this test's time).
        assert materialize([documents, recon_calendar], resources, instance, ("2016", "2030")).success
        assert materialize(
            [market_data, quarterly_weights, index_levels, pro_forma_weights],
            resources,
            instance,
            ("2019-03", "2020-03"),
        ).success
        # The upcoming review's, which carries March's members.
        assert materialize([pro_forma_weights], resources, instance, ("2020-06", "2020-06")).success
        days = lake.tables.read("market_days").sort("day")
        (root / "raw" / "2016").mkdir()
        (root / "raw" / "2016" / "members_20160624.txt").write_text(
            "Russell US Indexes\nMembership list\nRussell 2000® Index\nJune 24, 2016\nCompany\tTicker\n"
            "ZULU INC\tZULU\nYANKEE CORP\tYNKE\n"
        )
        # What the new_documents sensor launches.
        assert materialize([documents, recon_calendar], resources, instance, ("2016", "2016")).success
        assert lake.tables.read("constituents")["symbol"].to_list() == ["ZULU", "YNKE"]
        # `build`: the market data is up to date, so is every review.
        assert not stale.market_stale(lake, stale.market_fingerprint(settings, ingested_lists(lake)))
        assert stale.stale_reviews(lake) == {
            "quarterly_weights": [],
            "index_levels": [],
            "pro_forma_weights": [],
        }
        # The nightly schedule refreshes the market data anyway: the same data, no review to recompute.
        assert materialize([market_data], resources, instance).success
        assert lake.tables.read("market_days").sort("day").equals(days)
        tick = stale_reviews_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(tick, dg.SkipReason)


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
def test_freshness_check_fails_when_the_series_missed_a_night(lakes):
    # A build on the small feed, which ends 2020-03-31: today the series is years behind the last session.
    result = levels_current(pipeline=Pipeline.from_settings(lakes.built(SMALL_END).settings))
    assert not result.passed
    assert result.metadata["latest_level_date"].value == "2020-03-31"


@pytest.mark.slow
def test_a_blocking_check_failing_on_bad_input_publishes_nothing(tmp_lake, lake_resources):
    """A list row whose symbol cannot be read (`BE TA`) is a data line the parser drops: the
    `rows_match_pages` check fails, the year is refused and the stored year stays as it was."""
    import dagster as dg

    from russell_pipeline.defs.documents.assets import documents
    from russell_pipeline.runner.runs import failure_lines

    with dg.instance_for_test() as instance:
        assert materialize([documents], lake_resources, instance, "2023").success
        before = tmp_lake.lake.tables.read("constituent_changes", "recon_year", [2023])
        (tmp_lake.root / "raw" / "2023" / "adds.txt").write_text(
            "Russell 2000 Index - Additions\n\nCompany\tSymbol\tSector\nACME CORP\tACME\tTechnology\n"
            "BETA INDUSTRIES\tBE TA\tTechnology\nGAMMA HOLDINGS\tGAMM\tEnergy\n"
        )
        result = materialize([documents], lake_resources, instance, "2023")
    assert not result.success
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    check = checks["rows_match_pages"]
    assert (check.passed, check.metadata["failures"].value) == (False, 1)
    # The refusal names the file, the page and the line, in the run's failure and in the check.
    first = (
        "line holding data no row was read from: path=raw/2023/adds.txt, page=1, line=5, "
        "text=BETA INDUSTRIES BE TA Technology"
    )
    assert check.metadata["first"].value == first
    # The year is refused as its document is: one line naming the file, page, line and text.
    reason = (
        "raw/2023/adds.txt: 1 line(s) hold data no row was read from (not company, symbol and sector in "
        "their columns): page 1 line 5: 'BETA INDUSTRIES BE TA Technology'"
    )
    assert failure_lines(result) == [f"documents: {reason}"]
    # Each table's failed partition is observed with the reason (what its page in the UI shows).
    observed = {
        (
            e.asset_key.to_user_string(),
            e.partition,
            e.asset_observation_data.asset_observation.metadata["status"].value,
        )
        for e in result.all_events
        if e.event_type_value == "ASSET_OBSERVATION"
    }
    assert observed == {(t, "2023", f"failed: {reason}") for t in DOCUMENT_TABLES}
    assert result.asset_materializations_for_node("documents") == []
    assert tmp_lake.lake.tables.read("constituent_changes", "recon_year", [2023]).equals(before)


def test_parse_refuses_a_list_with_a_line_it_cannot_read(tmp_path):
    bad = tmp_path / "adds.txt"
    bad.write_text(
        "Russell 2000 Index - Additions\n\nCompany\tSymbol\tSector\nACME CORP\tACME\tTechnology\n"
        "BETA INDUSTRIES\tBE TA\tTechnology\n"
    )
    done = cli("parse", str(bad))
    assert done.returncode == 1 and done.stdout == b""
    assert done.stderr.decode().splitlines() == [
        (
            f"error: {bad}: 1 line(s) hold data no row was read from (not company, symbol and sector in "
            "their columns): page 1 line 5: 'BETA INDUSTRIES BE TA Technology'"
        ),
        "adds.txt,1,5,not_a_row,,,",
    ]


@pytest.mark.parametrize(
    ("reason", "key", "said"),
    [
        ("0 rows: no documents under raw/2021/", "2021", "0 rows: no documents under raw/<year>/"),
        (
            "0 rows: pending: cut-off 2026-12-11 is after the last close 2026-11-20",
            "2026-12",
            "0 rows: pending: cut-off 2026-12-11 is after the last close 2026-11-20",
        ),
        (
            "0 rows: no rows for 2026-12 (its lists are dated 2026-12-01)",
            "2026-12",
            "0 rows: no rows for <review> (its lists are dated 2026-12-01)",
        ),
        (
            "0 rows: no schedule for 2026 before 2026-06-26",
            "2026",
            "0 rows: no schedule for <year> before 2026-06-26",
        ),
    ],
)
def test_a_partition_key_is_made_generic_in_a_reason_but_never_inside_a_date(reason, key, said):
    assert generic_reason(reason, key) == said


def test_a_partition_without_input_is_planned_only_when_it_was_built_before():
    from russell_pipeline.planning import digests

    empty = digests.NO_INPUT
    expected = {"1995-06": empty, "1995-09": empty, "2019-03": "members"}
    # Never built: it holds no rows, so nothing to do; one that held rows (its members gone) is emptied.
    assert digests.out_of_date(expected, {}) == ["2019-03"]
    assert digests.out_of_date(expected, {"1995-09": "rows", "2019-03": "members"}) == ["1995-09"]
    # Run once without members (a backfill over it): up to date until the data gives it members.
    assert digests.out_of_date(expected, {"1995-06": empty, "2019-03": "members"}) == []
    assert digests.out_of_date({**expected, "1995-06": "members"}, {"1995-06": empty}) == [
        "1995-06",
        "2019-03",
    ]
    # A year without files has no input whatever the code; one with files is its files and the code.
    assert digests.documents_inputs([]) == empty != digests.documents_inputs([("a.txt", "0" * 64)])


@pytest.mark.slow
def test_a_run_that_fails_on_no_input_of_its_own_runs_once_more_and_the_next_build_has_nothing_to_do(
    tmp_path, lakes
):
    """A lock, a timeout or a busy machine fails a run whose inputs are fine (here the first writes of
    `constituent_changes` in the build's process time out, the step's retries too: RUSSELL_FAULT
    `constituent_changes:busy`; the run is of two years, lists placed in two years the built lake had no
    documents for). Before, the build printed `documents 2025..2026: failed; running its halves
    apart ...` with no reason and ran halves; now the line says why and the run is run once more, whole,
    and succeeds; the next build has nothing to do."""
    built = lakes.copy(tmp_path)  # the samples built over the small feed
    for year, (name, text) in {
        "2025": ("r2000-additions.txt", ADDITIONS_2021),
        "2026": ("r2000-deletions.txt", DELETIONS_2021),
    }.items():
        (built.root / "raw" / year).mkdir()
        (built.root / "raw" / year / name).write_text(text)
    busy = built.cli("build", env={"RUSSELL_FAULT": "constituent_changes:busy"})
    assert busy.returncode == 0, busy.stderr[-2000:]
    lines = busy.stdout.splitlines()
    assert lines[0] == "years: 2 of 42 out of date (2025..2026)"
    assert lines[1].startswith("documents 2025..2026: failed (")
    assert "constituent_changes: the write timed out on a busy machine" in lines[1]
    assert lines[1].endswith("), not on its inputs: running it once more")
    assert lines[2].startswith("documents 2025..2026: ok in")
    assert "halves" not in busy.stdout and "failed" not in busy.stderr
    again = built.build()
    assert again.returncode == 0 and again.stdout.splitlines()[0] == "years: 0 of 42 out of date"
    assert "failed" not in again.stdout + again.stderr
