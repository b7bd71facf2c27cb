"""The run that forecasts the reconstitutions of a range of years (what `build` launches)."""

import dagster as dg

from russell_pipeline.defs.partitions import recon_years

forecast_job = dg.define_asset_job(
    "forecast_job",
    selection=dg.AssetSelection.assets(
        "reconstitution_forecast",
        "forecast_breaks",
        "forecast_score",
        "forecast_misses",
        "reconstitution_demand",
    ),
    partitions_def=recon_years,
    description="The reconstitution forecast of a range of years, from each rank day's universe and the "
    "members in force, scored against the published lists where the lake holds them, and the trades it makes "
    "index funds do.",
)
