"""A forecast against the lists FTSE Russell then published: precision, recall and F1 for additions
and for deletions of the Russell 3000, and every miss and false alarm with the forecast's reason.

The published lists of a review are the Russell 3000 addition and deletion lists dated after its
rank day and no later than a week after its reconstitution, of the latest stage the lake holds
(final, else the latest update, else the preliminary lists): the lists the forecast tries to say
before they appear.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

SCORE_COLUMNS: dict[str, pl.DataType] = {
    "review": pl.String,
    "change": pl.String,  # addition | deletion
    "published_stage": pl.String,  # final | update | preliminary
    "published_as_of": pl.Date,
    "published": pl.Int64,  # symbols on the published list
    "predicted": pl.Int64,  # symbols the forecast says `add` (or `delete`)
    "hits": pl.Int64,
    "precision": pl.Float64,
    "recall": pl.Float64,
    "f1": pl.Float64,
}
MISS_COLUMNS: dict[str, pl.DataType] = {
    "review": pl.String,
    "change": pl.String,
    "kind": pl.String,  # miss (published, not forecast) | false_alarm (forecast, not published)
    "symbol": pl.String,
    "company": pl.String,
    "action": pl.String,  # what the forecast said of the symbol (null: not in the forecast)
    "reason": pl.String,
    "rank": pl.Int64,
    "total_market_cap": pl.Float64,
}
STAGES = ("final", "update", "preliminary")  # the order the published lists are taken in
INDEX = "Russell 3000"
ACTION = {"addition": "add", "deletion": "delete"}


def published_lists(changes: pl.DataFrame, rank_day: date, effective_open: date) -> pl.DataFrame:
    """The Russell 3000 additions and deletions of one review (symbol, company, change, stage,
    as_of_date) at the latest stage the lake holds, each change on its own."""
    window = changes.filter(
        (pl.col("index_name") == INDEX)
        & (pl.col("as_of_date") > rank_day)
        & (pl.col("as_of_date") <= effective_open + timedelta(days=7))
    )
    out = []
    for change in ACTION:
        rows = window.filter(pl.col("change") == change)
        for stage in STAGES:
            staged = rows.filter(pl.col("stage") == stage)
            if staged.height:
                latest = staged["as_of_date"].max()
                out.append(staged.filter(pl.col("as_of_date") == latest))
                break
    columns = ["symbol", "company", "change", "stage", "as_of_date"]
    if not out:
        return pl.DataFrame(schema={k: changes.schema[k] for k in columns})
    return pl.concat([o.select(columns) for o in out]).unique(
        ["symbol", "change"], keep="first", maintain_order=True
    )


def score(forecast: pl.DataFrame, published: pl.DataFrame, review: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(SCORE_COLUMNS rows, MISS_COLUMNS rows) of one review's forecast rows against its published
    lists (`published_lists`); a change without a published list is not scored."""
    scores, misses = [], []
    for change, action in ACTION.items():
        listed = published.filter(pl.col("change") == change)
        if not listed.height:
            continue
        said = forecast.filter(pl.col("action") == action)
        predicted, truth = set(said["symbol"]), set(listed["symbol"])
        hits = len(predicted & truth)
        precision = hits / len(predicted) if predicted else 0.0
        recall = hits / len(truth)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        first = listed.row(0, named=True)
        scores.append(
            (
                review,
                change,
                first["stage"],
                first["as_of_date"],
                len(truth),
                len(predicted),
                hits,
                precision,
                recall,
                f1,
            )
        )
        missed = listed.filter(~pl.col("symbol").is_in(list(predicted))).select("symbol", "company")
        missed = missed.join(
            forecast.select("symbol", "action", "reason", "rank", "total_market_cap"), on="symbol", how="left"
        )
        missed = missed.with_columns(
            kind=pl.lit("miss"),
            reason=pl.col("reason").fill_null(
                "not in the universe file"
                + (", nor a member in force on rank day" if change == "deletion" else "")
            ),
        )
        alarms = said.filter(~pl.col("symbol").is_in(list(truth))).select(
            "symbol", "company", "action", "reason", "rank", "total_market_cap", kind=pl.lit("false_alarm")
        )
        for frame in (missed, alarms):
            misses.append(frame.with_columns(review=pl.lit(review), change=pl.lit(change)))
    score_rows = pl.DataFrame(scores, schema=SCORE_COLUMNS, orient="row")
    miss_rows = (
        pl.concat([m.select(list(MISS_COLUMNS)) for m in misses])
        .cast(MISS_COLUMNS)
        .sort("change", "kind", "symbol")
        if misses
        else pl.DataFrame(schema=MISS_COLUMNS)
    )
    return score_rows, miss_rows


NOT_IN_FORECAST = "not in the forecast"


def misses_by_cause(misses: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """review, change, kind, cause (the rule the forecast's action rests on), names, symbols: the misses
    (MISS_COLUMNS) grouped by the rule of their forecast rows (`rows`: review, symbol, rule), most names
    first."""
    keys = ["review", "symbol"]
    return (
        misses.join(rows.select(*keys, "rule").unique(keys), on=keys, how="left")
        .with_columns(cause=pl.col("rule").fill_null(NOT_IN_FORECAST))
        .group_by("review", "change", "kind", "cause")
        .agg(pl.len().alias("names"), pl.col("symbol").sort().head(8).alias("symbols"))
        .sort("review", "change", "kind", "names", "cause", descending=[False, False, False, True, False])
    )
