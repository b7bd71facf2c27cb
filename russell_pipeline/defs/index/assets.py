"""The 90/10 index: quarterly weights of each review, and the daily series of each review period."""

import dagster as dg
import polars as pl

from russell_pipeline.defs.commit import Check, Write, commit, reports_failure, specs
from russell_pipeline.defs.metadata import no_nulls, partition_facts, table_definition, with_table_facts
from russell_pipeline.defs.partitions import (
    LAKE_POOL,
    LAKE_RETRY,
    previous_review,
    review_to_year,
    reviews,
    single_run,
    this_and_next_review,
)
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lake.document_tables import stored_review_dates
from russell_pipeline.lake.index_tables import (
    stored_review_rows,
    stored_state,
    stored_weights,
    weight_reviews,
)
from russell_pipeline.lake.market_tables import (
    last_close,
    market_source,
    price_label,
    review_market_data,
    stored_market_data,
    stored_reviews,
)
from russell_pipeline.lake.staged import Staged
from russell_pipeline.lib import table_checks
from russell_pipeline.lib.errors import InputError, LakeError
from russell_pipeline.lib.index import levels as lv
from russell_pipeline.lib.index import recompute
from russell_pipeline.lib.index.report import chart_markdown
from russell_pipeline.lib.index.weights import WEIGHT_COLUMNS, compute_weights, no_members, weights_due
from russell_pipeline.lib.market import provenance
from russell_pipeline.planning import digests
from russell_pipeline.planning.stale import review_digests

WEIGHTS_MATCH_SQL = Check(
    "quarterly_weights",
    "weights_match_sql",
    f"Weights and factors recomputed in DuckDB SQL "
    f"from the stored market tables agree per (review, symbol) within "
    f"{recompute.WEIGHTS_TOLERANCE:g} relative.",
    "block",
)
WEIGHTS_COUNT_CHANGE = Check(
    "quarterly_weights",
    "member_count_change",
    f"Members of a review differ from the "
    f"previous review's by at most ±{table_checks.MEMBER_COUNT_CHANGE:.0%}.",
    "warn",
)
WEIGHT_CHECKS = [no_nulls("quarterly_weights"), WEIGHTS_MATCH_SQL, WEIGHTS_COUNT_CHANGE]

NO_JUMP = Check(
    "index_levels",
    "no_jump_at_rebalance",
    "Level at each rebalance is the same with old and new constituents (1e-10).",
)
CONTINUITY = Check(
    "index_levels",
    "rebalance_continuity",
    f"At each rebalance the stored level equals "
    f"sum(p e s f c) / divisor recomputed from the stored weights, raw closes, splits and fx with "
    f"the old and with the new review, within {recompute.CONTINUITY_TOLERANCE:g} relative.",
    "block",
)
DIVIDENDS = Check(
    "index_levels",
    "total_return_matches_dividends",
    f"Each session's total-return growth equals "
    f"(I_d + XD_d) / I_(d-1), XD_d recomputed from the stored dividends on their ex-dates, closes, "
    f"shares, fx and weights, within {recompute.CONTINUITY_TOLERANCE:g} relative (a dividend "
    f"applied a session late fails it).",
    "block",
)
MOVES = Check(
    "index_levels",
    "daily_move_bound",
    f"No session's price return moves more than "
    f"±{recompute.DAILY_MOVE_BOUND:.0%}; a failure names the top 5 contributors.",
    "warn",
)
LEVEL_CHECKS = [NO_JUMP, no_nulls("index_levels"), CONTINUITY, DIVIDENDS, MOVES]
# Each table's contract, then the prices its rows rest on (lib/market/provenance.py).
WEIGHTS_TABLE = WEIGHT_COLUMNS | provenance.SCHEMA
LEVELS_TABLE = lv.LEVEL_SCHEMA | provenance.SCHEMA


def or_fail(read, *args):
    """A stored input the run needs, or the step's failure in one line (a missing table never retries)."""
    try:
        return read(*args)
    except LakeError as err:
        raise dg.Failure(description=str(err), allow_retries=False) from None


def price_facts(label: str | None) -> dict:
    """A partition's facts about its prices: the label its rows carry, and whether it is the synthetic
    feed."""
    return {provenance.COLUMN: label, "synthetic_prices": provenance.is_synthetic(label)}


