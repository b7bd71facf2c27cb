"""The runs of a `build` with work (runner/build.py decides first, without Dagster, whether it has
any): every out-of-date partition of every asset, as recorded runs in the Dagster instance.

The stages and their order are the stage table's (planning/stages.py): each is asked what it has out
of date once the stages before it have run, then its runs go. Every run gets the resources of the
build's own `Settings`, so the lake it plans on is the lake the runs write. Years that fail are split
off until they run alone, so a bad document fails its own year and every other year, the market data
and the index still build.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import sys
import time
import uuid
from importlib.resources import files
from pathlib import Path

import dagster as dg

from russell_pipeline.defs.commit import EMPTY, IN_BUILD, PARTITIONS, REFUSED, STATUS, why
from russell_pipeline.lake import checksums
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib import collector
from russell_pipeline.lib.documents.ingest import DOCUMENTS_FACT, UNREAD_FACT
from russell_pipeline.lib.errors import LakeError
from russell_pipeline.planning import attempts, digests
from russell_pipeline.planning.keys import RANGE_END, RANGE_START, review_keys, year_keys
from russell_pipeline.planning.market_update import WRITTEN_FACT
from russell_pipeline.planning.stages import ALL, STAGES, Stage, busy, spans
from russell_pipeline.runner.migrations import keep_migration_scripts
from russell_pipeline.runner.outcome import Outcome
from russell_pipeline.runner.sqlite_events import fewer_syncs
from russell_pipeline.runner.stop import Stopped, StopSignals
from russell_pipeline.settings import Settings


def instance_for(lake: Lake) -> dg.DagsterInstance:
    """The instance at DAGSTER_HOME; without one, a persistent home inside the lake folder.

    A home without a dagster.yaml gets the project's (the lake-writer pool, run monitoring).
    """
    if not os.environ.get("DAGSTER_HOME"):
        home = (lake.root / ".dagster").resolve()
        os.environ["DAGSTER_HOME"] = str(home)
        print(f"DAGSTER_HOME not set: recording runs in {home}")
    home = Path(os.environ["DAGSTER_HOME"])
    try:
        home.mkdir(parents=True, exist_ok=True)
        if not (home / "dagster.yaml").exists():
            shutil.copyfile(str(files("russell_pipeline") / "dagster.yaml"), home / "dagster.yaml")
        # Two processes opening a new home at once (two builds, a build and `make ui`) would both
        # create its SQLite tables ("table secondary_indexes already exists"): one at a time.
        with open(home / ".instance.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            keep_migration_scripts()
            instance = dg.DagsterInstance.get()
            # Opens (and on a new home creates) each storage: a read-only or broken home fails here, once.
            instance.get_runs(limit=1)
            instance.all_instigator_state()
            instance.get_asset_keys()
        return instance
    except Exception as err:  # noqa: BLE001 - sqlite, yaml and OS errors all mean an unusable home
        reason = " ".join(str(getattr(err, "orig", None) or err).split())[:200]
        raise LakeError(f"{home}: the Dagster instance (DAGSTER_HOME) cannot be used: {reason}") from None


def failure_lines(result) -> list[str]:
    """The one-line reason of each failed step (the innermost cause of Dagster's wrapped error); without
    a failed step, the run's own failure message (a run that failed before or around its steps)."""
    lines = [attempts.failure_line(e) for e in result.all_events if e.is_step_failure and e.step_failure_data]
    if lines:
        return lines
    run = [
        " ".join(str(e.message or "").split())
        for e in result.all_events
        if e.event_type_value == "PIPELINE_FAILURE"
    ]
    return [m for m in run if m] or ["run failed without a failed step or a message (see its log in the UI)"]


def years_written(result) -> list[str]:
    """What a `market_data` run replaced, year by year (`market_data wrote: prices 2026; shares 2026`)."""
    lines = []
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            fact = event.step_materialization_data.materialization.metadata.get(WRITTEN_FACT)
            if fact is not None:
                lines.append(f"{event.asset_key.to_user_string()} wrote: {fact.value}")
    return lines


def empty_partitions(result) -> list[str]:
    """The partitions a run materialized with no rows (defs/commit.py), one line per reason:
    `constituents, constituent_changes 2010..2018, 2021: 0 rows: no documents under raw/<year>/`."""
    by_reason: dict[str, dict[str, list[str]]] = {}
    for event in result.all_events:
        if event.event_type_value != "ASSET_MATERIALIZATION":
            continue
        done = event.step_materialization_data.materialization
        status = done.metadata.get(STATUS)
        text = getattr(status, "value", status)
        if done.partition is None or not str(text).startswith(EMPTY):
            continue
        reason = generic_reason(str(text), done.partition)
        by_reason.setdefault(reason, {}).setdefault(done.asset_key.to_user_string(), []).append(
            done.partition
        )
    lines = []
    for reason, assets in by_reason.items():
        by_keys: dict[tuple[str, ...], list[str]] = {}
        for asset, keys in assets.items():
            by_keys.setdefault(tuple(sorted(keys)), []).append(asset)
        for keys, names in by_keys.items():
            every = year_keys() if len(keys[0]) == 4 else review_keys()
            lines.append(f"{', '.join(names)} {spans(list(keys), every)}: {reason}")
    return lines


def generic_reason(reason: str, key: str) -> str:
    """The reason with its partition key as `<year>` or `<review>`, so partitions that share it are
    named on one line: the key as a word of its own ("raw/2021/"), never inside a date
    ("2021-06-25" is a date, whatever the key)."""
    return re.sub(rf"(?<![\d-]){re.escape(key)}(?!-?\d)", "<year>" if len(key) == 4 else "<review>", reason)


def document_lines(result) -> list[str]:
    """Each document of each year the run read and what became of it (`raw/2024/a.pdf: read, 215 rows`,
    `...: refused`: why is the run's failure line), indented under the run's line, then the
    raw/<year>/corrections.csv entries that would settle its unread lines, one a line as it is pasted:
    from the facts of `source_documents` (defs/documents/assets.py)."""
    found: dict[str, list[str]] = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            seen = event.step_materialization_data.materialization
        elif event.event_type_value == "ASSET_OBSERVATION":
            seen = event.asset_observation_data.asset_observation
        else:
            continue
        meta = seen.metadata
        if seen.asset_key.to_user_string() != "source_documents" or DOCUMENTS_FACT not in meta:
            continue
        # A refused document's reason is the run's failure line: here its state only, so it is said once.
        lines = [
            f"  {ln.removeprefix('- ').partition(': refused: ')[0]}"
            + (": refused" if ": refused: " in ln else "")
            for ln in str(meta[DOCUMENTS_FACT].value).splitlines()
            if ln != "none"
        ]
        entries = str(getattr(meta.get(UNREAD_FACT), "value", "") or "").splitlines()
        if entries:
            lines.append(
                f"  settle each line above that the parser could not read in raw/{seen.partition}/"
                "corrections.csv: paste its entry (or edit it into `row` with the company, symbol and "
                "sector the line holds):"
            )
        found[seen.partition] = [*lines, *entries]
    return [line for key in sorted(found) for line in found[key]]


def failed_checks(result, label: str) -> tuple[list[str], list[str]]:
    """The checks that failed in a run, one line each, as (error level, warn level): which check, on
    which partitions (those its offending rows are in, else the run's, named by `label`), and why;
    said once, though recorded on each partition it failed on (defs/commit.py)."""
    error, warn = [], []
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION" or event.asset_check_evaluation_data.passed:
            continue
        found = event.asset_check_evaluation_data
        warning = found.severity == dg.AssetCheckSeverity.WARN
        where = found.metadata.get(PARTITIONS)
        check = f"{found.asset_key.to_user_string()}.{found.check_name}" + (
            f" on {where.value}" if where else ""
        )
        line = f"{label}: {'warn' if warning else 'error'}-level check failed: {why(check, found.metadata)}"
        lines = warn if warning else error
        if line not in lines:
            lines.append(line)
    return error, warn


class _Runner:
    """Runs jobs in this process, prints one line per run (with its full run id: the UI opens it at
    /runs/<id>), and collects failures."""

    def __init__(
        self,
        instance: dg.DagsterInstance,
        settings: Settings,
        verbose: bool,
        stop: StopSignals | None = None,
        lake: Lake | None = None,
    ):
        from russell_pipeline.definitions import definitions

        self.defs, self.instance, self.settings, self.verbose = (
            definitions(settings),
            instance,
            settings,
            verbose,
        )
        self.failures: list[str] = []  # runs that failed: their partitions keep what they held
        self.reasons: list[str] = []  # why the last run failed, one line each
        self.refused: set[str] | None = None  # the partitions the last run's failure named, if it named all
        self.failed_checks: list[str] = []  # error-level checks that failed on what a run wrote
        # The failure that was not about a run's input (a full disk, a read-only table, a crash): the
        # lake may hold one table of an asset and not the next, so no later stage runs on it.
        self.halted: str | None = None
        self.stop = stop or StopSignals()
        self.build = uuid.uuid4().hex  # every run of this build carries it: defs/commit.py does not publish
        self.lake = lake or Lake.from_settings(settings)

    def run(
        self,
        job_name: str,
        label: str,
        tags: dict | None = None,
        quiet_failure: bool = False,
        assets: list[str] | None = None,
        attempt: str | None = None,
        again: bool = True,
    ) -> bool:
        """Run the job unless `attempt` (planning/attempts.py) already failed on these inputs, or is going,
        or the build has halted or been stopped.

        A run that fails on anything but its input (a lock, a timeout, a busy machine: no `dg.Failure`) is
        run once more (`again`) before it counts: the same inputs then usually succeed. If it fails so
        again, the build halts."""
        self.stop.check()
        if self.halted:
            return False
        self.reasons, self.refused = [], None
        if attempt is not None:
            before = attempts.previous(self.instance, attempt)
            if before is not None and before.going:
                print(f"{label}: {before.line()}", flush=True)
                return True
            if before is not None:
                self.reasons = list(before.reasons)
                if not quiet_failure:
                    self.failures.append(f"{label}: {before.line()}")
                    print(f"{label}: {before.line()}", file=sys.stderr, flush=True)
                return False
            tags = {**(tags or {}), **attempts.tags(attempt)}
        tags = {**(tags or {}), IN_BUILD: self.build, **attempts.creator()}
        started = time.perf_counter()
        result = self.defs.resolve_job_def(job_name).execute_in_process(
            instance=self.instance,
            tags=tags,
            asset_selection=[dg.AssetKey(a) for a in assets] if assets else None,
            # The full event log is in the instance (and the UI); the terminal gets one line.
            run_config={
                "loggers": {"console": {"config": {"log_level": "DEBUG" if self.verbose else "CRITICAL"}}}
            },
            raise_on_error=self.verbose,
        )
        took = time.perf_counter() - started
        self.stop.check()  # a run a stop signal interrupted is not a failure to report: the build stops
        if not result.success and again and not on_input(result):
            why = "; ".join(failure_lines(result))
            print(f"{label}: failed ({why}), not on its inputs: running it once more", flush=True)
            return self.run(job_name, label, tags, quiet_failure, assets, attempt, again=False)
        if not result.success:
            self.reasons, self.refused = failure_lines(result), refused_partitions(result)
        if result.success:
            error, warn = failed_checks(result, label)
            print(f"{label}: ok in {took:.1f}s (run {result.run_id})", flush=True)
            for line in empty_partitions(result) + years_written(result):  # said once, not planned again
                print(f"  {line}", flush=True)
            for line in warn:
                print(f"  {line}", flush=True)
            for line in error:  # the rows were written (an error-level check does not block): the build fails
                self.failed_checks.append(line)
                print(f"  {line}", file=sys.stderr, flush=True)
        elif not on_input(result):  # not about its input: said once, and no later run goes on the lake
            line = "; ".join(failure_lines(result))
            self.halted = f"{label}: {line}"
            self.failures.append(self.halted)
            print(f"{label}: FAILED: {line}", file=sys.stderr, flush=True)
        elif not quiet_failure:
            for line in failure_lines(result):
                self.failures.append(f"{label}: {line}")
                print(f"{label}: FAILED: {line}", file=sys.stderr, flush=True)
            # A refused year hides none of its documents: each with its state (the UI has them for every
            # year).
            for line in document_lines(result):
                print(line, flush=True)
        return result.success

    def forget(self, asset: str, keys: list[str]) -> None:
        """After a run failed on its input: what `keys` of `asset` were built from is forgotten
        (digests.REFUSED), so they are out of date until a run builds them, also when their input comes
        back as their stored rows were built from (the failed run is the latest Dagster shows for them);
        until their input changes, `build` does not launch them again (planning/attempts.py)."""
        self.lake.lineage.record(asset, {k: digests.REFUSED for k in keys})

    def ranges(
        self, stage: Stage, target: str, keys: list[str], all_keys: list[str], inputs: dict[str, str]
    ) -> None:
        """Runs of `stage` for `target` over the consecutive ranges of `keys`; `inputs`: each partition's
        input digest (its attempt). With the stage's `retry_alone`, a range that fails on its input runs
        again apart until the failing partitions have run alone, so the others still build: where the
        failure names the partitions it refused, each of those alone and the ranges between them (a bad
        year of 42 costs 4 runs); otherwise its two halves, and so on (11 runs)."""
        job_name, retry_alone = stage.job, stage.retry_alone

        def attempt(span: list[str]) -> str:
            return attempts.key(target, {k: inputs[k] for k in span})

        def run(span: list[str]) -> None:
            first, last = span[0], span[-1]
            label = target + f" {first}" + (f"..{last}" if last != first else "")
            done = self.run(
                job_name,
                label,
                {RANGE_START: first, RANGE_END: last},
                quiet_failure=retry_alone and first != last,
                assets=stage.assets(target),
                attempt=attempt(span),
            )
            if not done and not self.halted:
                self.forget(stage.lineage(target), sorted(self.refused or set()) or span)
            if (
                done
                or not retry_alone
                or first == last
                or self.halted  # not about a partition: halving would only repeat it
            ):
                return
            why = "; ".join(self.reasons) or "no reason recorded"
            named = sorted(self.refused or set())
            if named and set(named) <= set(span):
                # The partitions it names run alone next and say why then, once (the build's summary too).
                print(
                    f"{label}: failed on the input of {', '.join(named)}; running "
                    f"{'it' if len(named) == 1 else 'them'} alone and the rest apart",
                    flush=True,
                )
                for part in _apart(span, set(named)):
                    run(part)
                return
            print(
                f"{label}: failed ({why}); running its halves apart until the failing partitions run alone",
                flush=True,
            )
            run(span[: len(span) // 2])
            run(span[len(span) // 2 :])

        for first, last in digests.ranges(keys, all_keys):
            if self.halted:
                return
            run(all_keys[all_keys.index(first) : all_keys.index(last) + 1])


def _apart(span: list[str], refused: set[str]) -> list[list[str]]:
    """`span` cut into each refused partition alone and the ranges of the others between them, in order."""
    parts: list[list[str]] = []
    for key in span:
        if key in refused or not parts or parts[-1][-1] in refused:
            parts.append([key])
        else:
            parts[-1].append(key)
    return parts


def refused_partitions(result) -> set[str] | None:
    """The partitions a failed run's refusals name (defs/commit.py, `REFUSED`), or None unless every failed
    step named its own: the run may then have failed on any of its partitions."""
    named: set[str] = set()
    for event in result.all_events:
        if not (event.is_step_failure and event.step_failure_data):
            continue
        user = event.step_failure_data.user_failure_data
        found = user.metadata.get(REFUSED) if user is not None else None
        if found is None:
            return None
        named |= {k.strip() for k in str(found.value).split(",")}
    return named or None


def on_input(result) -> bool:
    """Whether a failed run failed on its input only (every failed step raised `dg.Failure`: a refused
    document, a blocking check, a market-data contract error): its partitions keep what they held and
    the tables stay consistent. Anything else (a full disk, a read-only table, a bug) is not."""
    failed = [e for e in result.all_events if e.is_step_failure and e.step_failure_data]
    return bool(failed) and all(e.step_failure_data.user_failure_data is not None for e in failed)


def run_stages(
    lake: Lake,
    settings: Settings,
    checked: checksums.Checked,
    verbose: bool = False,
    stop: StopSignals | None = None,
) -> Outcome:
    """Plan and run every stage on the locked lake (runner/build.py holds the lock and publishes).
    Runs left STARTED by a process that died are marked failed first. A run that fails on anything but
    its input halts the build: no later stage runs on what it left. `checked`: what `checksums.check`
    said of the locked lake (runner/build.py asks it once, before it plans)."""
    instance = instance_for(lake)
    collector.settle()  # the start-up is over (lib/collector.py)
    for run_id in attempts.mark_dead_runs_failed(instance):
        print(f"marked run {run_id} failed: its process died before it finished")
    runner = _Runner(instance, settings, verbose, stop, lake)
    try:
        with fewer_syncs(instance):  # the runs' events, on a local instance, without a disk sync each
            _build(lake, runner, checked)
    except Stopped as stopped:  # a run it created may not have started: none will, the next build may
        said = f"build stopped by {stopped.name} before the run finished"
        attempts.cancel_going(instance, {IN_BUILD: runner.build}, said)
        raise
    except Exception as err:
        if not disk_full(err):
            raise
        home = Path(os.environ["DAGSTER_HOME"])
        line = (
            f"{home}: the Dagster instance (DAGSTER_HOME) cannot record the runs: the disk holding it "
            f"({mount_point(home)}) is full; free space there, then build again"
        )
        return Outcome(runner.failures, runner.failed_checks, line)
    return Outcome(runner.failures, runner.failed_checks, runner.halted)


def disk_full(err: BaseException) -> bool:
    """Whether an error, or one it wraps (SQLAlchemy's `orig`, a cause), is a full disk."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if getattr(err, "errno", None) == errno.ENOSPC or "disk is full" in str(err).lower():
            return True
        err = getattr(err, "orig", None) or err.__cause__ or err.__context__
    return False


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding `path`."""
    path = path.resolve()
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def _build(lake: Lake, runner: _Runner, checked: checksums.Checked) -> None:
    """Plan and run every stage on the locked lake, in the order of the stage table: each stage plans
    on what the stages before it wrote."""
    for line in lake.lineage.changed_outside():
        print(line, flush=True)
    # Files changed since their commit (a stamp differs, then the bytes): their partitions are rebuilt.
    damage, unrecorded, _ = checked
    for line in checksums.forget(lake, damage):
        print(line, flush=True)
    if unrecorded:  # written before checksums were kept, or by `fetch`: recorded as found
        checksums.record(lake, unrecorded)
    for stage in STAGES:
        if runner.halted:
            return
        plan = stage.out_of_date(lake, runner.settings)
        line = stage.line(plan)
        if line is not None:
            print(line, flush=True)
        for target in stage.targets:
            todo, inputs = plan.todo[target], plan.inputs[target]
            if stage.partitions is None:
                attempt = attempts.key(target, inputs)
                done = not todo or runner.run(stage.job, target, assets=stage.assets(target), attempt=attempt)
                if not done and not runner.halted:
                    runner.forget(stage.lineage(target), [ALL])
                continue
            runner.ranges(stage, target, todo, busy(plan, target), inputs)
