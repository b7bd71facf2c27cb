"""The verbs of the index: report (its chart and summary) and pro-forma (a review's trade list)."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from russell_pipeline.cli.common import UsageError, emit, open_lake, say_synthetic, stored, warn_not_current
from russell_pipeline.lib.errors import InputError
from russell_pipeline.settings import Settings


def cmd_report(args, settings: Settings) -> int:
    from russell_pipeline.lib.index.report import chart_svg, summary_html, summary_table, summary_text

    lake = open_lake(settings)
    levels = lake.warehouse.published("index_levels")
    if levels is None or not levels.height:
        raise InputError(
            lake.tables.folder / "index_levels", "no index levels stored: run `russell-pipeline build` first"
        )
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"report --out {out}: cannot create the folder ({err.strerror})") from None
    levels = levels.sort("date")
    source = lake.warehouse.published("market_source")
    note = f"market data: {source['source'][0]}" if source is not None and source.height else ""
    chart_svg(levels, out / "index_levels.svg", note)
    summary = summary_table(levels)
    labels = (
        levels["price_source"] if "price_source" in levels.columns else pl.Series([None], dtype=pl.String)
    )
    summary.with_columns(
        price_source=pl.lit(", ".join(sorted(labels.drop_nulls().unique())) or None, pl.String)
    ).write_csv(out / "summary.csv")
    text = summary_text(summary, note)
    (out / "summary.txt").write_text(text)
    forecast = _forecast_page(lake, out, args, settings, note)
    links = ((forecast[0].name, "Reconstitution forecast"),) if forecast else ()
    (out / "report.html").write_text(summary_html(summary, "index_levels.svg", note, links))
    print(text, end="")
    print(
        f"wrote {out / 'report.html'} (chart and table), {out / 'index_levels.svg'}, {out / 'summary.csv'}, "
        f"{out / 'summary.txt'}"
        + (f", {forecast[0]} (the forecast of {', '.join(forecast[1])})" if forecast else "")
    )
    say_synthetic(labels, "the index levels of this report")
    _not_current(
        lake,
        settings,
        "index_levels",
        sorted(levels["review"].unique()) if "review" in levels.columns else [],
    )
    return 0


def _not_current(lake, settings: Settings, asset: str, reviews: list[str], year: int | None = None) -> None:
    """A warning when the stored rows of `asset` (of `reviews`) are not those of their inputs now: the
    market data changed since it was read, the reviews' inputs changed or their run failed, or (`year`)
    the forecast they carry (planning/stale.py)."""
    from russell_pipeline.planning import forecast_years, keys
    from russell_pipeline.planning.stale import market_not_built, review_not_built, stage_not_built

    why = (
        market_not_built(lake, settings)
        or review_not_built(lake, asset, reviews or keys.review_keys())
        or (stage_not_built(lake, forecast_years, year) if year is not None else None)
    )
    if why:
        warn_not_current(why, "the tables an earlier build left")


def cmd_pro_forma(args, settings: Settings) -> int:
    """A review's trade list: move, weight now, pro-forma weight, change and shares per $1 billion per
    symbol (with `--aum`, sized for that fund against volume: cli/trades.py), and the prices it rests on;
    the totals on stderr, and a note when those prices are the synthetic feed (docs/methodology.md §1.10).
    Nothing is printed on stdout unless the whole answer is."""
    from russell_pipeline.cli.trades import pro_forma_trade
    from russell_pipeline.lake.index_tables import forecast_rows
    from russell_pipeline.lib.forecast.tracked import PARTICIPATION
    from russell_pipeline.lib.index.pro_forma import TRADE_COLUMNS, members_line, totals
    from russell_pipeline.lib.index.trade import TRADE_SIZE_COLUMNS
    from russell_pipeline.lib.market.provenance import COLUMN

    lake = open_lake(settings)
    stored(lake, "pro_forma_weights")
    weights = lake.warehouse.published("pro_forma_weights")
    rows = weights.filter(pl.col("review") == args.review).sort("symbol")
    if not rows.height:
        held = sorted(weights["review"].unique().to_list())
        raise UsageError(
            f"pro-forma {args.review}: no pro-forma weights for this review (reviews with them: "
            + (f"{held[0]}..{held[-1]}" if held else "none")
            + "; a review needs its members in the "
            "market data and the weights of the review before it)"
        )
    shown, sized_line = [*TRADE_COLUMNS, COLUMN], None
    if args.aum is not None:  # sized for a fund (cli/trades.py)
        rows, sized_line = pro_forma_trade(
            lake, rows, args.aum, args.participation or PARTICIPATION, args.format
        )
        at = shown.index("shares_per_billion") + 1
        shown[at:at] = list(TRADE_SIZE_COLUMNS)
    emit(rows.select(shown), args.format)
    head, summary = rows.row(0, named=True), totals(rows)
    print(summary.line(args.review, head["as_of_date"], head["stand_in"]), file=sys.stderr)
    if sized_line:
        print(sized_line, file=sys.stderr)
    if head["members_carried"]:
        said = members_line(args.review, rows, forecast_rows(lake, args.review))
        print(f"{said}; when the data gives {args.review} its own, build uses them", file=sys.stderr)
    say_synthetic(rows[COLUMN], f"the weights and trades of pro-forma {args.review}")
    forecast_year = int(args.review[:4]) if rows["members_forecast"].any() else None
    _not_current(lake, settings, "pro_forma_weights", [args.review], forecast_year)
    return 0


def _forecast_page(lake, out: Path, args, settings: Settings, note: str) -> tuple[Path, list[str]] | None:
    """The forecast page beside the report (lib/forecast/page.py) and its charts, of the upcoming
    reconstitutions the lake forecasts; None when it holds no forecast. The trades are sized for the
    assets `--tracked` (else RUSSELL_TRACKED_ASSETS; else per $1 billion, as the page says)."""
    from russell_pipeline.lib.forecast.demand import DEMAND_COLUMNS
    from russell_pipeline.lib.forecast.inputs import Calendar, reviews
    from russell_pipeline.lib.forecast.page import PAGE, forecast_page, shown_reviews

    rows = (
        lake.warehouse.published("reconstitution_forecast")
        if "reconstitution_forecast" in lake.warehouse.published_versions()
        else None
    )
    if rows is None or not rows.height:
        return None
    calendar = Calendar(lake.warehouse.published("recon_calendar"))
    source = lake.warehouse.published("market_source")
    last = source["last_price_date"][0] if source is not None and source.height else None
    years = sorted(set(rows["recon_year"]))
    known = [r for year in years for r in reviews(calendar, year)]
    shown = shown_reviews(known, rows["review"].unique().to_list(), last)
    tables = {
        name: lake.warehouse.published(name) if name in lake.warehouse.published_versions() else None
        for name in ("forecast_breaks", "forecast_score", "forecast_misses", "reconstitution_demand")
    }
    demand = tables["reconstitution_demand"]
    page = forecast_page(
        rows,
        tables["forecast_breaks"],
        tables["forecast_score"],
        tables["forecast_misses"],
        demand if demand is not None else pl.DataFrame(schema=DEMAND_COLUMNS),
        [r for r in known if r.review in shown],
        dict(args.tracked or settings.tracked_assets) or None,
        note,
    )
    for name, svg in page.charts.items():
        (out / name).write_text(svg)
    (out / PAGE).write_text(page.html)
    return out / PAGE, shown
