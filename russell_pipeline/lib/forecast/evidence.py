"""Who is a member on rank day beyond what the lists in force print: the companies that joined the index
since the last membership list without a list the lake holds, each by the evidence that places it
(docs/methodology.md section 4.2).

A document that says so makes a member (`placed_members`):
- `holdings`: a listed row of an ETF holdings file, dated after the membership list in force and on or
  before rank day, of a fund tracking the Russell 3000, 1000 or 2000 (or one of their style indexes):
  the company is a member of that index (a fund need not hold every member, so no row is no evidence).

A rule makes a company the forecast would add a member already (`joined_by_rule`): an eligible company
ranked within the Russell 3000 that the rule says joined since the list is no reconstitution addition.
It says nothing of a company below the break or screened out (that it joined is then unknown: it is
not forecast deleted):
- `ipo_review`: a company whose listing falls after the previous reconstitution's rank day and on or
  before the rank day of the last quarterly IPO review since, where the addition lists of the IPO
  reviews that ranked it are not in the lake, was ranked at one of them and added. The listing's dates
  come from the evidence at hand: the universe file's IPO year, and the first SEC ticker map that names
  the company with the latest one before it that does not. A company that listed units under its CIK
  (a blank-check company that merged: not an IPO) is not placed so.
- `spin_off`: a company that took a member's ticker while that member took another (`CR`: Crane
  Holdings became `CXT` and the Crane Company it spun off kept `CR`) is a spin-off that kept its
  parent's name, and FTSE Russell adds a member's spin-off with its parent.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from russell_pipeline.lib.documents.holdings import MEMBERSHIP_OF
from russell_pipeline.lib.forecast.rules import R1000, R2000, R3000

# The funds whose holdings are evidence of membership in the Russell 3000 or one of its two segments.
FUND_INDEXES = {fund: index for fund, index in MEMBERSHIP_OF.items() if index in (R1000, R2000, R3000)}

IPO_REVIEW_COLUMNS = {"review": pl.String, "ipo_rank": pl.Date, "list_missing": pl.Boolean}
_MEMBER = {
    "symbol": pl.String,
    "company": pl.String,
    "index_name": pl.String,
    "complete": pl.Boolean,
    "lists_whole": pl.Boolean,
    "evidence": pl.String,
}


def placed_members(universe: pl.DataFrame, members: pl.DataFrame, holdings: pl.DataFrame) -> pl.DataFrame:
    """The members a document places beyond `members` (module docstring), in `_MEMBER`'s columns.
    `universe`: the rank day's lines (symbol, company); `holdings`: fund_holdings rows dated after the
    list in force and by rank day."""
    if not holdings.height:
        return pl.DataFrame(schema=_MEMBER)
    candidates = universe.filter(~pl.col("symbol").is_in(members["symbol"].implode()))
    return _from_holdings(candidates, holdings).select(list(_MEMBER)).cast(_MEMBER)


RULED = {"symbol": pl.String, "rule": pl.String, "evidence": pl.String}


def joined_by_rule(
    universe: pl.DataFrame, members: pl.DataFrame, previous_rank_day: date | None, ipo_reviews: pl.DataFrame
) -> pl.DataFrame:
    """symbol, rule (`ipo_review` | `spin_off`; null: a caveat only), evidence: the lines of `universe`
    (with lib/securities/on_day.py's identity columns) a rule says joined since the list in force
    (`members`: symbol, listed_symbol, cik), and those whose listing may fall in an IPO review whose
    list is missing while the evidence does not say (a caveat, not a placement); `ipo_reviews`:
    IPO_REVIEW_COLUMNS of the IPO reviews since it. Whether the forecast would add them is the
    forecast's to say."""
    if "cik_first_seen" not in universe.columns:
        return pl.DataFrame(
            schema=RULED
        )  # lines without lib/securities/on_day.py's identity: nothing to read
    candidates = universe.filter(~pl.col("symbol").is_in(members["symbol"].implode()))
    found = [_spin_offs(candidates, members), _from_ipo_reviews(candidates, previous_rank_day, ipo_reviews)]
    out = pl.concat([f.select(list(RULED)).cast(RULED) for f in found])
    # a placement wins over a caveat
    return out.sort(pl.col("rule").is_null(), maintain_order=True).unique(
        "symbol", keep="first", maintain_order=True
    )


def _from_holdings(lines: pl.DataFrame, holdings: pl.DataFrame) -> pl.DataFrame:
    tracked = holdings.filter(pl.col("listed") & pl.col("index_name").is_in(list(FUND_INDEXES)))
    if not tracked.height:
        return pl.DataFrame(schema=_MEMBER)
    # A fund writes a class without its separator (`MOGA`): both forms of a line's symbol are looked up.
    rows = tracked.select(
        "fund",
        "as_of_date",
        "source_line",
        index_name=pl.col("index_name").replace_strict(FUND_INDEXES),
        ticker=pl.col("ticker").str.to_uppercase(),
    ).sort("as_of_date", descending=True)
    keyed = lines.select("symbol", "company", ticker=pl.col("symbol").str.replace_all(".", "", literal=True))
    return keyed.join(rows.unique("ticker", keep="first"), on="ticker").select(
        "symbol",
        "company",
        "index_name",
        complete=pl.lit(False),
        lists_whole=pl.lit(False),
        evidence=pl.format(
            "holdings: {} holds it on {} (line {}): a member of the {}",
            "fund",
            "as_of_date",
            "source_line",
            "index_name",
        ),
    )


def _from_ipo_reviews(lines: pl.DataFrame, previous: date | None, reviews: pl.DataFrame) -> pl.DataFrame:
    if previous is None or not reviews.height or "cik_first_seen" not in lines.columns:
        return pl.DataFrame(schema=RULED)
    year = pl.col("ipo_year")
    low = pl.max_horizontal(pl.date(year, 1, 1), pl.col("cik_unseen_before") + pl.duration(days=1))
    high = pl.min_horizontal(pl.date(year, 12, 31), pl.col("cik_first_seen"))
    last = reviews["ipo_rank"].max()
    windowed = lines.filter(
        pl.col("cik_first_seen").is_not_null() | year.is_not_null(),
        ~pl.col("cik_listed_units").fill_null(False),
    ).with_columns(low=low, high=high)
    # Only a window inside (previous rank day, the last IPO rank day] says an IPO review ranked it; one
    # that reaches past either end may have been ranked at one: the row says so, and stays as it is.
    windowed = windowed.filter(pl.col("low") <= pl.col("high"))
    placed = windowed.filter((pl.col("low") > previous) & (pl.col("high") <= last))
    missing = reviews.filter("list_missing")
    out = [
        {
            "symbol": row["symbol"],
            "rule": None,
            "evidence": (
                f"listed between {row['low']} and {row['high']} (" + _said(row) + "): it may have joined at "
                f"the quarterly IPO review of {', '.join(missing['review'])}, whose addition list is not in "
                "the lake; the evidence does not say"
            ),
        }
        for row in windowed.filter(
            (pl.col("high") > previous)
            & (pl.col("low") <= last)
            & ~((pl.col("low") > previous) & (pl.col("high") <= last))
        ).iter_rows(named=True)
        if missing.height
    ]
    for row in placed.iter_rows(named=True):
        # The reviews that may have ranked it: from the first whose rank day is on or after the window's
        # start to the first on or after its end; each must lack its list (with one stored, the lake knows).
        after = reviews.filter(pl.col("ipo_rank") >= row["low"]).sort("ipo_rank")
        upto = after.filter(
            pl.col("ipo_rank") <= after.filter(pl.col("ipo_rank") >= row["high"])["ipo_rank"].min()
        )
        if not upto.height or not upto["list_missing"].all():
            continue
        names = ", ".join(upto["review"])
        out.append(
            {
                "symbol": row["symbol"],
                "rule": "ipo_review",
                "evidence": (
                    f"rule ipo_review: listed between {row['low']} and {row['high']} (" + _said(row) + "), "
                    f"after the previous reconstitution's rank day {previous}: ranked at the quarterly IPO "
                    f"review of {names} and added there (its addition list is not in the lake)"
                ),
            }
        )
    return pl.DataFrame(out, schema=RULED)


def _said(row: dict) -> str:
    parts = []
    if row["ipo_year"] is not None:
        parts.append(f"IPO year {row['ipo_year']}")
    if row["cik_first_seen"] is not None:
        parts.append(
            f"CIK {row['cik']} first in the SEC map of {row['cik_first_seen']}"
            + (f", not in that of {row['cik_unseen_before']}" if row["cik_unseen_before"] else "")
        )
    return "; ".join(parts)


def _spin_offs(lines: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    if "previous_cik" not in lines.columns or "cik" not in members.columns:
        return pl.DataFrame(schema=RULED)
    parents = members.filter(pl.col("cik").is_not_null()).select(
        previous_cik="cik", parent="symbol", parent_listed="listed_symbol"
    )
    spun = lines.filter(pl.col("previous_cik").is_not_null() & (pl.col("previous_cik") != pl.col("cik")))
    spun = spun.join(parents.unique("previous_cik"), on="previous_cik").filter(
        pl.col("parent") != pl.col("symbol")
    )
    return spun.select(
        "symbol",
        rule=pl.lit("spin_off"),
        evidence=pl.format(
            "rule spin_off: {} was a member's ticker (CIK {}) until that member took {}: a spin-off that "
            "kept its parent's ticker, added with its parent",
            "symbol",
            "previous_cik",
            "parent",
        ),
    )
