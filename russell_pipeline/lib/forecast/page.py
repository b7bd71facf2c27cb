"""The forecast page of `report`: per upcoming reconstitution, the breaks' market caps, the count of each
action, the cumulative market cap curve with the breaks and bands drawn, the names whose trade is the
most days of volume, and where the lake holds the published lists, the score and the misses by cause.

Pure: the stored tables in, the page (HTML) and its charts (SVG, lib/charts.py) out. The figures are those
of the tables, formatted once here; `report` writes them beside the index's page.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from russell_pipeline.lib.charts import Chart, Series, render
from russell_pipeline.lib.forecast.demand import INDEXES, net_days, sides, sized
from russell_pipeline.lib.forecast.inputs import Review
from russell_pipeline.lib.forecast.predict import ACTIONS
from russell_pipeline.lib.forecast.score import misses_by_cause
from russell_pipeline.lib.forecast.tracked import dollars, usd
from russell_pipeline.lib.market import provenance

TOP = 15  # names shown with the most days of volume
PAGE = "forecast.html"
TITLE = "Reconstitution forecast"


@dataclass(frozen=True)
class Page:
    html: str
    charts: dict[str, str]  # file name (beside the page) -> SVG


def shown_reviews(
    reviews: Sequence[Review], forecast_reviews: Sequence[str], last_close: date | None
) -> list[str]:
    """The forecast reviews the page shows: those whose reconstitution has not taken effect by the market
    data's last close (`effective_open` after it), else the latest forecast review."""
    held = set(forecast_reviews)
    upcoming = [
        r.review
        for r in reviews
        if r.review in held and (last_close is None or r.effective_open > last_close)
    ]
    return sorted(upcoming) or sorted(held)[-1:]


def chart_name(review: str) -> str:
    return f"forecast_{review}.svg"


def cap_curve(
    rows: pl.DataFrame, breaks: pl.DataFrame, review: str, size: tuple[int, int] = (900, 420)
) -> Chart:
    """The cumulative market cap (% of the Russell 3000E's) by rank of one review's ranked companies, each
    break the ranking reaches marked with its rank and market cap, and each band shaded."""
    ranked = rows.filter(pl.col("rank").is_not_null()).unique("rank").sort("rank")
    marks, bands = [], []
    for b in breaks.filter(pl.col("market_cap").is_not_null()).sort("rank").iter_rows(named=True):
        marks.append((b["rank"], f"{b['break']} break: rank {b['rank']:,}, {usd(b['market_cap'])}"))
        if b["band_low_pct"] is not None and b["band_high_pct"] is not None:
            bands.append(
                (
                    b["band_low_pct"],
                    b["band_high_pct"],
                    f"{b['break']} band {b['band_low_pct']:.2f}-{b['band_high_pct']:.2f}%",
                )
            )
    # With bands, the axis starts 5 points below the lowest, near the breaks; without, at 0.
    start = math.floor((min(b[0] for b in bands) - 5) / 5) * 5 if bands else 0.0
    shown = " (near the breaks and their bands)" if start else ""
    return Chart(
        *size,
        title=(
            f"{review}: cumulative market cap by rank",
            f"% of the Russell 3000E's total market cap{shown}",
        ),
        y_from=start,
        series=(
            Series("cumulative market cap", ranked["rank"].to_list(), ranked["cumulative_cap_pct"].to_list()),
        ),
        x_label="rank by total market cap",
        y_label="cumulative market cap (%)",
        legend=None,
        marks=tuple(marks),
        bands=tuple(bands),
    )


def _table(heads: Sequence[str], body: Sequence[Sequence[object]], cls: str = "") -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in heads)
    rows = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in r) + "</tr>" for r in body)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _cap(value: float | None) -> str:
    return "-" if value is None else usd(value)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}%"


def _days(value: float | None) -> str:
    return "unknown" if value is None or not math.isfinite(value) else f"{value:,.1f}"


def _shares(value: float | None) -> str:
    return "unknown" if value is None else f"{value:,.0f}"


