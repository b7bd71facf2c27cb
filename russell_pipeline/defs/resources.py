"""The one Dagster resource: `pipeline`, the build's `Settings` and what the assets derive from them
(the lake, the document bounds, the market data's sessions, the fetch client). `resources(settings)`
builds it; nothing here reads the environment."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import dagster as dg
import polars as pl

from russell_pipeline.lake.store import Lake
from russell_pipeline.lib.documents.limits import Limits
from russell_pipeline.planning import attempts, stale
from russell_pipeline.settings import Settings


@dataclass(frozen=True)
class Pipeline:
    """What every asset, sensor and check is handed (typed `dg.ResourceParam[Pipeline]`)."""

    settings: Settings

    def lake(self) -> Lake:
        return Lake.from_settings(self.settings)

    @contextmanager
    def writing(self) -> Iterator[Lake]:
        """The lake with its writer lock held: what an asset reads and writes is one consistent step.
        Every commit of the step goes through this object, so each table is opened once until the
        step commits to it (`Lake.pinned`): a review backfill reads the market tables per review."""
        with self.lake().pinned() as lake:
            yield lake

    def limits(self) -> Limits:
        return self.settings.limits

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

    @dg.resource(description="The build's settings: the lake, the market data and the fetch client.")
    def pipeline(context: dg.InitResourceContext) -> Pipeline:
        """As a run starts, it records its process and fails the runs whose process died
        (planning/attempts.py): any run start cleans up after a killed one."""
        run = context.dagster_run
        if run is not None and context.instance is not None:
            for run_id in attempts.start_run(context.instance, run.run_id):
                context.log.warning(f"marked run {run_id} failed: its process died")
        return Pipeline(settings)

    return {"pipeline": pipeline}
