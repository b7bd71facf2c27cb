"""Nightly run after the US close: market data, and the review periods that are new or missing."""


import dagster as dg

from russell_pipeline.defs.partitions import reviews

index_job = dg.define_asset_job(
    "index_job",
    selection=dg.AssetSelection.assets("market_data", "quarterly_weights", "index_levels"),
    partitions_def=reviews,
    description="Market data, then weights and levels for a range of reviews, in one run.",
)


def nightly_range(keys: list[str], materialized: set[str]) -> tuple[str, str] | None:
    """First and last review to recompute: the period in force, the coming one, and any gap.

    The period in force is recomputed from its stored start state, so the cost of a night
    does not grow with history; missing earlier periods are filled in the same run.
    """
    if not keys:
        return None
    recent = keys[-2:]
    missing = [k for k in keys if k not in materialized]
    return min(missing + recent), keys[-1]


@dg.schedule(
    cron_schedule="30 18 * * 1-5",
    execution_timezone="America/New_York",
    job=index_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def nightly_index(context: dg.ScheduleEvaluationContext):
    keys = reviews.get_partition_keys(current_time=context.scheduled_execution_time)
    done = context.instance.get_materialized_partitions(dg.AssetKey("index_levels"))
    span = nightly_range(keys, set(done))
    if span is None:
        return dg.SkipReason("no review partitions yet")
    start, end = span
    return dg.RunRequest(
        run_key=f"nightly-{context.scheduled_execution_time:%Y-%m-%d}",
        tags={"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end},
    )
