"""Market data (a user folder or the built-in synthetic feed), validated into the market tables."""

from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from russell_pipeline.defs.commit import Write, commit, reports_failure
from russell_pipeline.defs.metadata import KINDS, OWNERS
from russell_pipeline.defs.partitions import LAKE_POOL, LAKE_RETRY
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lake import market_tables
from russell_pipeline.lake.document_tables import ingested_lists
from russell_pipeline.lake.market_tables import MARKET_TABLES
from russell_pipeline.lake.staged import Staged
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.market import provenance
from russell_pipeline.lib.market.contract import SCHEMAS, source_files, write_market_data
from russell_pipeline.lib.market.synthetic import borrowed_tickers, synthetic_market_data
from russell_pipeline.lib.market.year_digests import YEAR
from russell_pipeline.planning import digests, market_update
from russell_pipeline.planning.stale import MARKET_KEY

SYNTHETIC = "synthetic"  # the `file` of the synthetic feed's rows in `market_reads`


@dg.asset(
    deps=["constituents", "constituent_changes"],
    group_name="market",
    pool=LAKE_POOL,
    retry_policy=LAKE_RETRY,
    code_version=digests.CODE_VERSIONS["market_data"],
    owners=OWNERS,
    kinds=KINDS,
    description="Prices, shares, memberships and corporate actions in the market-data contract, validated "
    "(tables market_prices, market_shares, market_memberships, market_dividends, market_splits, "
    "market_fx, market_source).",
)
@reports_failure
def market_data(context: dg.AssetExecutionContext, pipeline: Pipeline):
    """Prices, shares, memberships and corporate actions in the market-data contract, validated."""
    code, folder = digests.CODE_VERSIONS["market_data"], pipeline.settings.market_data
    with pipeline.writing() as lake:
        listed = ingested_lists(lake)
        fingerprint = pipeline.fingerprint(listed)
        before = market_tables.previous(lake, MARKET_KEY in lake.lineage.digests("market_data"), code)
        # Validated into Parquet beside the lake first (streaming: any size); tables change once all pass.
        with lake.lock.scratch() as tmp:
            try:
                if folder:
                    source = f"folder {folder}"
                    files = source_files(folder)
                    label = provenance.market_file(files["prices"].name)
                    updates = {
                        name: market_update.read_file(
                            lake, name, files.get(name), before, tmp, pipeline.last_session(), code
                        )
                        for name in SCHEMAS
                    }
                else:
                    end = pipeline.end_date()
                    source = f"SYNTHETIC feed to {end} (not real market data)"
                    label = provenance.SYNTHETIC
                    updates = _synthetic(pipeline, listed, end, before, tmp, code)
            except InputError as err:
                raise dg.Failure(description=str(err), allow_retries=False) from None
            night = market_update.plan(lake, updates, before)
            reviews, last = market_update.facts(lake, updates, night)
            written = "; ".join(f"{name} {_years(years)}" for name, years in night.written.items() if years)
            inputs = digests.market_inputs(fingerprint)
            staged = [
                *night.staged,
                Staged(
                    "market_source",
                    pl.DataFrame(
                        {
                            "source": [source],
                            "synthetic": [not folder],
                            "last_price_date": [last],
                            provenance.COLUMN: [label],
                        },
                        schema={"source": pl.String, "synthetic": pl.Boolean, "last_price_date": pl.Date}
                        | provenance.SCHEMA,
                    ),
                ),
            ]
            context.log.info(f"market_data wrote: {written or 'nothing (no year changed)'}")
            yield from commit(
                context,
                Write(
                    lake=lake,
                    staged=staged,
                    lineage={"market_data": {MARKET_KEY: inputs}},
                    facts={
                        "market_data": {
                            "source": source,
                            "synthetic": not folder,
                            provenance.COLUMN: label,
                            "reviews": ", ".join(reviews),
                            "last_price_date": str(last),
                            market_update.WRITTEN_FACT: written or "nothing (no year changed)",
                            "partition_column": YEAR,  # of every market table (lib/market/year_digests.py)
                            "dagster/uri": lake.tables.uri("market_prices"),
                            "dagster/row_count": night.rows("prices"),
                            **{f"{name}_rows": night.rows(name) for name in MARKET_TABLES},
                        }
                    },
                    data_version=inputs,
                ),
            )


def _synthetic(
    pipeline: Pipeline,
    listed: pl.DataFrame,
    end: date,
    before: market_tables.Previous | None,
    tmp: Path,
    code: str,
) -> dict[str, market_update.Update]:
    """The synthetic feed to `end`. Its past rows never change when it is extended, so with the same
    settings as the last run only the years from that run's end on are generated and validated."""
    stocks = pipeline.settings.synthetic_stocks
    settings = digests.digest(stocks, borrowed_tickers(listed, stocks))
    last = before.reads.get("prices") if before else None
    since = years = None
    if last and last["file"] == SYNTHETIC and last["sha256"] == settings and last["end_date"]:
        since = min(last["end_date"], end).replace(month=1, day=1)
        years = set(range(since.year, max(last["end_date"], end).year + 1))
    folder = tmp / SYNTHETIC
    write_market_data(synthetic_market_data(end, listed, n_stocks=stocks, since=since), folder)
    read = {"file": SYNTHETIC, "bytes": 0, "sha256": settings, "rows": 0, "code": code, "end_date": end}
    return market_update.read_generated(folder, tmp, pipeline.last_session(), years, read)


def _years(years: list[int]) -> str:
    """2010..2025 for a run of years, else the years listed."""
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}..{years[-1]}"
    return ", ".join(map(str, years))