def commit_reviews(
    context: dg.AssetExecutionContext,
    lake,
    asset: str,
    rows: pl.DataFrame,
    checks: list[Check],
    results: list[dg.AssetCheckResult],
    facts: dict[str, dict],
    date_column: str | None = None,
):
    """How a review asset's run ends: `rows` replace exactly the run's review partitions (after the
    checks), each review's input digest is recorded as its lineage, and each partition shows its facts
    beside the whole table's."""
    keys = context.partition_keys
    expected = review_digests(lake)[asset]
    written = Staged(asset, rows, "review", keys)
    yield from commit(
        context,
        Write(
            lake=lake,
            checks=checks,
            results=results,
            staged=[written],
            lineage={asset: {k: expected[k] for k in keys if k in expected}},
            facts={asset: with_table_facts(lake, written, facts, date_column)},
        ),
    )


@dg.asset(
    deps=["market_data", dg.AssetDep("recon_calendar", partition_mapping=review_to_year)],
    group_name="index",
    pool=LAKE_POOL,
    retry_policy=LAKE_RETRY,
    partitions_def=reviews,
    backfill_policy=single_run,
    check_specs=specs(WEIGHT_CHECKS, reviews),
    code_version=digests.CODE_VERSIONS["quarterly_weights"],
    **table_definition(
        "quarterly_weights",
        WEIGHTS_TABLE,
        "Stock weights and weighting factors c_i of each "
        "review of the 90/10 index, with the inputs behind each row.",
    ),
)
@reports_failure
def quarterly_weights(context: dg.AssetExecutionContext, pipeline: Pipeline):
    """Stock weights and weighting factors c_i of each review of the 90/10 index."""
    keys = context.partition_keys
    with pipeline.writing() as lake:
        in_data = or_fail(stored_reviews, lake)
        # A run of reviews without members (a backfill over the years before the data) reads no prices.
        last_day = last_close(lake) if set(keys) & set(in_data) else None
        dates, label = stored_review_dates(lake, keys), price_label(lake)
        frames, status, mismatches = {}, {}, []
        stale = pipeline.settings.max_stale_sessions
        for key in keys:
            due = or_fail(weights_due, key, in_data, dates, last_day)
            if isinstance(due, str):  # no members, or the cut-off not reached
                status[key] = due
                continue
            cutoff, effective = due
            # Each review reads only its own window of the market tables: memory follows the
            # number of stocks, and a backfill's time the number of reviews.
            md = review_market_data(lake, key, cutoff, stale)
            try:
                frames[key] = provenance.stamped(compute_weights(md, key, cutoff, effective, stale), label)
            except (InputError, ValueError) as err:
                raise dg.Failure(description=str(err), allow_retries=False) from None
            mismatches.append(recompute.weight_mismatches(frames[key], md))
        empty = pl.DataFrame(schema=WEIGHTS_TABLE)
        staged = pl.concat([empty, *frames.values()], how="vertical_relaxed")
        source = market_source(lake)
        yield from commit_reviews(
            context,
            lake,
            "quarterly_weights",
            staged,
            WEIGHT_CHECKS,
            _weight_results(staged, mismatches, stored_review_rows(lake, keys)),
            {
                key: partition_facts(
                    key,
                    frames.get(key, empty),
                    "cutoff_date",
                    empty_because=status.get(key, "empty"),
                    market_data_source=source,
                    **price_facts(label),
                )
                for key in keys
            },
            "cutoff_date",
        )


def _weight_results(
    staged: pl.DataFrame, mismatches: list[pl.DataFrame], stored: pl.DataFrame | None
) -> list[dg.AssetCheckResult]:
    """The checks that recompute from the inputs: nulls, the SQL weights (`mismatches`, one frame per
    review, each from that review's own window of the market tables), members vs the previous review."""
    differences = pl.concat([pl.DataFrame(schema=recompute.MISMATCH_SCHEMA), *mismatches])
    mine = staged["review"].unique().to_list()
    counts = (
        table_checks.after_write(stored, staged.select("review"), "review", mine)
        .group_by("review")
        .agg(members=pl.len())
    )
    return [
        no_nulls("quarterly_weights").frame(
            table_checks.null_contract_cells(staged, "quarterly_weights"), "nulls"
        ),
        WEIGHTS_MATCH_SQL.frame(
            differences.sort("review", "symbol"), "difference", reviews_compared=len(mine)
        ),
        WEIGHTS_COUNT_CHANGE.frame(
            table_checks.member_count_changes(counts, touching=mine),
            "change beyond the bound",
            bound=f"±{table_checks.MEMBER_COUNT_CHANGE:.0%}",
        ),
    ]


