"""Built-in synthetic market-data feed: a thousand US stocks on NYSE sessions, in the folder contract.

Every random draw comes from an RNG keyed by (seed, stream, ordinal): per session for returns, per
quarterly update for shares, per review for style scores, and once per stock for events placed on a
fixed session grid reaching the end of the calendar. So a value never depends on `end`, and extending
the feed to later dates leaves every past row unchanged.

The feed names stocks after the symbols of the ingested small- and micro-cap lists, each on a stock
that trades from before its lists' years to after them (as a real feed prices a listed name around
its rank day), the smallest stocks first; the other stocks get made-up four-letter tickers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from russell_pipeline.lib.calendar.projection import project_calendar
from russell_pipeline.lib.calendar.reviews import rebalance_dates
from russell_pipeline.lib.market.contract import R2G, SCC, MarketData, empty_table
from russell_pipeline.lib.sessions import LAST_DAY, sessions

N_SECTORS = 11
QUARTER_DAYS = 63  # sessions between quarterly dividends
MAX_SUSPENSION = 8  # sessions; below the 10-session staleness limit of the weights
SEASONING = 20  # sessions a new listing trades before it can join an index
# The sample's first review with members (a year of prices after its first session): a property of
# this feed only; the pipeline takes its reviews from whatever memberships the market data holds.
FIRST_MEMBERS = "2019-03"


def review_cutoff(review: str) -> date:
    """The review's price cut-off from the calendar rules: one source of truth for dates."""
    dates = rebalance_dates(project_calendar(int(review[:4])))
    return dates.filter(pl.col("review") == review)["cutoff_date"][0]


@dataclass(frozen=True)
class _Stocks:
    """Per-stock attributes and event ordinals (on the session grid from `start`); absent = past horizon."""

    sector: np.ndarray
    beta: np.ndarray
    vol: np.ndarray
    drift: np.ndarray
    logp0: np.ndarray
    shares0: np.ndarray
    ff0: np.ndarray
    div_drop: np.ndarray  # fraction of the close paid each quarter; 0 for non-payers
    div_phase: np.ndarray
    listing: np.ndarray
    delisting: np.ndarray
    split_at: np.ndarray
    split_ratio: np.ndarray
    suspensions: np.ndarray  # (2, n, 2): start, length
    style: np.ndarray


def _stocks(seed: int, n: int, horizon: int) -> _Stocks:
    rng = np.random.default_rng([seed, 0])
    u = lambda: rng.random(n)
    logcap = rng.normal(np.log(1.5e9), 1.5, n)
    logp0 = np.clip(rng.normal(np.log(30.0), 0.8, n), np.log(2.0), np.log(800.0))
    never = horizon + 1
    new = u() < 0.15
    listing = np.where(new, rng.integers(1, horizon, n), 0)
    split_ratio = np.where(logp0 < np.log(8.0), 0.1, rng.choice([2.0, 2.0, 3.0, 4.0], n))
    return _Stocks(
        sector=rng.integers(0, N_SECTORS, n),
        beta=0.6 + 0.8 * u(),
        vol=0.012 + 0.023 * u(),
        drift=rng.normal(2e-4, 3e-4, n),
        logp0=logp0,
        shares0=np.round(np.exp(logcap - logp0)),
        ff0=np.round(np.clip(0.35 + 0.65 * rng.beta(5.0, 1.5, n), 0.05, 1.0), 4),
        div_drop=np.where(u() < 0.4, np.round(0.005 + 0.045 * u(), 4) / 4, 0.0),
        div_phase=rng.integers(0, QUARTER_DAYS, n),
        listing=listing,
        delisting=np.where(u() < 0.35, rng.integers(30, horizon, n), never),
        split_at=np.where(u() < 0.15, rng.integers(1, horizon, n), never),
        split_ratio=split_ratio,
        suspensions=np.stack(
            [
                np.stack(
                    [
                        np.where(u() < 0.1, rng.integers(1, horizon, n), never),
                        rng.integers(1, MAX_SUSPENSION + 1, n),
                    ],
                    axis=1,
                )
                for _ in range(2)
            ]
        ),
        style=rng.normal(0.0, 1.0, n),
    )


