"""The one way an asset writes the lake: staged rows -> checks -> block -> write -> lineage -> metadata.

Every table-writing asset computes its rows (staged, nothing written yet), evaluates its checks on
them, and hands both, with their lineage and facts, to `commit` as one `Write`, which
1. reports every check result (`reports_failure` records it once the step's materializations are
   out: a check of a partitioned asset on each partition of the run, see `_on_partitions`);
2. stops the step when a check declared `block` failed: nothing is written, the stored partitions
   stay, and the failure names each such check with its first offending row;
3. writes every staged table (each one Delta commit replacing exactly its partitions);
4. records the version of each table it wrote, then what each partition was built from
   (planning/digests.py), after the data, so a crash in between leaves the partitions looking out of
   date, never falsely up to date; a table found later at another version than recorded (a write
   killed between two tables, a stray writer) makes its asset out of date (`Lake.lineage.digests`); then
   the checksum of every new data file (lake/checksums.py: a file changed later is rebuilt);
5. attaches each partition's own facts to its materialization.

Steps 3 and 4 are `write_staged` (lake/staged.py), the lake's one table write: the two writes that
are no asset's `commit`, the fetch manifest and `import-prices`'s `research_prices`, go through it
too (`write_and_publish`).

It does not publish the warehouse: readers see one build's tables or the previous build's, never a
mix. `build` publishes once when it ends (its runs carry the `russell/build` tag); any other run (the
UI, a sensor, the schedule) is published by the `publish_warehouse` sensor once no run is going
and no writer holds the lake (defs/publish.py).

A partition of a partitioned table that holds no rows is a result like any other (the rule lives
here, once, for every asset): it is written (none, so an emptied partition is cleared), its lineage
recorded, and it is **materialized with 0 rows and its reason**: its `status` is `0 rows: <why>`
(`0 rows: no documents under raw/2013/`, from the `status` its asset passes), and the run's log
names each such partition and why (one entry per asset: Dagster stores every log line as an
event). So every partition of a run is materialized: Dagster's backfills, which count a targeted
partition done only once it is materialized or failed, end successfully over any range, and the
steps that depend on the asset in the same run always run (no output is ever skipped).

A step that fails (`refuse` on bad input, a failed blocking check, a crash) writes nothing; every
table-writing asset is wrapped in `reports_failure`, which says so on each partition of the run
and reports each check of the step it did not evaluate as **not evaluated** there, keeping its
result on the rows the lake still holds: a failed run never reads as data that failed its checks.

A check is declared once, as a `Check`: its level (`block`, `error`, `warn`) sets both the
Dagster spec (`blocking=`, `(WARN)` in its description) and what happens when it fails: `block`
writes nothing, `error` is written and fails `build` (runner/runs.py), `warn` is written and said.
Each asset declares its checks in its decorator (`check_specs=specs(CHECKS, partitions_def)`),
partitioned like it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NoReturn

import dagster as dg
import polars as pl

from russell_pipeline.defs import check_target
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.staged import Staged, write_staged

Level = Literal["block", "error", "warn"]
# The `status` of a partition: `0 rows: <why>` on the materialization of one that holds no rows (and
# in the run's log), `failed: <reason>` on the observation of one whose run failed; of a check, `not
# evaluated: <why>` when its run failed before evaluating it.
STATUS, EMPTY, FAILED, NOT_EVALUATED = "status", "0 rows", "failed", "not evaluated"
IN_BUILD = "russell/build"  # the tag of every run a `build` makes (runner/runs.py): it publishes at its end
_SUFFIX = {"block": " Blocks the write.", "error": "", "warn": " (WARN)"}
PARTITION_COLUMNS = ("recon_year", "review")  # the partition column of every partitioned table
PARTITIONS = "partitions"  # a failed check's fact: the partitions its offending rows are in
_HISTORY = 50  # how far back a check not evaluated looks for the result of a run that wrote its rows


@dataclass(frozen=True)
class Check:
    """One asset check, declared once: which asset, its name, what it asserts, and its level.

    `block`: evaluated on the staged rows; a failure writes nothing and fails the step.
    `error`: a failure is reported (red) and the rows are written. `warn`: reported as a warning."""

    asset: str
    name: str
    description: str
    level: Level = "error"

    @property
    def blocking(self) -> bool:
        return self.level == "block"

    def spec(self, partitions_def: dg.PartitionsDefinition | None = None) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(
            self.name,
            asset=self.asset,
            blocking=self.blocking,
            description=self.description + _SUFFIX[self.level],
            partitions_def=partitions_def,
        )

    def result(self, passed: bool, **metadata) -> dg.AssetCheckResult:
        severity = dg.AssetCheckSeverity.WARN if self.level == "warn" else dg.AssetCheckSeverity.ERROR
        return dg.AssetCheckResult(
            asset_key=self.asset, check_name=self.name, passed=passed, severity=severity, metadata=metadata
        )

    def frame(self, bad: pl.DataFrame, what: str, summary: str | None = None, **facts) -> dg.AssetCheckResult:
        """Passes when `bad` (the offending rows) is empty; shows the first ones whole, and `facts`;
        when the rows carry their partition, which partitions they are in (`partitions`). `summary`,
        when given, is the failure's line (`first`) in place of the first offending row."""
        with pl.Config(
            tbl_cols=-1, tbl_width_chars=1000, fmt_str_lengths=1000, tbl_hide_dataframe_shape=True
        ):
            shown = f"```\n{bad.head(10)}\n```" if bad.height else f"no {what}"
        first = ", ".join(f"{k}={v}" for k, v in bad.row(0, named=True).items()) if bad.height else ""
        column = next((c for c in PARTITION_COLUMNS if c in bad.columns), None)
        where = ", ".join(sorted({str(v) for v in bad[column]})) if column and bad.height else ""
        return self.result(
            bad.height == 0,
            failures=bad.height,
            examples=dg.MetadataValue.md(shown),
            **({"first": summary or f"{what}: {first}"} if first else {}),
            **({PARTITIONS: where} if where else {}),
            **facts,
        )


