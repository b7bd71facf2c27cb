"""The next review before it happens: its pro-forma weights and the trade from the weights in force
(lib/index/pro_forma.py; docs/methodology.md §1.10)."""

import dagster as dg
import polars as pl

from russell_pipeline.defs.commit import Check, reports_failure, specs
from russell_pipeline.defs.index.assets import commit_reviews, or_fail, price_facts
from russell_pipeline.defs.metadata import no_nulls, partition_facts, table_definition
from russell_pipeline.defs.partitions import (
    LAKE_POOL,
    LAKE_RETRY,
    previous_and_this_review,
    review_to_year,
    reviews,
    single_run,
)
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lake.document_tables import stored_review_dates
from russell_pipeline.lake.index_tables import forecast_rows
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.market_tables import last_close as stored_last_close
from russell_pipeline.lake.market_tables import (
    market_source,
    price_label,
    pro_forma_market_data,
    stored_reviews,
)
from russell_pipeline.lib import table_checks
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.index import pro_forma as pf
from russell_pipeline.lib.index.levels import CLOSE_LOOKBACK
from russell_pipeline.lib.index.weights import WEIGHT_COLUMNS, no_members
from russell_pipeline.lib.market import provenance
from russell_pipeline.planning import digests
from russell_pipeline.planning.keys import review_keys

# Blocking: once a review's cut-off has passed its pro-forma is a statement about the trade the index
# really makes. If it disagrees with the stored weights one of them is wrong, and a trade list that
# contradicts the weights the levels are computed from must not be published; the stored stay.
MATCHES = Check(
    "pro_forma_weights",
    "pro_forma_matches_weights",
    f"For a review whose cut-off has passed (and "
    f"whose quarterly_weights partition is stored), every pro-forma weight equals the stored weight "
    f"within {pf.TOLERANCE:g}, with the same members.",
    "block",
)
CHECKS = [no_nulls("pro_forma_weights"), MATCHES]
TABLE = pf.PRO_FORMA_COLUMNS | provenance.SCHEMA  # the contract, then the prices the rows rest on
EMPTY = pl.DataFrame(schema=TABLE)


def _previous(reviews: list[str], key: str) -> str | None:
    earlier = [r for r in reviews if r < key]
    return earlier[-1] if earlier else None


@dg.asset(
    deps=[
        "market_data",
        dg.AssetDep("recon_calendar", partition_mapping=review_to_year),
        dg.AssetDep("quarterly_weights", partition_mapping=previous_and_this_review),
        # The upcoming review's carried members change as its forecast says (§1.10).
        dg.AssetDep("reconstitution_forecast", partition_mapping=review_to_year),
    ],
    group_name="index",
    pool=LAKE_POOL,
    retry_policy=LAKE_RETRY,
    partitions_def=reviews,
    backfill_policy=single_run,
    check_specs=specs(CHECKS, reviews),
    code_version=digests.CODE_VERSIONS["pro_forma_weights"],
    **table_definition(
        "pro_forma_weights",
        TABLE,
        "Each review's weights as the method sets "
        "them (the latest close standing in for the cut-off close until it passes), the weights in "
        "force drifted to the as-of close, and the trade per $1 billion tracked.",
    ),
)
@reports_failure
def pro_forma_weights(context: dg.AssetExecutionContext, pipeline: Pipeline):
    """Pro-forma weights of each review and the trade from the weights in force."""
    keys = context.partition_keys
    with pipeline.writing() as lake:
        in_data, dates = or_fail(stored_reviews, lake), stored_review_dates(lake, keys)
        last_close, label = stored_last_close(lake), price_label(lake)
        # The review after the last one with members takes its members (the upcoming review, before
        # its own are in the data), and trades from that one's weights.
        carried = pf.carried_members(in_data, review_keys())
        previous = {key: _previous(sorted({*in_data, *carried}), key) for key in keys}
        wanted = sorted({*keys, *(p for p in previous.values() if p)})
        weights = lake.tables.read("quarterly_weights", "review", wanted)
        weights = pl.DataFrame(schema=WEIGHT_COLUMNS) if weights is None else weights
        frames, status, forecast = {}, {}, {}
        for key in keys:
            row, prev = dates.filter(pl.col("review") == key), previous[key]
            in_force = weights.filter(pl.col("review") == prev) if prev else None
            unbuilt = _unbuilt(key, row, prev, in_force, in_data, carried, last_close)
            if unbuilt is not None:
                status[key] = unbuilt
                continue
            on = pf.ReviewDates(key, row["cutoff_date"][0], row["effective_date"][0], last_close)
            forecast[key] = forecast_rows(lake, key) if key in carried else None
            stale = pipeline.settings.max_stale_sessions
            frames[key] = provenance.stamped(
                _pro_forma(lake, on, in_force, prev, carried.get(key, key), forecast[key], stale), label
            )
        staged = pl.concat([EMPTY, *frames.values()], how="vertical_relaxed")
        source = market_source(lake)
        yield from commit_reviews(
            context,
            lake,
            "pro_forma_weights",
            staged,
            CHECKS,
            _results(staged, weights),
            {
                key: _facts(
                    key, frames.get(key, EMPTY), status.get(key, "empty"), source, label, forecast.get(key)
                )
                for key in keys
            },
        )


