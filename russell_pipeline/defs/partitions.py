"""The two partitionings of the project and how they map onto each other, declared once."""

import dagster as dg

from russell_pipeline.planning.keys import FIRST_DATED_REVIEW, FIRST_RECON_YEAR, REVIEWS_AHEAD, YEARS_AHEAD

# Reconstitution years: from FIRST_RECON_YEAR (1989, the first annual June reconstitution and the
# calendar rules' first year; years without documents hold only the projected calendar), to YEARS_AHEAD years
# past the current one (planning/keys.py lists the same keys without Dagster).
recon_years = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", start=str(FIRST_RECON_YEAR), fmt="%Y", end_offset=YEARS_AHEAD + 1
)

# Index reviews YYYY-03/06/09/12 from the first review the calendar dates (1989-03) to the upcoming
# one (planning/keys.py): static, so the time-window mappings below hold (docs/methodology.md §2.1).
# A review the market data holds no members for is a computed result: its partition holds 0 rows
# and says why. end_offset 1 is the window of the current quarter; each review further ahead adds one.
reviews = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 3,6,9,12 *", start=FIRST_DATED_REVIEW, fmt="%Y-%m", end_offset=1 + REVIEWS_AHEAD
)

# A review reads its dates from its year's calendar. By time window, a December review also
# overlaps January of the next year, so it maps to both years: a change to either recomputes it.
review_to_year = dg.TimeWindowPartitionMapping()
# A review period starts from the last row of the period before it ...
previous_review = dg.TimeWindowPartitionMapping(
    start_offset=-1, end_offset=-1, allow_nonexistent_upstream_partitions=True
)
# ... and ends where the next review's weights take over.
this_and_next_review = dg.TimeWindowPartitionMapping(
    start_offset=0, end_offset=1, allow_nonexistent_upstream_partitions=True
)
# A review's pro-forma trades from the previous review's weights and is checked against its own.
previous_and_this_review = dg.TimeWindowPartitionMapping(
    start_offset=-1, end_offset=0, allow_nonexistent_upstream_partitions=True
)

single_run = dg.BackfillPolicy.single_run()
# Every asset that writes the lake names, in its decorator, its group, this pool, this retry policy
# and its checks (`specs(CHECKS, partitions_def)`: partitioned like it, each evaluation of one
# partition, defs/commit.py); a partitioned one also backfills a range in one run (`single_run`).
# Steps that write the lake queue for this pool (limit 1 in dagster.yaml); the lake's own lock
# is the hard guarantee, the pool keeps runs from waiting on it inside a step.
LAKE_POOL = "lake_writer"
# A step retries only on what can pass (the lake lock held too long); bad input never retries.
LAKE_RETRY = dg.RetryPolicy(
    max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
