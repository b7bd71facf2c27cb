"""The SVG line chart: where points land, the ticks, escaped text, legend, marks, the inline image."""

from __future__ import annotations

import base64
import itertools
import math
import random
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from russell_pipeline.lib.charts import Chart, Series, date_ticks, inline_svg, nice_ticks, render

NS = {"s": "http://www.w3.org/2000/svg"}


def _svg(chart: Chart) -> ET.Element:
    return ET.fromstring(render(chart))


def _plot_area(root: ET.Element) -> tuple[float, float, float, float]:
    """x0, x1, y0 (top), y1 (bottom) of the framed plot area."""
    (frame,) = root.findall("s:rect[@fill='none']", NS)
    x, y, w, h = (float(frame.get(k)) for k in ("x", "y", "width", "height"))
    return x, x + w, y, y + h


def _points(line: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in line.get("points").split()]


def _texts(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter(f"{{{NS['s']}}}text")]


def test_the_svg_has_its_pixel_size_and_a_white_background():
    root = _svg(Chart(720, 300, ("t",), (Series("a", [0, 1], [1.0, 2.0]),)))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("720", "300", "0 0 720 300")
    background = root.find("s:rect", NS)
    assert (background.get("width"), background.get("height"), background.get("fill")) == (
        "720",
        "300",
        "white",
    )


def test_points_land_on_the_plot_area_in_proportion():
    # y from 0 to 10: ticks start at 0 and end at 10, so the data spans the plot area's full height.
    chart = Chart(600, 400, ("levels",), (Series("a", [0, 2, 5, 10], [0.0, 10.0, 5.0, 2.5]),), legend=None)
    root = _svg(chart)
    x0, x1, y0, y1 = _plot_area(root)
    (line,) = root.findall("s:polyline", NS)
    points = _points(line)
    assert len(points) == 4
    assert points[0] == pytest.approx((x0, y1), abs=0.1)  # first point: left edge, at the bottom (y = 0)
    assert points[-1][0] == pytest.approx(x1, abs=0.1)  # last point: right edge
    assert points[1] == pytest.approx((x0 + 0.2 * (x1 - x0), y0), abs=0.1)  # y = 10 at the top
    assert points[2] == pytest.approx((x0 + 0.5 * (x1 - x0), (y0 + y1) / 2), abs=0.1)
    assert points[3][1] == pytest.approx(y1 - 0.25 * (y1 - y0), abs=0.1)
    # Coordinates carry one decimal.
    assert all(len(c.split(".")[1]) == 1 for p in line.get("points").split() for c in p.split(","))


def test_the_y_ticks_are_nice_numbers_covering_the_data_and_drawn_where_they_belong():
    root = _svg(Chart(600, 300, ("t",), (Series("a", [0, 1, 2], [0.93, 1.17, 1.02]),), legend=None))
    _, _, y0, y1 = _plot_area(root)
    labels = [
        t for t in root.findall("s:text", NS) if t.get("text-anchor") == "end" and t.get("x") is not None
    ]
    values = [float(t.text) for t in labels]
    assert values[0] <= 0.93 and values[-1] >= 1.17
    steps = {round(b - a, 9) for a, b in itertools.pairwise(values)}
    assert len(steps) == 1 and steps.pop() in (0.01, 0.02, 0.05, 0.1, 0.2)
    # Each label sits at its own gridline, the lowest at the bottom of the plot area, the highest at its top.
    grid = sorted(
        float(g.get("y1")) for g in root.findall("s:line[@stroke='#ddd']", NS) if g.get("y1") == g.get("y2")
    )
    assert grid[0] == pytest.approx(y0, abs=0.1) and grid[-1] == pytest.approx(y1, abs=0.1)
    assert len(grid) == len(values)
    (line,) = root.findall("s:polyline", NS)
    ys = [y for _, y in _points(line)]
    assert all(y0 <= y <= y1 for y in ys)
    assert min(ys) == pytest.approx(y1 - (1.17 - values[0]) / (values[-1] - values[0]) * (y1 - y0), abs=0.1)


