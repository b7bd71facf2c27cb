"""The reconstitution effect: normalized price paths of the added and deleted symbols around a reconstitution.

The window of a year runs on NYSE sessions from the 20th session before rank day to the 20th after
`recon_close`; `session_offset` counts sessions from `recon_close` (0). A symbol's normalized close on a
session is its close that day divided by its **reference close**, its last close on or before rank
day; only symbols with a reference close count, and a session where a symbol has no close counts it
out for that session (nothing is carried forward). The index path is `index_levels.price_return`
normalized the same way. Method and contract: docs/methodology.md §2.11.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from russell_pipeline.lib.calendar.reviews import review_dates
from russell_pipeline.lib.market.provenance import COLUMN
from russell_pipeline.lib.membership.placement import place_lists
from russell_pipeline.lib.sessions import sessions

GROUPS = ("addition", "deletion")
INDEX_GROUP = "index"
SESSIONS_AROUND = 20
# The annual reconstitution's events an analyst reads the paths against (drawn on the chart).
MARKED_EVENTS = ("rank_day", "preliminary_list", "final_list", "recon_close")
WINDOW_SCHEMA = {"session_offset": pl.Int64, "date": pl.Date}
LISTED_SCHEMA = {"list_group": pl.String, "symbol": pl.String}
PATH_SCHEMA = {
    "list_group": pl.String,
    "symbol": pl.String,
    "session_offset": pl.Int64,
    "date": pl.Date,
    "close": pl.Float64,
    "reference_close": pl.Float64,
    "normalized": pl.Float64,
}
EFFECT_SCHEMA = {
    "list_group": pl.String,
    "session_offset": pl.Int64,
    "date": pl.Date,
    "symbols": pl.Int64,
    "median": pl.Float64,
    "mean": pl.Float64,
}


@dataclass(frozen=True)
class EventDays:
    """The annual reconstitution's dates of one year (recon_calendar), and its session window."""

    year: int
    rank_day: date
    recon_close: date
    marks: dict[str, date]
    window: pl.DataFrame  # offset, date

    def offset_of(self, day: date) -> int | None:
        """The offset of the last window session on or before `day` (None outside the window)."""
        inside = self.window.filter(pl.col("date") <= day)
        return inside["session_offset"][-1] if inside.height and day <= self.window["date"][-1] else None


def event_days(calendar: pl.DataFrame, year: int, around: int = SESSIONS_AROUND) -> EventDays:
    """The dates of `year`'s annual reconstitution from `recon_calendar` rows, and its window;
    ValueError naming what is missing when the calendar has no rank day or recon_close for it."""
    rows = calendar.filter(
        (pl.col("recon_year") == year) & (pl.col("review_type") == "annual_reconstitution")
    )
    firsts = dict(rows.group_by("event").agg(pl.col("date").min()).iter_rows())
    missing = [e for e in ("rank_day", "recon_close") if e not in firsts]
    if missing:
        raise ValueError(f"recon_calendar {year}: no {' or '.join(missing)} of the annual reconstitution")
    rank_day, recon_close = firsts["rank_day"], firsts["recon_close"]
    return EventDays(
        year,
        rank_day,
        recon_close,
        {e: firsts[e] for e in MARKED_EVENTS if e in firsts},
        window(rank_day, recon_close, around),
    )


def window(rank_day: date, recon_close: date, around: int = SESSIONS_AROUND) -> pl.DataFrame:
    """session_offset, date: the sessions from the `around`th before rank day (the last session on or before
    it) to the `around`th after `recon_close`, offsets counted from `recon_close` (0)."""
    # Three calendar days per session and two weeks' margin reach far enough past any holidays.
    days = sessions(rank_day - timedelta(days=3 * around + 14), recon_close + timedelta(days=3 * around + 14))
    rank = max(i for i, d in enumerate(days) if d <= rank_day)
    close = max(i for i, d in enumerate(days) if d <= recon_close)
    span = days[rank - around : close + around + 1]
    start = rank - around - close
    return pl.DataFrame(
        {"session_offset": range(start, start + len(span)), "date": span}, schema=WINDOW_SCHEMA
    )


def listed_symbols(changes: pl.DataFrame, year: int, calendar: pl.DataFrame | None = None) -> pl.DataFrame:
    """list_group, symbol: the distinct symbols of `year`'s final addition and deletion lists (every index) of
    its annual reconstitution (`annual_lists`)."""
    final = annual_lists(changes, year, calendar)
    return final.select(pl.col("change").alias("list_group"), "symbol").unique().sort("list_group", "symbol")


def group_indexes(
    changes: pl.DataFrame | None, year: int, calendar: pl.DataFrame | None = None
) -> dict[str, str]:
    """Each list group of `year` and the indexes whose final lists make it (`Russell 2000, Russell 3000`)."""
    if changes is None:
        return {}
    final = annual_lists(changes, year, calendar).with_columns(
        pl.col("index_name").fill_null("index not named")
    )
    return {
        group: ", ".join(sorted(set(names)))
        for group, names in final.group_by("change").agg("index_name").sort("change").iter_rows()
    }


def annual_lists(changes: pl.DataFrame, year: int, calendar: pl.DataFrame | None = None) -> pl.DataFrame:
    """The rows of `year`'s final addition and deletion lists (every index) of its annual reconstitution.

    With `calendar` (recon_calendar rows), the lists are placed as membership places them
    (lib/membership/placement.py `place_lists`): only lists placed on `year`'s annual reconstitution
    count, so a quarterly IPO review's final additions stored under the same year do not; an undated
    list belongs to its year's annual reconstitution. Without a calendar every final list of the year
    counts."""
    final = changes.filter((pl.col("recon_year") == year) & (pl.col("stage") == "final"))
    if calendar is not None and final.height:
        placed = place_lists(final.with_columns(pl.col("change").alias("kind")), review_dates(calendar))
        annual = (pl.col("review_type") == "annual_reconstitution") & (pl.col("review_year") == year)
        final = placed.filter(annual | pl.col("as_of_date").is_null())
    return final


