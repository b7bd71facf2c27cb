"""Reference implementation of the index levels in pandas, written the way an analyst would:
a loop over review periods and, inside, over sessions, with one pandas step per day.

Same rules as russell_pipeline.lib.levels (DESIGN.md steps 6-13), including the one the design
leaves implicit: a carried close is paired with the shares in force on the close's date.
"""

from __future__ import annotations

import pandas as pd


def pandas_levels(weights, end, prices, dividends, splits, fx, session_days) -> pd.DataFrame:
    """index_levels rows from the base review to `end` (pandas frames in, pandas frame out)."""
    end = pd.Timestamp(end)
    prices = prices[prices["date"] <= end].sort_values("date")
    days = [pd.Timestamp(d) for d in session_days if pd.Timestamp(d) <= end]
    px_by_day = {d: g.set_index("symbol") for d, g in prices.groupby("date")}
    div_by_day = {d: g.groupby("symbol")["amount"].sum() for d, g in dividends.groupby("ex_date")}
    split_by_day = {d: g.groupby("symbol")["ratio"].prod() for d, g in splits.groupby("ex_date")}
    fx_wide = fx.pivot(index="date", columns="currency", values="usd_per_unit").sort_index()
    reviews = weights.sort_values("effective_date").groupby("review", sort=False)
    reviews = [(r, w.set_index("symbol")) for r, w in reviews]

    # last close, its currency and date for every symbol seen so far
    t0 = pd.Timestamp(reviews[0][1]["effective_date"].iloc[0])
    seen = prices[prices["date"] <= t0].groupby("symbol", observed=True).last()
    last_px, last_cur, last_day = seen["close"], seen["currency"].astype(str), seen["date"]

    def fx_on(day, currencies):
        rates = fx_wide.loc[:day].iloc[-1] if len(fx_wide) else pd.Series(dtype=float)
        e = currencies.map(rates).astype(float)
        return e.where(currencies != "USD", 1.0)

    rows = []
    level, tr = 1000.0, 1000.0
    for i, (review, w) in enumerate(reviews):
        t, big_t = pd.Timestamp(w["cutoff_date"].iloc[0]), pd.Timestamp(w["effective_date"].iloc[0])
        if big_t > end:
            break
        stop = pd.Timestamp(reviews[i + 1][1]["effective_date"].iloc[0]) if i + 1 < len(reviews) else end
        stop = min(stop, end)
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
