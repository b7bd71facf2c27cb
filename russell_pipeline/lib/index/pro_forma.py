"""The next review before it happens: its weights as the method sets them, and the trade from the
weights in force to them (docs/methodology.md §1.10).

For review R with cut-off t and rebalance T, on market data whose last close is L:

- **as-of date** a = min(T, L): the close the trade list is valued at. Up to T's close the index
  holds the previous review's weights (§1.5), so a is always a day they are in force.
- **weight_now**: the previous review's weighting factors applied to a's prices, shares (splits
  after its cut-off included), free float and fx, each stock's p e s f c over their sum: the
  previous review's weights drifted to a, computed by the level mechanics themselves
  (`levels_grid.numerator_grid`), so sum(p e s f c) / divisor is the stored level on a.
- **weight_pro_forma**: `compute_weights` of R with prices, shares and fx on or before
  min(t, L). When L < t the latest close is the **stand-in** for the cut-off close: each member's
  last close on or before L (and shares and fx on or before L), the stale limit counted to L.
  Once t has passed it is exactly the review's `quarterly_weights` weight.
- **change** = weight_pro_forma - weight_now; a symbol on one side only has 0 on the other.
- **shares_per_billion** = change x 1e9 / (p e) with p the stock's last close on or before a
  (local currency) and e its currency's USD rate on or before a (1 for USD): the shares a
  portfolio of $1 billion tracking the index buys (+) or sells (-) at a's close; negative weights
  are the short side, so a negative change there shorts more.
- **totals**: one-way turnover = the sum of the positive changes (half the sum of |change| when
  both sides sum to 1, which is every review but the base, bought from nothing); names in (members
  of R only) and names out (members of the previous review only).
- **carried members**: the review right after the last one the market data holds members for (the
  upcoming review, before its members are announced) takes the members of that last review, less those
  without a close within the stale limit at the prices date (a stock that stopped trading: `out` of
  the trade); every row says so (`members_review`, `members_carried`). When the data gives R its own
  members, they are used.
- **forecast members**: when the lake holds R's reconstitution forecast (docs/methodology.md §4), the
  carried members are changed as it says (`forecast_members`): a deletion leaves both components, an
  addition joins the Small Cap Completeness at fraction 1 (taken to be outside the S&P 500, it is in
  the Russell 3000 ex S&P 500) but no Russell 2000 Growth (its style is unknown), a move up to the
  Russell 1000 leaves the Russell 2000 Growth, a move down joins nothing (style unknown). An addition
  the weights cannot price at the prices date is left out and counted. Every row says so
  (`members_forecast`, and the forecast's action for the symbol in `forecast_action`). A forecast that
  would leave a component without a member is not used: the members are carried as they are.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from russell_pipeline.lib.index.levels_grid import USD, numerator_grid, review_of, split_factors
from russell_pipeline.lib.index.weights import compute_weights
from russell_pipeline.lib.market.contract import INDEXES, R2G, SCC, MarketData
from russell_pipeline.lib.sessions import sessions_between

PER_BILLION = 1e9
TOLERANCE = 1e-12  # pro-forma of a review past its cut-off vs its stored weights
# The `pro_forma_weights` contract: one row per symbol of the review or of the weights in force.
PRO_FORMA_COLUMNS: dict[str, pl.DataType] = {
    "review": pl.String,
    "cutoff_date": pl.Date,
    "effective_date": pl.Date,
    "prices_date": pl.Date,
    "stand_in": pl.Boolean,
    "as_of_date": pl.Date,
    "previous_review": pl.String,
    "symbol": pl.String,
    "move": pl.String,
    "weight_now": pl.Float64,
    "weight_pro_forma": pl.Float64,
    "change": pl.Float64,
    "price": pl.Float64,
    "fx": pl.Float64,
    "shares_per_billion": pl.Float64,
    "members_review": pl.String,
    "members_carried": pl.Boolean,
    "members_forecast": pl.Boolean,
    "forecast_action": pl.String,
}
TRADE_COLUMNS = [
    "symbol",
    "move",  # in, out or stay: which names enter and leave (stderr counts them)
    "weight_now",
    "weight_pro_forma",
    "change",
    "shares_per_billion",
    "members_review",
    "members_carried",
    "members_forecast",
    "forecast_action",
]
# What the pro-forma reads of a review's `reconstitution_forecast` rows (docs/methodology.md §4.5).
FORECAST_SCHEMA: dict[str, pl.DataType] = {"symbol": pl.String, "action": pl.String, "index_after": pl.String}
JOINS_RUSSELL_3000 = ("Russell 1000", "Russell 2000")  # the index_after of a forecast addition


def carried_members(with_members: list[str], partitions: list[str]) -> dict[str, str]:
    """{review: the review whose members it takes}: the review of `partitions` right after the last one
    the market data holds members for (`with_members`) takes that one's members until its own are in
    the data. A review further on trades from weights no review has yet: nothing is carried there."""
    if not with_members:
        return {}
    last = max(with_members)
    later = [review for review in partitions if review > last]
    return {later[0]: last} if later else {}


def carry(
    md: MarketData,
    review: str,
    members_review: str,
    prices_date: date,
    max_stale_sessions: int = 10,
    forecast: pl.DataFrame | None = None,
) -> MarketData:
    """`md` with the members of `members_review` as those of `review` (changed as `forecast`, the review's
    `reconstitution_forecast` rows, says: `forecast_members`), less the members without a close within
    `max_stale_sessions` sessions of `prices_date` (they stopped trading: in the trade list they are
    `out` of the review they are carried from)."""
    members = md.memberships.filter(pl.col("review") == members_review).with_columns(review=pl.lit(review))
    if forecast is not None:
        members, _ = forecast_members(
            members, forecast, weighable(md, additions(forecast), prices_date, max_stale_sessions)
        )
    fresh = _fresh(md, members["symbol"].unique().to_list(), prices_date, max_stale_sessions)
    return replace(md, memberships=members.filter(pl.col("symbol").is_in(list(fresh))))


def unweighed_components(memberships: pl.DataFrame) -> list[str]:
    """The component indexes without a member in `memberships`: the weights need both (§1.4)."""
    return [index for index in INDEXES if index not in set(memberships["index"].to_list())]


@dataclass(frozen=True)
class ForecastChanges:
    """What a review's forecast changes in the members carried to it (sorted symbols of each kind)."""

    added: tuple[str, ...] = ()  # joined the Small Cap Completeness at fraction 1
    deleted: tuple[str, ...] = ()  # left both components
    moved_up: tuple[str, ...] = ()  # to the Russell 1000: left the Russell 2000 Growth
    moved_down: tuple[str, ...] = ()  # to the Russell 2000: nothing joined (its style is unknown)
    unplaced: tuple[str, ...] = ()  # additions without a close or shares to weigh them: left out


