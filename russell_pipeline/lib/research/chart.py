"""The chart of a reconstitution's effect: median paths per group, the index, and the event days."""

from __future__ import annotations

import polars as pl

from russell_pipeline.lib.charts import Chart, Series, inline_svg, render
from russell_pipeline.lib.market.provenance import COLUMN, SYNTHETIC_WORDS, is_synthetic
from russell_pipeline.lib.research.event import GROUPS, INDEX_GROUP, EventDays, sources_line

# Read at its own size where Dagster shows an event's description: 720 x 300 pixels, under the 320 it
# shows before "Show more" and within the event panel of a 1280-pixel-wide window.
SIZE = (720, 300)


def group_sources(effect: pl.DataFrame) -> dict[str, str]:
    """list_group -> the `price_source` its rows carry (each group rests on one source)."""
    return dict(
        effect.select("list_group", COLUMN).unique("list_group", keep="first").sort("list_group").rows()
    )


def effect_chart(effect: pl.DataFrame, days: EventDays) -> Chart:
    """Median normalized close per session offset of each group, and the index's path where it exists;
    dotted lines at rank day, the list dates and recon_close. The title names each group's prices, and a
    group on the synthetic feed says so in the legend too: none is drawn as real."""
    sources = group_sources(effect)
    series = []
    for group in (*GROUPS, INDEX_GROUP):
        rows = effect.filter(pl.col("list_group") == group).sort("session_offset")
        if rows.height:
            label = "90/10 index" if group == INDEX_GROUP else f"{group}s (median of {rows['symbols'].max()})"
            label += " (SYNTHETIC)" if is_synthetic(sources[group]) else ""
            series.append(Series(label, rows["session_offset"].to_list(), rows["median"].to_list()))
    marks = tuple(
        (offset, event) for event, day in days.marks.items() if (offset := days.offset_of(day)) is not None
    )
    note = sources_line({g: SYNTHETIC_WORDS if is_synthetic(s) else s for g, s in sources.items()})
    return Chart(
        *SIZE,
        title=(f"Russell reconstitution {days.year}: close / close on rank day", f"prices: {note}"),
        series=tuple(series),
        x_label="sessions from recon_close",
        legend="lower left",
        marks=marks,
        reference=1.0,
        font=11,
    )


def effect_markdown(effect: pl.DataFrame, days: EventDays) -> str:
    """The chart as an inline SVG in Markdown at its reading size (SIZE: 720 x 300 pixels), for the
    description of the year's materialization, which the UI shows in full above its metadata."""
    return inline_svg(render(effect_chart(effect, days)), f"reconstitution {days.year}")
