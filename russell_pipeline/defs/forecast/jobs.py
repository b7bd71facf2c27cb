"""The run that forecasts the reconstitutions of a range of years (what `build` launches)."""

import dagster as dg

from russell_pipeline.defs.forecast.assets import reconstitution_forecast
from russell_pipeline.defs.partitions import recon_years
from russell_pipeline.planning.stages import FORECAST

forecast_job = dg.define_asset_job(
    FORECAST.job,
    selection=dg.AssetSelection.assets(reconstitution_forecast),  # every table of the multi-asset
    partitions_def=recon_years,
    description="The reconstitution forecast of a range of years, from each rank day's universe and the "
    "members in force, scored against the published lists where the lake holds them, and the trades it makes "
    "index funds do.",
)
