"""Freshness of the market data: after the nightly run is due, a missed night shows red in the UI."""

from datetime import date, datetime

import dagster as dg

from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lib.sessions import NEW_YORK, expected_last_session


def current(latest: date | None, what: str) -> dg.AssetCheckResult:
    """Passes when `latest` reaches the last session closed before the 20:00 New York deadline; warn
    level: data that stop short are late, not wrong."""
    want = expected_last_session(datetime.now(NEW_YORK))
    return dg.AssetCheckResult(
        passed=latest is not None and latest >= want,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={what: str(latest), "expected_session": str(want)},
    )


@dg.asset_check(
    asset="market_data",
    description="The market data reaches the last NYSE session closed before "
    "the 20:00 New York deadline (weekends and holidays need no new day). (WARN)",
)
def market_current(pipeline: Pipeline) -> dg.AssetCheckResult:
    source = pipeline.lake().tables.read("market_source")
    return current(source["last_price_date"].max() if source is not None else None, "last_price_date")
