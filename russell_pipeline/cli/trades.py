"""Trades sized for the money behind them: `forecast YEAR --demand` (what a reconstitution makes the funds
tracking each index buy and sell, against volume) and `pro-forma REVIEW --aum` (a fund's trade list against
volume); a volume the lake does not know is said `unknown`, never 0."""

from __future__ import annotations

import sys

import polars as pl

from russell_pipeline.cli.common import ArgumentsError, emit, stored
from russell_pipeline.lib.forecast.demand import INDEXES, SIZED_COLUMNS, THRESHOLDS, net_days
from russell_pipeline.lib.forecast.demand import sides as demand_sides
from russell_pipeline.lib.forecast.demand import sized as demand_sized
from russell_pipeline.lib.forecast.tracked import dollars, usd
from russell_pipeline.settings import Settings

UNKNOWN = "unknown"  # what csv prints for a figure that needs a volume the lake does not hold
DEMAND_SHOWN = [
    "review",
    "symbol",
    "company",
    "action",
    "index_name",
    "side",
    "cap_basis",
    "weight_before",
    "weight_after",
    "price",
    "shares_per_billion",
    *SIZED_COLUMNS,
    "adv_shares",
    "adv_sessions",
    "adv_source",
    "note",
    "price_source",
]


def tracked_assets(args, settings: Settings) -> tuple[dict[str, float], str]:
    """The assets tracking each index and where they were given (`--tracked`, else the setting); none is an
    error: there is no default size of the money tracking an index."""
    if args.tracked:
        return dict(args.tracked), "--tracked"
    if settings.tracked_assets:
        return dict(settings.tracked_assets), "RUSSELL_TRACKED_ASSETS"
    raise ArgumentsError(
        "forecast --demand: no assets tracking each index given: pass --tracked "
        "'Russell 2000=1e12,Russell 1000=1e13' (US dollars) or set RUSSELL_TRACKED_ASSETS; the figures per "
        "$1 billion are in the table reconstitution_demand"
    )


def unknown_in_csv(rows: pl.DataFrame, columns: list[str], fmt: str) -> pl.DataFrame:
    """`rows` with `unknown` in the empty cells of `columns` when printed as csv (json and parquet keep
    them null, typed)."""
    if fmt != "csv":
        return rows
    return rows.with_columns(pl.col(c).cast(pl.String).fill_null(UNKNOWN) for c in columns)


def print_demand(lake, args, settings: Settings, tracked: dict[str, float], source: str) -> None:
    """The year's `reconstitution_demand` rows sized for `tracked` on stdout; the assets used, the totals
    bought and sold per index and the names over 1, 3 and 5 days of volume on stderr."""
    stored(lake, "reconstitution_demand")
    rows = lake.warehouse.published("reconstitution_demand").filter(pl.col("recon_year") == args.year)
    if args.review:
        rows = rows.filter(pl.col("review") == args.review)
    sized = demand_sized(rows, tracked)
    order = pl.col("index_name").replace_strict({x: i for i, x in enumerate(INDEXES)}, return_dtype=pl.Int64)
    out = sized.sort(
        "review", order, "days_of_volume", "symbol", descending=[False, False, True, False], nulls_last=True
    ).select(DEMAND_SHOWN)
    emit(unknown_in_csv(out, ["adv_shares", "days_of_volume"], args.format or "csv"), args.format or "csv")
    untracked = [x for x in INDEXES if x not in tracked and rows.filter(pl.col("index_name") == x).height]
    said = ", ".join(f"{x} {dollars(tracked[x])}" for x in INDEXES if x in tracked)
    for x in untracked:
        rows_of = rows.filter(pl.col("index_name") == x).height
        said += f"; {x} not given: its {rows_of} rows show the figures per $1 billion only"
    print(f"tracked assets ({source}): {said}", file=sys.stderr)
    if not rows.height:
        print(f"{args.review or args.year}: no addition, deletion or move forecast", file=sys.stderr)
    for s in demand_sides(sized):
        print(
            f"{s.review} {s.index_name}: buys {usd(s.bought)} of {s.bought_names} names, "
            f"sells {usd(s.sold)} of {s.sold_names} names",
            file=sys.stderr,
        )
    for (review,), net in net_days(sized).group_by("review", maintain_order=True):
        counts = ", ".join(
            f"over {_days(d)} {net.filter(pl.col('days_of_volume') > d).height}" for d in THRESHOLDS
        )
        unknown = net.filter(pl.col("days_of_volume").is_null()).height
        print(
            f"{review} days of volume, net over the tracked indexes a name trades in: {counts}"
            + (f"; {unknown} names of unknown volume" if unknown else ""),
            file=sys.stderr,
        )
        bands = [*THRESHOLDS[1:], None]
        for low, high in reversed(list(zip(THRESHOLDS, bands, strict=True))):  # the most days first
            band = net.filter(
                pl.col("days_of_volume") > low, pl.col("days_of_volume") <= high if high else pl.lit(True)
            )
            if band.height:
                label = f"over {_days(low)}" if high is None else f"{low:g} to {_days(high)}"
                names = ", ".join(
                    f"{s} {d:,.1f}" for s, d in band.select("symbol", "days_of_volume").iter_rows()
                )
                print(f"  {label} ({band.height}): {names}", file=sys.stderr)


def _days(n: float) -> str:
    return f"{n:g} day" if n == 1 else f"{n:g} days"


def pro_forma_trade(
    lake, rows: pl.DataFrame, aum: float, participation: float, fmt: str
) -> tuple[pl.DataFrame, str]:
    """The review's rows sized for a fund of `aum` trading `participation` of each session's volume (the
    average of the 20 sessions to its as-of date), and the line that sums them up for stderr."""
    from russell_pipeline.lake.market_tables import window_volumes
    from russell_pipeline.lib.index.trade import TRADE_SIZE_COLUMNS, sized_trade, trade_size
    from russell_pipeline.lib.market.volume import ADV_SESSIONS, average_volume

    as_of = rows["as_of_date"][0]
    adv = average_volume(window_volumes(lake, as_of, rows["symbol"].to_list()), as_of)
    sized = sized_trade(rows, adv, aum, participation)
    size = trade_size(sized)
    line = (
        f"sized for a fund of {dollars(aum)} trading at most {participation:.0%} of each session's volume "
        f"(the average of the {ADV_SESSIONS} sessions to {as_of}): buys {usd(size.bought)}, "
        f"sells {usd(size.sold)}; "
        f"{size.over_a_day} names take more than a day"
        + (f", the longest {size.longest[0]} {size.longest[1]:,.1f} days" if size.longest else "")
        + (
            f"; {size.unknown} names have no volume in the market data: their adv_shares, adv_pct and "
            "days_to_trade are unknown"
            if size.unknown
            else ""
        )
    )
    return unknown_in_csv(sized, [c for c in TRADE_SIZE_COLUMNS if c != "shares"], fmt), line