@pytest.mark.parametrize(
    ("lo", "hi", "most", "expected"),
    [
        (0.93, 1.17, 7, [0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2]),
        (950.0, 1520.0, 7, [800.0, 1000.0, 1200.0, 1400.0, 1600.0]),
        (0.0, 10.0, 6, [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]),
        (-62.0, 20.0, 10, [-70.0, -60.0, -50.0, -40.0, -30.0, -20.0, -10.0, 0.0, 10.0, 20.0]),
        (1.0, 1.0, 5, [0.95, 1.0, 1.05]),  # one value: 5% either side of it
    ],
)
def test_nice_ticks_known_values(lo, hi, most, expected):
    assert nice_ticks(lo, hi, most) == pytest.approx(expected)


def test_nice_ticks_cover_any_range_in_1_2_5_steps():
    rng = random.Random(7)
    for _ in range(500):
        lo = rng.uniform(-1e4, 1e4) * 10 ** rng.randint(-4, 2)
        hi = lo + rng.uniform(1e-3, 1e3) * 10 ** rng.randint(-3, 3)
        most = rng.randint(3, 12)
        ticks = nice_ticks(lo, hi, most)
        step = ticks[1] - ticks[0]
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert 2 <= len(ticks) <= most and ticks[0] <= lo and ticks[-1] >= hi, (lo, hi, most, ticks)
        assert min(abs(mantissa - m) for m in (1, 2, 5, 10)) < 1e-6, (lo, hi, step)
        assert all(b - a == pytest.approx(step) for a, b in itertools.pairwise(ticks))


def test_date_ticks_are_days_months_or_years_by_the_span():
    days = date_ticks(date(2022, 12, 29), date(2023, 1, 4), 900, 13)
    assert [s for _, s in days] == [
        "2022-12-29",
        "2022-12-30",
        "2022-12-31",
        "2023-01-01",
        "2023-01-02",
        "2023-01-03",
        "2023-01-04",
    ]
    months = date_ticks(date(2019, 3, 15), date(2020, 3, 31), 300, 9)
    assert [s for _, s in months] == ["2019-04", "2019-07", "2019-10", "2020-01"]
    assert all(d.day == 1 for d, _ in months)
    many = date_ticks(date(2019, 3, 15), date(2020, 3, 31), 2000, 11)
    assert [s for _, s in many][:3] == ["2019-04", "2019-05", "2019-06"] and many[-1][1] == "2020-03"
    years = date_ticks(date(2003, 6, 2), date(2024, 5, 31), 800, 11)
    assert [s for _, s in years] == [str(y) for y in range(2004, 2025, 2)]  # every year would not fit
    assert all(d.month == 1 and d.day == 1 for d, _ in years)


def test_a_dated_series_spans_the_plot_area_and_labels_its_dates():
    start = date(2019, 3, 15)
    dates = [start + timedelta(d) for d in range(383)]
    root = _svg(Chart(1000, 500, ("t",), (Series("a", dates, [100.0 + d % 17 for d in range(383)]),)))
    x0, x1, _, _ = _plot_area(root)
    (line,) = root.findall("s:polyline", NS)
    points = _points(line)
    assert points[0][0] == pytest.approx(x0, abs=0.1) and points[-1][0] == pytest.approx(x1, abs=0.1)
    ticks = [
        t for t in root.findall("s:text", NS) if t.get("text-anchor") == "middle" and t.text[:2] in ("20",)
    ]
    assert ticks and all(len(t.text) == 7 and t.text[4] == "-" for t in ticks)  # 2019-05 style
    # A tick sits at its date: 2020-01-01 is day 292 of the 382.
    x = {t.text: float(t.get("x")) for t in ticks}
    assert x["2020-01"] == pytest.approx(x0 + 292 / 382 * (x1 - x0), abs=0.1)


