"""The embedded defaults: `make run`'s build (the committed sample documents, the built-in synthetic
feed to the last completed session) ends with every check green because the sample is right."""

from __future__ import annotations

import re
from datetime import timedelta

import dagster as dg
import polars as pl
import pytest

from russell_pipeline.lake.store import Lake
from russell_pipeline.lib.sessions import sessions
from russell_pipeline_tests.lakes import sample_lake


@pytest.fixture(scope="module")
def default_build(tmp_path_factory):
    """(lake root, instance, the build's stdout and stderr) of the build `make run` runs on a fresh clone
    (the sample documents, no market data folder, a new Dagster home), run in this process as the command
    runs it (`LakeFolder.build`; test_cli.py runs the command itself on a new lake)."""
    root = tmp_path_factory.mktemp("default")
    lake = sample_lake(root / "data_lake", home=root / "home")  # no market data: the built-in feed
    (root / "home").mkdir()
    done = lake.build()
    assert done.returncode == 0, done.stderr[-3000:]
    with dg.DagsterInstance.from_config(str(root / "home")) as instance:
        yield root / "data_lake", instance, done.stdout, done.stderr


@pytest.mark.slow
def test_every_check_of_the_default_build_is_evaluated_and_passes(default_build):
    _, instance, stdout, stderr = default_build
    assert "checks failed" not in stdout
    assert not [line for line in stderr.splitlines() if re.search(r"(?i)fail|error|warn", line)], stderr
    evaluations = [
        entry.dagster_event.event_specific_data
        for run in instance.get_runs()
        for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    ]
    failed = [
        (e.asset_key.to_user_string(), e.check_name, {k: v.value for k, v in e.metadata.items()})
        for e in evaluations
        if not e.passed
    ]
    assert not failed
    from russell_pipeline.definitions import defs

    declared = {
        (key.asset_key.to_user_string(), key.name) for key in defs.resolve_asset_graph().asset_check_keys
    }
    evaluated = {(e.asset_key.to_user_string(), e.check_name) for e in evaluations}
    assert declared <= evaluated  # green because each ran, not because it was skipped


@pytest.mark.slow
def test_no_run_of_the_default_build_logs_a_warning(default_build):
    _, instance, _, _ = default_build
    runs = instance.get_runs()
    assert len(runs) >= 7 and all(r.is_success for r in runs)
    warnings = [
        (r.job_name, e.user_message[:200]) for r in runs for e in instance.all_logs(r.run_id) if e.level >= 30
    ]
    assert not warnings


@pytest.mark.slow
def test_the_synthetic_feed_prices_every_sample_symbol_before_its_rank_day(default_build):
    lake = Lake(default_build[0])
    listed = lake.read("constituent_changes").select("recon_year", "change", "symbol").unique()
    assert set(listed["recon_year"]) == {2020, 2023} and listed.height == 256 + 161
    rank_days = lake.read("recon_calendar").filter(
        (pl.col("event") == "rank_day") & (pl.col("review_type") == "annual_reconstitution")
    )
    closes = (
        lake.read("market_prices")
        .join(listed, on="symbol")
        .join(rank_days.select("recon_year", rank_day="date"), on="recon_year")
    )
    for (year,), rows in listed.group_by("recon_year"):
        rank_day = rank_days.filter(pl.col("recon_year") == year)["date"][0]
        not_stale = sessions(rank_day - timedelta(days=30), rank_day)[-11:]  # the 10 sessions up to rank day
        priced = closes.filter(pl.col("recon_year") == year, pl.col("date").is_in(not_stale))[
            "symbol"
        ].unique()
        assert set(rows["symbol"]) == set(priced), year
    # The reconstitution effect of 2020's final (deletion) list holds every listed symbol, beside the index.
    paths = (
        lake.read("reconstitution_paths")
        .group_by("recon_year", "list_group")
        .agg(pl.col("symbol").n_unique())
    )
    assert sorted(paths.rows()) == [(2020, "deletion", 256), (2020, "index", 1)]
    assert set(lake.read("market_source")["synthetic"]) == {True}


@pytest.mark.slow
def test_the_readme_says_what_a_build_materializes(default_build):
    """The README's sentence on materializations, held against the instance `make run` leaves: every
    partition of `constituents` the build wrote has its materialization, a year without documents
    between two with them too (`status` `0 rows: ...`), and a year with no input, never run, has none
    (before, every one of the 42 years was materialized)."""
    from pathlib import Path

    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8").split())
    assert "one materialization per partition a build writes" in readme and "`0 rows:`" in readme
    assert "one with no input, a year without documents, is not run" in readme
    _, instance, _, _ = default_build
    key = dg.AssetKey("constituents")
    done = instance.get_materialized_partitions(key)
    assert done == {str(y) for y in range(2019, 2025)} and "1995" in _year_keys()
    events = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key), limit=1000).records
    statuses = {
        r.asset_materialization.partition: str(r.asset_materialization.metadata["status"].value)
        for r in events
    }
    assert statuses["2021"].startswith("0 rows: no documents under raw/2021/")


def _year_keys() -> set[str]:
    from russell_pipeline.defs.partitions import recon_years

    return set(recon_years.get_partition_keys())
