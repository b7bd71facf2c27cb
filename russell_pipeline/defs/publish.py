"""Publishing the warehouse after runs that are not part of a `build`.

A table-writing step does not publish (defs/commit.py): readers keep the previous snapshot until
every run is done. `build` publishes at its end; runs launched from the UI, a sensor or a schedule
are published by this sensor at the first tick when no run is going and no writer holds the lake,
so a reader sees all tables as those runs left them, or all as they were before.
"""

import dagster as dg

from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lib.errors import LakeError
from russell_pipeline.planning.attempts import GOING


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def publish_warehouse(context: dg.SensorEvaluationContext, pipeline: Pipeline):
    """A new warehouse.duckdb over every table's current version, once no run is going."""
    going = context.instance.get_runs_count(filters=dg.RunsFilter(statuses=list(GOING)))
    if going:
        return dg.SkipReason(f"{going} run(s) going: the warehouse keeps the snapshot before them")
    try:
        published = pipeline.lake().warehouse.publish(timeout=0)
    except LakeError as err:  # a build (or a run's step) holds the lake: it publishes, or the next tick does
        return dg.SkipReason(str(err))
    return dg.SkipReason(
        "published a new warehouse" if published else "the warehouse shows every table's version"
    )
