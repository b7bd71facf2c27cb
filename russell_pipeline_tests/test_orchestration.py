"""Definitions load; the nightly schedule and the raw-documents sensor ask for the right runs."""

from __future__ import annotations

import json
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from russell_pipeline.defs.documents.sensors import changed_years, raw_documents, raw_fingerprints
from russell_pipeline.defs.index.schedules import nightly_index, nightly_range
from russell_pipeline.defs.resources import LakeResource


def test_definitions_load_with_every_table_job_schedule_and_sensor():
    from russell_pipeline.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"source_documents", "constituents", "constituent_changes", "recon_calendar", "market_data",
            "quarterly_weights", "index_levels"} <= keys
    assert defs.resolve_job_def("recon_year_job") and defs.resolve_job_def("index_job")
    assert defs.resolve_schedule_def("nightly_index").execution_timezone == "America/New_York"
    assert defs.resolve_sensor_def("raw_documents")


@pytest.mark.parametrize(
    ("keys", "done", "expected"),
    [
        (["2026-03", "2026-06", "2026-09"], {"2026-03", "2026-06", "2026-09"}, ("2026-06", "2026-09")),
        (["2026-03", "2026-06", "2026-09"], {"2026-06", "2026-09"}, ("2026-03", "2026-09")),
        (["2026-03", "2026-06", "2026-09"], set(), ("2026-03", "2026-09")),
        (["2026-03"], set(), ("2026-03", "2026-03")),
        ([], set(), None),
    ],
)
def test_nightly_range_covers_the_period_in_force_and_every_gap(keys, done, expected):
    assert nightly_range(keys, done) == expected


def test_nightly_schedule_requests_one_range_run_after_the_close():
    with dg.instance_for_test() as instance:
        when = datetime(2026, 11, 20, 18, 30, tzinfo=ZoneInfo("America/New_York"))
        request = nightly_index(dg.build_schedule_context(instance=instance, scheduled_execution_time=when))
        assert isinstance(request, dg.RunRequest)
        assert request.tags["dagster/asset_partition_range_start"] == "2016-03"
        assert request.tags["dagster/asset_partition_range_end"] == "2026-09"
        assert request.run_key == "nightly-2026-11-20"


def test_changed_years_sees_new_changed_and_removed_files():
    before = {"2020/a.txt": "1:1", "2021/b.pdf": "2:2", "2022/c.pdf": "3:3"}
    after = {"2020/a.txt": "1:1", "2021/b.pdf": "2:9", "2023/d.pdf": "4:4"}
    assert changed_years(before, after) == ["2021", "2022", "2023"]


def test_sensor_requests_changed_years_and_then_nothing(tmp_lake):
    resources = {"lake": LakeResource(root=str(tmp_lake))}
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, cursor=json.dumps(raw_fingerprints(tmp_lake / "raw")),
                                      resources=resources)
        # Every year's calendar is missing in a new instance: the first evaluation asks for them all.
        first = raw_documents(ctx)
        assert {r.partition_key for r in first} >= {"2019", "2020", "2022", "2023", "2030"}
        for year in [r.partition_key for r in first]:
            instance.report_runless_asset_event(
                dg.AssetMaterialization(asset_key="recon_calendar", partition=year))
        quiet = raw_documents(dg.build_sensor_context(instance=instance, cursor=ctx.cursor, resources=resources))
        assert isinstance(quiet, dg.SkipReason)
        new = tmp_lake / "raw" / "2021" / "list.txt"
        new.parent.mkdir()
        new.write_text("Russell 2000 Index - Additions\n")
        os.utime(new)
        changed = raw_documents(dg.build_sensor_context(instance=instance, cursor=ctx.cursor, resources=resources))
        assert [r.partition_key for r in changed] == ["2021"]
