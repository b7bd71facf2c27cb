"""Freshness: after the nightly run is due, a missed night shows red in the UI."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.lib.sessions import previous_session

NEW_YORK = ZoneInfo("America/New_York")
DEADLINE_CRON = "0 20 * * 1-5"  # the nightly run starts 18:30 New York time; due by 20:00
DEADLINE = time(20, 0)

def expected_last_session(now: datetime) -> date:
    """The last NYSE session whose close the index must show at `now`: today's once the deadline passed."""
    local = now.astimezone(NEW_YORK)
    day = local.date() if local.time() >= DEADLINE else local.date() - timedelta(days=1)
    return previous_session(day)


def _current(latest: date | None, what: str) -> dg.AssetCheckResult:
    want = expected_last_session(datetime.now(NEW_YORK))
    return dg.AssetCheckResult(passed=latest is not None and latest >= want,
                               metadata={what: str(latest), "expected_session": str(want)})


@dg.asset_check(asset="market_data", description="The market data reaches the last NYSE session closed before "
                "the 20:00 New York deadline (weekends and holidays need no new day).")
def market_current(lake: LakeResource) -> dg.AssetCheckResult:
    source = lake.lake().read("market_source")
    return _current(source["last_price_date"].max() if source is not None else None, "last_price_date")


@dg.asset_check(asset="index_levels", description="The series reaches the last NYSE session closed before the "
                "20:00 New York deadline (weekends and holidays need no new row).")
def levels_current(lake: LakeResource) -> dg.AssetCheckResult:
    levels = lake.lake().scan("index_levels")
    return _current(levels.select("date").max().collect().item() if levels is not None else None,
                    "latest_level_date")


freshness_job = dg.define_asset_job(
    "freshness_job", selection=dg.AssetSelection.checks(market_current, levels_current),
    description="The freshness checks of market_data and index_levels.",
)


@dg.schedule(cron_schedule=DEADLINE_CRON, execution_timezone="America/New_York", job=freshness_job,
             default_status=dg.DefaultScheduleStatus.RUNNING)
def freshness(context: dg.ScheduleEvaluationContext):
    return dg.RunRequest(run_key=f"freshness-{context.scheduled_execution_time:%Y-%m-%d}")
