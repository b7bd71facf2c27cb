"""Jobs over the index assets, and the freshness schedule of the series and its market data."""

import dagster as dg

from russell_pipeline.defs.partitions import reviews
from russell_pipeline.planning.stages import REVIEWS_JOB

index_job = dg.define_asset_job(
    "index_job",
    selection=dg.AssetSelection.assets("market_data", "quarterly_weights", "index_levels"),
    partitions_def=reviews,
    description="Market data, then weights and levels for a range of reviews, in one run.",
)
reviews_job = dg.define_asset_job(
    REVIEWS_JOB,
    selection=dg.AssetSelection.assets("quarterly_weights", "index_levels", "pro_forma_weights"),
    partitions_def=reviews,
    description="Weights, levels and pro-forma weights of a range of reviews, from the stored calendar and "
    "market data.",
)
freshness_job = dg.define_asset_job(
    "freshness_job",
    selection=dg.AssetSelection.checks(
        dg.AssetCheckKey(dg.AssetKey("market_data"), "market_current"),
        dg.AssetCheckKey(dg.AssetKey("index_levels"), "levels_current"),
    ),
    description="The freshness checks of market_data and index_levels.",
)


@dg.schedule(
    cron_schedule="0 20 * * 1-5",
    execution_timezone="America/New_York",
    job=freshness_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def freshness(context: dg.ScheduleEvaluationContext):
    """At the 20:00 New York deadline: are the market data and the series current?"""
    return dg.RunRequest(run_key=f"freshness-{context.scheduled_execution_time:%Y-%m-%d}")
