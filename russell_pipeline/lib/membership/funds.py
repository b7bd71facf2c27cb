"""What an ETF holds against the members the lake knows: for each holdings file, the companies the fund
and the lake disagree on, each with its likely reason (the `reconcile` verb and the table
`holdings_reconciliation`).

A fund tracking an index holds its members (lib/documents/holdings.py); the two are compared by
security (lib/securities/master.py), so a member the fund lists under its new ticker is no difference.
The lake's side is the index's members in force on the file's date (`membership_in_force`); where the
lake holds no membership of the fund's index that day, the nearest it holds that contains it (the
Russell 3000 for a Russell 2000 fund), and then only what the fund holds that the lake lacks can be
told. A fund need not hold every member, so a member it does not hold is named with that as one of the
reasons, never as a deletion.
"""

from __future__ import annotations

import polars as pl

from russell_pipeline.lib.documents.holdings import MEMBERSHIP_OF

RECONCILE_COLUMNS: dict[str, pl.DataType] = {
    "as_of_date": pl.Date,
    "fund": pl.String,
    "fund_index": pl.String,  # the index the fund tracks
    "compared_with": pl.String,  # the lake's index it was compared with (null: the lake holds none)
    "side": pl.String,  # fund_only: the fund holds it, the lake's members lack it; lake_only: the reverse
    "symbol": pl.String,  # the ticker on the file's date (the fund's, or the lake's member's)
    "security_id": pl.String,
    "company": pl.String,
    "reason": pl.String,
    "source_path": pl.String,  # the holdings file (fund_only) or the list that prints the member (lake_only)
    "source_line": pl.Int64,
}
# Which index holds another whole: a fund's index compared with the nearest the lake holds.
_WITHIN = {"Russell 1000": "Russell 3000", "Russell 2000": "Russell 3000", "Russell 3000": "Russell 3000E"}


def reconcile_holdings(
    holdings: pl.DataFrame, keyed: pl.DataFrame, in_force: pl.DataFrame, securities: pl.DataFrame
) -> pl.DataFrame:
    """RECONCILE_COLUMNS for every holdings file of `holdings` (fund_holdings) against the members in
    force on its date. `keyed`: the security master's sightings (their `security_id`); `securities`: its
    ticker spans (when each security was first and last seen)."""
    listed = holdings.filter("listed")
    if not listed.height:
        return pl.DataFrame(schema=RECONCILE_COLUMNS)
    ids = keyed.filter(pl.col("kind") == "holdings").select(
        source_sha256="sha256", source_line="line", security_id="security_id"
    )
    listed = listed.join(
        ids.unique(["source_sha256", "source_line"]), on=["source_sha256", "source_line"], how="left"
    )
    seen = securities.group_by("security_id").agg(
        first_seen=pl.col("first_seen").min(), last_seen=pl.col("last_seen").max()
    )
    out = []
    for (sha,), fund_rows in listed.group_by("source_sha256", maintain_order=True):
        out.append(_one_file(fund_rows, in_force, seen))
    return pl.concat(out).select(list(RECONCILE_COLUMNS)).cast(RECONCILE_COLUMNS)


def _coverage(in_force: pl.DataFrame, day) -> str:
    """Where the lake's membership begins or ends, beside a date it does not cover."""
    if not in_force.height:
        return ""
    first, last = in_force["valid_from"].min(), in_force["valid_to"].max()
    if day < first:
        return f" (its documents begin on {first})"
    return f" (its documents end on {last})" if last is not None else ""


def _compared(on: pl.DataFrame, target: str) -> str | None:
    """The index the fund's is compared with: `target` where the lake holds its members that day, else
    the nearest the lake holds that contains it; None when it holds none of them."""
    compared = target
    while compared is not None and not on.filter(pl.col("index_name") == compared).height:
        compared = _WITHIN.get(compared)
    return compared


