"""Freshness: after the nightly run is due, a missed night shows red in the UI."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.lib.sessions import previous_session

NEW_YORK = ZoneInfo("America/New_York")
DEADLINE_CRON = "0 20 * * 1-5"  # the nightly run starts 18:30 New York time; due by 20:00
DEADLINE = time(20, 0)

market_fresh = dg.build_last_update_freshness_checks(
    assets=["market_data"], deadline_cron=DEADLINE_CRON, lower_bound_delta=timedelta(hours=2),
    timezone="America/New_York",
)


def expected_last_session(now: datetime) -> datetime.date:
    """The last NYSE session whose close the index must show at `now`: today's once the deadline passed."""
    local = now.astimezone(NEW_YORK)
    day = local.date() if local.time() >= DEADLINE else local.date() - timedelta(days=1)
    return previous_session(day)


@dg.asset_check(asset="index_levels", description="The series reaches the last NYSE session closed before the "
                "20:00 New York deadline (holidays and weekends need no new row).")
def levels_current(lake: LakeResource) -> dg.AssetCheckResult:
    levels = lake.lake().scan("index_levels")
    latest = levels.select("date").max().collect().item() if levels is not None else None
    want = expected_last_session(datetime.now(NEW_YORK))
    return dg.AssetCheckResult(passed=latest is not None and latest >= want,
                               metadata={"latest_level_date": str(latest), "expected_session": str(want)})


freshness_job = dg.define_asset_job(
    "freshness_job", selection=dg.AssetSelection.checks(*market_fresh, levels_current),
    description="The freshness checks of market_data and index_levels.",
)


@dg.schedule(cron_schedule=DEADLINE_CRON, execution_timezone="America/New_York", job=freshness_job,
             default_status=dg.DefaultScheduleStatus.RUNNING)
def freshness(context: dg.ScheduleEvaluationContext):
    return dg.RunRequest(run_key=f"freshness-{context.scheduled_execution_time:%Y-%m-%d}")
