"""`build`'s lines for the checks a run failed (runner/runs.py): one per check, though a check of a
partitioned asset is recorded on each partition it failed on (defs/commit.py)."""

from __future__ import annotations

from types import SimpleNamespace

import dagster as dg

from russell_pipeline.runner.runs import failed_checks


def _evaluation(partition: str, passed: bool, severity=dg.AssetCheckSeverity.ERROR, **metadata):
    data = dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey("recon_calendar"),
        check_name="published_schedules_parse",
        passed=passed,
        metadata=metadata,
        severity=severity,
        partition=partition,
    )
    return SimpleNamespace(event_type_value="ASSET_CHECK_EVALUATION", asset_check_evaluation_data=data)


def test_a_check_failed_on_every_partition_of_a_run_is_one_line():
    run = SimpleNamespace(
        all_events=[_evaluation(y, False, errors="raw/x.txt: bad date") for y in ("2019", "2020", "2021")]
        + [_evaluation("2022", True)]
    )
    line = (
        "recon_year_job 2019..2022: error-level check failed: "
        "recon_calendar.published_schedules_parse (errors=raw/x.txt: bad date)"
    )
    assert failed_checks(run, "recon_year_job 2019..2022") == ([line], [])
