"""Two reference implementations of the index levels in pandas: `pandas_levels`, written the way
an analyst would (a loop over review periods and, inside, over sessions, with one pandas step per
day), and `pandas_levels_vectorised` (one matrix per review period, numpy row sums, no day loop).

Same rules as russell_pipeline.lib.index.levels (docs/methodology.md §1.5-1.8), including the one the design
leaves implicit: a carried close is paired with the shares in force on the close's date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _periods(weights, end):
    """(index, review, its weight rows, cut-off t, effective T, end of its period) in effective-date
    order, for the reviews in force by `end`."""
    reviews = list(weights.sort_values("effective_date").groupby("review", sort=False))
    for i, (review, w) in enumerate(reviews):
        t, big_t = pd.Timestamp(w["cutoff_date"].iloc[0]), pd.Timestamp(w["effective_date"].iloc[0])
        if big_t > end:
            return
        stop = pd.Timestamp(reviews[i + 1][1]["effective_date"].iloc[0]) if i + 1 < len(reviews) else end
        yield i, review, w, t, big_t, min(stop, end)


def pandas_levels(weights, end, prices, dividends, splits, fx, session_days) -> pd.DataFrame:
    """index_levels rows from the base review to `end` (pandas frames in, pandas frame out)."""
    end = pd.Timestamp(end)
    prices = prices[prices["date"] <= end].sort_values("date")
    days = [pd.Timestamp(d) for d in session_days if pd.Timestamp(d) <= end]
    px_by_day = {d: g.set_index("symbol") for d, g in prices.groupby("date")}
    div_by_day = {d: g.groupby("symbol")["amount"].sum() for d, g in dividends.groupby("ex_date")}
    split_by_day = {d: g.groupby("symbol")["ratio"].prod() for d, g in splits.groupby("ex_date")}
    fx_wide = fx.pivot(index="date", columns="currency", values="usd_per_unit").sort_index()

    # last close, its currency and date for every symbol seen so far
    t0 = pd.Timestamp(weights["effective_date"].min())
    seen = prices[prices["date"] <= t0].groupby("symbol", observed=True).last()
    last_px, last_cur, last_day = seen["close"], seen["currency"].astype(str), seen["date"]

    def fx_on(day, currencies):
        rates = fx_wide.loc[:day].iloc[-1] if len(fx_wide) else pd.Series(dtype=float)
        e = currencies.map(rates).astype(float)
        return e.where(currencies != "USD", 1.0)

    rows = []
    level, tr = 1000.0, 1000.0
    for i, review, w, t, big_t, stop in _periods(weights, end):
        w = w.set_index("symbol")
        members = w.index
        k = w["shares"] * w["free_float"] * w["weighting_factor"]
        # shares multiplier for splits after the cut-off: now, and at each member's last close
        g_now = pd.Series(1.0, index=members)
        g_obs = pd.Series(1.0, index=members)
        for x, ratios in split_by_day.items():
            if t < x <= big_t:
                r = ratios.reindex(members).fillna(1.0)
                g_now *= r
                g_obs = g_obs.where(last_day.reindex(members) < x, g_obs * r)
        value = last_px.reindex(members) * fx_on(big_t, last_cur.reindex(members)) * k * g_obs
        divisor = value.sum() / level
        if i == 0:
            rows.append((big_t, level, tr, divisor, review, len(w)))
        for d in [d for d in days if big_t < d <= stop]:
            if d in split_by_day:
                g_now *= split_by_day[d].reindex(members).fillna(1.0)
            if d in px_by_day:
                px = px_by_day[d]
                last_px = px["close"].combine_first(last_px)
                last_cur = px["currency"].astype(str).combine_first(last_cur)
                last_day = px["date"].combine_first(last_day)
                traded = members.intersection(px.index)
                g_obs[traded] = g_now[traded]
            e = fx_on(d, last_cur.reindex(members))
            new_level = (last_px.reindex(members) * e * k * g_obs).sum() / divisor
            xd = 0.0
            if d in div_by_day:
                xd = (div_by_day[d].reindex(members).fillna(0.0) * e * k * g_now).sum() / divisor
            tr = tr * (new_level + xd) / level
            level = new_level
            rows.append((d, level, tr, divisor, review, len(w)))
    cols = ["date", "price_return", "total_return", "divisor", "review", "constituents"]
    return pd.DataFrame(rows, columns=cols)


def _codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and their labels (a categorical's own, else factorized): no string per row."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), pd.Index(column.cat.categories.astype(str))
    found, labels = pd.factorize(column)
    return found, pd.Index(labels.astype(str))


def _price_matrices(prices, weights, days: pd.DatetimeIndex):
    """(symbols, currencies, close, currency code, row of the last close): session x symbol matrices of
    the close and its currency on the days each symbol traded, and the row of its last close on or before
    each day (-1: none yet)."""
    sym_codes, sym_labels = _codes(prices["symbol"])
    symbols = sym_labels.append(pd.Index(weights["symbol"].astype(str).unique())).unique()
    cur_codes, cur_labels = _codes(prices["currency"])
    currencies = pd.Index(sorted(cur_labels))
    n_days, n_sym = len(days), len(symbols)
    price_days = prices["date"].to_numpy("datetime64[ns]")
    row = days.searchsorted(price_days)
    assert (days.to_numpy()[np.minimum(row, n_days - 1)] == price_days).all(), (
        "a price off the session calendar"
    )
    col = symbols.get_indexer(sym_labels)[sym_codes]
    close = np.full((n_days, n_sym), np.nan)
    close[row, col] = prices["close"].to_numpy(float)
    cur = np.full((n_days, n_sym), -1, dtype=np.int8)
    cur[row, col] = currencies.get_indexer(cur_labels)[cur_codes]
    traded_row = np.full((n_days, n_sym), -1, dtype=np.int32)
    traded_row[row, col] = row
    return symbols, currencies, close, cur, np.maximum.accumulate(traded_row, axis=0)


def _rates(fx, currencies: pd.Index, days: pd.DatetimeIndex) -> np.ndarray:
    """USD per unit of each currency on each session: the last fx row on or before it (USD is 1); a last
    column of NaN for code -1 (no close yet)."""
    fx_wide = fx.pivot(index="date", columns="currency", values="usd_per_unit").sort_index()
    fx_wide.index = pd.DatetimeIndex(fx_wide.index)
    fx_wide = fx_wide.reindex(columns=currencies)
    rates = (
        fx_wide.reindex(days, method="ffill").to_numpy(float)
        if len(fx_wide)
        else np.full((len(days), len(currencies)), np.nan)
    )
    rates[:, currencies == "USD"] = 1.0
    return np.concatenate([rates, np.full((len(days), 1), np.nan)], axis=1)


def _per_member(frame, date_col, value_col, days: pd.DatetimeIndex, lo, hi, members_col, how):
    """A (hi - lo) x members matrix of `value_col` on session rows lo..hi-1 (sum or product)."""
    out = np.zeros((hi - lo, len(members_col))) if how == "sum" else np.ones((hi - lo, len(members_col)))
    sel = frame[(frame[date_col] > days[lo - 1] if lo > 0 else True) & (frame[date_col] <= days[hi - 1])]
    r = days.get_indexer(pd.DatetimeIndex(sel[date_col]))
    c = pd.Index(members_col).get_indexer(sel["symbol"].astype(str))
    keep = (r >= 0) & (c >= 0)
    (np.add if how == "sum" else np.multiply).at(
        out, (r[keep] - lo, c[keep]), sel[value_col].to_numpy(float)[keep]
    )
    return out


def pandas_levels_vectorised(weights, end, prices, dividends, splits, fx, session_days) -> pd.DataFrame:
    """The same index_levels rows, vectorised the way a pandas/numpy user would: prices as a
    session x symbol matrix (last close and its row carried forward with one cumulative max), and
    per review period the members' columns sliced out, split factors and dividends as small
    period x member matrices, the daily numerators and dividend points as row sums, the total
    return as a cumulative product; periods chained in order (one divisor reset per review)."""
    end = pd.Timestamp(end)
    days = pd.DatetimeIndex([pd.Timestamp(d) for d in session_days if pd.Timestamp(d) <= end])
    prices = prices[prices["date"] <= end]
    symbols, currencies, close, cur, last_row = _price_matrices(prices, weights, days)
    rates = _rates(fx, currencies, days)
    frames = []
    level, tr = 1000.0, 1000.0
    for i, review, w, t, big_t, stop in _periods(weights, end):
        members = w["symbol"].astype(str).to_numpy()
        m = symbols.get_indexer(members)
        k = (w["shares"] * w["free_float"] * w["weighting_factor"]).to_numpy(float)
        t_row = days.searchsorted(t, side="right") - 1  # last session on or before the cut-off
        big_row = days.get_loc(big_t)
        stop_row = days.searchsorted(stop, side="right") - 1
        rows = np.arange(big_row, stop_row + 1)  # T_R, then every session of the period
        # split factor since the cut-off, G[x - t_row] for session x (1 up to the cut-off)
        split = _per_member(splits, "ex_date", "ratio", days, t_row + 1, stop_row + 1, members, "product")
        growth = np.cumprod(np.vstack([np.ones((1, len(m))), split]), axis=0)
        last = last_row[rows][:, m]  # row of each member's last close on each day
        cols = np.broadcast_to(m, last.shape)
        px = np.where(last >= 0, close[np.maximum(last, 0), cols], np.nan)
        e = rates[rows[:, None], cur[np.maximum(last, 0), cols].astype(np.intp)]
        e = np.where(last >= 0, e, np.nan)
        g_obs = growth[np.maximum(last - t_row, 0), np.arange(len(m))]  # shares in force at that close
        g_now = growth[rows - t_row]
        numerators = np.nansum(px * e * k * g_obs, axis=1)
        divs = _per_member(dividends, "ex_date", "amount", days, big_row + 1, stop_row + 1, members, "sum")
        points = np.concatenate([[0.0], np.nansum(divs * e[1:] * k * g_now[1:], axis=1)])
        divisor = numerators[0] / level
        levels = numerators / divisor
        ratios = (levels[1:] + points[1:] / divisor) / np.concatenate([[level], levels[1:-1]])
        trs = tr * np.cumprod(ratios)
        first = 0 if i == 0 else 1  # T_R itself is the last row of the previous period
        frames.append(
            pd.DataFrame(
                {
                    "date": days[rows[first:]],
                    "price_return": levels[first:],
                    "total_return": np.concatenate([[tr], trs])[first:],
                    "divisor": divisor,
                    "review": review,
                    "constituents": len(w),
                }
            )
        )
        if len(rows) > 1:
            level, tr = levels[-1], trs[-1]
    return pd.concat(frames, ignore_index=True)
