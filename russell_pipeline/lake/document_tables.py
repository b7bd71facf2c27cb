"""The documents' tables: each year's fetched documents, the ingested lists, the reviews' dates.

The synthetic feed borrows its tickers from those lists (lib/market/synthetic.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import polars as pl

from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.staged import Staged, write_and_publish
from russell_pipeline.lib.calendar.reviews import rebalance_dates
from russell_pipeline.lib.market.synthetic import FIRST_MEMBERS, LISTED_SCHEMA

if TYPE_CHECKING:  # the fetch modules load for `fetch` only (`fetch_years`)
    from russell_pipeline.lib.fetch.download import Client
    from russell_pipeline.lib.fetch.fetcher import Outcome
    from russell_pipeline.lib.fetch.registry import Published


def ingested_lists(lake: Lake) -> pl.DataFrame:
    """recon_year, index_name, symbol of the ingested lists of the years the synthetic feed's memberships
    cover (from the year of its first review with members): the synthetic feed names its stocks after the
    small- and micro-cap ones (lib/market/synthetic.py `borrowed_tickers`). Lists of earlier years are not
    read, so adding them changes neither the feed nor its input digest (nor the reviews)."""
    frames = [pl.DataFrame(schema=LISTED_SCHEMA)]
    for table in ("constituents", "constituent_changes"):
        scan = lake.tables.scan(table)
        if scan is not None:
            frames.append(
                scan.filter(pl.col("recon_year") >= int(FIRST_MEMBERS[:4]))
                .select(list(LISTED_SCHEMA))
                .collect()
            )
    return pl.concat(frames)


def fetch_years(
    lake: Lake,
    years: list[int],
    registry: list[Published],
    client: Client,
    report: Callable[[Outcome], None] = lambda _: None,
) -> list[Outcome]:
    """Every registry document of `years` into the lake's raw/, then the years' `fetch_manifest`
    partitions rewritten (lib/fetch/fetcher.py decides what is fetched and what stays)."""
    from russell_pipeline.lib.fetch.fetcher import MANIFEST, fetch_all

    outcomes, manifest = fetch_all(
        lake.raw, years, registry, client, lake.tables.read(MANIFEST, "recon_year", years), report
    )
    lake.push_raw()  # an object-store lake gets the new files too (a folder lake has them already)
    write_and_publish(lake, Staged(MANIFEST, manifest, "recon_year", years))
    return outcomes


def stored_review_dates(lake: Lake, keys: list[str]) -> pl.DataFrame:
    """review, cutoff_date, effective_date from the stored calendar years of the reviews `keys`."""
    calendar = lake.tables.read("recon_calendar", "recon_year", sorted({int(k[:4]) for k in keys}))
    return rebalance_dates(calendar) if calendar is not None else pl.DataFrame(schema={"review": pl.String})
