"""Summary statistics and charts of the index series, for the `report` command and asset metadata."""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

TRADING_DAYS = 252


def _stats(frame: pl.DataFrame, key: pl.Expr) -> pl.DataFrame:
    """Period returns measured from the previous period's last level (the base for the first)."""

    def base(col: str) -> pl.Expr:
        return pl.col(f"prev_{col}").first().fill_null(pl.col(col).first())

    peak = pl.max_horizontal(pl.col("total_return").cum_max(), base("total_return"))
    return (
        frame.group_by(key.alias("period"), maintain_order=True)
        .agg(
            pl.col("date").first().alias("first_date"),
            pl.col("date").last().alias("last_date"),
            pl.len().cast(pl.Int64).alias("sessions"),
            (pl.col("price_return").last() / base("price_return") - 1).alias("price_return"),
            (pl.col("total_return").last() / base("total_return") - 1).alias("total_return"),
            (pl.col("daily").std() * math.sqrt(TRADING_DAYS)).alias("volatility"),
            (pl.col("total_return") / peak - 1).min().clip(upper_bound=0.0).alias("max_drawdown"),
        )
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
    overall = _stats(frame.with_columns(pl.lit(None, pl.Float64).alias(c) for c in
                                        ("prev_price_return", "prev_total_return")), pl.lit("overall"))
    return pl.concat([years, overall])


TITLE = "Russell Custom Small Cap Completeness 90/10 Index"


def _figure(levels: pl.DataFrame, size: tuple[float, float], note: str) -> Figure:
    levels = levels.sort("date")
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)  # the Agg canvas: no display, no pyplot global state
    ax = fig.add_subplot()
    ax.plot(levels["date"].to_list(), levels["total_return"].to_list(), label="Total return", lw=1)
    ax.plot(levels["date"].to_list(), levels["price_return"].to_list(), label="Price return", lw=1)
    ax.set_title(f"{TITLE}\n{note}" if note else TITLE)
    ax.set_ylabel("Level")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def chart_png(levels: pl.DataFrame, path: str | Path, note: str = "") -> Path:
    """Both series as a PNG file (the `report` command's chart); `note` says where the data came from."""
    path = Path(path)
    _figure(levels, (10, 5), note).savefig(path, dpi=100, format="png")
    return path


def chart_markdown(levels: pl.DataFrame, note: str = "") -> str:
    """A small inline PNG as Markdown, for Dagster asset metadata (kept to a few tens of KB)."""
    buf = io.BytesIO()
    _figure(levels, (6, 3), note).savefig(buf, dpi=60, format="png")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f"![90/10 index levels](data:image/png;base64,{data})"
