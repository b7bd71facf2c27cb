"""The daily 90/10 index series, one partition per review period."""

import dagster as dg
import polars as pl

from russell_pipeline.defs.checks import NO_NULLS, frame_check
from russell_pipeline.defs.market.assets import market_source, stored_market_data
from russell_pipeline.defs.metadata import add_partition_facts, partition_facts, table_definition
from russell_pipeline.defs.partitions import (
    lake_writer,
    previous_review,
    reviews,
    this_and_next_review,
)
from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.lib import level_checks as checks
from russell_pipeline.lib import levels as lv
from russell_pipeline.lib import lineage, quality
from russell_pipeline.lib.report import chart_markdown
from russell_pipeline.lib.sessions import sessions
from russell_pipeline.planning import review_digests

LEVEL_CHECKS = {
    "no_jump_at_rebalance": "Level at each rebalance is the same with old and new constituents (1e-10).",
    "one_row_per_session": "Exactly one row per NYSE session, no gaps (blocks the write).",
    "finite_levels": "No NaN or infinite level or divisor (blocks the write).",
    "total_return_covers_price": "Total return grows at least as fast as price return on days without net "
                                 "negative dividends.",
    "no_null_contract_columns": NO_NULLS,
    "rebalance_continuity": f"At each rebalance the stored level equals sum(p e s f c) / divisor recomputed from the "
                            f"stored weights, raw closes, splits and fx with the old and with the new review, within "
                            f"{quality.CONTINUITY_TOLERANCE:g} relative (blocks the write).",
    "daily_move_bound": f"No session's price return moves more than ±{quality.DAILY_MOVE_BOUND:.0%}; a failure "
                        f"names the top 5 contributors (WARN).",
}
BLOCKING_LEVEL_CHECKS = {"one_row_per_session", "finite_levels", "no_null_contract_columns", "rebalance_continuity"}


@dg.asset(
    deps=[
        dg.AssetDep("quarterly_weights", partition_mapping=this_and_next_review),
        dg.AssetDep("index_levels", partition_mapping=previous_review),
        "market_data",
    ],
    **lake_writer("index", reviews),
    code_version=lineage.CODE_VERSIONS["index_levels"],
    check_specs=[dg.AssetCheckSpec(n, asset="index_levels", description=d, blocking=n in BLOCKING_LEVEL_CHECKS)
                 for n, d in LEVEL_CHECKS.items()],
    **table_definition("index_levels", lv.LEVEL_SCHEMA, "Price and total return levels of the 90/10 index for "
                       "every session of a review period (T_R < date <= T_next)."),
)
def index_levels(context: dg.AssetExecutionContext, lake: LakeResource):
    """Price and total return levels of the 90/10 index for every session of a review period."""
    keys = sorted(context.partition_keys)
    with lake.writing() as store:
        weights = store.read("quarterly_weights")
        in_data = sorted(weights["review"].unique().to_list()) if weights is not None and weights.height else []
        md = stored_market_data(store, since=_history_needed(weights, keys))
        todo = [k for k in keys if k in in_data]
        levels = pl.DataFrame(schema=lv.LEVEL_SCHEMA)
        if todo:
            first, last = in_data.index(todo[0]), in_data.index(todo[-1])
            last_day = md.prices["date"].max()
            # The run's last period ends where the next review's weights take over.
            end = min(_effective(weights, in_data[last + 1]), last_day) if last + 1 < len(in_data) else last_day
            start = None if first == 0 else _stored_state(store, in_data[first - 1], todo[0])
            levels = lv.all_levels(weights.filter(pl.col("review").is_in(todo)), end, md.prices, md.dividends,
                                   md.splits, md.fx, sessions(_effective(weights, todo[0]), last_day), start)
        stored = store.read("index_levels")
        before = (stored.filter(pl.col("date") < levels["date"].min()).sort("date").tail(1)
                  if stored is not None and levels.height else levels.clear())
        results = list(level_checks(levels, before, weights, md))
        yield from results
        failed = [r.check_name for r in results if not r.passed and r.check_name in BLOCKING_LEVEL_CHECKS]
        if failed:
            raise dg.Failure(description=f"index_levels: blocking check(s) {', '.join(failed)} failed; nothing "
                             "written, the previous levels stay", allow_retries=False)
        store.write("index_levels", levels, "review", keys)
        digests = review_digests(store)["index_levels"]
        store.record_lineage("index_levels", {k: digests[k] for k in keys if k in digests})
        series = store.read("index_levels").sort("date")
    source = market_source(store)
    facts = {}
    for key in keys:
        rows = levels.filter(pl.col("review") == key)
        facts[key] = partition_facts(
            store, "index_levels", rows, "date", market_data_source=source,
            empty_because="empty: no weights for this review" if key not in in_data else "empty: period not begun",
            **({"last_price_return": rows["price_return"][-1], "last_total_return": rows["total_return"][-1]}
               if rows.height else {}))
    # The whole stored series, on the run's last partition only: the chart is not copied per partition.
    latest = series.row(-1, named=True) if series.height else None
    facts[keys[-1]] |= {
        "series_sessions": series.height,
        "series_latest_date": str(latest["date"]) if latest else "none",
        "series_chart": dg.MetadataValue.md(chart_markdown(series, source) if latest else "no levels yet"),
    }
    add_partition_facts(context, "index_levels", facts)
    yield dg.MaterializeResult()


