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

    from russell_pipeline.lib.calendar.sessions import last_completed_session

    return last_completed_session(datetime.now(UTC))


def cmd_import_prices(args, settings: Settings) -> int:
    """Validate a price file and store it as `research_prices` (what `reconstitution_effect` reads)."""
    from russell_pipeline.defs.research.assets import RESEARCH_PRICES
    from russell_pipeline.lake.commit import Staged, write_and_publish
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
    return 0


def cmd_event_study(args, settings: Settings) -> int:
    """The median and mean paths of the year's listed symbols from the user's price file, as
    `reconstitution_effect` computes them (lib/research/event.py), without storing anything."""
    from russell_pipeline.lib.market.provenance import imported_file, stamped
    from russell_pipeline.lib.research.event import listed_effect, year_events
    from russell_pipeline.lib.research.prices import read_price_file

    found = read_price_file(args.prices, _latest_session())  # a bad file is refused before the lake is read
    lake = open_lake(settings)
    for table in ("constituent_changes", "recon_calendar"):
        stored(lake, table)
    listed, days, why = year_events(
        lake.published("constituent_changes"), lake.published("recon_calendar"), args.year
    )
    unbuilt = not_built(lake, args.year, listed.height > 0)
    if not listed.height:
        raise LakeError(
            f"{lake.tables / 'constituent_changes'}: no final addition or deletion list for "
            f"{args.year}: "
            + (unbuilt or f"put its lists under raw/{args.year}/ and run `russell-pipeline build`")
        )
    if days is None:
        raise ValueError(why)
    paths, effect = listed_effect(found.prices, listed, days)
    emit(
        stamped(effect, imported_file(Path(args.prices).name)), args.format
    )  # the user's file: never synthetic
    window = days.window["date"]
    print(
        f"{args.year}: rank day {days.rank_day}, recon_close {days.recon_close} (session_offset 0), window "
        f"{window[0]}..{window[-1]} (session offsets "
        f"{days.window['session_offset'][0]}..{days.window['session_offset'][-1]})",
        file=sys.stderr,
    )
    for (group,), rows in listed.group_by("list_group", maintain_order=True):
        priced = paths.filter(pl.col("list_group") == group)["symbol"].n_unique()
        print(
            f"{group}s: {priced} of {rows.height} listed symbols have a close on or before rank day in "
            f"{args.prices}",
            file=sys.stderr,
        )
    return 0
