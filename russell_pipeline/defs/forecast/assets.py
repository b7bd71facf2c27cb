"""The reconstitution forecast: from a rank-day universe and the members in force to the additions,
deletions and moves of each reconstitution, scored against the lists FTSE Russell then published."""

from datetime import timedelta

import dagster as dg
import polars as pl

from russell_pipeline.defs.commit import Check, Write, commit, refuse, reports_failure, specs
from russell_pipeline.defs.metadata import partition_facts, table_definition, with_table_facts
from russell_pipeline.defs.partitions import LAKE_POOL, LAKE_RETRY, recon_years, single_run
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.market_tables import price_label, stored_market_data, window_volumes
from russell_pipeline.lake.staged import Staged
from russell_pipeline.lib.forecast.demand import DEMAND_COLUMNS, UNIVERSE_VOLUME, demand
from russell_pipeline.lib.forecast.inputs import HISTORY_DAYS, market_universe
from russell_pipeline.lib.forecast.predict import BREAK_COLUMNS, FORECAST_COLUMNS, forecast
from russell_pipeline.lib.forecast.score import MISS_COLUMNS, SCORE_COLUMNS, published_lists, score
from russell_pipeline.lib.market import provenance
from russell_pipeline.lib.market.volume import average_volume
from russell_pipeline.planning import digests
from russell_pipeline.planning.forecast_years import ASSET, ReviewInputs, year_inputs

YEAR = {"recon_year": pl.Int64}
DEMAND = "reconstitution_demand"
EMPTY = {DEMAND: "no addition, deletion or move between the Russell 1000 and 2000 forecast"}
TABLES = {
    ASSET: (
        YEAR | FORECAST_COLUMNS | provenance.SCHEMA,
        (
            "Each security of a rank-day universe and each member in force, with its index before and after "
            "the reconstitution, the action (add, delete, stay, move_up, move_down; out, absent) and its "
            "reason, by FTSE Russell's published construction rules."
        ),
    ),
    "forecast_breaks": (
        YEAR | BREAK_COLUMNS,
        (
            "The breaks of each forecast review: the rank, market cap and cumulative market cap of the "
            "Russell 1000, 2000, 3000 and 3000E breaks, with the band around the Russell 1000's."
        ),
    ),
    "forecast_score": (
        YEAR | SCORE_COLUMNS,
        (
            "Precision, recall and F1 of each forecast review's additions and deletions against the Russell "
            "3000 lists FTSE Russell published."
        ),
    ),
    "forecast_misses": (
        YEAR | MISS_COLUMNS,
        (
            "Every published addition or deletion the forecast missed, and every one it forecast that was "
            "not published, with the forecast's reason."
        ),
    ),
    DEMAND: (
        YEAR | DEMAND_COLUMNS | provenance.SCHEMA,
        (
            "What each forecast addition, deletion and move makes index funds trade: per index it enters or "
            "leaves (Russell 1000, 2000, 3000), its weight before and after, the shares a $1 billion fund "
            "tracking the index buys or sells, the average volume of the 20 sessions to rank day and the "
            "days of volume per $1 billion; `forecast YEAR --demand` sizes it for the assets tracking each "
            "index."
        ),
    ),
}
SCORED = Check(
    "forecast_score",
    "forecast_matches_published",
    "Where the lake holds a review's published Russell 3000 lists, the forecast's F1 is at least 0.8 for "
    "additions and for deletions (the score and every miss are on the check and in forecast_misses).",
    "warn",
)
CHECKS = [SCORED]
F1_FLOOR = 0.8


def _review(lake: Lake, year: int, r: ReviewInputs, changes: pl.DataFrame) -> tuple[pl.DataFrame, ...]:
    """One review's forecast rows, breaks, score and misses."""
    universe, history, label = r.universe, r.history, r.universe_source
    day = r.review.rank_day
    if universe is None:  # the market data's closes on rank day
        market = stored_market_data(lake, since=day - timedelta(days=HISTORY_DAYS + 10), until=day)
        universe = market_universe(market.prices, market.shares, market.fx, day)
        history = market.prices.filter(pl.col("date") < day).select("symbol", "date", "close")
    elif (found := price_label(lake)) is not None and not provenance.is_synthetic(found):
        # A universe file's review: real market data's closes before rank day give a member's 30-day
        # average where no earlier universe file does (the synthetic feed's borrowed names are not the
        # companies of the file).
        market = stored_market_data(lake, since=day - timedelta(days=HISTORY_DAYS + 10), until=day)
        closes = market.prices.filter(pl.col("date") < day).select("symbol", "date", "close")
        history = pl.concat([history, closes.join(history, on=["symbol", "date"], how="anti")])
    evidence = r.evidence
    made = forecast(
        universe,
        r.members,
        r.review.review,
        r.review.rank_day,
        history=history,
        from_file=r.universe is not None,
        previous_rank_day=evidence and evidence.previous_rank_day,
        ipo_reviews=evidence and evidence.ipo_reviews,
        holdings=evidence and evidence.holdings,
    )
    rows = made.rows.with_columns(recon_year=pl.lit(year, pl.Int64), price_source=pl.lit(label))
    notes = [*r.notes, *made.notes]
    breaks = made.breaks.with_columns(notes=pl.lit("; ".join(notes) or None, pl.String))
    published = published_lists(changes, r.review.rank_day, r.review.effective_open)
    scores, misses = score(made.rows, published, r.review.review)
    volumes = window_volumes(lake, r.review.rank_day, made.rows["symbol"].unique().to_list())
    traded = demand(
        made.rows,
        average_volume(volumes, r.review.rank_day),
        None if r.universe is None else r.universe.select(list(UNIVERSE_VOLUME)),
    )
    year_col = pl.lit(year, pl.Int64).alias("recon_year")
    return (
        rows.select(list(TABLES[ASSET][0])),
        breaks.with_columns(year_col).select(list(TABLES["forecast_breaks"][0])),
        scores.with_columns(year_col).select(list(TABLES["forecast_score"][0])),
        misses.with_columns(year_col).select(list(TABLES["forecast_misses"][0])),
        traded.with_columns(year_col, price_source=pl.lit(label)).select(list(TABLES[DEMAND][0])),
        notes,
    )


