"""Daily price and total return levels of the 90/10 index (docs/methodology.md §1.5-1.8).

A review period is computed from the previous period's last row and nothing else of the past,
so a nightly run costs one quarter and a backfill is the same function chained (`all_levels`).

Each period splits into the heavy part, which does not depend on the past at all (the daily
numerators sum(p e s f c) and dividend points of the review's constituents, `levels_grid`), and
a cheap chain of scalars (divisor, levels, total return) that needs the previous period's last
row. The backfill computes the heavy parts of several periods at once and chains them in order,
a year of periods per read of the market data (`backfill`).
"""

from __future__ import annotations

import bisect
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import polars as pl

from russell_pipeline.lib.index.levels_grid import dividend_points, numerator_grid, review_of, split_factors
from russell_pipeline.lib.sessions import sessions

BASE_LEVEL = 1000.0
# Review periods a backfill computes from one read of the market data (`backfill`): a year, so the
# periods of a chunk still run side by side (`all_levels`) while memory stays at one year's closes.
CHUNK_REVIEWS = 4
# Weights refuse a cut-off price staler than 10 sessions, so no close older than this before a
# review's cut-off can be carried into a level: how far back a period (or a check of it) reads.
CLOSE_LOOKBACK = timedelta(days=62)
LEVEL_SCHEMA = {
    "date": pl.Date,
    "price_return": pl.Float64,
    "total_return": pl.Float64,
    "divisor": pl.Float64,
    "review": pl.String,
    "constituents": pl.Int64,
}


@dataclass(frozen=True)
class LevelState:
    """The last stored row of a period: all the next period needs of the past."""

    date: date
    price_return: float
    total_return: float

    @classmethod
    def last_of(cls, levels: pl.DataFrame) -> LevelState:
        row = levels.sort("date").row(-1, named=True)
        return cls(row["date"], row["price_return"], row["total_return"])


@dataclass(frozen=True)
class _PeriodSums:
    """What a period needs of the market: on T_R and each later session, sum(p e s f c) and the
    ex-dividend points sum(div e s f c) of the review's constituents (before any divisor)."""

    review: str
    effective: date
    constituents: int
    days: pl.Series
    numerators: np.ndarray
    points: np.ndarray


def _period_sums(weights, end, prices, dividends, splits, fx, session_days) -> _PeriodSums:
    r = review_of(weights)
    lo, hi = bisect.bisect_right(session_days, r.effective), bisect.bisect_right(session_days, end)
    days = [r.effective, *session_days[lo:hi]]
    factors = split_factors(splits, r, days[-1])
    grid = numerator_grid(r, days, prices, factors, fx)
    points = dividend_points(r, grid, dividends, factors)
    return _PeriodSums(r.review, r.effective, r.members.height, grid.days, grid.numerators, points)


def _chain(p: _PeriodSums, start: LevelState | None) -> pl.DataFrame:
    """Levels from the sums: divisor reset at T_R (step 6), then the price and total return chains."""
    if start is not None and start.date != p.effective:
        raise ValueError(f"review {p.review}: start state is dated {start.date}, expected T={p.effective}")
    level_t = BASE_LEVEL if start is None else start.price_return
    tr_t = BASE_LEVEL if start is None else start.total_return
    divisor = p.numerators[0] / level_t
    if not np.isfinite(divisor) or divisor == 0:
        raise ValueError(f"review {p.review}: index numerator at {p.effective} is {p.numerators[0]}")
    level = np.concatenate([[level_t], p.numerators[1:] / divisor])
    # TR_d = TR_{d-1} * (I_d + XD_d) / I_{d-1}; T_R's own dividends belong to the previous period
    total = tr_t * np.cumprod(np.concatenate([[1.0], (level[1:] + p.points[1:] / divisor) / level[:-1]]))
    first = 0 if start is None else 1  # the base row only for the base review
    return pl.DataFrame(
        {
            "date": p.days[first:],
            "price_return": level[first:],
            "total_return": total[first:],
            "divisor": np.full(len(level) - first, divisor),
            "review": [p.review] * (len(level) - first),
            "constituents": np.full(len(level) - first, p.constituents, dtype=np.int64),
        },
        schema=LEVEL_SCHEMA,
    )


def period_levels(weights, start, end, prices, dividends, splits, fx, session_days) -> pl.DataFrame:
    """`index_levels` rows of one review R: sessions T_R < d <= end, plus the base row when start is None.

    weights: R's `quarterly_weights` rows; start: the previous period's last row (dated T_R), or
    None for the base review; end: min(T_next, last market-data date). Market frames as in
    docs/methodology.md §2.5 (prices may hold any history: only each symbol's last close up to T_R is used).
    """
    if end < weights["effective_date"].min():
        return pl.DataFrame(schema=LEVEL_SCHEMA)
    return _chain(_period_sums(weights, end, prices, dividends, splits, fx, session_days), start)


