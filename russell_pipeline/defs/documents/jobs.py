"""The run over a range of reconstitution years: their documents and calendar."""

import dagster as dg

from russell_pipeline.defs.partitions import recon_years

recon_year_job = dg.define_asset_job(
    "recon_year_job",
    selection=dg.AssetSelection.assets(
        "source_documents",
        "constituents",
        "constituent_changes",
        "universe_securities",
        "sec_tickers",
        "fund_holdings",
        "recon_calendar",
    ),
    partitions_def=recon_years,
    description="Documents and calendar of a range of reconstitution years, in one run.",
)
