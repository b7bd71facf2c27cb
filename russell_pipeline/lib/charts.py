"""Line charts as SVG, in pure Python (the index series, a reconstitution's effect, a forecast's
cumulative market cap).

`render(chart)` lays a `Chart` out on its pixel size: title lines on top, "nice" y ticks (1-2-5
steps covering the data), numeric or date x ticks (days, months or years by the span), a light grid,
shaded horizontal bands, one polyline per series, then the optional legend, dotted marks, reference line
and axis labels.
No font metrics are at hand, so text widths are estimated from the font size.
"""

from __future__ import annotations

import base64
import itertools
import math
import textwrap
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

# the tab10 palette's first colours, in order
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
CHAR = 0.58  # a character's average width in sans-serif, as a fraction of the font size


@dataclass(frozen=True)
class Series:
    label: str
    xs: list  # numbers or dates (every series of a chart the same kind)
    ys: list  # numbers; None or NaN breaks the line


@dataclass(frozen=True)
class Chart:
    width: int  # pixels
    height: int
    title: tuple[str, ...]  # lines, each wrapped to the width
    series: tuple[Series, ...]
    x_label: str = ""
    y_label: str = ""
    legend: str | None = "upper left"  # or "lower left", or None for none
    marks: tuple[tuple[float, str], ...] = ()  # (x, label): dotted vertical lines
    reference: float | None = None  # a horizontal line at this y
    font: float = 11.0  # pixels
    bands: tuple[tuple[float, float, str], ...] = ()  # (y low, y high, label): shaded horizontal bands
    y_from: float | None = None  # the y axis starts here: a line below it is cut at the plot's edge


def nice_ticks(lo: float, hi: float, most: int = 7) -> list[float]:
    """Ticks at a 1, 2 or 5 x 10^k step, at most `most`, from at or below `lo` to at or above `hi`."""
    if hi <= lo:
        lo, hi = lo - (abs(lo) * 0.05 or 1.0), hi + (abs(hi) * 0.05 or 1.0)
    for power in range(math.floor(math.log10((hi - lo) / most)), 400):
        for m in (1, 2, 5):
            step = m * 10.0**power
            first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
            if last - first + 1 <= most:
                return [round(i * step, 12) + 0.0 for i in range(first, last + 1)]
    raise ValueError(f"no ticks for {lo}..{hi}")


def _label(value: float, ticks: list[float]) -> str:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return f"{value:.{max(0, -math.floor(math.log10(step) + 1e-9))}f}"


