"""Market data (a user folder or the built-in synthetic feed) and the 90/10 quarterly weights."""


from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from russell_pipeline.defs.checks import NO_NULLS, frame_check
from russell_pipeline.defs.metadata import OWNERS, add_partition_facts, partition_facts, table_definition
from russell_pipeline.defs.partitions import lake_writer, review_to_year, reviews
from russell_pipeline.defs.resources import LakeResource, MarketSource
from russell_pipeline.lib import lineage, quality
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.market_data import MarketData, validate_market_data, write_market_data
from russell_pipeline.lib.synthetic import synthetic_market_data
from russell_pipeline.lib.weights import (
    CHECK_NAMES,
    WEIGHT_COLUMNS,
    compute_weights,
    review_dates,
    weights_checks,
)
from russell_pipeline.planning import MARKET_KEY, ingested_symbols, review_digests
from russell_pipeline.storage import Lake

TABLES = ("prices", "shares", "memberships", "dividends", "splits", "fx")
SYNTHETIC_FOLDER = "synthetic_market_data"


def market_source(store: Lake) -> str:
    """Where the stored market data came from, e.g. `SYNTHETIC feed to 2026-11-20 (...)`."""
    row = store.read("market_source")
    return row["source"][0] if row is not None and row.height else "unknown"


DATED = {"prices": "date", "dividends": "ex_date", "splits": "ex_date", "fx": "date"}


def stored_market_data(store: Lake, since: date | None = None) -> MarketData:
    """The validated market data as `market_data` stored it; dated tables from `since` on.

    Reading only from `since` keeps a nightly run's cost independent of the length of history:
    the tables are sorted by date, so Parquet row groups before it are skipped.
    """
    scans = {name: store.scan(f"market_{name}") for name in TABLES}
    missing = [name for name, scan in scans.items() if scan is None]
    if missing:
        raise dg.Failure(f"{store.tables}: market data tables {missing} missing: materialize market_data first",
                         allow_retries=False)
    if since is not None:
        scans = {n: s.filter(pl.col(DATED[n]) >= since) if n in DATED else s for n, s in scans.items()}
    return MarketData(**{name: scan.collect() for name, scan in scans.items()})


@dg.asset(
    deps=["constituents", "constituent_changes"],
    **lake_writer("market"),
    code_version=lineage.CODE_VERSIONS["market_data"],
    owners=OWNERS,
    kinds={"polars", "parquet", "duckdb"},
    description="Prices, shares, memberships and corporate actions in the market-data contract, validated "
                "(tables market_prices, market_shares, market_memberships, market_dividends, market_splits, "
                "market_fx, market_source).",
)
def market_data(context: dg.AssetExecutionContext, lake: LakeResource, market: MarketSource):
    """Prices, shares, memberships and corporate actions in the market-data contract, validated."""
    with lake.writing() as store:
        symbols = ingested_symbols(store)
        fingerprint = market.fingerprint(symbols)
        if market.folder:
            folder, source = Path(market.folder), f"folder {market.folder}"
        else:
            end = market.end_date()
            folder = store.tables / SYNTHETIC_FOLDER
            write_market_data(synthetic_market_data(end, symbols=symbols, n_stocks=market.synthetic_stocks), folder)
            source = f"SYNTHETIC feed to {end} (not real market data)"
        # Validated into Parquet beside the lake first (streaming: any size); tables change once all pass.
        with store.scratch() as tmp:
            try:
                tables = {name: pl.scan_parquet(path) for name, path in validate_market_data(folder, tmp).items()}
            except InputError as err:
                raise dg.Failure(description=str(err), allow_retries=False) from None
            for name, table in tables.items():
                # Date order lets a nightly run's read from two months back skip older files and row groups.
                store.write(f"market_{name}", _date_ordered(table, DATED.get(name)), publish=False)
            store.write("market_days", lineage.market_days(tables), publish=False)
            rows = {name: table.select(pl.len()).collect().item() for name, table in tables.items()}
            review_keys = tables["memberships"].select(pl.col("review").unique().sort()).collect()["review"].to_list()
            last = tables["prices"].select(pl.col("date").max()).collect().item()
        store.write("market_source", pl.DataFrame({"source": [source], "synthetic": [not market.folder],
                                                   "last_price_date": [last]}))
        inputs = lineage.market_inputs(fingerprint)
        store.record_lineage("market_data", {MARKET_KEY: inputs})
    return dg.MaterializeResult(
        data_version=dg.DataVersion(inputs),
        metadata={
            "source": source,
            "synthetic": not market.folder,
            "reviews": ", ".join(review_keys),
            "last_price_date": str(last),
            "dagster/uri": store.uri("market_prices"),
            "dagster/row_count": rows["prices"],
            **{f"{name}_rows": rows[name] for name in TABLES},
        },
    )


def _date_ordered(table: pl.LazyFrame, column: str | None) -> pl.LazyFrame:
    """The table in date order: as it is when the feed already is (no sort, no memory), else sorted."""
    if column is None:
        return table
    ordered = table.select((pl.col(column).diff().drop_nulls() >= 0).all()).collect(engine="streaming").item()
    return table if ordered else table.sort(column, maintain_order=True)


