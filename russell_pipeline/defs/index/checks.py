"""Freshness of the index series: after the nightly run is due, a missed night shows red in the UI."""

import dagster as dg

from russell_pipeline.defs.market.checks import current
from russell_pipeline.defs.resources import Pipeline


@dg.asset_check(
    asset="index_levels",
    description="The series reaches the last NYSE session closed before the "
    "20:00 New York deadline (weekends and holidays need no new row). (WARN)",
)
def levels_current(pipeline: Pipeline) -> dg.AssetCheckResult:
    levels = pipeline.lake().tables.scan("index_levels")
    return current(
        levels.select("date").max().collect().item() if levels is not None else None, "latest_level_date"
    )
