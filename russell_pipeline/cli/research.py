"""The verbs of the research: import-prices (a price file for reconstitution_effect) and event-study."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from russell_pipeline.cli.common import emit, not_built, open_lake, stored
from russell_pipeline.lib.errors import LakeError
from russell_pipeline.settings import Settings


def _latest_session():
    from datetime import UTC, datetime

    from russell_pipeline.lib.sessions import last_completed_session

    return last_completed_session(datetime.now(UTC))


def cmd_import_prices(args, settings: Settings) -> int:
    """Validate a price file and store it as `research_prices` (what `reconstitution_effect` reads)."""
    from russell_pipeline.defs.research.assets import RESEARCH_PRICES
    from russell_pipeline.lake.staged import Staged, write_and_publish
    from russell_pipeline.lib.research.prices import read_price_file

    found = read_price_file(args.file, _latest_session())
    lake = open_lake(settings)
    write_and_publish(
        lake, Staged(RESEARCH_PRICES, found.prices.with_columns(source=pl.lit(Path(args.file).name)))
    )
    p = found.prices
    print(
        f"{args.file}: {found.layout} layout, {p.height} closes of {p['symbol'].n_unique()} symbols, "
        f"{p['date'].min()}..{p['date'].max()}: stored as {RESEARCH_PRICES} (replacing any earlier import); "
        "the next `build` reruns reconstitution_effect with them"
    )
    for line in _coverage(lake, p):  # what the file covers of each year's groups, each group said
        print(line, file=sys.stderr if ": none," in line else sys.stdout)
    return 0


def _coverage(lake, prices: pl.DataFrame) -> list[str]:
    """Per year with final lists and per list group: how many names the prices cover by rank day
    (`warning:` on a group with none); nothing when the lake holds no lists yet."""
    from russell_pipeline.lib.research.event import (
        coverage_lines,
        group_indexes,
        normalized_paths,
        priced_groups,
        year_events,
    )

    if not {"constituent_changes", "recon_calendar"} <= set(lake.warehouse.published_versions()):
        return []
    changes, calendar = (
        lake.warehouse.published("constituent_changes"),
        lake.warehouse.published("recon_calendar"),
    )
    if changes is None or calendar is None:
        return []
    final = changes.filter(pl.col("stage") == "final")
    lines = []
    for year in sorted(set(final["recon_year"].to_list())):
        listed, days, _ = year_events(changes, calendar, year)
        if days is None or not listed.height:
            continue
        groups = priced_groups(listed, normalized_paths(prices, listed, days))
        indexes = group_indexes(changes, year, calendar.filter(pl.col("recon_year") == year))
        lines += [
            f"warning: {line}" if ": none," in line else f"  {line}"
            for line in coverage_lines(year, days, groups, indexes)
        ]
    return lines


def cmd_event_study(args, settings: Settings) -> int:
    """The median and mean paths of the year's listed symbols from the user's price file, as
    `reconstitution_effect` computes them (lib/research/event.py), without storing anything."""
    from russell_pipeline.lib.errors import InputError
    from russell_pipeline.lib.market.provenance import imported_file, stamped
    from russell_pipeline.lib.research.event import (
        coverage_lines,
        group_indexes,
        listed_effect,
        priced_groups,
        year_events,
    )
    from russell_pipeline.lib.research.prices import read_price_file

    found = read_price_file(args.prices, _latest_session())  # a bad file is refused before the lake is read
    lake = open_lake(settings)
    for table in ("constituent_changes", "recon_calendar"):
        stored(lake, table)
    listed, days, why = year_events(
        lake.warehouse.published("constituent_changes"), lake.warehouse.published("recon_calendar"), args.year
    )
    unbuilt = not_built(lake, args.year, listed.height > 0)
    if not listed.height:
        raise LakeError(
            f"{lake.tables.folder / 'constituent_changes'}: no final addition or deletion list for "
            f"{args.year}: "
            + (unbuilt or f"put its lists under raw/{args.year}/ and run `russell-pipeline build`")
        )
    if days is None:
        raise ValueError(why)
    paths, effect = listed_effect(found.prices, listed, days)
    changes = lake.warehouse.published("constituent_changes")
    indexes = group_indexes(
        changes,
        args.year,
        lake.warehouse.published("recon_calendar").filter(pl.col("recon_year") == args.year),
    )
    groups = priced_groups(listed, paths)
    covered = f"{found.prices['date'].min()}..{found.prices['date'].max()}"
    empty = [line for line in coverage_lines(args.year, days, groups, indexes) if ": none," in line]
    if empty:  # a group without a path is no study of it: refused, each such group named
        raise InputError(
            args.prices,
            "; ".join(line.split(": none,")[0] for line in empty)
            + f" (the file covers {covered}): an event study needs prices of every group",
        )
    rows = stamped(effect, imported_file(Path(args.prices).name))  # the user's file: never synthetic
    which = pl.col("list_group").replace_strict(indexes, default="index not named", return_dtype=pl.String)
    emit(
        rows.select(pl.lit(args.year, pl.Int64).alias("recon_year"), which.alias("index_name"), pl.all()),
        args.format,
    )
    window = days.window["date"]
    print(
        f"{args.year}: rank day {days.rank_day}, recon_close {days.recon_close} (session_offset 0), window "
        f"{window[0]}..{window[-1]} (session offsets "
        f"{days.window['session_offset'][0]}..{days.window['session_offset'][-1]})",
        file=sys.stderr,
    )
    for line in coverage_lines(args.year, days, groups, indexes):
        print(f"{line} in {args.prices}", file=sys.stderr)
    return 0
