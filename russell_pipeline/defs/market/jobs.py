"""The nightly market-data run after the US close."""

import dagster as dg

from russell_pipeline.planning.stages import MARKET

market_job = dg.define_asset_job(
    MARKET.job,
    selection=dg.AssetSelection.assets("market_data"),
    description="Refresh the market data (the synthetic feed extends to the last completed session).",
)


@dg.schedule(
    cron_schedule="30 18 * * 1-5",
    execution_timezone="America/New_York",
    job=market_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def nightly_market(context: dg.ScheduleEvaluationContext):
    """After the close: new market data; the `stale_reviews` sensor then recomputes the periods it reaches."""
    return dg.RunRequest(run_key=f"nightly-{context.scheduled_execution_time:%Y-%m-%d}")