@dg.asset(
    deps=[
        dg.AssetDep("quarterly_weights", partition_mapping=this_and_next_review),
        dg.AssetDep("index_levels", partition_mapping=previous_review),
        "market_data",
    ],
    group_name="index",
    pool=LAKE_POOL,
    retry_policy=LAKE_RETRY,
    partitions_def=reviews,
    backfill_policy=single_run,
    check_specs=specs(LEVEL_CHECKS, reviews),
    code_version=digests.CODE_VERSIONS["index_levels"],
    **table_definition(
        "index_levels",
        LEVELS_TABLE,
        "Price and total return levels of the 90/10 index for "
        "every session of a review period (T_R < date <= T_next).",
    ),
)
@reports_failure
def index_levels(context: dg.AssetExecutionContext, pipeline: Pipeline):
    """Price and total return levels of the 90/10 index for every session of a review period."""
    keys = sorted(context.partition_keys)
    with pipeline.writing() as lake:
        in_data = weight_reviews(lake)
        window = lv.levels_window(in_data, keys)
        weights = stored_weights(lake, window.weights)
        # The stored partitions the run keeps (the ones it rewrites are not read: they may be damaged).
        kept = lake.tables.read("index_levels", "review", without=keys)
        kept = pl.DataFrame(schema=LEVELS_TABLE) if kept is None else kept
        findings = recompute.LevelFindings(weights, kept)
        levels = pl.DataFrame(schema=lv.LEVEL_SCHEMA)
        if window.todo:
            previous = window.previous
            start = None if previous is None else or_fail(stored_state, lake, previous, window.todo[0])
            # A backfill reads and computes a few periods at a time (lv.CHUNK_REVIEWS), each from the
            # last row of the chunk before: its memory follows the chunk, not the length of the run.
            levels = lv.backfill(
                weights,
                window.todo,
                or_fail(last_close, lake),
                start,
                lambda since, until: or_fail(stored_market_data, lake, since, until),
                findings.visit,
            )
        label = price_label(lake)
        levels = provenance.stamped(levels, label)
        # Kept rows of a lake written before the label have no such column until they are rebuilt.
        series = pl.concat([kept, levels], how="diagonal_relaxed").sort("date")
        yield from commit_reviews(
            context,
            lake,
            "index_levels",
            levels,
            LEVEL_CHECKS,
            level_results(levels, findings.found()),
            _level_facts(
                keys, in_data, levels, series, market_source(lake), label, stored_reviews_or_none(lake)
            ),
            "date",
        )


def stored_reviews_or_none(lake) -> list[str]:
    """The reviews the stored market data holds members for (none before `market_data` is stored)."""
    try:
        return stored_reviews(lake)
    except LakeError:
        return []


def _level_facts(
    keys: list[str],
    in_data: list[str],
    levels: pl.DataFrame,
    series: pl.DataFrame,
    source: str,
    label: str | None,
    with_members: list[str],
) -> dict[str, dict]:
    facts = {}
    for key in keys:
        rows = levels.filter(pl.col("review") == key)
        facts[key] = partition_facts(
            key,
            rows,
            "date",
            market_data_source=source,
            **price_facts(label),
            empty_because=no_members(key, with_members)
            if key not in with_members
            else f"no weights for {key}: quarterly_weights {key} holds no rows"
            if key not in in_data
            else "its period has not begun: no session after its rebalance yet",
            **(
                {"last_price_return": rows["price_return"][-1], "last_total_return": rows["total_return"][-1]}
                if rows.height
                else {}
            ),
        )
    # The whole stored series, on the run's last partition only (its latest materialization): the
    # chart is not copied per partition (its sessions and last date are the table-wide
    # `dagster/row_count` and `table_last_date` every partition carries).
    facts[keys[-1]]["series_chart"] = dg.MetadataValue.md(
        chart_markdown(series, source) if series.height else "no levels yet"
    )
    return facts


def level_results(levels: pl.DataFrame, found: dict[str, pl.DataFrame]) -> list[dg.AssetCheckResult]:
    """The level checks over this run's rows, from what `recompute.LevelFindings` found in them."""
    return [
        NO_JUMP.frame(found["jumps"], "jump"),
        no_nulls("index_levels").frame(table_checks.null_contract_cells(levels, "index_levels"), "nulls"),
        CONTINUITY.frame(
            recompute.continuity_breaks(found["rebalances"]),
            "break",
            rebalances_checked=found["rebalances"].height,
        ),
        DIVIDENDS.frame(found["dividends"], "session whose total return disagrees with its dividends"),
        MOVES.frame(found["moves"], f"move beyond ±{recompute.DAILY_MOVE_BOUND:.0%}"),
    ]
