"""The main job: every asset for every partition, as recorded runs in the Dagster instance."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import dagster as dg

from russell_pipeline.storage import Lake

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
TABLES = ("source_documents", "constituents", "constituent_changes", "recon_calendar", "market_prices",
          "market_memberships", "market_source", "quarterly_weights", "index_levels")


def instance_for(lake: Lake) -> dg.DagsterInstance:
    """The instance at DAGSTER_HOME; without one, a persistent home inside the lake folder."""
    if not os.environ.get("DAGSTER_HOME"):
        home = (lake.root / ".dagster").resolve()
        home.mkdir(parents=True, exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(home)
        print(f"DAGSTER_HOME not set: recording runs in {home}")
    config = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    if not config.exists():
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text("telemetry:\n  enabled: false\n")
    return dg.DagsterInstance.get()


def _failure_lines(result) -> list[str]:
    lines = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data:
            error = event.step_failure_data.error
            # Dagster wraps user errors; the innermost cause is the one-line message that matters.
            while error.cause is not None:
                error = error.cause
            text = " ".join(error.message.split())
            lines.append(f"{event.step_key}: {text.removeprefix('dagster._core.definitions.events.Failure: ')}")
    return lines or ["run failed"]


def build(lake: Lake) -> int:
    from russell_pipeline.definitions import defs

    instance = instance_for(lake)
    for job_name in ("recon_year_job", "index_job"):
        job = defs.resolve_job_def(job_name)
        keys = job.partitions_def.get_partition_keys()
        started = time.perf_counter()
        print(f"{job_name}: partitions {keys[0]}..{keys[-1]} ({len(keys)})", flush=True)
        result = job.execute_in_process(
            instance=instance,
            tags={RANGE_START: keys[0], RANGE_END: keys[-1]},
            # The full event log is in the instance (and the UI); the terminal gets the summary.
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            raise_on_error=False,
        )
        took = time.perf_counter() - started
        if not result.success:
            for line in _failure_lines(result):
                print(f"error: {line}", file=sys.stderr)
            return 1
        failed = [
            f"{e.asset_check_evaluation_data.asset_key.to_user_string()}.{e.asset_check_evaluation_data.check_name}"
            for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed
        ]
        print(f"{job_name}: ok in {took:.1f}s (run {result.run_id[:8]})"
              + (f"; checks failed: {', '.join(failed)}" if failed else "; all checks passed"), flush=True)
    lake.publish()
    print(f"tables in {Path(lake.warehouse)}:")
    stored = set(lake.table_names())
    for table in TABLES:
        if table in stored:
            count = lake.query(f'SELECT count(*) AS n FROM "{table}"')["n"][0]
            print(f"  {table:<22}{count:>12,} rows")
    return 0
