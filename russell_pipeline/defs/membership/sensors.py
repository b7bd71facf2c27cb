"""Rebuild the membership tables when the lists or review dates they read change."""

import dagster as dg

from russell_pipeline.defs.membership.jobs import membership_job
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.planning import attempts
from russell_pipeline.planning.stale import membership_attempt, membership_inputs, membership_stale


@dg.sensor(job=membership_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def stale_membership(context: dg.SensorEvaluationContext, pipeline: Pipeline):
    """One run when the stored lists or review dates differ from what the tables were built from,
    unless a run of the same inputs failed (this sensor's or `build`'s) or is still going."""
    lake = pipeline.lake()
    if not membership_stale(lake):
        return dg.SkipReason("the membership tables are up to date with the stored lists and calendar")
    attempt = membership_attempt(lake)
    before = attempts.previous(context.instance, attempt)
    if before is not None:
        return dg.SkipReason(f"membership: {before.line()}")
    return dg.RunRequest(run_key=f"membership:{membership_inputs(lake)[1]}", tags=attempts.tags(attempt))
