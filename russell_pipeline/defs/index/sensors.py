"""Recompute the weights and levels whose inputs changed (new market data, a new calendar, new code)."""

import dagster as dg

from russell_pipeline.defs.index.jobs import reviews_job
from russell_pipeline.defs.partitions import RANGE_END, RANGE_START, reviews
from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.planning import digests
from russell_pipeline.planning.stale import stale_reviews


def review_runs(store) -> list[tuple[str, str, str, str]]:
    """(asset, first, last, digest) of each run of consecutive reviews whose weights or levels are out of date."""
    keys = reviews.get_partition_keys()
    return [(asset, a, b, digests.digest(asset, a, b, stale))
            for asset, stale in stale_reviews(store).items() for a, b in digests.ranges(stale, keys)]


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