def no_final_lists(year: int) -> str:
    """Why `year` has no events: no final list of its annual reconstitution."""
    return f"no final addition or deletion list for {year}'s annual reconstitution"


def year_events(
    changes: pl.DataFrame | None, calendar: pl.DataFrame, year: int
) -> tuple[pl.DataFrame, EventDays | None, str | None]:
    """(listed, days, why) of `year`: its annual reconstitution's listed symbols, placed on the year's own
    reviews whatever years `changes` and `calendar` (recon_calendar rows) hold, and its event days; days
    None and `why` naming what is missing when it has no final list or the calendar lacks its dates."""
    listed = (
        listed_symbols(changes, year, calendar.filter(pl.col("recon_year") == year))
        if changes is not None
        else pl.DataFrame(schema=LISTED_SCHEMA)
    )
    if not listed.height:
        return listed, None, no_final_lists(year)
    try:
        return listed, event_days(calendar, year), None
    except ValueError as err:  # no rank day or recon_close, or a window past the NYSE calendar known
        return listed, None, str(err)


def listed_effect(
    prices: pl.DataFrame, listed: pl.DataFrame, days: EventDays
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(paths, effect) of the listed symbols: each one's normalized path (`normalized_paths`) and their
    median and mean per list group and session (`group_paths`)."""
    paths = normalized_paths(prices, listed, days)
    return paths, group_paths(paths)


def normalized_paths(prices: pl.DataFrame, listed: pl.DataFrame, days: EventDays) -> pl.DataFrame:
    """list_group, symbol, session_offset, date, close, reference_close, normalized: each listed symbol with a
    reference close, on each window session it has a close. `prices`: date, symbol, close."""
    symbols = listed["symbol"].unique()
    mine = prices.lazy().filter(pl.col("symbol").is_in(symbols.implode()))
    reference = (
        mine.filter(pl.col("date") <= days.rank_day)
        .sort("date")
        .group_by("symbol")
        .agg(pl.col("close").last().alias("reference_close"))
    )
    return (
        listed.lazy()
        .join(reference, on="symbol")
        .join(mine.join(days.window.lazy(), on="date"), on="symbol")
        .with_columns((pl.col("close") / pl.col("reference_close")).alias("normalized"))
        .select(list(PATH_SCHEMA))
        .sort("list_group", "symbol", "session_offset")
        .collect()
        .cast(PATH_SCHEMA)
    )


def group_paths(paths: pl.DataFrame) -> pl.DataFrame:
    """list_group, session_offset, date, symbols, median, mean of the normalized closes, per group and session
    (sessions where no symbol of the group has a close are left out).

    Each mean sums its values in ascending order, whatever order the rows came in: the same closes give
    the same bits (docs/reliability.md, bit-identical rebuilds)."""
    return (
        paths.group_by("list_group", "session_offset", "date")
        .agg(
            pl.len().alias("symbols"),
            pl.col("normalized").median().alias("median"),
            pl.col("normalized").sort().mean().alias("mean"),
        )
        .sort("list_group", "session_offset")
        .cast(EFFECT_SCHEMA)
    )


def priced_groups(listed: pl.DataFrame, paths: pl.DataFrame) -> list[tuple[str, int, int]]:
    """(list group, names with a reference close, names listed) of each group of `listed`, in order."""
    priced = dict(paths.group_by("list_group").agg(pl.col("symbol").n_unique()).iter_rows())
    counts = listed.group_by("list_group", maintain_order=True).len()
    return [(g, priced.get(g, 0), n) for g, n in counts.sort("list_group").iter_rows()]


def coverage_lines(
    year: int, days: EventDays, groups: list[tuple[str, int, int]], indexes: dict[str, str]
) -> list[str]:
    """One line per list group: how many of its names have a close on or before rank day."""
    return [
        f"{year} {group}s ({indexes.get(group, 'index not named')}): {priced} of {listed} names have a close "
        f"on or before rank day {days.rank_day}" + ("" if priced else ": none, so no path of this group")
        for group, priced, listed in groups
    ]


def index_path(levels: pl.DataFrame | None, days: EventDays) -> pl.DataFrame:
    """The index's price-return level normalized by its last level on or before rank day, on the window's
    sessions, as a path of list_group and symbol `index`; empty when the index has no level by rank day."""
    if levels is None:
        return pl.DataFrame(schema=PATH_SCHEMA)
    series = levels.select("date", pl.col("price_return").alias("close"), symbol=pl.lit(INDEX_GROUP))
    listed = pl.DataFrame({"list_group": [INDEX_GROUP], "symbol": [INDEX_GROUP]})
    return normalized_paths(series, listed, days)


def index_sources(levels: pl.DataFrame | None, days: EventDays) -> list[str]:
    """The `price_source` labels of the index levels on the window's sessions (what the index path rests
    on; lib/market/provenance.py), sorted; none when the levels carry no label."""
    if levels is None or COLUMN not in levels.columns:
        return []
    window = levels.filter(pl.col("date").is_in(days.window["date"].implode()))
    return sorted(window[COLUMN].drop_nulls().unique().to_list())


def sources_line(sources: dict[str, str]) -> str:
    """Which prices each group rests on, in words:
    `addition, deletion: imported file p.csv; index: synthetic`."""
    by_label: dict[str, list[str]] = {}
    for group in sorted(sources):
        by_label.setdefault(sources[group], []).append(group)
    return "; ".join(f"{', '.join(groups)}: {label}" for label, groups in by_label.items()) or "no prices"
