"""The chart of a reconstitution's effect: median paths per group, the index, and the event days."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import polars as pl

from russell_pipeline.lib.charts import figure, inline_png
from russell_pipeline.lib.market.provenance import COLUMN, SYNTHETIC_WORDS, is_synthetic
from russell_pipeline.lib.research.event import GROUPS, INDEX_GROUP, EventDays, sources_line

if TYPE_CHECKING:
    from matplotlib.figure import Figure


# Read at its own size where Dagster shows an event's description: 720 x 300 pixels, under the 320 it
# shows before "Show more" and within the event panel of a 1280-pixel-wide window.
SIZE, DPI = (7.2, 3.0), 100


def group_sources(effect: pl.DataFrame) -> dict[str, str]:
    """list_group -> the `price_source` its rows carry (each group rests on one source)."""
    return dict(effect.select("list_group", COLUMN).unique("list_group", keep="first").sort("list_group").rows())


def effect_figure(effect: pl.DataFrame, days: EventDays) -> Figure:
    """Median normalized close per session offset of each group, and the index's path where it exists;
    dotted lines at rank day, the list dates and recon_close. The title names each group's prices, and a
    group on the synthetic feed says so in the legend too: none is drawn as real."""
    sources = group_sources(effect)
    fig = figure(SIZE)
    ax = fig.add_subplot()
    for group in (*GROUPS, INDEX_GROUP):
        rows = effect.filter(pl.col("list_group") == group).sort("session_offset")
        if rows.height:
            label = "90/10 index" if group == INDEX_GROUP else f"{group}s (median of {rows['symbols'].max()})"
            label += " (SYNTHETIC)" if is_synthetic(sources[group]) else ""
            ax.plot(rows["session_offset"].to_list(), rows["median"].to_list(), label=label, lw=1)
    for event, day in days.marks.items():
        if (offset := days.offset_of(day)) is not None:
            ax.axvline(offset, color="grey", ls=":", lw=0.8)
            ax.annotate(event, (offset, 1), xycoords=("data", "axes fraction"), rotation=90, fontsize=8,
                        va="top", ha="right")
    ax.axhline(1.0, color="black", lw=0.5)
    note = sources_line({g: SYNTHETIC_WORDS if is_synthetic(s) else s for g, s in sources.items()})
    ax.set_title(f"Russell reconstitution {days.year}: close / close on rank day\n"
                 + textwrap.fill(f"prices: {note}", 110), fontsize=8)
    ax.set_xlabel("sessions from recon_close", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig


def effect_markdown(effect: pl.DataFrame, days: EventDays) -> str:
    """The chart as an inline PNG in Markdown at its reading size (SIZE at DPI: 720 x 300 pixels), for
    the description of the year's materialization, which the UI shows in full above its metadata."""
    return inline_png(effect_figure(effect, days), f"reconstitution {days.year}", DPI)
