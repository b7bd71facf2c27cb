"""Project-wide resources: where the lake is, and where market data comes from."""


import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from russell_pipeline.lib.sessions import previous_session
from russell_pipeline.storage import Lake


class LakeResource(dg.ConfigurableResource):
    """The data lake folder (`RUSSELL_DATA_LAKE`, default `./data_lake`)."""

    root: str = "data_lake"

    def lake(self) -> Lake:
        return Lake(self.root)


class MarketSource(dg.ConfigurableResource):
    """`RUSSELL_MARKET_DATA` folder, or empty for the built-in synthetic feed."""

    folder: str = ""
    # Last session the synthetic feed covers; empty means the last completed NYSE session.
    synthetic_end: str = ""
    max_stale_sessions: int = 10
    synthetic_stocks: int = 3000

    def end_date(self) -> date:
        if self.synthetic_end:
            return date.fromisoformat(self.synthetic_end)
        now = datetime.now(ZoneInfo("America/New_York"))
        # A session counts once the US close (16:00 New York) has passed.
        today = now.date() if now.hour >= 17 else date.fromordinal(now.date().toordinal() - 1)
        return previous_session(today)


class FetchSettings(dg.ConfigurableResource):
    """Where published documents are fetched from: the publishers, or a mirror (`RUSSELL_MIRROR`)
    serving `https://host/path` as `<mirror>/host/path`; `sources` replaces the packaged registry."""

    mirror: str = ""
    sources: str = ""
    timeout: float = 60.0

    def client(self):
        from russell_pipeline.lib.download import Client

        return Client(mirror=self.mirror, timeout=self.timeout)

    def registry(self):
        from russell_pipeline.lib.sources import load_registry

        return load_registry(self.sources or None)


def _env(name: str, default: str) -> str | dg.EnvVar:
    return dg.EnvVar(name) if os.environ.get(name) else default


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "lake": LakeResource(root=_env("RUSSELL_DATA_LAKE", "data_lake")),
            "market": MarketSource(folder=_env("RUSSELL_MARKET_DATA", "")),
            "fetch": FetchSettings(mirror=_env("RUSSELL_MIRROR", "")),
        }
    )
