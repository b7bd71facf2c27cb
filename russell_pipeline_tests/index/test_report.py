"""The report a person reads: a table with units, and a page with the chart beside it (seen in Chromium)."""

from __future__ import annotations

from datetime import date

import polars as pl

from russell_pipeline.cli import main
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.index.report import summary_table, summary_text

# 100 -> 120 -> 90 (drawdown -25%) -> 110 across a year end
LEVELS = pl.DataFrame(
    {
        "date": [date(2022, 12, 29), date(2022, 12, 30), date(2023, 1, 3), date(2023, 1, 4)],
        "price_return": [100.0, 118.0, 88.0, 107.0],
        "total_return": [100.0, 120.0, 90.0, 110.0],
    }
)


def test_the_summary_is_a_table_with_units_and_percentages():
    text = summary_text(summary_table(LEVELS), "market data: SYNTHETIC feed")
    lines = text.splitlines()
    assert lines[:2] == ["Russell Custom Small Cap Completeness 90/10 Index", "market data: SYNTHETIC feed"]
    assert lines[3].startswith("Period   From        To") and "Price return (%)" in lines[3]
    assert "Volatility (% a year)" in lines[3] and "Max drawdown (%)" in lines[3]
    # 2022: +18% price, +20% total from the base; 2023 from 2022's last level: 107/118 - 1, 110/120 - 1.
    rows = {line.split()[0]: line.split() for line in lines[5:8]}
    assert rows["2022"][4:6] == ["+18.00", "+20.00"] and rows["2022"][7] == "0.00"
    assert rows["2023"][4:6] == ["-9.32", "-8.33"] and rows["2023"][7] == "-25.00"
    assert rows["overall"][1:4] == ["2022-12-29", "2023-01-04", "4"] and rows["overall"][5] == "+10.00"
    assert "shape:" not in text and "annualised" in text


def test_the_report_page_shows_the_chart_beside_the_table(tmp_path, monkeypatch, capsys, browser):
    root = tmp_path / "lake"
    root.mkdir()
    Lake(root).tables.write("index_levels", LEVELS)
    monkeypatch.setenv("RUSSELL_DATA_LAKE", str(root))
    assert main(["report", "--out", str(tmp_path / "report")]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"wrote {tmp_path / 'report' / 'report.html'}")
    page = browser.new_page(viewport={"width": 1500, "height": 900})
    page.goto((tmp_path / "report" / "report.html").as_uri())
    image, table = page.locator("img"), page.locator("table")
    assert page.title() == "Russell Custom Small Cap Completeness 90/10 Index"
    assert image.get_attribute("src") == "index_levels.svg"
    # The SVG's own size: 1000 x 500 pixels.
    assert image.evaluate("img => img.complete && [img.naturalWidth, img.naturalHeight]") == [1000, 500]
    headings = table.locator("th").all_inner_texts()
    assert [h.split("\n")[0] for h in headings] == [
        "Period",
        "From",
        "To",
        "Sessions",
        "Price return",
        "Total return",
        "Volatility",
        "Max drawdown",
    ]
    assert table.locator("tbody tr").nth(2).inner_text().split("\t")[:4] == [
        "overall",
        "2022-12-29",
        "2023-01-04",
        "4",
    ]
    chart, grid = image.bounding_box(), table.bounding_box()
    assert (
        chart["x"] + chart["width"] <= grid["x"] and chart["y"] < grid["y"] + grid["height"]
    )  # side by side
    page.screenshot(path=str(tmp_path / "report.png"))
    page.close()
