"""Summary statistics and charts of the index series, for the `report` command and asset metadata."""

from __future__ import annotations

import html
import math
from pathlib import Path

import polars as pl

from russell_pipeline.lib.charts import Chart, Series, inline_svg, render

TRADING_DAYS = 252


def _stats(frame: pl.DataFrame, key: pl.Expr) -> pl.DataFrame:
    """Period returns measured from the previous period's last level (the base for the first)."""

    def base(col: str) -> pl.Expr:
        return pl.col(f"prev_{col}").first().fill_null(pl.col(col).first())

    peak = pl.max_horizontal(pl.col("total_return").cum_max(), base("total_return"))
    return frame.group_by(key.alias("period"), maintain_order=True).agg(
        pl.col("date").first().alias("first_date"),
        pl.col("date").last().alias("last_date"),
        pl.len().cast(pl.Int64).alias("sessions"),
        (pl.col("price_return").last() / base("price_return") - 1).alias("price_return"),
        (pl.col("total_return").last() / base("total_return") - 1).alias("total_return"),
        (pl.col("daily").std() * math.sqrt(TRADING_DAYS)).alias("volatility"),
        (pl.col("total_return") / peak - 1).min().clip(upper_bound=0.0).alias("max_drawdown"),
    )


def summary_table(levels: pl.DataFrame) -> pl.DataFrame:
    """One row per calendar year and one `overall`: price and total return (fractions), annualized
    volatility of daily total returns, and max drawdown of the total return series (<= 0).
    """
    frame = (
        levels.sort("date")
        .select("date", "price_return", "total_return")
        .with_columns(
            pl.col("price_return").shift(1).alias("prev_price_return"),
            pl.col("total_return").shift(1).alias("prev_total_return"),
            (pl.col("total_return") / pl.col("total_return").shift(1) - 1).alias("daily"),
        )
    )
    years = _stats(frame, pl.col("date").dt.year().cast(pl.String))
    overall = _stats(
        frame.with_columns(
            pl.lit(None, pl.Float64).alias(c) for c in ("prev_price_return", "prev_total_return")
        ),
        pl.lit("overall"),
    )
    return pl.concat([years, overall])


TITLE = "Russell Custom Small Cap Completeness 90/10 Index"


def levels_chart(levels: pl.DataFrame, size: tuple[int, int], note: str = "", font: float = 13) -> Chart:
    """Total and price return levels by date, `size` in pixels; `note` says where the data came from."""
    levels = levels.sort("date")
    dates = levels["date"].to_list()
    return Chart(
        *size,
        title=(TITLE, note),
        font=font,
        y_label="Level",
        series=(
            Series("Total return", dates, levels["total_return"].to_list()),
            Series("Price return", dates, levels["price_return"].to_list()),
        ),
    )


def chart_svg(levels: pl.DataFrame, path: str | Path, note: str = "") -> Path:
    """Both series as an SVG file of 1000 x 500 pixels (the `report` command's chart)."""
    path = Path(path)
    path.write_text(render(levels_chart(levels, (1000, 500), note)))
    return path


def chart_markdown(levels: pl.DataFrame, note: str = "") -> str:
    """A small inline SVG (360 x 180 pixels) as Markdown, for Dagster asset metadata."""
    return inline_svg(render(levels_chart(levels, (360, 180), note, font=9)), "90/10 index levels")


# (column, heading, unit) of the readable table; returns and risk in percent.
COLUMNS = (
    ("period", "Period", ""),
    ("first_date", "From", ""),
    ("last_date", "To", ""),
    ("sessions", "Sessions", ""),
    ("price_return", "Price return", "%"),
    ("total_return", "Total return", "%"),
    ("volatility", "Volatility", "% a year"),
    ("max_drawdown", "Max drawdown", "%"),
)
NOTES = (
    "Returns run from the last level of the period before (the base level for the first period).",
    "Volatility: standard deviation of daily total returns, annualised (x sqrt(252)).",
    "Max drawdown: the largest fall of the total return level from its running peak.",
)


def _cells(summary: pl.DataFrame) -> list[list[str]]:
    def cell(value, column: str, unit: str) -> str:
        if value is None:  # a period of one session has no volatility
            return "-"
        if not unit:
            return str(value)
        return f"{value * 100:+.2f}" if column.endswith("_return") else f"{value * 100:.2f}"  # returns signed

    return [[cell(r[c], c, unit) for c, _, unit in COLUMNS] for r in summary.iter_rows(named=True)]


def summary_text(summary: pl.DataFrame, note: str = "") -> str:
    """The summary as a table a person reads: headings with units, percentages, aligned columns."""
    heads = [f"{h} ({u})" if u else h for _, h, u in COLUMNS]
    rows = _cells(summary)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    out = [
        TITLE,
        *([note] if note else []),
        "",
        line(heads),
        "  ".join("-" * w for w in widths),
        *(line(r) for r in rows),
        "",
        *NOTES,
    ]
    return "\n".join(out) + "\n"


def summary_html(
    summary: pl.DataFrame, chart: str, note: str = "", links: tuple[tuple[str, str], ...] = ()
) -> str:
    """A page with the chart (file name `chart`, beside it) next to the summary table; `links`: (page beside
    it, its title) listed under the title."""
    esc = html.escape
    nav = "".join(f'<a href="{esc(page)}">{esc(title)}</a> ' for page, title in links)
    heads = "".join(
        f"<th>{esc(h)}" + (f"<br><small>{esc(u)}</small>" if u else "") + "</th>" for _, h, u in COLUMNS
    )
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in _cells(summary))
    notes = "".join(f"<li>{esc(n)}</li>" for n in NOTES)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(TITLE)}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
main {{ display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }}
figure {{ flex: 1 1 420px; max-width: 900px; margin: 0; }}
img {{ width: 100%; }}
table {{ border-collapse: collapse; }}
th, td {{ padding: 0.3em 0.7em; border-bottom: 1px solid #ccc; }}
td:nth-child(n+4) {{ text-align: right; font-variant-numeric: tabular-nums; }}
</style></head>
<body><h1>{esc(TITLE)}</h1>
<p class="source">{esc(note)}</p>
{f"<nav>{nav}</nav>" if nav else ""}
<main><figure><img src="{esc(chart)}" alt="Price and total return levels"></figure>
<table><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table></main>
<ul class="notes">{notes}</ul>
</body></html>
"""