def top_names(demand: pl.DataFrame, tracked: Mapping[str, float] | None) -> pl.DataFrame:
    """The names of one review's demand whose trade is the most days of volume: net over the tracked
    indexes (lib/forecast/demand.py `net_days`), or without tracked assets, per index row and $1 billion."""
    if tracked:
        return net_days(sized(demand, tracked)).filter(pl.col("days_of_volume").is_not_null()).head(TOP)
    return (
        demand.filter(pl.col("days_per_billion").is_not_null())
        .sort("days_per_billion", "symbol", descending=[True, False])
        .head(TOP)
    )


def _top_table(demand: pl.DataFrame, tracked: Mapping[str, float] | None) -> str:
    top = top_names(demand, tracked)
    if tracked:
        body = [
            (
                r["symbol"],
                r["company"] or "",
                r["action"],
                _shares(r["shares"]),
                _shares(r["adv_shares"]),
                _days(r["days_of_volume"]),
            )
            for r in top.iter_rows(named=True)
        ]
        heads = ("Symbol", "Company", "Action", "Shares (net)", "Average volume", "Days of volume")
    else:
        body = [
            (
                r["symbol"],
                r["company"] or "",
                r["action"],
                r["index_name"],
                _shares(r["shares_per_billion"]),
                _shares(r["adv_shares"]),
                _days(r["days_per_billion"]),
            )
            for r in top.iter_rows(named=True)
        ]
        heads = ("Symbol", "Company", "Action", "Index", "Shares per $1B", "Average volume", "Days per $1B")
    return _table(heads, body, "top") if body else "<p>No name with a known volume.</p>"


def _score(scores: pl.DataFrame, misses: pl.DataFrame, rows: pl.DataFrame) -> str:
    if not scores.height:
        return "<p>No published Russell 3000 list of this reconstitution in the lake: no score.</p>"
    body = [
        (
            r["change"],
            f"{r['published_stage']} of {r['published_as_of']}",
            f"{r['published']:,}",
            f"{r['predicted']:,}",
            f"{r['hits']:,}",
            f"{r['precision']:.3f}",
            f"{r['recall']:.3f}",
            f"{r['f1']:.3f}",
        )
        for r in scores.sort("change").iter_rows(named=True)
    ]
    out = _table(
        ("Change", "Published list", "Published", "Forecast", "Right", "Precision", "Recall", "F1"),
        body,
        "score",
    )
    causes = [
        (
            r["change"],
            "published, not forecast" if r["kind"] == "miss" else "forecast, not published",
            r["cause"],
            f"{r['names']:,}",
            ", ".join(r["symbols"]) + (", ..." if r["names"] > len(r["symbols"]) else ""),
        )
        for r in misses_by_cause(misses, rows).iter_rows(named=True)
    ]
    if causes:
        out += "<h3>Misses by cause</h3>" + _table(
            ("Change", "Miss", "Cause (the forecast's rule)", "Names", "Symbols"), causes, "causes"
        )
    return out


