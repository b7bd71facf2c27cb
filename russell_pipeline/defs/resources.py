"""The one Dagster resource: `pipeline`, the build's `Settings` as a `ConfigurableResource`, and what
the assets derive from them (the lake, the document bounds, the market data's sessions, the fetch
client). `resources(settings)` builds it; nothing here reads the environment.

Its config fields are the fields of `Settings`, one for one (a test holds the two lists equal), in
the types Dagster's config takes: a path, a date or a time as text, the tracked assets as a map, the
bounds as a map. None has a default: the defaults are `Settings`'s, and the resource is always made
from a `Settings` (`Pipeline.from_settings`), so the UI shows the settings each run used."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import polars as pl

from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.documents.limits import Limits
from russell_pipeline.planning import attempts, stale
from russell_pipeline.settings import Settings


class Pipeline(dg.ConfigurableResource):
    """What every asset, sensor and check is handed (a parameter `pipeline: Pipeline`): the build's
    settings (`settings`) and what derives from them. As a run starts, it records the run's process
    and fails the runs whose process died (planning/attempts.py): any run start cleans up after a
    killed one."""

    data_lake: str
    data_lake_named: bool
    market_data: str
    mirror: str
    sec_contact: str
    lake_cache: str
    lock_timeout: float
    retention_hours: int
    tracked_assets: dict[str, float]
    limits: dict[str, int]
    synthetic_end: str | None
    synthetic_stocks: int
    now: str | None
    max_stale_sessions: int
    sources: str
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> "Pipeline":
        """The resource holding `settings`, each field in its config form (`settings` turns it back)."""
        s = settings
        return cls(
            **{f.name: getattr(s, f.name) for f in fields(Settings)}
            | {
                "lake_cache": str(s.lake_cache),
                "tracked_assets": dict(s.tracked_assets),
                "limits": asdict(s.limits),
                "synthetic_end": s.synthetic_end.isoformat() if s.synthetic_end else None,
                "now": s.now.isoformat() if s.now else None,
            }
        )

    @property
    def settings(self) -> Settings:
        """The `Settings` this resource was made from, equal to them."""
        return Settings(
            **{f.name: getattr(self, f.name) for f in fields(Settings)}
            | {
                "lake_cache": Path(self.lake_cache),
                "tracked_assets": tuple(self.tracked_assets.items()),
                "limits": Limits(**self.limits),
                "synthetic_end": date.fromisoformat(self.synthetic_end) if self.synthetic_end else None,
                "now": datetime.fromisoformat(self.now) if self.now else None,
            }
        )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.dagster_run
        if run is not None and context.instance is not None:
            for run_id in attempts.start_run(context.instance, run.run_id):
                context.log.warning(f"marked run {run_id} failed: its process died")

    def lake(self) -> Lake:
        return Lake.from_settings(self.settings)

    @contextmanager
    def writing(self) -> Iterator[Lake]:
        """The lake with its writer lock held: what an asset reads and writes is one consistent step.
        Every commit of the step goes through this object, so each table is opened once until the
        step commits to it (`Lake.tables.pinned`): a review backfill reads the market tables per review."""
        lake = self.lake()
        with lake.tables.pinned():
            yield lake

    def last_session(self) -> date:
        return stale.last_session(self.settings)

    def end_date(self) -> date:
        return stale.market_end(self.settings)

    def fingerprint(self, listed: pl.DataFrame) -> object:
        return stale.market_fingerprint(self.settings, listed)

    def client(self):
        from russell_pipeline.lib.fetch.download import Client

        s = self.settings
        return Client(mirror=s.mirror, timeout=s.timeout, max_bytes=s.limits.pdf_bytes)

    def registry(self):
        from russell_pipeline.lib.fetch.registry import load_registry

        return load_registry(self.settings.sources or None)


def resources(settings: Settings) -> dict:
    """The Dagster resources of `settings`: the `pipeline` every asset, sensor and check reads."""
    return {"pipeline": Pipeline.from_settings(settings)}