def test_text_is_escaped_and_the_svg_stays_valid_xml():
    chart = Chart(
        400,
        200,
        ('A <b>bold</b> & "quoted" title',),
        (Series("x < y & z", [0, 1], [1.0, 2.0]),),
        marks=((0.5, "a>b"),),
        x_label="<x>",
        y_label="&y",
    )
    svg = render(chart)
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    texts = _texts(ET.fromstring(svg))
    assert 'A <b>bold</b> & "quoted" title' in texts
    assert {"x < y & z", "a>b", "<x>", "&y"} <= set(texts)


def test_legend_labels_and_colours_follow_the_series():
    series = (Series("Total return", [0, 1], [1.0, 2.0]), Series("Price return", [0, 1], [1.0, 1.5]))
    root = _svg(Chart(500, 300, ("t",), series, legend="upper left"))
    assert {"Total return", "Price return"} <= set(_texts(root))
    lines = [line.get("stroke") for line in root.findall("s:polyline", NS)]
    assert lines == ["#1f77b4", "#ff7f0e"]  # tab10's first two
    samples = [s.get("stroke") for s in root.findall("s:line", NS) if s.get("stroke") in lines]
    assert samples == lines  # a line sample per label, in the series' colours
    none = _svg(Chart(500, 300, ("t",), series, legend=None))
    assert "Total return" not in _texts(none)


def test_the_legend_sits_in_the_corner_asked_for():
    series = (Series("a", [0, 1], [1.0, 2.0]),)
    for corner in ("upper left", "lower left"):
        root = _svg(Chart(500, 300, ("t",), series, legend=corner))
        x0, _, y0, y1 = _plot_area(root)
        (box,) = root.findall("s:rect[@fill-opacity]", NS)
        top, bottom = float(box.get("y")), float(box.get("y")) + float(box.get("height"))
        assert float(box.get("x")) > x0 and top > y0 and bottom < y1
        assert (top - y0 < y1 - bottom) == (corner == "upper left")


def test_marks_are_dotted_vertical_lines_with_upright_labels_and_the_reference_is_level():
    chart = Chart(
        720,
        300,
        ("t",),
        (Series("a", list(range(-20, 21)), [1.0 + i / 100 for i in range(41)]),),
        marks=((-10, "final_list"), (0, "recon_close")),
        reference=1.0,
    )
    root = _svg(chart)
    x0, x1, y0, y1 = _plot_area(root)
    dotted = root.findall("s:line[@stroke-dasharray]", NS)
    assert [float(d.get("x1")) for d in dotted] == pytest.approx(
        [x0 + 0.25 * (x1 - x0), x0 + 0.5 * (x1 - x0)], abs=0.1
    )
    assert all(
        d.get("x1") == d.get("x2")
        and float(d.get("y1")) == pytest.approx(y0, abs=0.1)
        and float(d.get("y2")) == pytest.approx(y1, abs=0.1)
        for d in dotted
    )
    labels = {t.text: t.get("transform") for t in root.findall("s:text", NS) if t.get("transform")}
    assert set(labels) == {"final_list", "recon_close"} and all("rotate(-90)" in v for v in labels.values())
    (level,) = root.findall("s:line[@stroke='black']", NS)
    (line,) = root.findall("s:polyline", NS)
    first = _points(line)[0]  # the series starts at 1.0: on the reference line
    assert level.get("y1") == level.get("y2") and float(level.get("y1")) == pytest.approx(first[1], abs=0.1)
    assert (float(level.get("x1")), float(level.get("x2"))) == pytest.approx((x0, x1), abs=0.1)


def test_a_missing_value_breaks_the_line():
    root = _svg(Chart(400, 200, ("t",), (Series("a", [0, 1, 2, 3, 4], [1.0, 2.0, None, 3.0, float("nan")]),)))
    assert [len(_points(p)) for p in root.findall("s:polyline", NS)] == [2, 1]


def test_a_long_title_is_wrapped_to_the_width():
    words = "prices: addition, deletion: imported file prices.csv; index: synthetic feed " * 3
    root = _svg(Chart(360, 180, ("Title", words), (Series("a", [0, 1], [1.0, 2.0]),), font=9))
    title = [t.text for t in root.findall("s:text", NS) if t.get("text-anchor") == "middle"][:4]
    assert title[0] == "Title" and len(title[1]) < 70 and " ".join(title[1:]).startswith(words.split()[0])