WEIGHT_CHECKS = {
    "weights_sum_to_one": "Weights of each review sum to 1 within 1e-12 (blocks the write).",
    "nine_to_one": "Scaled SCC side equals 9 x the R2000 Growth side (blocks the write).",
    "members_once": "Every member of either component index appears once.",
    "finite_factors": "No weighting factor is NaN or infinite (blocks the write).",
    "no_null_contract_columns": NO_NULLS,
    "weights_match_sql": f"Weights and factors recomputed in DuckDB SQL from the stored market tables agree per "
                         f"(review, symbol) within {quality.WEIGHTS_TOLERANCE:g} relative (blocks the write).",
    "member_count_change": f"Members of a review differ from the previous review's by at most "
                           f"±{quality.MEMBER_COUNT_CHANGE:.0%} (WARN).",
}
BLOCKING_WEIGHT_CHECKS = {"weights_sum_to_one", "nine_to_one", "finite_factors", "no_null_contract_columns",
                          "weights_match_sql"}


@dg.asset(
    deps=["market_data", dg.AssetDep("recon_calendar", partition_mapping=review_to_year)],
    **lake_writer("index", reviews),
    code_version=lineage.CODE_VERSIONS["quarterly_weights"],
    check_specs=[dg.AssetCheckSpec(n, asset="quarterly_weights", description=d, blocking=n in BLOCKING_WEIGHT_CHECKS)
                 for n, d in WEIGHT_CHECKS.items()],
    **table_definition("quarterly_weights", WEIGHT_COLUMNS, "Stock weights and weighting factors c_i of each "
                       "review of the 90/10 index, with the inputs behind each row."),
)
def quarterly_weights(context: dg.AssetExecutionContext, lake: LakeResource, market: MarketSource):
    """Stock weights and weighting factors c_i of each review of the 90/10 index."""
    keys = context.partition_keys
    with lake.writing() as store:
        md = stored_market_data(store)
        calendar = store.read("recon_calendar", "recon_year", sorted({int(k[:4]) for k in keys}))
        dates = review_dates(calendar) if calendar is not None else pl.DataFrame(schema={"review": pl.String})
        last_close = md.prices["date"].max()
        frames, status = {}, {}
        for key in keys:
            row = dates.filter(pl.col("review") == key)
            if key not in md.reviews:
                status[key] = "empty: the market data has no memberships for this review"
            elif row.height != 1:
                raise dg.Failure(f"recon_calendar: no price cut-off/effective date for review {key}",
                                 allow_retries=False)
            elif row["cutoff_date"][0] > last_close:  # memberships announced, cut-off not reached
                status[key] = f"pending: cut-off {row['cutoff_date'][0]} is after the last close {last_close}"
            else:
                try:
                    frames[key] = compute_weights(md, key, row["cutoff_date"][0], row["effective_date"][0],
                                                  market.max_stale_sessions)
                except (InputError, ValueError) as err:
                    raise dg.Failure(description=str(err), allow_retries=False) from None
        empty = pl.DataFrame(schema=WEIGHT_COLUMNS)
        staged = pl.concat([empty, *frames.values()], how="vertical_relaxed")
        results = [*_weight_check_results(frames), *_input_check_results(staged, md, store.read("quarterly_weights"))]
        yield from results
        failed = [r.check_name for r in results if not r.passed and r.check_name in BLOCKING_WEIGHT_CHECKS]
        if failed:
            raise dg.Failure(description=f"quarterly_weights: blocking check(s) {', '.join(failed)} failed; "
                             "nothing written, the previous weights stay", allow_retries=False)
        store.write("quarterly_weights", staged, "review", keys)
        digests = review_digests(store)["quarterly_weights"]
        store.record_lineage("quarterly_weights", {k: digests[k] for k in keys if k in digests})
    source = market_source(store)
    add_partition_facts(context, "quarterly_weights", {
        key: partition_facts(store, "quarterly_weights", frames.get(key, empty), "cutoff_date",
                             empty_because=status.get(key, "empty"), market_data_source=source)
        for key in keys})
    yield dg.MaterializeResult()


def _weight_check_results(frames: dict[str, pl.DataFrame]) -> list[dg.AssetCheckResult]:
    """The weight checks over every review computed in this run, failures named by review."""
    failures: dict[str, list[str]] = {name: [] for name in CHECK_NAMES}
    for review, part in frames.items():
        for name, (ok, msg) in weights_checks(part).items():
            if not ok:
                failures[name].append(f"{review}: {msg}")
    return [dg.AssetCheckResult(check_name=name, passed=not msgs,
                                metadata={"failures": dg.MetadataValue.md("\n".join(msgs) or "none")})
            for name, msgs in failures.items()]



def _input_check_results(staged: pl.DataFrame, md: MarketData, stored: pl.DataFrame | None
                         ) -> list[dg.AssetCheckResult]:
    """The checks that recompute from the inputs: nulls, the SQL weights, members vs the previous review."""
    tables = {name: getattr(md, name) for name in ("memberships", "prices", "shares", "fx")}
    mine = staged["review"].unique().to_list()
    counts = quality.after_write(stored, staged, "review", mine).group_by("review").agg(members=pl.len())
    changes = quality.member_count_changes(counts, touching=mine)
    return [
        frame_check("quarterly_weights", "no_null_contract_columns",
                    quality.null_contract_cells(staged, "quarterly_weights"), "nulls"),
        frame_check("quarterly_weights", "weights_match_sql", quality.weight_mismatches(staged, tables),
                    "difference", reviews_compared=len(mine)),
        frame_check("quarterly_weights", "member_count_change", changes, "change beyond the bound",
                    severity=dg.AssetCheckSeverity.WARN, bound=f"±{quality.MEMBER_COUNT_CHANGE:.0%}"),
    ]