def _fund_reason(
    day, target: str, compared: str | None, whole: bool, last_doc, in_force: pl.DataFrame
) -> pl.Expr:
    """Why the fund holds a company the lake's members lack (`first_seen`: when it was first seen)."""
    if compared is None:
        return pl.lit(
            f"the lake holds no membership of the {target} or an index that contains it on {day}"
            + _coverage(in_force, day)
        )
    return (
        pl.when(pl.col("first_seen") > (last_doc or day))
        .then(
            pl.format(
                "first seen listed on {}, after the last document the lake's members rest on: added since "
                "(an IPO review, a spin-off or a reconstitution whose list the lake lacks)",
                "first_seen",
            )
        )
        .otherwise(
            pl.lit(
                f"not among the lake's {compared} members on {day}: added by a list the lake lacks "
                "(a quarterly IPO review, a reconstitution), a spin-off of a member, or renamed beyond what "
                "its SEC maps show" + ("" if whole else f" (the lake's {compared} is partial that day)")
            )
        )
    )


def _lake_reason(day) -> pl.Expr:
    """Why the lake's member is not in the fund (`last_seen`: when it was last seen listed)."""
    return (
        pl.when(pl.col("last_seen") < day)
        .then(
            pl.format(
                "last seen listed on {} and in no later document: acquired or delisted since "
                "(a deletion the lake's lists do not hold), or the fund does not hold every member",
                "last_seen",
            )
        )
        .otherwise(
            pl.lit(
                "the fund does not hold it: a fund need not hold every member, or it left the index "
                "by a list the lake lacks"
            )
        )
    )


def _one_file(rows: pl.DataFrame, in_force: pl.DataFrame, seen: pl.DataFrame) -> pl.DataFrame:
    """RECONCILE_COLUMNS of one holdings file (`rows`): what the fund holds that the members lack, and
    (compared with the fund's own index) the members it does not hold."""
    day, fund, index = rows["as_of_date"][0], rows["fund"][0], rows["index_name"][0]
    path = rows["path"][0] if "path" in rows.columns else None
    on = in_force.filter(
        (pl.col("valid_from") <= day) & (pl.col("valid_to").is_null() | (pl.col("valid_to") > day))
    )
    target = MEMBERSHIP_OF.get(index, index)
    compared = _compared(on, target)
    members = on.filter(pl.col("index_name") == compared) if compared else on.clear()
    whole = compared is not None and members["complete"].all()
    held = rows.with_columns(pl.col("security_id").fill_null(pl.format("TICKER:{}", "ticker")))
    fund_only = held.join(members.select("security_id"), on="security_id", how="anti").join(
        seen, on="security_id", how="left"
    )
    # The last document the members rest on: the latest review whose list opened an interval in force
    # (a segment may start later, at an IPO review without a list: no document).
    last_doc = on["start_date"].max() if on.height else None
    same = {"as_of_date": pl.lit(day), "fund": pl.lit(fund), "fund_index": pl.lit(index)}
    out = [
        fund_only.select(
            **same,
            compared_with=pl.lit(compared, pl.String),
            side=pl.lit("fund_only"),
            symbol="ticker",
            security_id="security_id",
            company="company",
            reason=_fund_reason(day, target, compared, whole, last_doc, in_force),
            source_path=pl.lit(path, pl.String),
            source_line="source_line",
        )
    ]
    if compared == target:  # only against the fund's own index is a member it lacks a difference
        lake_only = members.join(held.select("security_id"), on="security_id", how="anti").join(
            seen, on="security_id", how="left"
        )
        out.append(
            lake_only.select(
                **same,
                compared_with=pl.lit(compared),
                side=pl.lit("lake_only"),
                symbol="symbol",
                security_id="security_id",
                company="company",
                reason=_lake_reason(day),
                source_path="source_path",
                source_line="source_line",
            )
        )
    return pl.concat(out, how="vertical_relaxed")
