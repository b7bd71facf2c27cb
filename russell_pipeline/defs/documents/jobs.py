"""The run over a range of reconstitution years: their documents and calendar."""

import dagster as dg

from russell_pipeline.defs.calendar.assets import recon_calendar
from russell_pipeline.defs.documents.assets import documents
from russell_pipeline.defs.partitions import recon_years
from russell_pipeline.planning.stages import DOCUMENTS

# The assets themselves, not their names: a table added to the documents multi-asset is in the job.
recon_year_job = dg.define_asset_job(
    DOCUMENTS.job,
    selection=dg.AssetSelection.assets(documents, recon_calendar),
    partitions_def=recon_years,
    description="Documents and calendar of a range of reconstitution years, in one run.",
)