def _log_prices(seed: int, st: _Stocks, n_days: int) -> np.ndarray:
    """Unadjusted log closes (as if always trading): factor model with student-t shocks, dividends, splits."""
    n = st.beta.size
    ret = np.zeros((n_days, n))
    for j in range(1, n_days):
        rng = np.random.default_rng([seed, 1, j])
        market, sectors = rng.normal(0.0, 0.009), rng.normal(0.0, 0.007, N_SECTORS)
        shocks = rng.standard_t(4.0, n) * np.sqrt(0.5)  # t(4) has variance 2: scale to unit variance
        ret[j] = st.drift + st.beta * (market + sectors[st.sector]) + st.vol * shocks
    days = np.arange(n_days)[:, None]
    ex_div = (st.div_drop > 0) & (days > 0) & ((days - st.div_phase) % QUARTER_DAYS == 0)
    ret += np.where(ex_div, np.log1p(-st.div_drop), 0.0)
    cum = np.cumsum(ret, axis=0, out=ret)
    at_listing = cum[np.minimum(st.listing, n_days - 1), np.arange(n)]
    split = (days >= st.split_at) & (st.split_at > st.listing)
    return st.logp0 + cum - at_listing - np.where(split, np.log(st.split_ratio), 0.0)


# The lists whose symbols the feed may borrow: small- and micro-cap indexes (Russell 2000 and its
# styles, Russell Microcap, Small Cap Completeness). A broad or large-cap list (Russell 3000, 1000,
# Top 200, Midcap) names large caps, which the feed's small-cap index members must not wear.
SMALL_CAP_LISTS = r"(?i)micro\s?-?cap|small\s?-?cap|\b2000\b"  # of a list's index_name
LISTED_SCHEMA = {"recon_year": pl.Int64, "index_name": pl.String, "symbol": pl.String}


def borrowed_tickers(listed: pl.DataFrame | None, n: int) -> list[tuple[str, int, int]]:
    """(symbol, first year, last year) of the names the feed may give its stocks: the symbols of the
    small- and micro-cap lists among `listed` (recon_year, index_name, symbol rows), with the first
    and last year those lists name them in, the first `n` distinct ones, oldest first year first.
    Nothing else of `listed` reaches the feed (another index's list, a Russell 3000 list naming the same
    symbols, changes neither a name nor its years), so its input digest covers exactly these."""
    if listed is None or listed.is_empty():
        return []
    rows = listed.with_columns(pl.col("symbol").str.strip_chars()).filter(pl.col("symbol") != "")
    names = (
        rows.filter(pl.col("index_name").str.contains(SMALL_CAP_LISTS))
        .group_by("symbol")
        .agg(first=pl.col("recon_year").min(), last=pl.col("recon_year").max())
        .sort("first", "symbol")
        .head(n)
    )
    return [(s, int(a), int(b)) for s, a, b in names.iter_rows()]


