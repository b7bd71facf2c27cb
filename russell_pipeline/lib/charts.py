"""Figures for the charts the pipeline draws (the index series, a reconstitution's effect).

matplotlib is imported when a chart is drawn, not with the modules that draw one: a process that
loads the definitions or plans a build without drawing (the UI's code server, a sensor's tick, a
years-only run) does not pay for it.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def figure(size: tuple[float, float]) -> Figure:
    """An empty figure on the Agg canvas: no display, no pyplot global state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig


def inline_png(fig: Figure, alt: str, dpi: int = 60) -> str:
    """The figure as an inline PNG in Markdown, for asset metadata or an event's description (at the
    default 60 dpi a thumbnail of a few tens of KB)."""
    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="png")
    return f"![{alt}](data:image/png;base64,{base64.b64encode(buf.getvalue()).decode('ascii')})"