def additions(forecast: pl.DataFrame) -> list[str]:
    """The symbols the forecast adds to the Russell 3000 (in the Russell 1000 or 2000 after), sorted."""
    adds = forecast.filter(pl.col("action") == "add", pl.col("index_after").is_in(JOINS_RUSSELL_3000))
    return sorted(set(adds["symbol"].to_list()))


def forecast_members(
    members: pl.DataFrame, forecast: pl.DataFrame, weighable: Collection[str]
) -> tuple[pl.DataFrame, ForecastChanges]:
    """The carried `members` (review, index, symbol, fraction rows of one review) as the review's forecast
    (symbol, action, index_after rows of `reconstitution_forecast`) changes them, and what changed.

    A `delete` leaves both components; an `add` joins the Small Cap Completeness at fraction 1 (taken to be
    outside the S&P 500) when it is in `weighable` (it has a close and shares to weigh it;
    otherwise it is `unplaced`), and no Russell 2000 Growth (its style is unknown); a `move_up` leaves the
    Russell 2000 Growth; a `move_down` joins nothing (style unknown); `stay`, `out` and `absent` change
    nothing (an absent member that stopped trading is left out by its stale close, as any carried one)."""

    def of(action: str) -> set[str]:
        return set(forecast.filter(pl.col("action") == action)["symbol"].to_list())

    deletes, ups, downs = of("delete"), of("move_up"), of("move_down")
    held = set(members["symbol"].to_list())
    growth = set(members.filter(pl.col("index") == R2G)["symbol"].to_list())
    kept = members.filter(
        ~pl.col("symbol").is_in(list(deletes)),
        ~((pl.col("index") == R2G) & pl.col("symbol").is_in(list(ups))),
    )
    scc = set(kept.filter(pl.col("index") == SCC)["symbol"].to_list())
    new = [s for s in additions(forecast) if s not in scc]
    placed = [s for s in new if s in weighable]
    joined = pl.DataFrame({"symbol": placed}, schema={"symbol": pl.String}).select(
        review=pl.lit(members["review"][0] if members.height else None, pl.String),
        index=pl.lit(SCC),
        symbol="symbol",
        fraction=pl.lit(1.0),
    )
    changes = ForecastChanges(
        added=tuple(placed),
        deleted=tuple(sorted(held & deletes)),
        moved_up=tuple(sorted((growth & ups) - deletes)),
        moved_down=tuple(sorted((held & downs) - deletes)),
        unplaced=tuple(s for s in new if s not in weighable),
    )
    out = pl.concat([kept, joined.select(kept.columns).cast(kept.schema)]).sort("index", "symbol")
    return out, changes


