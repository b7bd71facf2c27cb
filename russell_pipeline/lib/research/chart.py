"""The chart of a reconstitution's effect: median paths per group, the index, and the event days."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from russell_pipeline.lib.charts import figure, inline_png
from russell_pipeline.lib.research.event import GROUPS, INDEX_GROUP, EventDays

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SYNTHETIC_LABEL = "SYNTHETIC prices (the built-in feed, not market data)"


def effect_figure(effect: pl.DataFrame, days: EventDays, source: str, synthetic: bool) -> Figure:
    """Median normalized close per session offset of each group, and the index's path where it exists;
    dotted lines at rank day, the list dates and recon_close; the title names the prices' source."""
    fig = figure((6, 3.2))
    ax = fig.add_subplot()
    for group in (*GROUPS, INDEX_GROUP):
        rows = effect.filter(pl.col("list_group") == group).sort("session_offset")
        if rows.height:
            label = "90/10 index" if group == INDEX_GROUP else f"{group}s (median of {rows['symbols'].max()})"
            ax.plot(rows["session_offset"].to_list(), rows["median"].to_list(), label=label, lw=1)
    for event, day in days.marks.items():
        if (offset := days.offset_of(day)) is not None:
            ax.axvline(offset, color="grey", ls=":", lw=0.8)
            ax.annotate(event, (offset, 1), xycoords=("data", "axes fraction"), rotation=90, fontsize=6,
                        va="top", ha="right")
    ax.axhline(1.0, color="black", lw=0.5)
    note = SYNTHETIC_LABEL if synthetic else source
    ax.set_title(f"Russell reconstitution {days.year}: close / close on rank day\n{note}", fontsize=8)
    ax.set_xlabel("sessions from recon_close", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=6)
    fig.tight_layout()
    return fig


def effect_markdown(effect: pl.DataFrame, days: EventDays, source: str, synthetic: bool) -> str:
    """The chart as a small inline PNG in Markdown, for the asset's metadata."""
    return inline_png(effect_figure(effect, days, source, synthetic), f"reconstitution {days.year}")
