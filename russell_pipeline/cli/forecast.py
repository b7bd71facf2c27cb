"""`forecast YEAR`: the stored reconstitution forecast of a year's reviews, its summary or its score."""

from __future__ import annotations

import sys

import polars as pl

from russell_pipeline.cli import trades
from russell_pipeline.cli.common import UsageError, emit, not_built, open_lake, say_synthetic, stored
from russell_pipeline.lib.errors import LakeError
from russell_pipeline.lib.forecast.reasons import money
from russell_pipeline.lib.forecast.score import misses_by_cause
from russell_pipeline.settings import Settings

ACTIONS = ("add", "delete", "stay", "move_up", "move_down", "out", "absent")


def _year(lake, table: str, year: int, review: str | None) -> pl.DataFrame:
    rows = lake.warehouse.published(table).filter(pl.col("recon_year") == year)
    return rows.filter(pl.col("review") == review) if review else rows


def summary(rows: pl.DataFrame, breaks: pl.DataFrame) -> pl.DataFrame:
    """One row per review: how many rows of each action, and the market cap at each break."""
    counts = rows.group_by("review").agg(
        [(pl.col("action") == a).sum().cast(pl.Int64).alias(a) for a in ACTIONS]
    )
    caps = breaks.pivot(on="break", index="review", values="market_cap")
    caps = caps.rename({c: c.lower().replace(" ", "_") + "_break_cap" for c in caps.columns if c != "review"})
    band = breaks.filter(pl.col("break") == "Russell 1000").select(
        "review", r1000_band_low_pct="band_low_pct", r1000_band_high_pct="band_high_pct"
    )
    return counts.join(caps, on="review", how="left").join(band, on="review", how="left").sort("review")


def _print_summary(found: pl.DataFrame) -> None:
    """Per review: the count of each action, the market cap at each break, the Russell 1000 band."""
    caps = [c for c in found.columns if c.endswith("_break_cap")]
    shown = found.with_columns(money(pl.col(c)).fill_null("-") for c in caps)
    for r in shown.iter_rows(named=True):
        print(f"{r['review']}: " + ", ".join(f"{a} {r[a]:,}" for a in ACTIONS))
        names = (c.removesuffix("_break_cap").replace("_", " ").title() for c in caps)
        print(
            "  market cap at the break: " + ", ".join(f"{n} {r[c]}" for n, c in zip(names, caps, strict=True))
        )
        if r.get("r1000_band_low_pct") is not None:
            print(
                f"  Russell 1000 band: {r['r1000_band_low_pct']:.1f}% to {r['r1000_band_high_pct']:.1f}% of "
                "cumulative market cap"
            )


def _print_score(scores: pl.DataFrame, misses: pl.DataFrame, rows: pl.DataFrame) -> None:
    for r in scores.sort("review", "change").iter_rows(named=True):
        print(
            f"{r['review']} {r['change']}s: precision {r['precision']:.3f}, recall {r['recall']:.3f}, "
            f"F1 {r['f1']:.3f} "
            f"({r['published']} on the published {r['published_stage']} list of {r['published_as_of']}, "
            f"{r['predicted']} forecast, {r['hits']} right)"
        )
    for (review, change, kind), group in misses.group_by("review", "change", "kind", maintain_order=True):
        label = "published, not forecast" if kind == "miss" else "forecast, not published"
        print(f"{review} {change}s {label} ({group.height}):")
        for r in group.sort("symbol").iter_rows(named=True):
            print(f"  {r['symbol']:<8} {(r['company'] or '')[:40]:<40} {r['reason']}")
    # The closing note: the misses grouped by the rule the forecast's row rests on, with their counts.
    causes = misses_by_cause(misses, rows)
    for (review, change, kind), group in causes.group_by("review", "change", "kind", maintain_order=True):
        label = "published, not forecast" if kind == "miss" else "forecast, not published"
        said = ", ".join(f"{c} {n}" for c, n in group.select("cause", "names").iter_rows())
        print(f"{review} {change}s {label}, by the forecast's rule: {said}")


def cmd_forecast(args, settings: Settings) -> int:
    """The rows (csv by default), `--summary` or `--score` (a table by default) of a year's forecast, or
    `--demand`: what it makes index funds trade (cli/trades.py)."""
    from russell_pipeline.planning.keys import year_keys

    years = year_keys(settings.now)
    if str(args.year) not in years:  # no partition holds it: no build could forecast it
        raise UsageError(
            f"forecast {args.year}: the reconstitution years are {years[0]}..{years[-1]} (the calendar's, to "
            "four years past this one)"
        )
    fmt = args.format or ("table" if args.summary or args.score else "csv")
    tracked = trades.tracked_assets(args, settings) if args.demand else None
    lake = open_lake(settings)
    for table in ("reconstitution_forecast", "forecast_breaks", "forecast_score", "forecast_misses"):
        stored(lake, table)
    rows = _year(lake, "reconstitution_forecast", args.year, args.review)
    from russell_pipeline.planning import forecast_years as stage

    unbuilt = not_built(lake, args.year, rows.height > 0, stage)
    if not rows.height:
        raise LakeError(
            f"{lake.tables.folder / 'reconstitution_forecast'}: no forecast of {args.review or args.year}: "
            + (
                unbuilt
                or f"it needs a universe file dated on a rank day under raw/{args.year}/ (or market data "
                "with a "
                "close on one) and `russell-pipeline build`"
            )
        )
    breaks = _year(lake, "forecast_breaks", args.year, args.review)
    for review, notes in breaks.select("review", "notes").unique().sort("review").iter_rows():
        if notes:
            print(f"{review}: not known: {notes}", file=sys.stderr)
    say_synthetic(rows["price_source"], "this forecast's universe and prices")
    if tracked is not None:
        trades.print_demand(lake, args, settings, *tracked)
        return 0
    if args.score:
        scores = _year(lake, "forecast_score", args.year, args.review)
        misses = _year(lake, "forecast_misses", args.year, args.review)
        if not scores.height:
            raise LakeError(
                f"{lake.tables.folder / 'forecast_score'}: no score for {args.review or args.year}: "
                "the lake holds no "
                f"published Russell 3000 additions or deletions list of its reconstitution (raw/{args.year}/)"
            )
        if fmt == "table":
            _print_score(scores, misses, rows)
        else:
            emit(
                misses.join(scores.drop("recon_year"), on=["review", "change"], how="left").drop(
                    "recon_year"
                ),
                fmt,
            )
        return 0
    if args.summary:
        found = summary(rows, breaks)
        if fmt == "table":
            _print_summary(found)
        else:
            emit(found, fmt)
        return 0
    out = rows.drop("recon_year").sort("review", pl.col("rank").is_null(), "rank", "symbol")
    emit(out, "csv" if fmt == "table" else fmt)
    return 0