def _fresh(md: MarketData, symbols: list[str], prices_date: date, max_stale_sessions: int) -> dict[str, str]:
    """{symbol: its currency} of the `symbols` with a close on or before `prices_date` within
    `max_stale_sessions` sessions of it (what the weights refuse otherwise, docs/methodology.md §1.3)."""
    closes = (
        md.prices.filter(pl.col("date") <= prices_date, pl.col("symbol").is_in(symbols))
        .group_by("symbol")
        .agg(pl.col("date").max(), pl.col("currency").get(pl.col("date").arg_max()).fill_null(USD))
    )
    return {
        symbol: currency
        for symbol, day, currency in closes.iter_rows()
        if sessions_between(day, prices_date) <= max_stale_sessions
    }


def weighable(
    md: MarketData, symbols: list[str], prices_date: date, max_stale_sessions: int = 10
) -> set[str]:
    """The `symbols` the weights can price at `prices_date` (docs/methodology.md §1.3): a close on or
    before it within `max_stale_sessions` sessions, a shares row on or before it, and a rate for its
    currency on or before it (none needed for USD)."""
    shares = set(md.shares.filter(pl.col("date") <= prices_date, pl.col("symbol").is_in(symbols))["symbol"])
    rates = {USD, *md.fx.filter(pl.col("date") <= prices_date)["currency"].to_list()}
    fresh = _fresh(md, symbols, prices_date, max_stale_sessions)
    return {symbol for symbol, currency in fresh.items() if symbol in shares and currency in rates}


def forecast_changes(rows: pl.DataFrame, forecast: pl.DataFrame) -> ForecastChanges:
    """What the forecast changed, read from a review's stored trade list (`rows`) and the forecast it
    used: the additions bought (`in`), the deletions sold (`out`), and the additions the rows lack (no
    close or shares to weigh them). Moves are not told apart here: the rows do not say who is in the
    Russell 2000 Growth."""
    act, listed = pl.col("forecast_action"), set(rows["symbol"].to_list())
    return ForecastChanges(
        added=tuple(rows.filter(act == "add", pl.col("move") == "in")["symbol"].sort().to_list()),
        deleted=tuple(rows.filter(act == "delete", pl.col("move") == "out")["symbol"].sort().to_list()),
        unplaced=tuple(s for s in additions(forecast) if s not in listed),
    )


@dataclass(frozen=True)
class ReviewDates:
    """A review's cut-off t and rebalance T, and the last close L of the market data."""

    review: str
    cutoff: date
    effective: date
    last_close: date

    @property
    def prices_date(self) -> date:
        """The pro-forma weights read prices, shares and fx on or before this day: min(t, L)."""
        return min(self.cutoff, self.last_close)

    @property
    def stand_in(self) -> bool:
        """The cut-off has not passed: the latest close stands in for the cut-off close."""
        return self.last_close < self.cutoff

    @property
    def as_of(self) -> date:
        """The close the trade is valued at: min(T, L)."""
        return min(self.effective, self.last_close)


