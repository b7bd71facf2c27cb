"""Index numerators sum(p e s f c) of one review over a run of sessions (docs/methodology.md §1.5-1.7).

The work is a constituents x sessions grid, held as flat constituent-major arrays: each close's
market value p*s*f*c is scattered into its cell and a run of cells without a close takes the
value of the cell before it (step 7). Every constituent's first cell holds its close carried in
at the anchor session, so a run never reaches back into another constituent. The grid is built
with numpy on integer codes (symbols are looked up through their Categorical codes, never joined
as strings) because at 5,000 x 63 cells per quarter polars' per-call overhead dominated.

Shares follow step 11 (a split with cut-off < ex-date multiplies s from its ex-date), with the
multiplier taken at the date of the close being used: a close carried from before an ex-date
is a pre-split price and keeps its pre-split shares, so a missing price on an ex-date causes
no jump. With a close on every session this is exactly step 11.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

USD = "USD"


@dataclass(frozen=True)
class Review:
    review: str
    cutoff: date
    effective: date
    members: pl.DataFrame  # cid (0..n-1), symbol, k = shares * free_float * weighting_factor


@dataclass(frozen=True)
class Grid:
    days: pl.Series  # the anchor session, then the sessions computed
    codes: np.ndarray  # currency index (int8) of each (constituent, session) cell
    rates: np.ndarray  # currencies x sessions: usd_per_unit in force (1 for USD)
    numerators: np.ndarray  # sum(p e s f c) on each of days
    cells: np.ndarray  # constituents x days: p e s f c of each (times `scale` in USD)
    scale: np.ndarray | float  # 1 when `cells` are in USD (several currencies), else the one rate per day

    def values(self) -> np.ndarray:
        """constituents x days: each constituent's p e s f c in USD (rows in `Review.members` order)."""
        return self.cells * self.scale


def review_of(weights: pl.DataFrame) -> Review:
    heads = weights.select("review", "cutoff_date", "effective_date").unique()
    if heads.height != 1:
        raise ValueError(f"weights must hold exactly one review, got {heads.height} (review, dates) pairs")
    if weights["symbol"].n_unique() != weights.height:
        raise ValueError(f"review {heads['review'][0]}: duplicate symbols in weights")
    # Members in symbol order, however the stored rows come back; each day's numerator is their exact sum
    # (`exact_sums`), so the same values give the same bits (docs/reliability.md, bit-identical rebuilds).
    members = weights.sort("symbol").select(
        pl.int_range(pl.len()).alias("cid"),
        pl.col("symbol").cast(pl.String),
        (pl.col("shares") * pl.col("free_float") * pl.col("weighting_factor")).alias("k"),
    )
    if not members["k"].is_finite().fill_null(False).all():  # a null is missing too (all() skips nulls)
        raise ValueError(f"review {heads['review'][0]}: shares, free_float or weighting_factor missing")
    return Review(*heads.row(0), members)


def _codes(values: pl.Series, keys: pl.Series) -> np.ndarray:
    """Index of each value in `keys` (-1 if absent or null), through the values' Categorical codes."""
    dtype = values.dtype if isinstance(values.dtype, (pl.Categorical, pl.Enum)) else pl.Categorical
    # Codes are comparable only while both Categorical series are alive (polars frees unused
    # categories), so both are bound to names until the lookup is done.
    values, keys = values.cast(dtype), keys.cast(dtype, strict=False)
    ids, known = values.to_physical(), keys.to_physical()
    at = np.flatnonzero(known.is_not_null().to_numpy())
    key_ids = known.to_numpy()[at].astype(np.int64)
    size = max(ids.max() or 0, key_ids.max(initial=0)) + 2  # the last slot stands for null
    lookup = np.full(size, -1, dtype=np.int32)
    lookup[key_ids] = at
    return lookup[(ids.fill_null(size - 1) if ids.null_count() else ids).to_numpy()]


def _day_numbers(dates: pl.Series) -> np.ndarray:
    return dates.to_physical().to_numpy()  # int32 days since 1970


def split_factors(splits: pl.DataFrame | None, r: Review, end: date) -> pl.DataFrame:
    """cid, split_date, g (sorted by cid, split_date): product of the ratios of the constituent's
    splits with cut-off < ex-date <= split_date."""
    schema = {"cid": pl.Int64, "split_date": pl.Date, "g": pl.Float64}
    if splits is None or splits.is_empty():
        return pl.DataFrame(schema=schema)
    window = splits.filter(pl.col("ex_date") > r.cutoff, pl.col("ex_date") <= end)
    return (
        window.select(pl.Series("cid", _codes(window["symbol"], r.members["symbol"])), "ex_date", "ratio")
        .filter(pl.col("cid") >= 0)
        .group_by("cid", "ex_date")
        .agg(pl.col("ratio").sort().product())  # several splits of one day multiply in one order
        .sort("cid", "ex_date")
        .select(
            "cid", pl.col("ex_date").alias("split_date"), pl.col("ratio").cum_prod().over("cid").alias("g")
        )
    )