def specs(
    checks: Iterable[Check], partitions_def: dg.PartitionsDefinition | None = None
) -> list[dg.AssetCheckSpec]:
    """The checks' specs, partitioned like their asset (`partitions_def`): each evaluation is then of
    one partition (`reports_failure`)."""
    return [c.spec(partitions_def) for c in checks]


def why(check: str, metadata: Mapping) -> str:
    """A failed check in one line: `asset.check (its first offending row, or how many failed, or its
    plain facts)`."""
    values = {k: getattr(v, "value", v) for k, v in metadata.items()}
    plain = ", ".join(
        f"{k}={v}" for k, v in values.items() if isinstance(v, str | int | float) and "\n" not in str(v)
    )
    text = values.get("first") or (
        f"{values['failures']} failure(s)" if "failures" in values else plain or "failed"
    )
    return f"{check} ({text})"


def _why(result: dg.AssetCheckResult) -> str:
    return why(f"{result.asset_key.to_user_string()}.{result.check_name}", result.metadata or {})


# The failure's metadata naming the partitions whose input it refused ("2019, 2021"), when the step
# knows them: `build` then runs those alone and the rest of the range together (runner/runs.py).
REFUSED = "refused partitions"


class Refusal(dg.Failure):
    """A step failed on its input: never retried (the same input fails the same way). `facts`
    ({partition key: metadata}) go on the observation of each failed partition beside its reason;
    `partitions`, where known, are the partitions whose input was refused."""

    def __init__(
        self, reason: str, facts: dict[str, dict] | None = None, partitions: list[str] | None = None
    ):
        metadata = {REFUSED: ", ".join(partitions)} if partitions else None
        super().__init__(description=reason, allow_retries=False, metadata=metadata)
        self.facts = facts or {}


def refuse(
    reason: str, facts: dict[str, dict] | None = None, partitions: list[str] | None = None
) -> NoReturn:
    """Fail the step on its input with `reason` (one line), and each partition's `facts` ({key:
    metadata}, e.g. the state of each document of a refused year); `reports_failure` says it on the
    step's partitions and checks. `partitions`: the ones whose input is refused, where the step knows."""
    raise Refusal(reason, facts, partitions)


def reports_failure(compute: Callable[..., Iterator]) -> Callable[..., Iterator]:
    """The compute function of an asset that writes the lake, such that each check result is recorded
    on the partitions it is about, and a failed run never reads as failed data.

    The step's check results are recorded once its materializations are out (`_on_partitions`,
    `_recorded`): each partition's evaluation is then on that partition's materialization of the run,
    the one Dagster counts a check of the partition on. When the step fails (a refused input, a failed
    blocking check, a crash), before the failure is raised:

    - each partition of the run of each of the step's assets is observed with `status: failed:
      <reason>`: its page in the UI says why, above the facts of the data it still holds;
    - each check of the step that reported no result is reported **not evaluated** on each partition,
      with the reason, restating its latest result on that partition in a run that succeeded (same
      verdict, severity and facts, its run named): a failed step writes nothing, so the lake still
      holds the rows that result is about. A check no such run evaluated passes (the lake holds none
      of its rows). Without a result, Dagster shows every such check "Execution failed" in red, the
      way it shows data that failed it.
    """

    @functools.wraps(compute)
    def step(context: dg.AssetExecutionContext, *args, **kwargs) -> Iterator:
        keys = context.partition_keys if context.assets_def.partitions_def is not None else [None]
        results: dict[dg.AssetCheckKey, dict[str | None, dg.AssetCheckResult]] = {}
        try:
            for event in compute(context, *args, **kwargs):
                if isinstance(event, dg.AssetCheckResult):
                    check = dg.AssetCheckKey(dg.AssetKey.from_coercible(event.asset_key), event.check_name)
                    results[check] = _on_partitions(event, keys)
                else:
                    yield event
        except Exception as err:
            reason = " ".join(str(err.description if isinstance(err, dg.Failure) else err).split())
            facts = err.facts if isinstance(err, Refusal) else {}
            for asset in sorted(context.selected_asset_keys):
                for key in keys:
                    yield dg.AssetObservation(
                        asset_key=asset,
                        partition=key,
                        metadata={STATUS: f"{FAILED}: {reason}", **facts.get(key, {})},
                    )
            for check in sorted(context.selected_asset_check_keys - results.keys(), key=str):
                results[check] = {key: _not_evaluated(context.instance, check, reason, key) for key in keys}
            yield from _recorded(context, results)
            raise
        yield from _recorded(context, results)

    return step


