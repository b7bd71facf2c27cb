"""The run that rebuilds the membership tables from every year's stored lists."""

import dagster as dg

from russell_pipeline.defs.membership.assets import membership
from russell_pipeline.planning.stages import MEMBERSHIP

membership_job = dg.define_asset_job(
    MEMBERSHIP.job,
    selection=dg.AssetSelection.assets(membership),  # every table of the multi-asset
    description=(
        "Membership history, the members in force on each date, reconciliation (differences and summary) "
        "list revisions and the security master, from every year's stored documents."
    ),
)
