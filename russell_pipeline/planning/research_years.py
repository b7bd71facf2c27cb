"""What each year of `reconstitution_effect` reads, and which years are out of date.

A year's paths read its annual reconstitution's final addition and deletion lists, its rank day and
recon_close (and so its session window), the closes of the listed symbols and the index's levels
over the window, and the labels of where those prices come from. Its digest is made of those without
hashing the prices: an imported price file (`research_prices`) by its data files (each import writes
new ones), the market data by the
running digest of its dated rows up to the window's last session (`market_days`, written with the
market data) and its source, so a new close after the window leaves the year up to date. A year
with nothing to chart (no final lists, no calendar dates, no prices) has no input
(`digests.NO_INPUT`): never built, it is not run; built before, it is run once and holds no rows.
The asset records these digests and `build` asks
for them (runner/build.py, runner/runs.py): both read the same tables under the lake's lock.
Nothing here imports Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from russell_pipeline.lake.checksums import data_files
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.market_tables import price_label
from russell_pipeline.lib.calendar.projection import CALENDAR_SCHEMA
from russell_pipeline.lib.research.event import (
    LISTED_SCHEMA,
    EventDays,
    index_path,
    index_sources,
    no_final_lists,
    year_events,
)
from russell_pipeline.planning import digests, keys

ASSET = "reconstitution_effect"
# reconstitution_paths and reconstitution_effect of a range of years (defs/research/jobs.py)
JOB = "research_job"
RESEARCH_PRICES = "research_prices"  # written by `russell-pipeline import-prices FILE` (cli/research.py)
NO_PRICES = "no prices: `import-prices FILE`, or materialize market_data"


@dataclass(frozen=True)
class YearInputs:
    """One year's listed symbols (list_group, symbol), its event days (None when it has nothing to chart,
    `why` then says why), and the digest of everything its paths read."""

    listed: pl.DataFrame
    days: EventDays | None
    why: str | None
    digest: str


def _live_files(lake: Lake, table: str) -> list[str] | None:
    """The table's data files now (each write adds new ones; a vacuum, unlike its version, leaves them)."""
    dt = lake.tables.delta(table)
    return None if dt is None else sorted(data_files(dt))


def _price_state(lake: Lake) -> tuple[str, object] | None:
    """Where the closes come from and what identifies them without reading them (None: no prices)."""
    imported = _live_files(lake, RESEARCH_PRICES)
    if imported is not None:
        return "imported", imported
    days, files = lake.tables.read("market_days"), _live_files(lake, "market_prices")
    if files is None:
        return None
    # What the effect's price_source names: the prices file, or `synthetic` (not the synthetic feed's end
    # date).
    return "market", (price_label(lake), files if days is None else days)


def year_inputs(lake: Lake, years: list[int]) -> dict[int, YearInputs]:
    """Each year's `YearInputs`, read from the lake as it is (the lists, calendar, levels and price state)."""
    changes = lake.tables.read("constituent_changes", "recon_year", years)
    calendar = lake.tables.read("recon_calendar", "recon_year", years)
    calendar = calendar if calendar is not None else pl.DataFrame(schema=CALENDAR_SCHEMA)
    levels = lake.tables.read("index_levels")
    state = _price_state(lake)
    code = digests.CODE_VERSIONS[ASSET]
    # Planning asks of every year, most of which have no final list: those are answered without reading.
    finals = set() if changes is None else set(changes.filter(pl.col("stage") == "final")["recon_year"])
    out = {}
    for year in years:
        if year not in finals:
            out[year] = YearInputs(
                pl.DataFrame(schema=LISTED_SCHEMA), None, no_final_lists(year), digests.NO_INPUT
            )
            continue
        listed, days, why = year_events(changes, calendar, year)
        if days is not None and state is None:
            days, why = None, NO_PRICES
        if days is None:  # nothing to chart: no rows, whatever the code
            out[year] = YearInputs(listed, None, why, digests.NO_INPUT)
            continue
        kind, prices = state
        if kind == "market":  # the market rows up to the window's end (their files without market_days,
            # which the market data asset always writes), and the source the chart names
            named, by_day = prices
            prices = (
                named,
                by_day
                if isinstance(by_day, list)
                else digests.window_digest(by_day, days.window["date"][-1]),
            )
        out[year] = YearInputs(
            listed,
            days,
            None,
            digests.digest(
                code,
                digests.frame_digest(listed),
                digests.frame_digest(days.window),
                days.rank_day,
                kind,
                prices,
                digests.frame_digest(index_path(levels, days)),
                index_sources(levels, days),
            ),
        )
    return out


def years_out_of_date(lake: Lake) -> tuple[list[str], dict[str, str], list[str]]:
    """(every year key, the digest each year would record now, the years whose recorded digest differs)."""
    years = keys.year_keys()
    now = {str(y): i.digest for y, i in year_inputs(lake, [int(y) for y in years]).items()}
    return years, now, digests.out_of_date(now, lake.lineage.digests(ASSET))