def _on_partitions(
    result: dg.AssetCheckResult, keys: list[str | None]
) -> dict[str | None, dg.AssetCheckResult]:
    """`result`, evaluated once on the rows of a run over `keys` (a check may compare partitions), as
    the result on each partition: failed on those its offending rows are in (`partitions`), on every
    one when they name none of the run's, passed on the others (its facts kept, and where they
    failed said). `[None]`: an unpartitioned asset, the result as it is."""
    named = result.metadata.get(PARTITIONS)
    failed = set(keys) & set(str(named.value).split(", ")) if named and not result.passed else set()
    return {
        key: result._replace(
            passed=True, description=f"passed: its offending rows are in {named.value}, none in {key}"
        )
        if failed and key not in failed
        else result
        for key in keys
    }


def _recorded(
    context: dg.AssetExecutionContext, results: dict[dg.AssetCheckKey, dict[str | None, dg.AssetCheckResult]]
) -> Iterator[dg.AssetCheckResult | dg.Output | dg.AssetCheckEvaluation]:
    """Each check's results as Dagster records them: of an unpartitioned asset as it is; of a
    partitioned one, the check's output and one evaluation per partition (Dagster gives a result the
    partition of a run of one partition only), on the partition's latest materialization."""
    on: dict[dg.AssetKey, dict[str, dg.EventLogRecord]] = {}
    for check, by_partition in results.items():
        if None in by_partition:
            yield by_partition[None]
            continue
        if check.asset_key not in on:  # the same partitions for every check of the step
            on[check.asset_key] = _latest_materializations(
                context.instance, check.asset_key, list(by_partition)
            )
        yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(check))
        blocking = context.assets_def.get_spec_for_check_key(check).blocking
        for key, result in by_partition.items():
            yield dg.AssetCheckEvaluation(
                asset_key=check.asset_key,
                check_name=check.name,
                passed=result.passed,
                metadata=result.metadata,
                target_materialization_data=check_target.on(on[check.asset_key].get(key)),
                severity=result.severity,
                description=result.description,
                blocking=blocking,
                partition=key,
            )


def _latest_materializations(
    instance: dg.DagsterInstance, asset: dg.AssetKey, keys: list[str]
) -> dict[str, dg.EventLogRecord]:
    """{partition key: its latest materialization} of the partitions of `keys` that have one."""
    ids = instance.event_log_storage.get_latest_storage_id_by_partition(
        asset, dg.DagsterEventType.ASSET_MATERIALIZATION, set(keys)
    )
    found = dg.AssetRecordsFilter(asset_key=asset, storage_ids=list(ids.values()))
    records = instance.fetch_materializations(found, limit=len(ids)).records if ids else []
    return {r.partition_key: r for r in records}


def _not_evaluated(
    instance: dg.DagsterInstance, check: dg.AssetCheckKey, reason: str, partition: str | None = None
) -> dg.AssetCheckResult:
    """`check` not evaluated on `partition` in a failed run: its latest result there of a run that
    succeeded (whose rows the lake holds: a failed run's result was on rows never written) restated,
    or a pass over nothing."""
    latest = _last_result(instance, check, partition)
    found = latest[1] if latest else None
    said = f"{NOT_EVALUATED}: its run failed ({reason}); " + (
        f"the result on the rows the lake holds, of run {latest[0]}, stands"
        if latest
        else "no run that wrote its rows evaluated it"
    )
    return dg.AssetCheckResult(
        asset_key=check.asset_key,
        check_name=check.name,
        passed=found.passed if found else True,
        **({"severity": found.severity} if found else {}),
        description=said,
        metadata={**(found.metadata if found else {}), STATUS: said},
    )