def _by_review(weights_all: pl.DataFrame) -> list[pl.DataFrame]:
    """One weights frame per review, in effective-date order (the first is the base)."""
    return sorted(weights_all.partition_by("review"), key=lambda w: w["effective_date"][0])


def _slice(frame: pl.DataFrame | None, col: str, after: date, upto: date) -> pl.DataFrame | None:
    """Rows with after < col <= upto of a frame sorted by col (zero-copy)."""
    if frame is None:
        return None
    lo = frame[col].search_sorted(after, side="right")
    return frame.slice(lo, frame[col].search_sorted(upto, side="right") - lo)


def by_date(frame: pl.DataFrame, col: str = "date") -> pl.DataFrame:
    """`frame` in `col` order: itself when it already is (no copy; the stored tables are), else sorted."""
    return frame if frame[col].is_sorted() else frame.sort(col, maintain_order=True)


def closes_from(prices: pl.DataFrame, review_cutoff: date, day: date) -> pl.DataFrame:
    """The closes of date-ordered `prices` a constituent of a review with this cut-off can be valued
    at on `day`: from `CLOSE_LOOKBACK` before the cut-off to `day` (zero-copy, whatever the history)."""
    return _slice(prices, "date", review_cutoff - CLOSE_LOOKBACK - timedelta(days=1), day)


def _period_inputs(reviews, end, prices, dividends, splits, fx, session_days):
    """period_levels' arguments per review, with the market frames cut to what the period uses:
    each symbol's last close up to T_R, then the closes up to the period's end."""
    carried = _slice(prices, "date", date.min, reviews[0]["effective_date"][0])
    for i, weights in enumerate(reviews):
        t_cut, t_eff = weights["cutoff_date"][0], weights["effective_date"][0]
        if t_eff > end:
            return
        stop = min(end, reviews[i + 1]["effective_date"][0]) if i + 1 < len(reviews) else end
        window = pl.concat([carried, _slice(prices, "date", t_eff, stop)])
        divs, spl = _slice(dividends, "ex_date", t_eff, stop), _slice(splits, "ex_date", t_cut, stop)
        yield weights, stop, window, divs, spl, fx, session_days
        carried = window.filter(pl.col("symbol").is_last_distinct())  # rows are in date order


def _append(out: list[pl.DataFrame], part: pl.DataFrame, state: LevelState | None) -> LevelState | None:
    """Adds a period's rows; returns the new last row (a period cut at its T_R adds none)."""
    out.append(part)
    return LevelState.last_of(part) if part.height else state


def all_levels(weights_all, end, prices, dividends, splits, fx, session_days, start=None) -> pl.DataFrame:
    """The periods of `weights_all`'s reviews chained up to `end`: a backfill, or a run of nightly periods.

    The first review starts from `start` (the stored last row of the review before it), or is the
    base when `start` is None. The same as calling `period_levels` review after review with the
    previous last row as start.
    """
    prices = by_date(prices)
    dividends = None if dividends is None else dividends.sort("ex_date")
    splits = None if splits is None else splits.sort("ex_date")
    inputs = _period_inputs(_by_review(weights_all), end, prices, dividends, splits, fx, session_days)
    out, state, workers = [], start, (os.cpu_count() or 1) + 1
    # The sums of the next few periods run on other cores while this thread chains them in order
    # (one worker more than cores, to fill the gaps while a worker holds the GIL); at most
    # `workers` periods are in flight, so memory stays at a few quarters.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        for args in inputs:
            pending.append(pool.submit(_period_sums, *args))
            while len(pending) > workers or (pending and pending[0].done()):
                state = _append(out, _chain(pending.popleft().result(), state), state)
        for future in pending:
            state = _append(out, _chain(future.result(), state), state)
    return pl.concat(out) if out else pl.DataFrame(schema=LEVEL_SCHEMA)


