"""What a reconstitution makes index funds trade: for each forecast addition, deletion and move between
the Russell 1000 and 2000, the weight before and after in each index it enters or leaves, the shares a
fund of $1 billion tracking that index buys or sells, and the days of normal volume that is
(docs/methodology.md §4.8).

- **Indexes**: the Russell 1000, 2000 and 3000 (the 3000 is the 1000 and the 2000). A row of the forecast
  trades in each index whose membership it changes: an addition and a deletion in its segment and the
  Russell 3000, a move in the segment it leaves (sells) and the one it joins (buys). A member whose segment
  before is unknown (`Russell 3000`) trades in the Russell 3000 only, and its row says so.
- **Weights**: each company's total market cap on rank day (the forecast's: the lake holds no free float)
  over the sum of the caps of the index's companies, before (the members in force with a cap on rank
  day) and after (the forecast's `index_after`). A company with several listed classes counts once, at
  its total cap, traded on its primary line; a further class's own trade is unknown (its class shares are
  not in the universe), and its row says so.
- **Shares per $1 billion**: (weight after - weight before) x 1e9 / the rank day's close (USD), bought (+)
  or sold (-), at the rank day's prices.
- **Volume**: the average daily volume of the 20 sessions to rank day (lib/market/volume.py) from the
  market data; where it holds none for the symbol, the universe file's one day of `Volume`, and the row
  says which. No volume, or a volume of 0, is unknown: no days of volume.
- **Sized**: given the assets tracking each index, shares = per billion x assets / 1e9, value = shares x
  close, days of volume = |shares| / the average volume.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from russell_pipeline.lib.forecast.rules import R1000, R2000, R3000
from russell_pipeline.lib.forecast.tracked import TRACKED_INDEXES

PER_BILLION = 1e9
CAP_BASIS = "total market cap"  # the forecast's caps: the lake holds no float to adjust them
INDEXES = TRACKED_INDEXES  # the indexes whose trackers' trades are sized: (R1000, R2000, R3000)
# The index names a forecast row's index_before / index_after may hold that are in each index.
IN_INDEX = {R1000: (R1000,), R2000: (R2000,), R3000: (R1000, R2000, R3000)}
TRADED = ("add", "delete", "move_up", "move_down")
MARKET, UNIVERSE = "market data", "universe file, one day"
THRESHOLDS = (1.0, 3.0, 5.0)  # days of volume the names over which stderr and the report name

DEMAND_COLUMNS: dict[str, pl.DataType] = {
    "review": pl.String,
    "rank_day": pl.Date,
    "symbol": pl.String,
    "company": pl.String,
    "action": pl.String,
    "index_name": pl.String,
    "side": pl.String,
    "cap_basis": pl.String,
    "total_market_cap": pl.Float64,
    "price": pl.Float64,
    "weight_before": pl.Float64,
    "weight_after": pl.Float64,
    "shares_per_billion": pl.Float64,
    "adv_shares": pl.Float64,
    "adv_sessions": pl.Int64,
    "adv_source": pl.String,
    "days_per_billion": pl.Float64,
    "note": pl.String,
}
SIZED_COLUMNS: dict[str, pl.DataType] = {
    "tracked_assets": pl.Float64,
    "shares": pl.Float64,
    "value": pl.Float64,
    "days_of_volume": pl.Float64,
}
UNIVERSE_VOLUME = {"source_line": pl.Int64, "volume": pl.Float64}

_SEGMENT_UNKNOWN = (
    "its segment before is unknown (Russell 3000 only): which of the Russell 1000 and 2000 funds sell it is "
    "not known"
)
_NO_CAP = "no market cap on rank day: its weight is unknown"
_FURTHER_CLASS = "a further class of {primary}: the company's trade is on its primary line"


def demand(
    rows: pl.DataFrame,
    adv: pl.DataFrame,
    universe_volume: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The `reconstitution_demand` rows (DEMAND_COLUMNS) of one review's forecast `rows`
    (lib/forecast/predict.py's columns); `adv`: symbol, adv_shares, adv_sessions of the market data
    (lib/market/volume.py); `universe_volume`: source_line, volume of the universe file the forecast was
    made from (None: the market data was the universe)."""
    lines = rows.with_columns(key=pl.coalesce("primary_symbol", "symbol"))
    companies = lines.group_by("key").agg(
        cap=pl.col("total_market_cap").drop_nulls().first(),
        **{f"before {x}": pl.col("index_before").is_in(IN_INDEX[x]).any() for x in INDEXES},
        **{f"after {x}": pl.col("index_after").is_in(IN_INDEX[x]).any() for x in INDEXES},
    )
    totals = {
        (when, x): math.fsum(companies.filter(pl.col(f"{when} {x}"), pl.col("cap").is_not_null())["cap"])
        for when in ("before", "after")
        for x in INDEXES
    }
    with_primary = set(lines["symbol"])
    traded = lines.filter(pl.col("action").is_in(TRADED))
    out = []
    for r in traded.iter_rows(named=True):
        further = r["key"] != r["symbol"] and r["key"] in with_primary
        for x in INDEXES:
            before, after = r["index_before"] in IN_INDEX[x], r["index_after"] in IN_INDEX[x]
            if before == after:
                continue
            cap = r["total_market_cap"]
            known = cap is not None and not further and r["price"]
            weight_before = (cap / totals["before", x] if before else 0.0) if known else None
            weight_after = (cap / totals["after", x] if after else 0.0) if known else None
            notes = [
                *([_FURTHER_CLASS.format(primary=r["key"])] if further else []),
                *([_NO_CAP] if cap is None and not further else []),
                *([_SEGMENT_UNKNOWN] if r["index_before"] == R3000 else []),
            ]
            out.append(
                {
                    "review": r["review"],
                    "rank_day": r["rank_day"],
                    "symbol": r["symbol"],
                    "company": r["company"],
                    "action": r["action"],
                    "index_name": x,
                    "side": "buy" if after else "sell",
                    "cap_basis": CAP_BASIS,
                    "total_market_cap": cap,
                    "price": r["price"],
                    "weight_before": weight_before,
                    "weight_after": weight_after,
                    "shares_per_billion": (
                        (weight_after - weight_before) * PER_BILLION / r["price"] if known else None
                    ),
                    "source_line": r["source_line"],
                    "note": "; ".join(notes) or None,
                }
            )
    schema = {
        c: t for c, t in DEMAND_COLUMNS.items() if c not in ("adv_shares", "adv_sessions", "adv_source")
    }
    frame = pl.DataFrame(out, schema={**schema, "source_line": pl.Int64}, orient="row")
    return _with_volume(frame, adv, universe_volume)