def test_inline_svg_is_a_markdown_image_of_a_base64_data_uri():
    svg = render(Chart(360, 180, ("t",), (Series("a", [0, 1], [1.0, 2.0]),)))
    md = inline_svg(svg, "90/10 index levels")
    assert md.startswith("![90/10 index levels](data:image/svg+xml;base64,") and md.endswith(")")
    assert base64.b64decode(md.split("base64,", 1)[1][:-1]).decode() == svg


def test_a_long_series_keeps_per_pixel_column_its_first_highest_lowest_and_last_point():
    """16 years of sessions in a 360-pixel chart: the line's points follow the width, not the history,
    and the extremes of every column (a crash day, the peak) are still drawn."""
    rng = random.Random(7)
    days = [date(2010, 1, 4) + timedelta(d) for d in range(16 * 365)]
    ys = list(itertools.accumulate(rng.gauss(0, 1) for _ in days))
    ys[3000] = min(ys) - 50  # a one-day crash
    root = _svg(Chart(360, 180, ("levels",), (Series("a", days, ys),), legend=None))
    x0, x1, y0, y1 = _plot_area(root)
    (line,) = root.findall("s:polyline", NS)
    points = _points(line)
    assert len(points) <= 4 * (int(x1) - int(x0) + 1) < len(days)
    assert [p[0] for p in points] == sorted(p[0] for p in points)  # still left to right
    assert points[0][0] == pytest.approx(x0, abs=0.1) and points[-1][0] == pytest.approx(x1, abs=0.1)
    assert all(y0 <= p[1] <= y1 for p in points)  # inside the plot area
    crash_x = x0 + 3000 / (len(days) - 1) * (x1 - x0)
    lowest = max(points, key=lambda p: p[1])  # the lowest value is drawn lowest (largest y)
    assert lowest[0] == pytest.approx(crash_x, abs=0.1)
    highest = min(points, key=lambda p: p[1])
    peak_x = x0 + ys.index(max(ys)) / (len(days) - 1) * (x1 - x0)
    assert highest[0] == pytest.approx(peak_x, abs=0.1)


def test_a_band_is_shaded_across_the_plot_and_the_axis_can_start_above_the_data():
    # A curve from 0 to 100; the axis from 80; a band from 90 to 95 and its label.
    xs = list(range(11))
    chart = Chart(
        600,
        400,
        ("curve",),
        (Series("a", xs, [10.0 * x for x in xs]),),
        legend=None,
        bands=((90.0, 95.0, "band 90-95%"),),
        y_from=80.0,
    )
    root = _svg(chart)
    x0, x1, y0, y1 = _plot_area(root)
    (band,) = root.findall("s:rect[@fill='#f0b429']", NS)
    top, height = float(band.get("y")), float(band.get("height"))
    assert (float(band.get("x")), float(band.get("width"))) == pytest.approx((x0, x1 - x0), abs=0.1)
    per_point = (y1 - y0) / 20  # the axis from 80 to 100
    assert top == pytest.approx(y0 + 5 * per_point, abs=0.1) and height == pytest.approx(
        5 * per_point, abs=0.1
    )
    assert "band 90-95%" in _texts(root)
    assert next(t for t in _texts(root) if t and t[0].isdigit()) == "80"  # the lowest y tick
    (clip,) = root.findall("s:defs/s:clipPath/s:rect", NS)
    assert [float(clip.get(k)) for k in ("x", "y")] == pytest.approx([x0, y0], abs=0.1)
    (line,) = root.findall("s:polyline", NS)
    assert line.get("clip-path") == "url(#plot)"  # the points below 80 are drawn, then cut at the edge
    assert _points(line)[0][1] > y1 and _points(line)[-1] == pytest.approx((x1, y0), abs=0.1)
