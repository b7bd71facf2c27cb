"""The two partitionings of the project, declared once."""

import dagster as dg

# Reconstitution years; four years ahead so the calendar shows projected future years.
recon_years = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", start="2016", fmt="%Y", end_offset=5
)

# Index reviews YYYY-03/06/09/12; the window of the current quarter is included.
reviews = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 3,6,9,12 *", start="2016-03", fmt="%Y-%m", end_offset=1
)

single_run = dg.BackfillPolicy.single_run()

