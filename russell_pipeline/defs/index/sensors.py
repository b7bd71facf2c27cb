"""Recompute the weights, levels and pro-forma weights whose inputs changed (new market data, a new calendar,
new code)."""

import dagster as dg

from russell_pipeline.defs.index.jobs import reviews_job
from russell_pipeline.defs.partitions import reviews
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.planning import attempts, digests
from russell_pipeline.planning.keys import RANGE_END, RANGE_START
from russell_pipeline.planning.stale import review_digests


def review_runs(lake) -> list[tuple[str, str, str, str]]:
    """(asset, first, last, attempt) of each run of consecutive reviews whose weights or levels are out of
    date; the attempt (planning/attempts.py) is the one `build` gives the same run."""
    keys = reviews.get_partition_keys()
    expected = review_digests(lake)
    out = []
    for asset, now in expected.items():
        stale = digests.out_of_date(now, lake.lineage.digests(asset))
        for a, b in digests.ranges(stale, keys):
            span = keys[keys.index(a) : keys.index(b) + 1]
            out.append((asset, a, b, attempts.key(asset, {k: now[k] for k in span})))
    return out


@dg.sensor(
    name="stale_reviews",
    job=reviews_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def stale_reviews_sensor(context: dg.SensorEvaluationContext, pipeline: Pipeline):
    """Weights, levels and pro-forma weights whose inputs changed (new market data, a new published calendar,
    new code).

    Weights first: a levels run started before the weights it needs are written would record the
    old inputs and be asked for again on the next tick. A run whose inputs already failed (in a run
    of this sensor or of `build`), or whose run is still going, is not asked for again until they change.
    """
    runs = review_runs(pipeline.lake())
    if not runs:
        return dg.SkipReason("every review's weights, levels and pro-forma weights are up to date")
    weights = [r for r in runs if r[0] == "quarterly_weights"]
    requests, held = [], []
    for asset, a, b, attempt in weights or runs:
        before = attempts.previous(context.instance, attempt)
        if before is not None:
            held.append(f"{asset} {a}..{b}: {before.line()}")
            continue
        requests.append(
            dg.RunRequest(
                run_key=f"{asset}:{a}:{b}:{attempt}",
                asset_selection=[dg.AssetKey(asset)],
                tags={RANGE_START: a, RANGE_END: b, **attempts.tags(attempt)},
            )
        )
    return requests or dg.SkipReason("; ".join(held))