def backfill(
    weights: pl.DataFrame,
    todo: list[str],
    last_day: date,
    start: LevelState | None,
    read: Callable,
    visit: Callable,
    size: int = CHUNK_REVIEWS,
) -> pl.DataFrame:
    """The periods of `todo` (consecutive reviews of `weights`) chained up to `last_day`, `size` at a time.

    Each chunk reads, with `read(since, until)` -> MarketData, only what its periods and their checks
    use (from `history_needed` to the chunk's end), computes them with `all_levels` from the last
    row of the chunk before (or `start`), and hands its rows and that data to `visit(levels, md)`
    before the next chunk is read: memory follows the chunk, not the run. The same rows as one
    `all_levels` over all of them.
    """
    in_data = sorted(weights["review"].unique().to_list())
    out, state = [], start
    for i in range(0, len(todo), size):
        chunk = todo[i : i + size]
        after = in_data.index(chunk[-1]) + 1  # the chunk's last period ends where the next weights take over
        end = min(effective_date(weights, in_data[after]), last_day) if after < len(in_data) else last_day
        md = read(history_needed(weights, chunk), end)
        md = replace(md, prices=by_date(md.prices))  # once: the levels and each check read them in date order
        part = all_levels(
            weights.filter(pl.col("review").is_in(chunk)),
            end,
            md.prices,
            md.dividends,
            md.splits,
            md.fx,
            sessions(effective_date(weights, chunk[0]), end),
            state,
        )
        visit(part, md)
        state = _append(out, part, state)
        del md, part  # this chunk's market data goes before the next one is read
    return pl.concat(out) if out else pl.DataFrame(schema=LEVEL_SCHEMA)


def rebalance_jumps(levels, weights_all, prices, splits, fx) -> pl.DataFrame:
    """Per rebalance T in `levels`: the stored I_T, and I_T recomputed with the old constituents and
    divisor and with the new ones (the new divisor is the one on the session after T).

    The index must not jump at a rebalance, so all three agree to rounding (asset check).
    """
    levels, prices = levels.sort("date"), by_date(prices)
    weights = {w["review"][0]: w for w in _by_review(weights_all)}
    prev = levels.select(pl.all().shift(1).name.suffix("_old"))
    changes = pl.concat([levels, prev], how="horizontal").filter(pl.col("review") != pl.col("review_old"))
    rows = []
    for ch in changes.iter_rows(named=True):
        day = ch["date_old"]
        old, new = (
            numerator_grid(
                r, [day], closes_from(prices, r.cutoff, day), split_factors(splits, r, day), fx
            ).numerators[0]
            for r in (review_of(weights[ch["review_old"]]), review_of(weights[ch["review"]]))
        )
        rows.append(
            (
                day,
                ch["review_old"],
                ch["review"],
                ch["price_return_old"],
                old / ch["divisor_old"],
                new / ch["divisor"],
            )
        )
    schema = {
        "date": pl.Date,
        "review_old": pl.String,
        "review_new": pl.String,
        "level": pl.Float64,
        "level_old": pl.Float64,
        "level_new": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row").with_columns(
        (
            pl.max_horizontal(
                (pl.col("level_old") - pl.col("level")).abs(), (pl.col("level_new") - pl.col("level")).abs()
            )
            / pl.col("level").abs()
        ).alias("rel_diff")
    )


@dataclass(frozen=True)
class Window:
    """What a levels run over some reviews computes and reads (`levels_window`)."""

    todo: list[str]  # the run's reviews with weights, in order: the periods it computes
    weights: list[str]  # the reviews whose weights those periods read
    previous: str | None  # the review before the first of them: its last level is where they start


def levels_window(with_weights: list[str], keys: list[str]) -> Window:
    """The periods a run over the reviews `keys` computes (those of `with_weights`, the stored weights'
    reviews in order; the run's keys are a range, so they are consecutive there) and the weights they
    read, and no others: theirs, the review's before (where they start, the rebalance check) and after
    (where the last period ends). A run of reviews without weights computes and reads none."""
    todo = [k for k in sorted(keys) if k in with_weights]
    if not todo:
        return Window([], [], None)
    first, last = with_weights.index(todo[0]), with_weights.index(todo[-1])
    return Window(
        todo, with_weights[max(first - 1, 0) : last + 2], with_weights[first - 1] if first else None
    )


def effective_date(weights: pl.DataFrame, review: str):
    return weights.filter(pl.col("review") == review)["effective_date"][0]


def history_needed(weights: pl.DataFrame | None, keys: list[str]):
    """First market-data date these periods can touch: a margin before the earliest cut-off of
    these reviews and of the review before them (the rebalance check values the old constituents
    at the first T, with the last close each had; one may have stopped trading since its cut-off).
    The margin, `CLOSE_LOOKBACK`, covers the stalest close the weights accept."""
    if weights is None or not weights.height:
        return None
    in_data = sorted(weights["review"].unique().to_list())
    mine = [k for k in keys if k in in_data]
    if not mine:
        return None
    first = in_data.index(min(mine))
    wanted = [*mine, *in_data[first - 1 : first]]
    return weights.filter(pl.col("review").is_in(wanted))["cutoff_date"].min() - CLOSE_LOOKBACK
