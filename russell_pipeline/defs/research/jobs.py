"""The run that rebuilds the reconstitution effect of a range of years (what `build` launches)."""

import dagster as dg

from russell_pipeline.defs.partitions import recon_years
from russell_pipeline.defs.research.assets import reconstitution_effect
from russell_pipeline.planning.stages import RESEARCH

research_job = dg.define_asset_job(
    RESEARCH.job,
    selection=dg.AssetSelection.assets(reconstitution_effect),  # every table of the multi-asset
    partitions_def=recon_years,
    description="Price paths and the reconstitution effect of a range of years, from the stored lists, "
    "calendar, index levels and prices.",
)