def _facts(year_rows: pl.DataFrame, notes: list[str], scores: pl.DataFrame) -> dict:
    counts = year_rows.group_by("review", "action").len().sort("review", "action")
    out = {
        "actions": ", ".join(f"{r} {a} {n:,}" for r, a, n in counts.iter_rows()) or "none",
        "universe": ", ".join(sorted(set(year_rows[provenance.COLUMN].drop_nulls()))) or "none",
        "synthetic_prices": bool((year_rows[provenance.COLUMN] == provenance.SYNTHETIC).any()),
    }
    if notes:
        out["not_known"] = "; ".join(notes)
    for change, p, r, f in scores.select("change", "precision", "recall", "f1").iter_rows():
        out[f"{change}s_f1"] = f"{f:.3f} (precision {p:.3f}, recall {r:.3f})"
    return out


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            name,
            deps=[
                "universe_securities",
                "sec_tickers",
                "fund_holdings",
                "membership_in_force",
                "recon_calendar",
                "constituent_changes",
                "market_data",
            ],
            code_version=digests.CODE_VERSIONS[ASSET],
            **table_definition(name, schema, description),
        )
        for name, (schema, description) in TABLES.items()
    ],
    group_name="forecast",
    pool=LAKE_POOL,
    retry_policy=LAKE_RETRY,
    partitions_def=recon_years,
    backfill_policy=single_run,
    check_specs=specs(CHECKS, recon_years),
)
@reports_failure
def reconstitution_forecast(context: dg.AssetExecutionContext, pipeline: Pipeline):
    """For each year's reconstitutions: every security of the rank-day universe and every member in force,
    placed by the construction rules, and the forecast scored where the published lists are stored."""
    years = [int(k) for k in context.partition_keys]
    with pipeline.writing() as lake:
        found = year_inputs(lake, years)
        refused = [i.refusal for i in found.values() if i.refusal]
        if refused:
            refuse("; ".join(refused), partitions=[str(y) for y, i in found.items() if i.refusal])
        built = {name: [] for name in TABLES}
        facts = {name: {} for name in TABLES}
        for year, inputs in found.items():
            parts = [_review(lake, year, r, inputs.changes) for r in inputs.reviews]
            frames = {
                name: pl.concat([p[i] for p in parts]) if parts else pl.DataFrame(schema=TABLES[name][0])
                for i, name in enumerate(TABLES)
            }
            notes = [*inputs.notes, *(n for p in parts for n in p[-1])]
            year_facts = _facts(frames[ASSET], notes, frames["forecast_score"])
            why = (
                inputs.why
                or "no published Russell 3000 additions or deletions of its reconstitutions in the lake"
            )
            for name, frame in frames.items():
                built[name].append(frame)
                facts[name][str(year)] = partition_facts(
                    str(year),
                    frame,
                    "rank_day" if name == ASSET else None,
                    empty_because=inputs.why
                    or (why if name in ("forecast_score", "forecast_misses") else EMPTY.get(name, "empty")),
                    **year_facts,
                )
        staged = {
            name: Staged(name, pl.concat(frames), "recon_year", years) for name, frames in built.items()
        }
        scores = staged["forecast_score"].rows
        low = scores.filter(pl.col("f1") < F1_FLOOR)
        results = [
            SCORED.frame(
                low.select("recon_year", "review", "change", "precision", "recall", "f1"),
                f"published list forecast with F1 below {F1_FLOOR}",
                scored=", ".join(
                    f"{rv} {c}s F1 {f:.3f} (P {p:.3f}, R {r:.3f})"
                    for rv, c, p, r, f in scores.select(
                        "review", "change", "precision", "recall", "f1"
                    ).iter_rows()
                )
                or "none: no published Russell 3000 lists of these years' reconstitutions in the lake",
            )
        ]
        yield from commit(
            context,
            Write(
                lake=lake,
                checks=CHECKS,
                results=results,
                staged=list(staged.values()),
                lineage={ASSET: {str(y): i.digest for y, i in found.items()}},
                facts={name: with_table_facts(lake, staged[name], facts[name], None) for name in TABLES},
            ),
        )
