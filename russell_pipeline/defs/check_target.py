"""What a check evaluation is about: its partition's materialization, the one object this project makes
that Dagster exports from no public module.

A check of a partitioned asset is recorded as one `dg.AssetCheckEvaluation` per partition (defs/commit.py,
`_recorded`): Dagster makes one from an `AssetCheckResult` only for a run of one partition. The UI counts
such an evaluation as the partition's current result only when its `target_materialization_data` names the
partition's latest materialization, and that field's type, `AssetCheckEvaluationTargetMaterializationData`,
is exported by no public module of Dagster 1.13 (its `__init__` does not name it; the docs show no other
way to make one). This module is the one place that imports it, so an upgrade that moves it breaks here
only (russell_pipeline_tests/lake/test_commit.py fails on it)."""

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (  # no public route: see above
    AssetCheckEvaluationTargetMaterializationData,
)


def on(record: dg.EventLogRecord | None) -> AssetCheckEvaluationTargetMaterializationData | None:
    """The target of an evaluation about the materialization `record` (one of `fetch_materializations`);
    None: about none (a partition never materialized)."""
    if record is None:
        return None
    return AssetCheckEvaluationTargetMaterializationData(
        storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
    )
