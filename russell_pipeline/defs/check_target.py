"""What a check evaluation is about: its partition's materialization.

A check of a partitioned asset is recorded as one `dg.AssetCheckEvaluation` per partition (defs/commit.py,
`_recorded`): Dagster makes one from an `AssetCheckResult` only for a run of one partition. The UI counts
such an evaluation as the partition's current result only when its `target_materialization_data` names the
partition's latest materialization. Dagster 1.13 exports that parameter's type from no public module; it is
taken here from the parameter's own declaration in the public signature (the one type besides None it
accepts), so the project imports nothing of Dagster's private modules, and a Dagster that changes the
parameter fails here at import, and in russell_pipeline_tests/lake/test_commit.py."""

import inspect
import typing

import dagster as dg

_declared = inspect.signature(dg.AssetCheckEvaluation).parameters["target_materialization_data"].annotation
(_Target,) = (kind for kind in typing.get_args(_declared) if kind is not type(None))


def on(record: dg.EventLogRecord | None) -> object | None:
    """The target of an evaluation about the materialization `record` (one of `fetch_materializations`);
    None: about none (a partition never materialized)."""
    if record is None:
        return None
    return _Target(storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp)
