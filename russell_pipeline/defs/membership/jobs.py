"""The run that rebuilds the membership tables from every year's stored lists."""

import dagster as dg

membership_job = dg.define_asset_job(
    "membership_job",
    selection=dg.AssetSelection.assets(
        "membership_history",
        "membership_in_force",
        "membership_reconciliation",
        "membership_reconciliation_summary",
        "list_revisions",
        "securities",
        "ticker_changes",
        "holdings_reconciliation",
    ),
    description=(
        "Membership history, the members in force on each date, reconciliation (differences and summary) "
        "list revisions and the security master, from every year's stored documents."
    ),
)
