"""Market data (a user folder or the built-in synthetic feed), validated into the market tables."""

from pathlib import Path

import dagster as dg
import polars as pl

from russell_pipeline.defs.metadata import KINDS, OWNERS
from russell_pipeline.defs.partitions import lake_writer
from russell_pipeline.defs.resources import LakeResource, MarketSource
from russell_pipeline.lake.commit import Staged, commit
from russell_pipeline.lake.tables import DATED, MARKET_TABLES, ingested_symbols
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.market.contract import validate_market_data, write_market_data
from russell_pipeline.lib.market.synthetic import synthetic_market_data
from russell_pipeline.planning import digests
from russell_pipeline.planning.stale import MARKET_KEY

SYNTHETIC_FOLDER = "synthetic_market_data"


@dg.asset(
    deps=["constituents", "constituent_changes"],
    **lake_writer("market"),
    code_version=digests.CODE_VERSIONS["market_data"],
    owners=OWNERS,
    kinds=KINDS,
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
                tables = {name: pl.scan_parquet(path) for name, path in validate_market_data(folder, tmp, market.last_session()).items()}
            except InputError as err:
                raise dg.Failure(description=str(err), allow_retries=False) from None
            rows = {name: table.select(pl.len()).collect().item() for name, table in tables.items()}
            review_keys = tables["memberships"].select(pl.col("review").unique().sort()).collect()["review"].to_list()
            last = tables["prices"].select(pl.col("date").max()).collect().item()
            inputs = digests.market_inputs(fingerprint)
            staged = [
                # Date order lets a nightly run's read from two months back skip older files and row groups.
                *[Staged(f"market_{name}", _date_ordered(table, DATED.get(name))) for name, table in tables.items()],
                Staged("market_days", digests.market_days(tables)),
                Staged("market_source", pl.DataFrame({"source": [source], "synthetic": [not market.folder],
                                                      "last_price_date": [last]})),
            ]
            yield from commit(context, store, [], [], staged, {"market_data": {MARKET_KEY: inputs}}, {
                "market_data": {
                    "source": source,
                    "synthetic": not market.folder,
                    "reviews": ", ".join(review_keys),
                    "last_price_date": str(last),
                    "dagster/uri": store.uri("market_prices"),
                    "dagster/row_count": rows["prices"],
                    **{f"{name}_rows": rows[name] for name in MARKET_TABLES},
                }}, data_version=inputs)


def _date_ordered(table: pl.LazyFrame, column: str | None) -> pl.LazyFrame:
    """The table in date order: as it is when the feed already is (no sort, no memory), else sorted."""
    if column is None:
        return table
    ordered = table.select((pl.col(column).diff().drop_nulls() >= 0).all()).collect(engine="streaming").item()
    return table if ordered else table.sort(column, maintain_order=True)