@dataclass(frozen=True)
class Totals:
    turnover: float
    names_in: int
    names_out: int
    names: int

    def line(self, review: str, as_of: date, stand_in: bool) -> str:
        prices = "latest close standing in for the cut-off close" if stand_in else "cut-off closes"
        return (
            f"{review} as of {as_of} ({prices}): one-way turnover {self.turnover:.4%}, "
            f"names in {self.names_in}, names out {self.names_out}, {self.names} symbols"
        )


def members_line(review: str, rows: pl.DataFrame, forecast: pl.DataFrame | None) -> str:
    """Whose members the rows of a carried review are, in one line (`pro-forma`'s stderr, the partition's
    facts): the review they are carried from, what the review's forecast (its rows, or None) changed, or
    why it changed nothing, and how many carried members stopped trading."""
    head = rows.row(0, named=True)
    deleted = pl.col("forecast_action").fill_null("") == "delete"
    stale = rows.filter(pl.col("move") == "out", ~deleted).height
    left = f"{stale} without a close within the stale limit left out"
    if head.get("members_forecast"):
        changes = forecast_changes(
            rows, forecast if forecast is not None else pl.DataFrame(schema=FORECAST_SCHEMA)
        )
        return (
            f"members forecast: the market data holds no members for {review} yet, so these are the members "
            f"of {head['members_review']} as the reconstitution forecast of {review} changes them: "
            f"{len(changes.added)} added (to the Small Cap Completeness, to no Russell 2000 Growth: their "
            f"style is unknown), {len(changes.deleted)} deleted, {len(changes.unplaced)} additions left "
            "unplaced (no close or shares to weigh them), moves up to the Russell 1000 out of the Russell "
            f"2000 Growth; of the carried members, {left}"
        )
    said = (
        f"members carried: the market data holds no members for {review} yet, so these are the members of "
        f"{head['members_review']} (its latest review with members; {left})"
    )
    if forecast is not None and forecast.height:
        said += (
            f", unchanged by the reconstitution forecast of {review}: it leaves a component index without "
            "a member to weigh"
        )
    return said


def weights_now(in_force: pl.DataFrame, md: MarketData, as_of: date) -> pl.DataFrame:
    """symbol, weight_now: the review `in_force` (its `quarterly_weights` rows) drifted to `as_of`'s close."""
    r = review_of(in_force)
    values = numerator_grid(r, [as_of], md.prices, split_factors(md.splits, r, as_of), md.fx).values()[:, 0]
    return pl.DataFrame({"symbol": r.members["symbol"], "weight_now": values / math.fsum(values)})


def _closes(md: MarketData, symbols: pl.Series, as_of: date) -> pl.DataFrame:
    """symbol, price, fx: each symbol's last close on or before `as_of` and its currency's rate then."""
    latest = pl.col("date").arg_max()
    closes = (
        md.prices.filter(
            pl.col("date") <= as_of,
            pl.col("symbol").is_in(symbols.implode()),
            pl.col("close").cast(pl.Float64).is_finite(),
        )
        .group_by("symbol")
        .agg(
            pl.col("close").get(latest).cast(pl.Float64).alias("price"),
            pl.col("currency").get(latest).fill_null(USD),
        )
    )
    rates = (
        md.fx.filter(pl.col("date") <= as_of)
        .group_by("currency")
        .agg(pl.col("usd_per_unit").get(latest).alias("fx"))
    )
    return closes.join(rates, on="currency", how="left").select(
        "symbol", "price", pl.when(pl.col("currency") == USD).then(1.0).otherwise(pl.col("fx")).alias("fx")
    )


