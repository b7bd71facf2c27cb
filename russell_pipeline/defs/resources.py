"""The Dagster resources: the lake, the market data and the fetch client, all built from one
`Settings` (settings.py) by `resources(settings)`; nothing here reads the environment."""


import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import polars as pl

from russell_pipeline.lake.store import Lake
from russell_pipeline.lib.calendar.sessions import last_completed_session
from russell_pipeline.lib.documents.limits import MB, Limits
from russell_pipeline.lib.market.synthetic import DEFAULT_STOCKS
from russell_pipeline.planning.stale import feed_fingerprint
from russell_pipeline.settings import (
    DEFAULT_CACHE,
    DEFAULT_LAKE,
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_RETENTION_HOURS,
    Settings,
)

PID_TAG, HOST_TAG = "russell/pid", "russell/host"
LIVE = (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.CANCELING)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_dead_runs_failed(instance: dg.DagsterInstance, own_run_id: str | None = None) -> list[str]:
    """Runs still STARTED whose process on this host has died (a SIGKILL, a power cut) are failed.

    Runs record their process in the `russell/pid` and `russell/host` tags when they start, so any
    run start (a build, a sensor or schedule run, a UI launch) cleans up after a killed one.
    """
    host, failed = socket.gethostname(), []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=list(LIVE))):
        pid = run.tags.get(PID_TAG)
        if run.run_id == own_run_id or run.tags.get(HOST_TAG) != host or not pid or _alive(int(pid)):
            continue
        instance.report_run_failed(run, f"run process {pid} on {host} died (killed?) while the run was "
                                        "STARTED; marked failed when the next run started")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)  # its lake_writer slot
        failed.append(run.run_id)
    return failed


class LakeResource(dg.ConfigurableResource):
    """The data lake (`RUSSELL_DATA_LAKE`, default `./data_lake`) and the bounds of the documents read from it."""

    root: str = DEFAULT_LAKE
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    retention_hours: int = DEFAULT_RETENTION_HOURS
    cache: str = str(DEFAULT_CACHE)
    max_pdf_mb: float = Limits().pdf_bytes / MB
    max_text_mb: float = Limits().text_chars / MB
    max_pages: int = Limits().pages

    def lake(self) -> Lake:
        return Lake(self.root, lock_timeout=self.lock_timeout, retention_hours=self.retention_hours,
                    cache=Path(self.cache))

    def limits(self) -> Limits:
        return Limits(pdf_bytes=round(self.max_pdf_mb * MB), text_chars=round(self.max_text_mb * MB),
                      pages=self.max_pages)

    @contextmanager
    def writing(self) -> Iterator[Lake]:
        """The lake with its writer lock held: what an asset reads and writes is one consistent step.
        Every commit of the step goes through this object, so each table is opened once until the
        step commits to it (`Lake.pinned`): a review backfill reads the market tables per review."""
        with self.lake().pinned() as store:
            yield store

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.dagster_run
        if run is None or context.instance is None:
            return
        context.instance.add_run_tags(run.run_id, {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()})
        for run_id in mark_dead_runs_failed(context.instance, run.run_id):
            context.log.warning(f"marked run {run_id} failed: its process died")


class MarketSource(dg.ConfigurableResource):
    """The market data: a folder (`RUSSELL_MARKET_DATA`), or empty for the built-in synthetic feed."""

    folder: str = ""
    # Last session the synthetic feed covers; empty means the last completed NYSE session.
    synthetic_end: str = ""
    max_stale_sessions: int = 10
    synthetic_stocks: int = DEFAULT_STOCKS
    # The time it is (ISO 8601 with its offset); empty for the system clock. Tests set it.
    now: str = ""

    def last_session(self) -> date:
        """The last NYSE session completed now: market rows dated later are refused."""
        return last_completed_session(datetime.fromisoformat(self.now) if self.now else datetime.now(UTC))

    def end_date(self) -> date:
        return date.fromisoformat(self.synthetic_end) if self.synthetic_end else self.last_session()

    def fingerprint(self, listed: pl.DataFrame) -> object:
        """What the market data would be made from now (planning/stale.py `feed_fingerprint`)."""
        return feed_fingerprint(self.folder, listed, self.synthetic_stocks, self.end_date)


class FetchSettings(dg.ConfigurableResource):
    """Where published documents are fetched from: the publishers, or a mirror (`RUSSELL_MIRROR`)
    serving `https://host/path` as `<mirror>/host/path`; `sources` replaces the packaged registry."""

    mirror: str = ""
    sources: str = ""
    timeout: float = 60.0
    max_pdf_bytes: int = Limits().pdf_bytes  # a body over this is refused while it streams (RUSSELL_MAX_PDF_MB)

    def client(self):
        from russell_pipeline.lib.fetch.download import Client

        return Client(mirror=self.mirror, timeout=self.timeout, max_bytes=self.max_pdf_bytes)

    def registry(self):
        from russell_pipeline.lib.fetch.registry import load_registry

        return load_registry(self.sources or None)


def resources(settings: Settings) -> dict:
    """The Dagster resources of `settings`: every asset, sensor and check reads them."""
    return {
        "lake": LakeResource(root=settings.data_lake, lock_timeout=settings.lock_timeout,
                             retention_hours=settings.retention_hours, cache=str(settings.lake_cache),
                             max_pdf_mb=settings.limits.pdf_bytes / MB, max_text_mb=settings.limits.text_chars / MB,
                             max_pages=settings.limits.pages),
        "market": MarketSource(folder=settings.market_data),
        "fetch": FetchSettings(mirror=settings.mirror, max_pdf_bytes=settings.limits.pdf_bytes),
    }
