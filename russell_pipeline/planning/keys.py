"""The partition keys of the two partitionings, without Dagster: what `build` plans over.

defs/partitions.py declares the same partitionings to Dagster from these constants, and a test
checks that Dagster's keys are these at many moments, so `build` can decide that nothing is out of
date before it imports Dagster (runner/build.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from russell_pipeline.lib.calendar.projection import FIRST_DATED_REVIEW

# Reconstitution years: from 1989, the first annual June reconstitution and the first year of the
# calendar rules (lib/calendar/projection.py FIRST_YEAR; a test holds the two equal) ...
FIRST_RECON_YEAR = 1989
# ... to this many years past the current one, so the calendar shows projected future years.
YEARS_AHEAD = 4


def year_keys(now: datetime | None = None) -> list[str]:
    """ "1989" .. the current year (UTC) + YEARS_AHEAD."""
    now = now or datetime.now(UTC)
    return [str(y) for y in range(FIRST_RECON_YEAR, now.year + YEARS_AHEAD + 1)]


# Reviews: from the first the calendar dates (1989-03: which reviews hold members is the market
# data's to say, so every review it may hold is a partition) to the upcoming one, the review after
# the one whose quarter holds now, so its pro-forma trade list is there before its cut-off.
REVIEWS_AHEAD = 1
# The tags of a run over a range of partitions (what `build` and the sensors ask for).
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def review_keys(now: datetime | None = None) -> list[str]:
    """ "YYYY-MM" of every review from FIRST_DATED_REVIEW to the one REVIEWS_AHEAD after the one whose
    quarter holds now (UTC): on 2026-11-25, 1989-03 .. 2026-12."""
    now = now or datetime.now(UTC)
    year, month = int(FIRST_DATED_REVIEW[:4]), int(FIRST_DATED_REVIEW[5:])
    # As year * 12 + month: the review whose quarter holds now (January and February: the December
    # before, month 0 of this year), then REVIEWS_AHEAD more.
    last = now.year * 12 + now.month // 3 * 3 + 3 * REVIEWS_AHEAD
    out = []
    while year * 12 + month <= last:
        out.append(f"{year}-{month:02d}")
        year, month = (year + 1, 3) if month == 12 else (year, month + 3)
    return out