def pro_forma(
    md: MarketData,
    dates: ReviewDates,
    in_force: pl.DataFrame | None,
    previous: str | None,
    max_stale_sessions: int = 10,
    members_review: str | None = None,
    forecast: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The `pro_forma_weights` rows of one review (module docstring); `in_force`: the stored weights of
    `previous`, the review in force at the as-of date, or None for the base review; `members_review`: the
    review whose members `md` holds when they are carried (`carried_members`), else R itself; `forecast`:
    the review's `reconstitution_forecast` rows (FORECAST_SCHEMA), which change carried members."""
    members_review = members_review or dates.review
    carried = members_review != dates.review
    forecast = forecast if carried and forecast is not None and forecast.height else None
    if carried:
        kept = carry(md, dates.review, members_review, dates.prices_date, max_stale_sessions, forecast)
        if forecast is not None and unweighed_components(
            kept.memberships.filter(pl.col("review") == dates.review)
        ):
            # The forecast leaves a component without a member to weigh (a universe too small for the
            # Russell 1000 break moves every Russell 2000 Growth member up): the members are carried as
            # they are, and the rows say so.
            forecast = None
            kept = carry(md, dates.review, members_review, dates.prices_date, max_stale_sessions)
        md = kept
    target = compute_weights(md, dates.review, dates.prices_date, dates.effective, max_stale_sessions)
    target = target.select("symbol", pl.col("weight").alias("weight_pro_forma"))
    now = (
        pl.DataFrame(schema={"symbol": pl.String, "weight_now": pl.Float64})
        if in_force is None
        else weights_now(in_force, md, dates.as_of)
    )
    both = (
        now.join(target, on="symbol", how="full", coalesce=True)
        .with_columns(
            pl.when(pl.col("weight_now").is_null())
            .then(pl.lit("in"))
            .when(pl.col("weight_pro_forma").is_null())
            .then(pl.lit("out"))
            .otherwise(pl.lit("stay"))
            .alias("move"),
            pl.col("weight_now", "weight_pro_forma").fill_null(0.0),
        )
        .with_columns((pl.col("weight_pro_forma") - pl.col("weight_now")).alias("change"))
    )
    both = both.join(_closes(md, both["symbol"], dates.as_of), on="symbol", how="left")
    actions = (
        pl.DataFrame(schema={"symbol": pl.String, "forecast_action": pl.String})
        if forecast is None
        else forecast.sort("symbol", "action")
        .unique("symbol", keep="first", maintain_order=True)
        .select("symbol", pl.col("action").alias("forecast_action"))
    )
    both = both.join(actions, on="symbol", how="left")
    missing = both.filter(pl.col("price").is_null() | pl.col("fx").is_null())
    if missing.height:
        raise ValueError(
            f"review {dates.review}: no close or fx rate on or before {dates.as_of} for "
            f"{missing['symbol'].head(5).to_list()}"
        )
    return (
        both.with_columns(
            pl.lit(dates.review).alias("review"),
            pl.lit(dates.cutoff).alias("cutoff_date"),
            pl.lit(dates.effective).alias("effective_date"),
            pl.lit(dates.prices_date).alias("prices_date"),
            pl.lit(dates.stand_in).alias("stand_in"),
            pl.lit(dates.as_of).alias("as_of_date"),
            pl.lit(previous, pl.String).alias("previous_review"),
            (pl.col("change") * PER_BILLION / (pl.col("price") * pl.col("fx"))).alias("shares_per_billion"),
            pl.lit(members_review).alias("members_review"),
            pl.lit(carried).alias("members_carried"),
            pl.lit(forecast is not None).alias("members_forecast"),
        )
        .select(pl.col(c).cast(t) for c, t in PRO_FORMA_COLUMNS.items())
        .sort("symbol")
    )


def totals(rows: pl.DataFrame) -> Totals:
    """One review's totals: one-way turnover (sum of the positive changes), names in and out."""
    moves = rows["move"].value_counts()
    count = dict(zip(moves["move"].to_list(), moves["count"].to_list(), strict=True))
    return Totals(
        math.fsum(c for c in rows["change"].to_list() if c > 0),
        count.get("in", 0),
        count.get("out", 0),
        rows.height,
    )


def weight_mismatches(rows: pl.DataFrame, stored: pl.DataFrame, tolerance: float = TOLERANCE) -> pl.DataFrame:
    """(review, symbol) where the pro-forma weight of a review past its cut-off differs from its stored
    `quarterly_weights` weight by more than `tolerance`, or where a member is on one side only.

    `rows`: pro-forma rows of the reviews to compare; `stored`: their `quarterly_weights` rows."""
    members = rows.filter(pl.col("move") != "out").select("review", "symbol", "weight_pro_forma")
    return (
        members.join(
            stored.select("review", "symbol", "weight"), on=["review", "symbol"], how="full", coalesce=True
        )
        .with_columns((pl.col("weight_pro_forma") - pl.col("weight")).abs().alias("difference"))
        .filter(~(pl.col("difference") <= tolerance).fill_null(False))
        .sort("review", "symbol")
    )
