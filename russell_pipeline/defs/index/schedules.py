"""Nightly market data after the US close, then the review periods it (or a new calendar) changed."""


import dagster as dg

from russell_pipeline.defs.partitions import reviews
from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.lib import lineage
from russell_pipeline.planning import stale_reviews

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"

index_job = dg.define_asset_job(
    "index_job",
    selection=dg.AssetSelection.assets("market_data", "quarterly_weights", "index_levels"),
    partitions_def=reviews,
    description="Market data, then weights and levels for a range of reviews, in one run.",
)
market_job = dg.define_asset_job(
    "market_job", selection=dg.AssetSelection.assets("market_data"),
    description="Refresh the market data (the synthetic feed extends to the last completed session).",
)
reviews_job = dg.define_asset_job(
    "reviews_job",
    selection=dg.AssetSelection.assets("quarterly_weights", "index_levels"),
    partitions_def=reviews,
    description="Weights and levels of a range of reviews, from the stored calendar and market data.",
)


@dg.schedule(
    cron_schedule="30 18 * * 1-5",
    execution_timezone="America/New_York",
    job=market_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def nightly_market(context: dg.ScheduleEvaluationContext):
    """After the close: new market data; `stale_reviews` then recomputes the periods it reaches."""
    return dg.RunRequest(run_key=f"nightly-{context.scheduled_execution_time:%Y-%m-%d}")


def review_runs(store) -> list[tuple[str, str, str, str]]:
    """(asset, first, last, digest) of each run of consecutive reviews whose weights or levels are out of date."""
    keys = reviews.get_partition_keys()
    return [(asset, a, b, lineage.digest(asset, a, b, stale))
            for asset, stale in stale_reviews(store).items() for a, b in lineage.ranges(stale, keys)]


@dg.sensor(name="stale_reviews", job=reviews_job, minimum_interval_seconds=60,
           default_status=dg.DefaultSensorStatus.RUNNING)
def stale_reviews_sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
    """Weights and levels whose inputs changed (new market data, a new published calendar, new code).

    Weights first: a levels run started before the weights it needs are written would record the
    old inputs and be asked for again on the next tick.
    """
    runs = review_runs(lake.lake())
    if not runs:
        return dg.SkipReason("every review's weights and levels are up to date")
    weights = [r for r in runs if r[0] == "quarterly_weights"]
    return [dg.RunRequest(run_key=f"{asset}:{a}:{b}:{d}", tags={RANGE_START: a, RANGE_END: b},
                          asset_selection=[dg.AssetKey(asset)]) for asset, a, b, d in (weights or runs)]