def _section(
    review: Review,
    rows: pl.DataFrame,
    breaks: pl.DataFrame,
    scores: pl.DataFrame,
    misses: pl.DataFrame,
    demand: pl.DataFrame,
    tracked: Mapping[str, float] | None,
) -> str:
    esc = html.escape
    counts = rows.group_by("action").len()
    count = dict(counts.iter_rows())
    notes = breaks["notes"].drop_nulls().unique().to_list()
    sources = ", ".join(sorted(set(rows["price_source"].drop_nulls())))
    if provenance.is_synthetic(sources):
        sources = "the market data, SYNTHETIC (the built-in feed, not market data)"
    breaks_body = [
        (
            b["break"],
            f"{b['rank']:,}",
            _cap(b["market_cap"]),
            _pct(b["cumulative_cap_pct"]),
            _pct(b["band_low_pct"]),
            _pct(b["band_high_pct"]),
        )
        for b in breaks.sort("rank").iter_rows(named=True)
    ]
    ranked = rows.filter(pl.col("rank").is_not_null())["rank"].n_unique()
    reached = (
        ""
        if breaks.filter(pl.col("market_cap").is_not_null()).height
        else (
            f"<p>The ranking holds {ranked:,} eligible companies: it reaches no break, so no band is "
            "drawn.</p>"
        )
    )
    parts = [
        (
            f'<section id="{esc(review.review)}"><h2>{esc(review.review)}: rank day {review.rank_day}, '
            f"effective {review.effective_open}</h2>"
        ),
        f'<p class="source">universe: {esc(sources)}</p>',
        *(f'<p class="note">not known: {esc(n)}</p>' for n in notes),
        "<h3>Actions</h3>",
        _table(ACTIONS, [[f"{count.get(a, 0):,}" for a in ACTIONS]], "actions"),
        "<h3>Breaks</h3>",
        _table(("Break", "Rank", "Market cap", "Cumulative", "Band low", "Band high"), breaks_body, "breaks"),
        reached,
        (
            f'<figure><img src="{esc(chart_name(review.review))}" '
            f'alt="Cumulative market cap by rank, {esc(review.review)}"></figure>'
        ),
        "<h3>Trades: the names with the most days of volume</h3>",
        _trades_intro(demand, tracked),
        _top_table(demand, tracked),
        "<h3>Score against the published lists</h3>",
        _score(scores, misses, rows),
        "</section>",
    ]
    return "\n".join(p for p in parts if p)


def _trades_intro(demand: pl.DataFrame, tracked: Mapping[str, float] | None) -> str:
    esc = html.escape
    if not tracked:
        return (
            "<p>No assets tracking each index were given (<code>report --tracked</code> or "
            "<code>RUSSELL_TRACKED_ASSETS</code>): the days are those of $1 billion tracking the row's "
            "index.</p>"
        )
    given = ", ".join(f"{x} {dollars(tracked[x])}" for x in INDEXES if x in tracked)
    lines = [
        f"<p>Tracked assets: {esc(given)}. Days of volume net over the tracked indexes a name trades in.</p>"
    ]
    body = [
        (s.index_name, usd(s.bought), f"{s.bought_names:,}", usd(s.sold), f"{s.sold_names:,}")
        for s in sides(sized(demand, tracked))
    ]
    if body:
        lines.append(_table(("Index", "Bought", "Names bought", "Sold", "Names sold"), body, "sides"))
    return "\n".join(lines)


def forecast_page(
    rows: pl.DataFrame,
    breaks: pl.DataFrame,
    scores: pl.DataFrame,
    misses: pl.DataFrame,
    demand: pl.DataFrame,
    reviews: Sequence[Review],
    tracked: Mapping[str, float] | None = None,
    note: str = "",
) -> Page:
    """The page of `reviews` (Review, in the order shown) from the stored forecast tables of their years."""
    esc = html.escape
    sections, charts = [], {}
    for review in reviews:
        mine = {
            name: t.filter(pl.col("review") == review.review)
            for name, t in (
                ("rows", rows),
                ("breaks", breaks),
                ("scores", scores),
                ("misses", misses),
                ("demand", demand),
            )
        }
        charts[chart_name(review.review)] = render(cap_curve(mine["rows"], mine["breaks"], review.review))
        sections.append(
            _section(
                review, mine["rows"], mine["breaks"], mine["scores"], mine["misses"], mine["demand"], tracked
            )
        )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(TITLE)}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; max-width: 1100px; }}
figure {{ margin: 1em 0; }}
img {{ width: 100%; max-width: 900px; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1em; }}
th, td {{ padding: 0.25em 0.6em; border-bottom: 1px solid #ccc; text-align: left; }}
td {{ font-variant-numeric: tabular-nums; }}
.note, .source {{ color: #555; }}
</style></head>
<body><h1>{esc(TITLE)}</h1>
<p class="source">{esc(note)}</p>
{"".join(sections) or "<p>The lake holds no forecast.</p>"}
</body></html>
"""
    return Page(page, charts)