def _with_volume(
    frame: pl.DataFrame, adv: pl.DataFrame, universe_volume: pl.DataFrame | None
) -> pl.DataFrame:
    """The average volume of each row: the market data's, else the universe file's one day (by its line);
    0 or none is unknown. Then the days of volume per $1 billion tracked."""
    market = adv.filter(pl.col("adv_shares") > 0)
    frame = frame.join(market, on="symbol", how="left")
    one_day = (
        universe_volume if universe_volume is not None else pl.DataFrame(schema=UNIVERSE_VOLUME)
    ).filter(pl.col("volume") > 0, pl.col("source_line").is_not_null())
    frame = frame.join(
        one_day.select(pl.col("source_line").cast(pl.Int64), pl.col("volume").alias("one_day")),
        on="source_line",
        how="left",
    )
    from_market = pl.col("adv_shares").is_not_null()
    return (
        frame.with_columns(
            adv_source=pl.when(from_market)
            .then(pl.lit(MARKET))
            .when(pl.col("one_day").is_not_null())
            .then(pl.lit(UNIVERSE)),
            adv_sessions=pl.when(from_market)
            .then("adv_sessions")
            .when(pl.col("one_day").is_not_null())
            .then(1),
            adv_shares=pl.coalesce("adv_shares", "one_day"),
        )
        .with_columns(
            days_per_billion=pl.col("shares_per_billion").abs() / pl.col("adv_shares"),
        )
        .select(pl.col(c).cast(t) for c, t in DEMAND_COLUMNS.items())
    )


# ---------------------------------------------------------------- sized for the assets tracking each index
def sized(rows: pl.DataFrame, tracked: Mapping[str, float]) -> pl.DataFrame:
    """`rows` (DEMAND_COLUMNS) with SIZED_COLUMNS for the assets `tracked` per index: the shares the funds
    tracking the row's index trade, their value at the rank day's close, and the days of volume; null for
    an index not in `tracked`, and days unknown where the volume is."""
    assets = pl.col("index_name").replace_strict(dict(tracked), default=None, return_dtype=pl.Float64)
    shares = pl.col("shares_per_billion") * pl.col("tracked_assets") / PER_BILLION
    return (
        rows.with_columns(tracked_assets=assets)
        .with_columns(shares=shares)
        .with_columns(
            value=pl.col("shares") * pl.col("price"),
            days_of_volume=pl.col("shares").abs() / pl.col("adv_shares"),
        )
        .cast(SIZED_COLUMNS)
    )


@dataclass(frozen=True)
class Side:
    """One index's trade of one review: the dollars and names bought and sold."""

    review: str
    index_name: str
    tracked_assets: float
    bought: float
    bought_names: int
    sold: float
    sold_names: int


def sides(sized_rows: pl.DataFrame) -> list[Side]:
    """Per review and tracked index, the value bought and sold (rows of unknown value left out)."""
    out = []
    tracked = sized_rows.filter(pl.col("tracked_assets").is_not_null())
    for (review, index), g in tracked.group_by("review", "index_name", maintain_order=True):
        valued = g.filter(pl.col("value").is_not_null())
        buys, sells = valued.filter(pl.col("value") > 0), valued.filter(pl.col("value") < 0)
        out.append(
            Side(
                review,
                index,
                g["tracked_assets"][0],
                math.fsum(buys["value"]),
                buys.height,
                abs(math.fsum(sells["value"])),
                sells.height,
            )
        )
    return sorted(out, key=lambda s: (s.review, INDEXES.index(s.index_name)))


def net_days(sized_rows: pl.DataFrame) -> pl.DataFrame:
    """review, symbol, company, action, shares (net over the tracked indexes it trades in: a move sells in
    one and buys in the other), adv_shares, days_of_volume (|net shares| / volume), most first; names with
    an unknown volume last."""
    tracked = sized_rows.filter(pl.col("shares").is_not_null())
    return (
        tracked.group_by("review", "symbol", maintain_order=True)
        .agg(
            pl.col("company").first(),
            pl.col("action").first(),
            pl.col("shares").sum(),
            pl.col("adv_shares").first(),
        )
        .with_columns(days_of_volume=pl.col("shares").abs() / pl.col("adv_shares"))
        .sort("review", "days_of_volume", "symbol", descending=[False, True, False], nulls_last=True)
    )


def over(net: pl.DataFrame, days: float) -> pl.DataFrame:
    """The rows of `net_days` over `days` days of volume."""
    return net.filter(pl.col("days_of_volume") > days)