def _firsts_of_months(lo: date, hi: date, months: int) -> list[date]:
    """The first days of months within lo..hi whose count (year * 12 + month - 1) divides by `months`."""
    n = lo.year * 12 + lo.month - 1 + (lo.day > 1)
    n = -(-n // months) * months
    out = []
    while (day := date(n // 12, n % 12 + 1, 1)) <= hi:
        out.append(day)
        n += months
    return out


def date_ticks(lo: date, hi: date, width: float, font: float) -> list[tuple[date, str]]:
    """Dates within lo..hi and their labels: days (2023-01-03) up to two months, months (2019-03) up to
    three years, then years (2020); the smallest step whose labels fit across `width` pixels."""
    span = (hi - lo).days
    unit, steps, fmt = (
        ("day", (1, 2, 7, 14), "%Y-%m-%d")
        if span <= 62
        else ("month", (1, 2, 3, 6), "%Y-%m")
        if span <= 3 * 366
        else ("year", (1, 2, 5, 10, 20, 50), "%Y")
    )
    most = max(2, int(width // (len(lo.strftime(fmt)) * CHAR * font + 2 * font)))
    for step in steps:
        ticks = (
            [lo + timedelta(d) for d in range(0, span + 1, step)]
            if unit == "day"
            else _firsts_of_months(lo, hi, step * (12 if unit == "year" else 1))
        )
        if len(ticks) <= most or step == steps[-1]:
            break
    return [(t, t.strftime(fmt)) for t in ticks]


def _text(x: float, y: float, text: str, size: float, anchor: str = "start", upright: bool = False) -> str:
    """Text at (x, y); `upright` turns it to read bottom to top, (x, y) then being its anchor."""
    at = f'transform="translate({x:.1f},{y:.1f}) rotate(-90)"' if upright else f'x="{x:.1f}" y="{y:.1f}"'
    return f'<text {at} font-size="{size:g}" text-anchor="{anchor}">{escape(text)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, style: str) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {style}/>'


def _legend(
    series: tuple[Series, ...], x: float, top: float, bottom: float, corner: str, f: float
) -> list[str]:
    """A box of a line sample and a label per series, at x, below `top` (upper left) or above `bottom`."""
    row, width = 1.4 * f, max(len(s.label) for s in series) * CHAR * f + 3.5 * f
    height = len(series) * row + 0.6 * f
    y = top + 0.6 * f if corner == "upper left" else bottom - 0.6 * f - height
    out = [
        (
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
            'fill="white" fill-opacity="0.85" stroke="#bbb" stroke-width="0.8"/>'
        )
    ]
    for i, s in enumerate(series):
        mid = y + 0.3 * f + (i + 0.5) * row
        colour = COLOURS[i % len(COLOURS)]
        out += [
            _line(x + 0.4 * f, mid, x + 2.2 * f, mid, f'stroke="{colour}" stroke-width="1.5"'),
            _text(x + 2.7 * f, mid + 0.35 * f, s.label, f),
        ]
    return out


def thinned(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points of a line, in order, keeping of those in one pixel column its first, highest,
    lowest and last: the line drawn is the same, and its size follows the chart's width, not the
    length of the history (16 years of sessions in a 360-pixel chart)."""
    out: list[tuple[float, float]] = []
    for _, group in itertools.groupby(points, key=lambda p: int(p[0])):
        column = list(group)
        ys = [y for _, y in column]
        kept = {0, len(column) - 1, ys.index(min(ys)), ys.index(max(ys))}
        out += [column[k] for k in sorted(kept)]
    return out


@dataclass(frozen=True)
class _Plot:
    """Where a chart's data falls: the plot area, x0..x1 left to right and y0..y1 top down, inside the
    title and the axes' labels; the x range (dates as ordinals) and the y ticks it spans."""

    dated: bool
    x_lo: float
    x_hi: float
    x0: float
    x1: float
    y0: float
    y1: float
    y_ticks: list[float]

    def px(self, x) -> float:
        return self.x0 + (_number(x, self.dated) - self.x_lo) / (self.x_hi - self.x_lo) * (self.x1 - self.x0)

    def py(self, y: float) -> float:
        return self.y1 - (y - self.y_ticks[0]) / (self.y_ticks[-1] - self.y_ticks[0]) * (self.y1 - self.y0)


def _number(x, dated: bool) -> float:
    """An x value on the x axis's scale: a date's ordinal, or the number."""
    return x.toordinal() if dated else float(x)


def _title(chart: Chart) -> list[str]:
    """The title's lines, each wrapped to the chart's width."""
    width = int((chart.width - 20) / (CHAR * (chart.font + 1)))
    return [part for line in chart.title for part in textwrap.wrap(line, width)]


def _plot(chart: Chart, title: list[str]) -> _Plot:
    """The plot of `chart`: its x range covers the data and the marks, its y ticks the data, the
    reference line and the bands (from `y_from` up, when set)."""
    w, h, f = chart.width, chart.height, chart.font
    finite = [(x, y) for s in chart.series for x, y in zip(s.xs, s.ys) if y is not None and math.isfinite(y)]
    dated = bool(finite) and isinstance(finite[0][0], date)
    xs = [_number(x, dated) for x, _ in finite] + [_number(x, dated) for x, _ in chart.marks]
    ys = [y for _, y in finite] + ([chart.reference] if chart.reference is not None else [])
    ys += [y for low, high, _ in chart.bands for y in (low, high)]
    if chart.y_from is not None:
        ys = [chart.y_from, *(y for y in ys if y >= chart.y_from)]
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x_hi <= x_lo:
        x_lo, x_hi = x_lo - 1, x_hi + 1
    y0, y1 = len(title) * 1.3 * (f + 1) + 12, h - 1.8 * f - (1.5 * f if chart.x_label else 0) - 6
    y_ticks = nice_ticks(min(ys), max(ys), max(4, int((y1 - y0) // (2.5 * f)))) if ys else [0.0, 1.0]
    widest = max(len(_label(t, y_ticks)) for t in y_ticks)
    x0 = widest * CHAR * f + f + (1.6 * f if chart.y_label else 0) + 6
    return _Plot(dated, x_lo, x_hi, x0, w - 1.5 * f, y0, y1, y_ticks)


def _x_ticks(plot: _Plot, f: float) -> list[tuple[float, str]]:
    """(pixel, label) of each x tick: dates by `date_ticks`, numbers at nice steps within the range."""
    if plot.dated:
        lo, hi = date.fromordinal(int(plot.x_lo)), date.fromordinal(int(plot.x_hi))
        return [(plot.px(d), s) for d, s in date_ticks(lo, hi, plot.x1 - plot.x0, f)]
    most = max(2, int((plot.x1 - plot.x0) // (6 * CHAR * f + 2 * f)))
    ticks = [t for t in nice_ticks(plot.x_lo, plot.x_hi, most) if plot.x_lo <= t <= plot.x_hi]
    return [(plot.px(t), _label(t, ticks)) for t in ticks]


def _canvas(chart: Chart, plot: _Plot, title: list[str]) -> list[str]:
    """The SVG's opening, a white page, the plot area the lines are clipped to, and the title."""
    w, h, f = chart.width, chart.height, chart.font
    x0, y0 = plot.x0, plot.y0
    return [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">'
        ),
        f'<rect width="{w}" height="{h}" fill="white"/>',
        (  # what the lines may cover: the plot area
            f'<defs><clipPath id="plot"><rect x="{x0:.1f}" y="{y0:.1f}" width="{plot.x1 - x0:.1f}" '
            f'height="{plot.y1 - y0:.1f}"/></clipPath></defs>'
        ),
        *(
            _text(w / 2, 6 + (i + 1) * 1.3 * (f + 1) - 0.3 * f, line, f + 1, "middle")
            for i, line in enumerate(title)
        ),
    ]


def _axes(plot: _Plot, f: float) -> list[str]:
    """The grid at each tick with its label, and the plot area's frame."""
    x0, x1, y0, y1, py = plot.x0, plot.x1, plot.y0, plot.y1, plot.py
    grid = 'stroke="#ddd" stroke-width="0.8"'
    out = []
    for t in plot.y_ticks:
        s = _label(t, plot.y_ticks)
        out += [_line(x0, py(t), x1, py(t), grid), _text(x0 - 5, py(t) + 0.35 * f, s, f, "end")]
    for x, s in _x_ticks(plot, f):
        out += [_line(x, y0, x, y1, grid), _text(x, y1 + 1.2 * f + 3, s, f, "middle")]
    out.append(
        f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" fill="none" '
        'stroke="#444" stroke-width="0.8"/>'
    )
    return out


def _bands_and_marks(chart: Chart, plot: _Plot) -> list[str]:
    """The shaded bands with their labels, the reference line and the dotted marks with theirs."""
    x0, x1, y0, y1, px, py, f = plot.x0, plot.x1, plot.y0, plot.y1, plot.px, plot.py, chart.font
    out = []
    for low, high, label in chart.bands:
        top, bottom = py(high), py(low)
        out += [
            (
                f'<rect x="{x0:.1f}" y="{top:.1f}" width="{x1 - x0:.1f}" height="{bottom - top:.1f}" '
                'fill="#f0b429" fill-opacity="0.25" stroke="#c98a00" stroke-width="0.6"/>'
            ),
            _text(x0 + 4, top - 3, label, 0.85 * f),
        ]
    if chart.reference is not None:
        level = py(chart.reference)
        out.append(_line(x0, level, x1, level, 'stroke="black" stroke-width="0.7"'))
    for x, label in chart.marks:
        out += [
            _line(px(x), y0, px(x), y1, 'stroke="grey" stroke-width="0.8" stroke-dasharray="1.5,2.5"'),
            # left of the line, or right of it where the y axis's labels are
            _text(
                px(x) - 3 if px(x) - x0 > f else px(x) + 0.85 * f + 2,
                y0 + 4,
                label,
                0.85 * f,
                "end",
                upright=True,
            ),
        ]
    return out


def _polylines(series: tuple[Series, ...], plot: _Plot) -> list[str]:
    """One polyline per run of each series' finite values, in the series' colour, clipped to the plot."""
    out = []
    for i, s in enumerate(series):
        runs: list[list[tuple[float, float]]] = [[]]  # a missing value ends a run of the line
        for x, y in zip(s.xs, s.ys):
            if y is None or not math.isfinite(y):
                runs.append([])
            else:
                runs[-1].append((plot.px(x), plot.py(y)))
        out += [
            f'<polyline points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in thinned(r))}" fill="none" '
            f'stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="1.2" stroke-linejoin="round" '
            'clip-path="url(#plot)"/>'
            for r in runs
            if r
        ]
    return out


def render(chart: Chart) -> str:
    """The chart as an SVG document of `chart.width` x `chart.height` pixels."""
    h, f = chart.height, chart.font
    title = _title(chart)
    plot = _plot(chart, title)
    out = _canvas(chart, plot, title) + _axes(plot, f) + _bands_and_marks(chart, plot)
    out += _polylines(chart.series, plot)
    if chart.legend and chart.series:
        out += _legend(chart.series, plot.x0 + 0.6 * f, plot.y0, plot.y1, chart.legend, f)
    if chart.x_label:
        out.append(_text((plot.x0 + plot.x1) / 2, h - 0.5 * f, chart.x_label, f, "middle"))
    if chart.y_label:
        out.append(_text(1.2 * f, (plot.y0 + plot.y1) / 2, chart.y_label, f, "middle", upright=True))
    return "\n".join([*out, "</svg>"]) + "\n"


def inline_svg(svg: str, alt: str) -> str:
    """The SVG as an inline image in Markdown, for asset metadata or an event's description."""
    return f"![{alt}](data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode('ascii')})"
