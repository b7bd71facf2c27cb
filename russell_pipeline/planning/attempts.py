"""What was attempted with which inputs: the one record `build` and the sensors share.

Every run `build` or a sensor launches carries the tag `russell/inputs`: a digest of what it
targets (a job, or one asset) and of each of its partitions' input digests (planning/digests.py,
which include the code version). The Dagster instance keeps the runs, so this record is the one
`build` (in its process) and the sensors (in the daemon, next to the UI) both read: a run of the
same inputs that failed on them (a step failing with a `dg.Failure`: a bad document, a blocking
check) is not launched again by either until the inputs or the code change, which changes the
digest. A run that is still going is not launched twice. A run that died (its process killed: no
step failure) or was canceled says nothing about its inputs: those are launched again.

Every run also records its process as it starts (`russell/pid`, `russell/host`), so the next run
start (a build, a sensor or schedule run, a UI launch) marks a run whose process died as failed. A
build's runs carry its process from their creation (`creator`): one the build created and never
started (stopped or killed in between) would otherwise stay NOT_STARTED, a run "still going" that
keeps its inputs from ever being launched again; the build that is stopped cancels its own
(`cancel_going`), and the next one fails those of a build that was killed.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from russell_pipeline.lib.sandbox import running
from russell_pipeline.planning import digests

INPUTS_TAG = "russell/inputs"
PID_TAG, HOST_TAG = "russell/pid", "russell/host"
_CLASS = re.compile(r"^(?:(?:[a-z_]\w*\.)+[A-Z]\w*|\w*(?:Error|Exception|Failure)): ")
GOING = (
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
)
LIVE = (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.CANCELING)
# What a run whose process died may be left in: live, or created and not started (a build's own runs).
UNFINISHED = (dg.DagsterRunStatus.NOT_STARTED, *LIVE)


def key(target: str, inputs: Mapping[str, str]) -> str:
    """The attempt of `target` (a job or an asset) over partitions with these input digests."""
    return digests.digest("attempt", target, sorted(inputs.items()))


def tags(attempt: str) -> dict[str, str]:
    return {INPUTS_TAG: attempt}


def failure_line(event: dg.DagsterEvent) -> str:
    """A failed step's one-line reason: the innermost cause of Dagster's wrapped error."""
    error = event.step_failure_data.error
    while error.cause is not None:
        error = error.cause
    text = " ".join(error.message.split())
    # The message without the exception's class ("russell_pipeline.lake.lake_root.LakeError: ...",
    # "russell_pipeline.defs.commit.Refusal: ...").
    return f"{event.step_key}: {_CLASS.sub('', text)}"


@dataclass(frozen=True)
class Previous:
    """The latest run of an attempt that stands in the way of launching it again."""

    run_id: str
    going: bool
    reasons: tuple[str, ...] = ()

    def line(self) -> str:
        if self.going:
            return f"not launched: run {self.run_id} with the same inputs is still going"
        return (
            f"not run: failed with the same inputs in run {self.run_id} (it runs again when its inputs "
            f"or code change): {'; '.join(self.reasons)}"
        )


def previous(instance: dg.DagsterInstance, attempt: str) -> Previous | None:
    """The latest run of `attempt` if it is going or failed on its inputs; None when it may be launched."""
    for run in instance.get_runs(filters=dg.RunsFilter(tags=tags(attempt)), limit=1):
        if run.status in GOING:
            return Previous(run.run_id, going=True)
        if run.status == dg.DagsterRunStatus.FAILURE:
            reasons = _input_failures(instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE))
            if reasons:
                return Previous(run.run_id, going=False, reasons=tuple(reasons))
    return None


def _input_failures(records: Sequence) -> list[str]:
    """The steps that failed on their inputs (a `dg.Failure`): not a crash, a bug or a lock timeout."""
    return [
        failure_line(r.dagster_event)
        for r in records
        if r.dagster_event is not None
        and r.dagster_event.step_failure_data is not None
        and r.dagster_event.step_failure_data.user_failure_data is not None
    ]


def recorded(lake_root: Path) -> dg.DagsterInstance | None:
    """The instance `build` records its runs in (DAGSTER_HOME, else the lake's `.dagster`), opened to
    read; None when there is none yet."""
    home = Path(os.environ.get("DAGSTER_HOME") or lake_root / ".dagster")
    return dg.DagsterInstance.from_config(str(home)) if (home / "dagster.yaml").is_file() else None


def creator() -> dict[str, str]:
    """The tags naming this process on a run: set as it starts (`start_run`), and by a build as it
    creates one (runner/runs.py)."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def mark_dead_runs_failed(instance: dg.DagsterInstance, own_run_id: str | None = None) -> list[str]:
    """Runs still going (STARTED, or created by a build and NOT_STARTED) whose process on this host has
    died (a SIGKILL, a power cut) are failed."""
    host, failed = socket.gethostname(), []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=list(UNFINISHED))):
        pid = run.tags.get(PID_TAG)
        if run.run_id == own_run_id or run.tags.get(HOST_TAG) != host or not pid or running(int(pid)):
            continue
        instance.report_run_failed(
            run,
            f"run process {pid} on {host} died (killed?) while the run was "
            f"{run.status.value}; marked failed when the next run started",
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)  # its lake_writer slot
        failed.append(run.run_id)
    return failed


def cancel_going(instance: dg.DagsterInstance, tags: dict[str, str], why: str) -> list[str]:
    """The runs carrying `tags` that are still going (created and never started, or started), canceled
    with `why`: what a build that stops does with its own before it exits (none of them will finish)."""
    canceled = []
    for run in instance.get_runs(filters=dg.RunsFilter(tags=tags, statuses=list(GOING))):
        instance.report_run_canceled(run, why)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        canceled.append(run.run_id)
    return canceled


def start_run(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Record this process on run `run_id` as it starts, and fail the runs whose process died."""
    instance.add_run_tags(run_id, creator())
    return mark_dead_runs_failed(instance, run_id)