def _split_multipliers(cid: np.ndarray, day_of, factors: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(entries, g) for the entries whose constituent has a split factor dated on or before the
    entry's day (day_of(entries) gives those days); every other entry's multiplier is 1."""
    if factors.is_empty():
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    f_cid = factors["cid"].to_numpy().astype(np.int64)
    splitting = np.zeros(max(int(cid.max(initial=0)), int(f_cid.max())) + 1, dtype=bool)
    splitting[f_cid] = True
    entries = np.flatnonzero(splitting[cid])  # few constituents split in a quarter
    # (cid, date) packed into one sortable integer, so one searchsorted does the as-of lookup
    sub = cid[entries].astype(np.int64)
    f_day = _day_numbers(factors["split_date"]).astype(np.int64)
    at = np.searchsorted((f_cid << 32) + f_day, (sub << 32) + day_of(entries), side="right") - 1
    found = (at >= 0) & (f_cid[np.maximum(at, 0)] == sub)
    return entries[found], factors["g"].to_numpy()[at[found]]


def _positions(day_nums: np.ndarray, dates: np.ndarray) -> tuple[np.ndarray, bool]:
    """For ascending dates up to the last session: the index of the first session on or after
    each (0 up to the anchor), and whether every date is a session."""
    upto = np.searchsorted(dates, day_nums, side="right")  # how many dates fall on or before each session
    pos = np.repeat(np.arange(len(day_nums)), np.diff(upto, prepend=0))
    return pos, bool((upto - np.searchsorted(dates, day_nums, side="left")).sum() == len(dates))


def _fx_grid(currencies: list[str], days: pl.Series, fx: pl.DataFrame | None) -> np.ndarray:
    """currencies x sessions: usd_per_unit on or before each session (1 for USD)."""
    rates = np.ones((len(currencies), len(days)))
    for i, currency in enumerate(currencies):  # a handful of currencies
        if currency == USD:
            continue
        quotes = (
            pl.DataFrame(schema={"date": pl.Date, "usd_per_unit": pl.Float64})
            if fx is None
            else fx.filter(pl.col("currency").cast(pl.String) == currency).sort("date", maintain_order=True)
        )
        at = np.searchsorted(_day_numbers(quotes["date"]), _day_numbers(days), side="right") - 1
        if at[0] < 0:
            raise ValueError(f"no fx rate for {currency} on or before {days[0]}")
        rates[i] = quotes["usd_per_unit"].to_numpy()[at]
    return rates


def _usable_closes(prices: pl.DataFrame, since: date, anchor: date, end: date) -> tuple[pl.DataFrame, int]:
    """Each symbol's last close in [since, anchor] (the first `n_carried` rows), then the closes in
    (anchor, end] in date order; close as Float64 and currency filled in (default USD)."""
    cols = [
        pl.col("date"),
        pl.col("symbol"),
        pl.col("close").cast(pl.Float64),
        pl.col("currency").fill_null(USD) if "currency" in prices.columns else pl.lit(USD).alias("currency"),
    ]
    valid = pl.col("close").cast(pl.Float64).is_finite()  # a null or NaN close is no close
    carried = (
        prices.filter(pl.col("date") >= since, pl.col("date") <= anchor, valid)
        .group_by("symbol")
        .agg(pl.all().get(pl.col("date").arg_max()))
        .select(cols)
    )
    later = prices.filter(pl.col("date") > anchor, pl.col("date") <= end, valid).select(cols)
    later = later if later["date"].is_sorted() else later.sort("date", maintain_order=True)
    return pl.concat([carried, later], rechunk=True), carried.height


def _currency_codes(currency: pl.Series, rows: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The currencies of the given rows (no nulls), and each row's index into them."""
    if not isinstance(currency.dtype, (pl.Categorical, pl.Enum)):
        currency = currency.cast(pl.Categorical)
    ids = currency.to_physical().to_numpy()[rows].astype(np.int64)
    present = np.flatnonzero(np.bincount(ids))
    sample = np.zeros(present[-1] + 1, dtype=np.int64)
    sample[ids] = rows  # any row of each currency, to read its name
    names = currency.gather(sample[present]).cast(pl.String).to_list()
    lookup = np.zeros(present[-1] + 1, dtype=np.int64)
    lookup[present[np.argsort(names)]] = np.arange(len(names))
    return sorted(names), lookup[ids].astype(np.int8)


def _last_per_cell(cells: np.ndarray) -> np.ndarray:
    """Positions of the last entry of each distinct cell (entries in date order)."""
    _, first_from_end = np.unique(cells[::-1], return_index=True)
    return np.sort(len(cells) - 1 - first_from_end)


def numerator_grid(r: Review, days: list[date], prices: pl.DataFrame, factors, fx) -> Grid:
    """Numerators of review r on each of `days`; days[0] is the anchor whose carried closes seed the grid."""
    n, m, day_s = len(days), r.members.height, pl.Series("date", days, dtype=pl.Date)
    # A constituent had a close at most 10 sessions before its cut-off (step 13), so its carried
    # close is recent: look there first, and only scan all history if some close is older.
    for since in (r.cutoff - timedelta(days=31), date.min):
        closes, n_carried = _usable_closes(prices, since, days[0], days[-1])
        cid = _codes(closes["symbol"], r.members["symbol"])
        rows = np.flatnonzero(cid >= 0)  # constituents' carried closes first, then later ones by date
        if np.searchsorted(rows, n_carried) == m:
            break
    else:
        absent = r.members["symbol"].gather(np.setdiff1d(np.arange(m), cid[rows[rows < n_carried]])[:5])
        raise ValueError(f"review {r.review}: no close on or before {days[0]} for {absent.to_list()}")
    dates = _day_numbers(closes["date"])
    pos = np.zeros(len(rows), dtype=np.int64)
    pos[m:], on_calendar = _positions(_day_numbers(day_s), dates[rows[m:]])
    crow = cid[rows].astype(np.int64)
    cells = crow * n + pos
    if not on_calendar:  # a close dated off the calendar counts from the next session if none is there
        keep = _last_per_cell(cells)
        rows, pos, crow, cells = rows[keep], pos[keep], crow[keep], cells[keep]
    value = closes["close"].to_numpy()[rows]
    value *= r.members["k"].to_numpy()[crow]
    entries, g = _split_multipliers(crow, lambda i: dates[rows[i]], factors)
    value[entries] *= g
    names, code = _currency_codes(closes["currency"], rows)
    rates = _fx_grid(names, day_s, fx)
    multi = len(names) > 1
    if multi:  # in USD at the close's own session; carried-forward cells are re-converted below
        value *= rates[code, pos]
    grid = np.full(m * n, np.nan)
    grid[cells] = value
    codes = np.zeros(m * n, dtype=np.int8)
    codes[cells] = code
    missing = np.flatnonzero(np.isnan(grid))
    if missing.size:  # each run of missing cells takes the value of the cell before the run
        source = np.maximum.accumulate(np.where(np.diff(missing, prepend=-2) != 1, missing - 1, 0))
        codes[missing], grid[missing] = codes[source], grid[source]
        if multi:
            c = codes[source]
            grid[missing] *= rates[c, missing % n] / rates[c, source % n]
    cells, scale = grid.reshape(m, n), (1.0 if multi else rates[0])
    return Grid(day_s, codes, rates, exact_sums(cells) * scale, cells, scale)


def exact_sums(cells: np.ndarray) -> np.ndarray:
    """Each column's sum, correctly rounded (math.fsum): it depends on the values alone, never on the order
    of the rows, so the same market values give the same bits whatever the constituents are named (a
    feed that names its stocks otherwise) and however the stored rows come back."""
    return np.array([math.fsum(column) for column in cells.T.tolist()], dtype=np.float64)


def dividend_points(r: Review, grid: Grid, dividends: pl.DataFrame | None, factors) -> np.ndarray:
    """sum(div * e * s * f * c) on each of the grid's days, for ex-dates after the anchor."""
    days, n = grid.days, len(grid.days)
    if dividends is None or dividends.is_empty() or n < 2:
        return np.zeros(n)
    # One order for the dividends of a session, whatever order they were stored in.
    divs = dividends.filter(pl.col("ex_date") > days[0], pl.col("ex_date") <= days[-1]).sort(
        "ex_date", "symbol", "amount"
    )
    cid = _codes(divs["symbol"], r.members["symbol"])
    divs, cid = divs.filter(pl.Series(cid >= 0)), cid[cid >= 0]
    ex = _day_numbers(divs["ex_date"])
    # An ex-date off the calendar counts on the next session; paid in the currency then traded in.
    pos = _positions(_day_numbers(days), ex)[0]
    codes = grid.codes[cid * n + pos]
    amounts = divs["amount"].to_numpy() * r.members["k"].to_numpy()[cid]
    entries, g = _split_multipliers(cid, lambda i: ex[i], factors)
    amounts[entries] *= g
    values, points = amounts * grid.rates[codes, pos], np.zeros(n)
    for day in np.unique(pos):  # each session's points summed exactly, as the numerators are
        points[day] = math.fsum(values[pos == day].tolist())
    return points
