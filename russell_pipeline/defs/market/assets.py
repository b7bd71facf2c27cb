"""Market data (a user folder or the built-in synthetic feed) and the 90/10 quarterly weights."""


import tempfile
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from russell_pipeline.defs.partitions import reviews, single_run
from russell_pipeline.defs.resources import LakeResource, MarketSource
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.market_data import MarketData, validate_market_data, write_market_data
from russell_pipeline.lib.synthetic import synthetic_market_data
from russell_pipeline.lib.weights import WEIGHT_COLUMNS, compute_weights, review_dates, weights_checks
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
        raise dg.Failure(f"{store.tables}: market data tables {missing} missing: materialize market_data first")
    if since is not None:
        scans = {n: s.filter(pl.col(DATED[n]) >= since) if n in DATED else s for n, s in scans.items()}
    return MarketData(**{name: scan.collect() for name, scan in scans.items()})


def _ingested_symbols(store: Lake) -> list[str]:
    symbols: list[str] = []
    for table in ("constituents", "constituent_changes"):
        df = store.read(table)
        if df is not None and df.height:
            symbols += df.sort("recon_year", "symbol")["symbol"].to_list()
    return list(dict.fromkeys(symbols))


@dg.asset(deps=["constituents", "constituent_changes"], group_name="market")
def market_data(context: dg.AssetExecutionContext, lake: LakeResource, market: MarketSource):
    """Prices, shares, memberships and corporate actions in the market-data contract, validated."""
    store = lake.lake()
    if market.folder:
        folder, source = Path(market.folder), f"folder {market.folder}"
    else:
        end = market.end_date()
        folder = store.tables / SYNTHETIC_FOLDER
        feed = synthetic_market_data(end, symbols=_ingested_symbols(store), n_stocks=market.synthetic_stocks)
        write_market_data(feed, folder)
        source = f"SYNTHETIC feed to {end} (not real market data)"
    # Validated into Parquet beside the lake first (streaming: any size); tables change once all pass.
    store.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.root, prefix=".market_data.") as tmp:
        try:
            validated = {name: pl.scan_parquet(path) for name, path in validate_market_data(folder, tmp).items()}
        except InputError as err:
            raise dg.Failure(description=str(err)) from None
        for name, table in validated.items():
            if name in DATED:
                table = table.sort(DATED[name], "symbol" if name != "fx" else "currency")
            store.write(f"market_{name}", table.collect())
        rows = {name: table.select(pl.len()).collect().item() for name, table in validated.items()}
        review_keys = validated["memberships"].select(pl.col("review").unique().sort()).collect()["review"].to_list()
        last_price_date = validated["prices"].select(pl.col("date").max()).collect().item()
    store.write("market_source", pl.DataFrame({"source": [source], "synthetic": [not market.folder],
                                               "last_price_date": [last_price_date]}))
    return dg.MaterializeResult(
        metadata={
            "source": source,
            "synthetic": not market.folder,
            "reviews": ", ".join(review_keys),
            "last_price_date": str(last_price_date),
            **{f"{name}_rows": rows[name] for name in TABLES},
        }
    )


WEIGHT_CHECKS = {
    "weights_sum_to_one": "Weights of each review sum to 1 within 1e-12.",
    "nine_to_one": "Scaled SCC side equals 9 x the R2000 Growth side.",
    "members_once": "Every member of either component index appears once.",
    "finite_factors": "No weighting factor is NaN or infinite.",
}


@dg.asset(
    deps=["market_data", "recon_calendar"],
    partitions_def=reviews,
    backfill_policy=single_run,
    group_name="index",
    check_specs=[dg.AssetCheckSpec(n, asset="quarterly_weights", description=d) for n, d in WEIGHT_CHECKS.items()],
)
def quarterly_weights(context: dg.AssetExecutionContext, lake: LakeResource, market: MarketSource):
    """Stock weights and weighting factors c_i of each review of the 90/10 index."""
    store = lake.lake()
    md = stored_market_data(store)
    keys = context.partition_keys
    calendar = store.read("recon_calendar", "recon_year", sorted({int(k[:4]) for k in keys}))
    dates = review_dates(calendar) if calendar is not None else pl.DataFrame()
    last_close = md.prices["date"].max()
    frames, skipped, pending = [], [], []
    for key in keys:
        row = dates.filter(pl.col("review") == key) if dates.height else dates
        if key not in md.reviews:
            skipped.append(key)
            continue
        if row.height != 1:
            raise dg.Failure(f"recon_calendar: no price cut-off/effective date for review {key}")
        if row["cutoff_date"][0] > last_close:
            pending.append(key)  # memberships announced, cut-off not reached: weights come later
            continue
        try:
            frames.append(compute_weights(md, key, row["cutoff_date"][0], row["effective_date"][0],
                                          market.max_stale_sessions))
        except (InputError, ValueError) as err:
            raise dg.Failure(description=str(err)) from None
    weights = pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame(schema=WEIGHT_COLUMNS)
    store.write("quarterly_weights", weights, "review", keys)
    yield dg.MaterializeResult(
        metadata={
            "rows": weights.height,
            "market_data_source": market_source(store),
            "reviews": ", ".join(sorted(set(keys) - set(skipped) - set(pending))) or "none",
            "skipped_no_market_data": ", ".join(skipped) or "none",
            "pending_cutoff_not_reached": ", ".join(pending) or "none",
        }
    )
    results = {name: (True, []) for name in WEIGHT_CHECKS}
    for review, part in weights.group_by("review"):
        for name, (ok, msg) in weights_checks(part).items():
            if not ok:
                results[name] = (False, results[name][1] + [f"{review[0]}: {msg}"])
    for name, (ok, msgs) in results.items():
        yield dg.AssetCheckResult(check_name=name, passed=ok,
                                  metadata={"failures": dg.MetadataValue.md("\n".join(msgs) or "none")})