def _effective(weights: pl.DataFrame, review: str):
    return weights.filter(pl.col("review") == review)["effective_date"][0]


def _stored_state(store, previous: str, review: str) -> lv.LevelState:
    """The last stored row of the period before `review`: where its levels start."""
    prev = store.read("index_levels", "review", [previous])
    if prev is None or not prev.height:
        raise dg.Failure(f"index_levels: review {previous} is not materialized; materialize the reviews "
                         f"before {review} first (one backfill run does them all)", allow_retries=False)
    return lv.LevelState.last_of(prev)


def _history_needed(weights: pl.DataFrame | None, keys: list[str]):
    """First market-data date these periods can touch: a margin before the earliest cut-off of
    these reviews and of the review before them (the rebalance check values the old constituents
    at the first T, with the last close each had; one may have stopped trading since its cut-off).
    The margin, `levels.CLOSE_LOOKBACK`, covers the stalest close the weights accept."""
    if weights is None or not weights.height:
        return None
    reviews = sorted(weights["review"].unique().to_list())
    mine = [k for k in keys if k in reviews]
    if not mine:
        return None
    first = reviews.index(min(mine))
    wanted = [*mine, *reviews[first - 1:first]]
    return weights.filter(pl.col("review").is_in(wanted))["cutoff_date"].min() - lv.CLOSE_LOOKBACK


def level_checks(levels: pl.DataFrame, context_rows: pl.DataFrame, weights: pl.DataFrame, md):
    """The level checks over this run's rows; `context_rows` adds the session before them."""
    span = pl.concat([context_rows, levels], how="vertical_relaxed").unique("date").sort("date")
    jumps = lv.rebalance_jumps(span, weights, md.prices, md.splits, md.fx) if span.height else pl.DataFrame(
        schema={"rel_diff": pl.Float64})
    yield frame_check("index_levels", "no_jump_at_rebalance", jumps.filter(pl.col("rel_diff") > 1e-10), "jump")
    yield frame_check("index_levels", "one_row_per_session", checks.session_gaps(span), "gap or duplicate")
    yield frame_check("index_levels", "finite_levels", checks.non_finite(levels), "non-finite value")
    yield frame_check("index_levels", "total_return_covers_price",
                      checks.total_return_shortfalls(span, weights, md.dividends), "shortfall")
    yield frame_check("index_levels", "no_null_contract_columns", quality.null_contract_cells(levels, "index_levels"),
                      "nulls")
    rebalances = quality.rebalance_levels(span, weights, md.prices, md.splits, md.fx)
    yield frame_check("index_levels", "rebalance_continuity", quality.continuity_breaks(rebalances), "break",
                      rebalances_checked=rebalances.height)
    moves = quality.large_moves(span, weights, md.prices, md.splits, md.fx)
    yield frame_check("index_levels", "daily_move_bound", moves, f"move beyond ±{quality.DAILY_MOVE_BOUND:.0%}",
                      severity=dg.AssetCheckSeverity.WARN)