def _tickers(borrowed: list[tuple[str, int, int]], st: _Stocks, grid: np.ndarray) -> list[str]:
    """Each stock's ticker. A borrowed name goes to the smallest free stock (by its first market value)
    that trades from the start of the year before its first list (or the feed's start) to the end of
    its last list's year, so it has closes before every rank day its lists name it on; a name no stock
    fits is not borrowed. `grid` is the feed's session grid to the end of the calendar: the choice
    never depends on `end`."""
    n = st.beta.size
    out: list[str | None] = [None] * n
    by_size = np.argsort(st.shares0 * np.exp(st.logp0), kind="stable")
    free = np.ones(n, dtype=bool)
    for symbol, first, last in borrowed:
        opens = np.searchsorted(grid, np.datetime64(date(first - 1, 1, 1)))
        closes = np.searchsorted(grid, np.datetime64(date(last + 1, 1, 1)))
        fits = free[by_size] & (st.listing[by_size] <= opens) & (st.delisting[by_size] >= closes)
        if fits.any():
            stock = by_size[int(np.argmax(fits))]
            out[stock], free[stock] = symbol, False
    taken, k = {t for t in out if t}, 0
    for i in range(n):
        while out[i] is None:
            # 7919 is coprime with 26**4, so k -> code walks all four-letter tickers without repeats.
            code = (k * 7919 + 12345) % 26**4
            k += 1
            ticker = "".join(chr(65 + code // 26**p % 26) for p in (3, 2, 1, 0))
            if ticker not in taken:
                taken.add(ticker)
                out[i] = ticker
    return out


def _frame(
    days: list[date], tickers: list[str], j: np.ndarray, i: np.ndarray, date_col: str = "date", **cols
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            date_col: pl.Series(days, dtype=pl.Date).gather(j),
            "symbol": pl.Series(tickers, dtype=pl.String).gather(i),
            **cols,
        }
    )


def _shares_paths(seed: int, st: _Stocks, updates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shares (before splits) and free float in force after each quarterly update; row 0 = initial."""
    shares, ff = [st.shares0.astype(float)], [st.ff0]
    for k in range(len(updates)):
        rng = np.random.default_rng([seed, 2, k])
        step = rng.normal(0.003, 0.015, st.beta.size)  # issuance and buybacks
        moved = rng.random(st.beta.size) < 0.1
        new_ff = np.round(np.clip(ff[-1] + rng.normal(0.0, 0.05, st.beta.size), 0.05, 1.0), 4)
        shares.append(shares[-1] * np.exp(step))
        ff.append(np.where(moved, new_ff, ff[-1]))
    return np.stack(shares), np.stack(ff)


def synthetic_market_data(
    end: date,
    listed: pl.DataFrame | None = None,
    *,
    n_stocks: int,
    seed: int = 20190101,
    start: date = date(2018, 1, 2),
    since: date | None = None,
    members_from: str = FIRST_MEMBERS,
) -> MarketData:
    """Synthetic prices, shares, memberships, dividends and splits from `start` to `end`, with stocks
    named after the small- and micro-cap lists of `listed` (recon_year, index_name, symbol rows);
    memberships from review `members_from` (or the first after it with seasoned stocks).

    `since`: the dated tables hold only their rows from that day on (memberships whole), the same
    values as the whole feed's: a night regenerating the current year builds no frame of the others."""
    days = sessions(start, end)
    if len(days) < 2:
        raise ValueError(f"synthetic feed needs at least two sessions between {start} and {end}")
    grid = np.array(sessions(start, LAST_DAY), dtype="datetime64[D]")
    horizon = len(grid)
    n, nd = n_stocks, len(days)
    first = (
        0
        if since is None
        else int(np.searchsorted(np.array(days, dtype="datetime64[D]"), np.datetime64(since)))
    )

    def rows(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(session, stock) ordinals where `mask` holds, from the session `since` on."""
        j, i = np.nonzero(mask[first:])
        return j + first, i

    st = _stocks(seed, n, horizon)
    tickers = _tickers(borrowed_tickers(listed, n), st, grid)
    logp = _log_prices(seed, st, nd)
    close = np.maximum(np.round(np.exp(logp), 2), 0.01)
    t = np.arange(nd)[:, None]
    alive = (t >= st.listing) & (t < st.delisting)
    trading = alive.copy()
    for s in st.suspensions:
        trading &= ~((t >= s[:, 0]) & (t < s[:, 0] + s[:, 1]))
    pj, pi = rows(trading)
    dividends, splits = _corporate_actions(st, logp, alive, days, tickers, rows)
    updates = _update_sessions(days)
    shares_on = _shares_in_force(st, updates, *_shares_paths(seed, st, updates))
    volume = _volumes(seed, st, logp, pj, pi, shares_on)
    prices = _frame(days, tickers, pj, pi, close=close[pj, pi]).with_columns(
        currency=pl.lit("USD"), volume=pl.Series(volume, dtype=pl.Float64)
    )
    row = alive & ((t == st.listing) | np.isin(t, updates) | (t == st.split_at))
    j, i = rows(row)
    shares_values, ff_values = shares_on(j, i)
    shares = _frame(days, tickers, j, i, shares=shares_values, free_float=ff_values)

    last_trade = np.maximum.accumulate(np.where(trading, t, -1), axis=0)
    memberships = _memberships(seed, st, days, tickers, close, shares_on, last_trade, members_from)
    return MarketData(
        prices=prices,
        shares=shares,
        memberships=memberships,
        dividends=dividends,
        splits=splits,
        fx=empty_table("fx"),
        source="synthetic",
    )


def _corporate_actions(
    st: _Stocks, logp: np.ndarray, alive: np.ndarray, days: list[date], tickers: list[str], rows
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(dividends, splits): a listed stock's quarterly dividend, `div_drop` of the close before, on its
    phase's sessions after its first; its split on `split_at` after its listing. `rows(mask)` gives the
    (session, stock) ordinals of a mask the feed holds."""
    t = np.arange(len(days))[:, None]
    ex_div = alive & (st.div_drop > 0) & (t > st.listing) & ((t - st.div_phase) % QUARTER_DAYS == 0)
    j, i = rows(ex_div)
    prev_close = np.exp(logp[j - 1, i])
    dividends = _frame(days, tickers, j, i, "ex_date", amount=np.round(st.div_drop[i] * prev_close, 4))
    split = alive & (t == st.split_at) & (st.split_at > st.listing)
    j, i = rows(split)
    return dividends, _frame(days, tickers, j, i, "ex_date", ratio=st.split_ratio[i])


def _update_sessions(days: list[date]) -> np.ndarray:
    """The sessions share counts are revised on: the first of each calendar quarter (split ex-dates
    revise them too: `_shares_in_force`)."""
    return np.array(
        [k for k in range(1, len(days)) if days[k].month % 3 == 1 and days[k].month != days[k - 1].month],
        dtype=np.int64,
    )


def _shares_in_force(st: _Stocks, updates: np.ndarray, shares_path: np.ndarray, ff_path: np.ndarray):
    """`shares_on(j, i)`: shares (split-adjusted) and free float in force on session j for stock i."""

    def shares_on(j: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = np.searchsorted(updates, j, side="right")
        split = (j >= st.split_at[i]) & (st.split_at[i] > st.listing[i])
        return np.round(shares_path[k, i] * np.where(split, st.split_ratio[i], 1.0)), ff_path[k, i]

    return shares_on


def _volumes(seed: int, st: _Stocks, logp: np.ndarray, j: np.ndarray, i: np.ndarray, shares_on) -> np.ndarray:
    """Shares traded by stock i on session j (the rows of `prices`): its free-float shares times a daily
    turnover of its own (about 0.6%, drawn once per stock), more on a day it moves, with a lognormal
    draw per session. The draws are keyed like the closes' (per stock, per session), so extending the
    feed never changes a past volume, and no close, share count or other draw changes with them."""
    turnover = np.exp(np.random.default_rng([seed, 5]).normal(np.log(0.006), 0.5, st.beta.size))
    moved = np.abs(logp[j, i] - logp[np.maximum(j - 1, 0), i])
    moved = np.where(j == st.split_at[i], np.abs(moved - np.log(st.split_ratio[i])), moved)  # not the split
    draws = np.empty(j.size)
    bounds = np.searchsorted(j, np.arange(j.min(initial=0), j.max(initial=-1) + 2))  # rows are by session
    for day, lo, hi in zip(range(j.min(initial=0), j.max(initial=-1) + 1), bounds[:-1], bounds[1:]):
        if hi > lo:
            draws[lo:hi] = np.random.default_rng([seed, 6, day]).normal(-0.06, 0.35, st.beta.size)[i[lo:hi]]
    shares, free_float = shares_on(j, i)
    return np.round(shares * free_float * turnover[i] * np.exp(draws) * (1.0 + 25.0 * moved))


def _reviews(days: list[date], first: str) -> list[tuple[str, int]]:
    """(review, cut-off ordinal) for every review from `first` whose cut-off is on or before the last day."""
    out, (year, month) = [], (int(first[:4]), int(first[5:]))
    while True:
        review = f"{year}-{month:02d}"
        cutoff = review_cutoff(review)
        if cutoff > days[-1]:
            return out
        if cutoff >= days[0]:
            out.append((review, days.index(cutoff)))
        year, month = (year + 1, 3) if month == 12 else (year, month + 3)


def _memberships(seed, st, days, tickers, close, shares_on, last_trade, first: str) -> pl.DataFrame:
    """Full re-rank at the first review and every June; IPO additions and removals in between."""
    rows: list[tuple[str, str, str, float]] = []
    members: dict[str, dict[int, float]] = {SCC: {}, R2G: {}}
    seen: set[int] = set()
    for k, (review, c) in enumerate(_reviews(days, first)):
        # Only stocks the weights can price: listed a while, not delisted, traded within 10 sessions.
        ok = (st.listing <= c - SEASONING) & (st.delisting > c) & (last_trade[c] >= c - MAX_SUSPENSION - 2)
        eligible = np.flatnonzero(ok)
        everyone = np.arange(st.beta.size)
        cap = (
            close[np.maximum(last_trade[c], 0), everyone] * shares_on(np.full_like(everyone, c), everyone)[0]
        )
        order = eligible[np.argsort(-cap[eligible], kind="stable")]
        rank = {int(s): r for r, s in enumerate(order)}
        # Russell SCC ~ all but the largest 500 of 3,000; R2000 = ranks 1001-3000: same proportions here.
        top, r1000 = round(len(order) / 6), round(len(order) / 3)
        review_key = int(review[:4]) * 12 + int(review[5:])
        score = st.style + 0.3 * np.random.default_rng([seed, 3, review_key]).normal(0.0, 1.0, st.beta.size)
        growth = np.round(np.clip((score + 0.3) / 0.6, 0.0, 1.0) * 20) / 20
        if k == 0 or review.endswith("-06"):
            candidates = [int(s) for s in order]
            members = {SCC: {}, R2G: {}}
        else:
            candidates = [int(s) for s in order if int(s) not in seen]
            members = {ix: {s: f for s, f in m.items() if ok[s]} for ix, m in members.items()}
        for s in candidates:
            if rank[s] >= top:
                members[SCC][s] = 1.0
            if rank[s] >= r1000 and growth[s] > 0:
                members[R2G][s] = float(growth[s])
        seen.update(int(s) for s in eligible)
        for index in (SCC, R2G):
            rows += [(review, index, tickers[s], f) for s, f in sorted(members[index].items())]
    return pl.DataFrame(rows, schema=empty_table("memberships").schema, orient="row")