def _last_result(
    instance: dg.DagsterInstance, check: dg.AssetCheckKey, partition: str | None
) -> tuple[str, dg.AssetCheckEvaluation] | None:
    """(run id, evaluation): the latest evaluation of `check` on `partition` in a run that succeeded,
    among the runs of the partition's last `_HISTORY` materializations (a run that writes a partition
    materializes it: `commit`), or None."""
    written = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=check.asset_key, asset_partitions=[partition] if partition is not None else None
        ),
        limit=_HISTORY,
    ).records
    runs = list(dict.fromkeys(r.run_id for r in written))  # newest first
    succeeded = (
        {
            r.run_id
            for r in instance.get_runs(
                filters=dg.RunsFilter(run_ids=runs, statuses=[dg.DagsterRunStatus.SUCCESS])
            )
        }
        if runs
        else set()
    )
    for run_id in (r for r in runs if r in succeeded):
        events = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        for entry in reversed(events):
            evaluation = entry.dagster_event.event_specific_data
            if evaluation.asset_check_key == check and evaluation.partition == partition:
                return run_id, evaluation
    return None


@dataclass(frozen=True)
class Write:
    """What one step writes, built by its asset and handed whole to `commit`.

    `staged`: the tables' rows (nothing written yet); `lineage`: {asset: {partition: digest}}, what
    each partition was built from; `facts`: {asset: {partition_key: metadata}} for a partitioned asset
    (each partition gets its own; `status` says why an empty one is empty), {asset: metadata} for an
    unpartitioned one; `checks`: the step's declared checks and `results` their evaluations on the
    staged rows; `data_version`: the materializations' data version (unpartitioned assets);
    `descriptions`: {asset: {partition_key: Markdown}} shown in full in the UI on an observation of
    the partition that follows its materialization (a chart at its own size: a metadata value over
    1,000 characters is only a button, and a materialization made from the step's output takes no
    description)."""

    lake: Lake
    staged: Sequence[Staged]
    lineage: dict[str, dict[str, str]]
    facts: dict[str, dict]
    checks: Sequence[Check] = ()
    results: Sequence[dg.AssetCheckResult] = ()
    data_version: str | None = None
    descriptions: dict[str, dict[str, str]] = field(default_factory=dict)


def commit(
    context: dg.AssetExecutionContext, write: Write
) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult | dg.AssetMaterialization | dg.AssetObservation]:
    """Report the write's check results, block on a failed `block` check, write its staged tables,
    record their lineage, then materialize each asset of its facts, every partition of the run (one
    with no rows says so and why: see the module's docstring). Call with the lake's writer lock held."""
    blocking = {(c.asset, c.name) for c in write.checks if c.blocking}
    results, staged = list(write.results), list(write.staged)
    yield from results
    failed = [r for r in results if not r.passed and (r.asset_key.to_user_string(), r.check_name) in blocking]
    if failed:
        refuse(
            "blocking check failed, nothing written (the stored partitions stay): "
            + "; ".join(_why(r) for r in failed)
        )
    write_staged(write.lake, staged, write.lineage)
    partitioned = context.assets_def.partitions_def is not None
    version = dg.DataVersion(write.data_version) if write.data_version else None
    rows = _rows_per_partition(staged) if partitioned else {}
    for asset, meta in write.facts.items():
        if not partitioned:
            yield dg.MaterializeResult(asset_key=asset, metadata=meta, data_version=version)
            continue
        empty = []
        for key, partition_meta in meta.items():
            if rows.get(asset, {}).get(key) == 0:
                partition_meta = {
                    **partition_meta,
                    STATUS: f"{EMPTY}: {partition_meta.get(STATUS) or 'no rows'}",
                }
                empty.append(f"{asset} {key}: {partition_meta[STATUS]}")
            context.add_asset_metadata(partition_meta, asset_key=asset, partition_key=key)
        yield dg.MaterializeResult(asset_key=asset, data_version=version)
        for key, text in write.descriptions.get(asset, {}).items():
            yield dg.AssetObservation(asset_key=asset, partition=key, description=text)
        if empty:
            context.log.info("\n".join(empty))  # one event in the run's log, not one per partition


def _rows_per_partition(staged: list[Staged]) -> dict[str, dict[str, int]]:
    """{table: {partition key: rows staged}} of the partitioned tables of a write."""
    out: dict[str, dict[str, int]] = {}
    for s in staged:
        if s.partition_column is None or s.keys is None:
            continue
        counts = dict(s.rows.lazy().group_by(s.partition_column).agg(pl.len()).collect().iter_rows())
        out[s.table] = {str(k): counts.get(k, 0) for k in s.keys}
    return out