def _unbuilt(
    key: str,
    row: pl.DataFrame,
    prev: str | None,
    in_force: pl.DataFrame | None,
    in_data: list[str],
    carried: dict[str, str],
    last_close,
) -> str | None:
    """Why review `key` has no pro-forma (its partition's `empty_because`), None when it has one.
    `row`: its recon_calendar dates (none: the run fails); `in_force`: the weights of the review
    before, `prev` (None: the base review)."""
    if key not in in_data and key not in carried:
        return no_members(key, in_data)
    if row.height != 1:
        raise dg.Failure(
            f"recon_calendar: no price cut-off/effective date for review {key}", allow_retries=False
        )
    if in_force is not None and not in_force.height:
        return f"the weights in force are not known: quarterly_weights {prev} holds no rows"
    if in_force is not None and min(row["effective_date"][0], last_close) < in_force["effective_date"][0]:
        return (
            f"the last close {last_close} is before {prev}'s rebalance "
            f"{in_force['effective_date'][0]}: its weights are not in force yet"
        )
    return None


def _pro_forma(
    lake: Lake,
    on: pf.ReviewDates,
    in_force: pl.DataFrame | None,
    prev: str | None,
    members: str,
    forecast: pl.DataFrame | None,
    max_stale_sessions: int,
) -> pl.DataFrame:
    """The review's pro-forma rows from its windows of the market tables (memory follows the stocks):
    from a close-lookback before the earlier of its prices date and the in-force cut-off. `members`:
    the review whose members it takes; `forecast`: the forecast rows they change by (None: none)."""
    earliest = min([on.prices_date, *([in_force["cutoff_date"][0]] if in_force is not None else [])])
    md = pro_forma_market_data(
        lake,
        members,
        on.prices_date,
        earliest - CLOSE_LOOKBACK,
        on.as_of,
        max_stale_sessions,
        pf.additions(forecast) if forecast is not None else (),
    )
    try:
        return pf.pro_forma(md, on, in_force, prev, max_stale_sessions, members, forecast)
    except (InputError, ValueError) as err:
        raise dg.Failure(description=str(err), allow_retries=False) from None


def _results(staged: pl.DataFrame, weights: pl.DataFrame) -> list[dg.AssetCheckResult]:
    """Nulls, and the pro-forma of every review past its cut-off against its stored weights."""
    past = staged.filter(~pl.col("stand_in"))
    compared = sorted(set(past["review"].unique().to_list()) & set(weights["review"].unique().to_list()))
    mismatches = pf.weight_mismatches(
        past.filter(pl.col("review").is_in(compared)), weights.filter(pl.col("review").is_in(compared))
    )
    return [
        no_nulls("pro_forma_weights").frame(
            table_checks.null_contract_cells(staged, "pro_forma_weights"), "nulls"
        ),
        MATCHES.frame(mismatches, "difference", reviews_compared=len(compared)),
    ]


def _facts(
    key: str,
    rows: pl.DataFrame,
    empty_because: str,
    source: str,
    label: str | None,
    forecast: pl.DataFrame | None = None,
) -> dict:
    """The partition's facts: as-of date, which prices, whose members (and what the forecast changed),
    the previous review, turnover and names in/out."""
    if not rows.height:
        return partition_facts(
            key, rows, empty_because=empty_because, market_data_source=source, **price_facts(label)
        )
    head, totals = rows.row(0, named=True), pf.totals(rows)
    prices = (
        f"stand-in: closes on or before {head['prices_date']} (cut-off {head['cutoff_date']} not passed)"
        if head["stand_in"]
        else f"cut-off closes of {head['cutoff_date']}"
    )
    members = pf.members_line(key, rows, forecast) if head["members_carried"] else f"{key}'s own"
    return partition_facts(
        key,
        rows,
        market_data_source=source,
        **price_facts(label),
        as_of_date=str(head["as_of_date"]),
        prices=prices,
        members=members,
        previous_review=head["previous_review"] or "none (the base review)",
        one_way_turnover=totals.turnover,
        names_in=totals.names_in,
        names_out=totals.names_out,
    )
