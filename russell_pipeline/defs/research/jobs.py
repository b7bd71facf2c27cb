"""The run that rebuilds the reconstitution effect of a range of years (what `build` launches)."""

import dagster as dg

from russell_pipeline.defs.partitions import recon_years

research_job = dg.define_asset_job(
    "research_job",
    selection=dg.AssetSelection.assets("reconstitution_paths", "reconstitution_effect"),
    partitions_def=recon_years,
    description="Price paths and the reconstitution effect of a range of years, from the stored lists, "
    "calendar, index levels and prices.",
)
