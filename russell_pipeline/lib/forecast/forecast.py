"""The forecast of one review: every security of a rank-day universe and every member in force, with
the index it is in before and after, the action and its reason, by the rules of rules.py.

The steps, each FTSE Russell's (Construction and Methodology, sections 5-6; docs/methodology.md
section 4):
1. Lines of one company are one company: several listed classes of a company (the screener repeats
   the company's total market cap on each) rank once, at the company's total cap, priced by its most
   traded line; every class follows the company.
2. Who is a member: the members in force on rank day (membership_in_force), matched by symbol; a
   member whose symbol is not in the universe but whose company name is, under one other symbol, is
   that line (a renamed ticker), not a deletion plus an addition.
3. The screens of rules.py exclude lines (security types) and companies (size, price, country), each
   excluded row naming its rule.
4. The eligible companies are ranked by total market cap; the Russell 3000E is the top 4,000, the
   Russell 3000 the top 3,000 (no band), the Russell 1000 the top 1,000 with members kept within
   +/-2.5 points of cumulative market cap around it; the Russell Microcap ranks 2,001-4,000.
5. Actions, for the Russell 3000: `add`, `delete`, `stay`, `move_up` (2000 to 1000), `move_down`
   (1000 to 2000), and for rows outside it before and after, `out`; a member missing from the
   universe is `absent` (acquired, delisted or renamed beyond recognition: not ranked, so neither
   kept nor a reconstitution deletion).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from russell_pipeline.lib.forecast import rules as R
from russell_pipeline.lib.forecast.companies import member_table, with_members
from russell_pipeline.lib.forecast.reasons import with_reasons
from russell_pipeline.lib.forecast.rules import MICRO, R1000, R2000, R3000

ACTIONS = ("add", "delete", "stay", "move_up", "move_down", "out", "absent")
FORECAST_COLUMNS: dict[str, pl.DataType] = {
    "review": pl.String,
    "rank_day": pl.Date,
    "symbol": pl.String,
    "company": pl.String,
    "primary_symbol": pl.String,  # the company's most traded line: all its classes follow it
    "country": pl.String,
    "price": pl.Float64,
    "total_market_cap": pl.Float64,  # the company's, in USD
    "rank": pl.Int64,  # among the eligible companies on rank day; null: not ranked
    "cumulative_cap_pct": pl.Float64,  # of the Russell 3000E's total market cap, largest first
    # Russell 1000 | Russell 2000 | Russell 3000 (segment unknown) | Russell Microcap
    "index_before": pl.String,
    "index_after": pl.String,  # Russell 1000 | Russell 2000 | Russell Microcap (ranks 3,001-4,000) | null
    "microcap_after": pl.Boolean,
    "action": pl.String,
    "reason": pl.String,
    "rule": pl.String,  # the rule of rules.py the action rests on
    "source_line": pl.Int64,  # the universe file's line (null: a member the universe does not hold)
}
BREAK_COLUMNS: dict[str, pl.DataType] = {
    "review": pl.String,
    # Russell 1000 | Russell 2000 (rank 2,000, the Microcap's upper end) | Russell 3000 | Russell 3000E
    "break": pl.String,
    "rank": pl.Int64,
    "market_cap": pl.Float64,  # of the company at that rank (null: fewer eligible companies)
    "cumulative_cap_pct": pl.Float64,
    "band_low_pct": pl.Float64,
    "band_high_pct": pl.Float64,
    "notes": pl.String,  # what the forecast of the review could not know, `; ` between
}


@dataclass(frozen=True)
class Forecast:
    rows: pl.DataFrame  # FORECAST_COLUMNS
    breaks: pl.DataFrame  # BREAK_COLUMNS
    notes: list[str] = field(default_factory=list)  # what the forecast could not know, one line each


def forecast(
    universe: pl.DataFrame,
    members: pl.DataFrame,
    review: str,
    rank_day: date,
    *,
    history: pl.DataFrame | None = None,
    from_file: bool = True,
    rules: pl.DataFrame | None = None,
) -> Forecast:
    """The forecast of `review` (rank day `rank_day`) from `universe` (lib/documents/universe.py's
    columns; `from_file` False: the market data's, whose names are symbols and whose country is unknown,
    so the screens that read names and countries do not apply) and `members` (symbol, company,
    index_name: the members in force on rank day). `history` (symbol, date, close): the closes before
    rank day, for the member price rule's 30-day average."""
    year = int(review[:4])
    active = R.active(R.RULES if rules is None else rules, year)
    notes: list[str] = []
    mtable = member_table(members.select("symbol", "company", "index_name").cast(pl.String))
    lines, absent = with_members(universe, mtable, from_file)
    lines = _screened(lines, active, from_file)
    # Companies: the eligible lines of each, priced by the most traded one.
    eligible = lines.filter(pl.col("excluded").is_null())
    companies = (
        eligible.lazy()  # lazy: only the columns the companies keep are sorted
        .with_columns(traded=pl.col("volume").fill_null(0) * pl.col("price").fill_null(0))
        .sort(["traded", "symbol"], descending=[True, False])
        .group_by("company_key", maintain_order=True)
        .agg(
            primary_symbol=pl.col("symbol").first(),
            company_price=pl.col("price").first(),
            total_market_cap=pl.col("market_cap").max(),
            ipo_year=pl.col("ipo_year").max(),
            member=pl.col("member").first(),
            in_r3000=pl.col("in_r3000").first(),
            segment=pl.col("segment").first(),
            in_micro=pl.col("in_micro").first(),
        )
        .collect(engine="in-memory")
    )
    companies = _company_screens(companies, active, history, rank_day, from_file)
    ranked = _ranked(companies.filter(pl.col("company_excluded").is_null()), active)
    if "listed_before" in active and from_file:  # the market data says nothing of a listing's age
        ranked = _listed_before(ranked, lines, active, year)
    else:
        ranked = ranked.with_columns(listed_before=pl.lit(False))
    breaks = _breaks(ranked, active, review)
    companies = companies.join(
        ranked.select("company_key", "rank", "cumulative_cap_pct", "listed_before"),
        on="company_key",
        how="left",
    )
    placed = _place(companies, lines, breaks, active)
    rows = _rows(lines, placed, breaks, review, rank_day, int(active["break_r3000"]["value"]))
    if absent.height:
        rows = pl.concat([rows, _absent(absent, review, rank_day)], how="diagonal_relaxed")
    notes += _segment_notes(mtable)
    return Forecast(rows.select(list(FORECAST_COLUMNS)).cast(FORECAST_COLUMNS), breaks, notes)


def _screened(lines: pl.DataFrame, active: dict, from_file: bool) -> pl.DataFrame:
    """`lines` with `excluded`: the first screen of rules.py that excludes each (null: none). The
    screens that read names run only on the lines whose names hold one of their words."""
    screens = [
        (rule, R.screen(rule, row["source"]), row["to"])
        for rule, row in active.items()
        if rule in R.SCREENS and (from_file or rule == "preferred")
    ]
    worded = pl.col("company").fill_null("").str.contains_any(list(R.NAME_WORDS), ascii_case_insensitive=True)
    lines = lines.with_columns(_worded=worded if from_file else pl.lit(False))
    parts = []
    for (named,), part in lines.partition_by("_worded", as_dict=True).items():
        excluded = pl.lit(None, pl.String)
        for rule, expr, to in reversed(screens):  # the first that excludes a line names it
            if named or rule not in R.BY_NAME:
                who = (
                    ~pl.col("member") if to == "new" else pl.col("member") if to == "member" else pl.lit(True)
                )
                excluded = pl.when(expr & who).then(pl.lit(rule)).otherwise(excluded)
        names = R.name_columns(named or not from_file)  # market data: every line is read
        parts.append(
            part.lazy().with_columns(**names).with_columns(excluded=excluded).drop(*names, "_worded")
        )
    return pl.concat(parts).collect(engine="in-memory")


def _company_screens(
    companies: pl.DataFrame, active: dict, history: pl.DataFrame | None, rank_day: date, from_file: bool
) -> pl.DataFrame:
    """The screens of a company as a whole: a market cap, its size, its price (a member's 30-day
    average where the price is below)."""
    floor = active["min_total_cap"]["value"]
    price_floor = active["min_price"]["value"]
    avg = pl.DataFrame(schema={"primary_symbol": pl.String, "average_30d": pl.Float64})
    if history is not None and history.height:
        window = history.filter(
            (pl.col("date") >= rank_day - timedelta(days=30)) & (pl.col("date") < rank_day)
        )
        avg = (
            window.group_by("symbol")
            .agg(average_30d=pl.col("close").mean())
            .rename({"symbol": "primary_symbol"})
        )
    companies = companies.join(avg, on="primary_symbol", how="left")
    member_rule = active.get("min_price_member")
    member_ok = pl.col("average_30d").fill_null(0) >= member_rule["value"] if member_rule else pl.lit(False)
    below = pl.col("company_price") < price_floor
    return companies.with_columns(
        company_excluded=pl.when(pl.col("total_market_cap").fill_null(0) <= 0)
        .then(pl.lit("no_market_cap"))
        .when(pl.col("total_market_cap") < floor)
        .then(pl.lit("min_total_cap"))
        .when(pl.col("company_price").is_null())
        .then(pl.lit("no_market_cap"))
        .when(below & ~pl.col("member"))
        .then(pl.lit("min_price"))
        .when(below & pl.col("member") & ~member_ok)
        .then(pl.lit("min_price_member"))
    )


def _ranked(companies: pl.DataFrame, active: dict) -> pl.DataFrame:
    """The companies by total market cap, largest first (ties by symbol), with `rank` and
    `cumulative_cap_pct` (of the Russell 3000E's total: the top `break_r3000e` companies)."""
    ranked = (
        companies.sort(["total_market_cap", "primary_symbol"], descending=[True, False])
        .with_row_index("rank", offset=1)
        .with_columns(pl.col("rank").cast(pl.Int64))
    )
    total = ranked.head(int(active["break_r3000e"]["value"]))["total_market_cap"].sum() or 1.0
    return ranked.with_columns(cumulative_cap_pct=pl.col("total_market_cap").cum_sum() * 100 / total)


def _listed_before(ranked: pl.DataFrame, lines: pl.DataFrame, active: dict, year: int) -> pl.DataFrame:
    """Marks new companies ranked within the Russell 1000 whose listing (IPO year) is known to precede
    the previous reconstitution's year: the ranking then left them out (rules.py `previous`)."""
    cut = ranked.filter(pl.col("rank") == active["break_r1000"]["value"])["total_market_cap"]
    if not cut.len():
        return ranked.with_columns(listed_before=pl.lit(False))
    flagged = (
        (~pl.col("member"))
        & (pl.col("total_market_cap") > cut[0])
        & (pl.col("ipo_year").fill_null(0) < year - 1)
    )
    out = ranked.with_columns(listed_before=flagged)
    # The ranking without them: they are not eligible companies.
    kept = _ranked(out.filter(~pl.col("listed_before")).drop("rank", "cumulative_cap_pct"), active)
    dropped = out.filter(pl.col("listed_before")).with_columns(
        rank=pl.lit(None, pl.Int64), cumulative_cap_pct=pl.lit(None, pl.Float64)
    )
    return pl.concat([kept, dropped.select(kept.columns)])


def _breaks(ranked: pl.DataFrame, active: dict, review: str) -> pl.DataFrame:
    rows = []
    for name, rule, band in (
        (R1000, "break_r1000", "band_r1000"),
        (R2000, "break_r2000", "band_r2000"),
        (R3000, "break_r3000", None),
        ("Russell 3000E", "break_r3000e", None),
    ):
        rank = int(active[rule]["value"])
        at = ranked.filter(pl.col("rank") == rank)
        cap, pct = (at["total_market_cap"][0], at["cumulative_cap_pct"][0]) if at.height else (None, None)
        width = active[band]["value"] if band in active and pct is not None else None
        rows.append((review, name, rank, cap, pct, width and pct - width, width and pct + width, None))
    return pl.DataFrame(rows, schema=BREAK_COLUMNS, orient="row")


def _place(companies: pl.DataFrame, lines: pl.DataFrame, breaks: pl.DataFrame, active: dict) -> pl.DataFrame:
    """Each company's index after the review, with the action's rule."""
    b = {r["break"]: r for r in breaks.iter_rows(named=True)}
    rank, pct = pl.col("rank"), pl.col("cumulative_cap_pct")
    r1000, r3000, r3000e = (active[k]["value"] for k in ("break_r1000", "break_r3000", "break_r3000e"))
    low, high = b[R1000]["band_low_pct"], b[R1000]["band_high_pct"]
    in_band = pct.is_between(low, high) if low is not None else pl.lit(False)
    banded = in_band & pl.col("segment").is_not_null() & pl.col("in_r3000").fill_null(False) & (rank <= r3000)
    by_rank = pl.when(rank <= r1000).then(pl.lit(R1000)).when(rank <= r3000).then(pl.lit(R2000))
    after = (
        pl.when(rank.is_null())
        .then(pl.lit(None, pl.String))
        .when(banded)
        .then(pl.col("segment"))
        .otherwise(by_rank.when(rank <= r3000e).then(pl.lit(MICRO)))
    )
    r2000, micro_low, micro_high = (
        active["break_r2000"]["value"],
        b[R2000]["band_low_pct"],
        b[R2000]["band_high_pct"],
    )
    micro_band = pct.is_between(micro_low, micro_high) if micro_low is not None else pl.lit(False)
    micro = (
        pl.when(rank.is_null() | (rank > r3000e))
        .then(False)
        .when(micro_band & pl.col("in_micro").is_not_null() & (pl.col("segment") == R2000))
        .then(pl.col("in_micro"))
        .otherwise(rank > r2000)
    )
    return companies.with_columns(index_after=after, microcap_after=micro, banded=banded)


def _rows(
    lines: pl.DataFrame, placed: pl.DataFrame, breaks: pl.DataFrame, review: str, rank_day: date, r3000: int
) -> pl.DataFrame:
    b = {r["break"]: r for r in breaks.iter_rows(named=True)}
    out = lines.lazy().join(  # lazy: the row's columns made in one pass
        placed.lazy().select(
            "company_key",
            "primary_symbol",
            "company_price",
            "total_market_cap",
            "company_excluded",
            "rank",
            "cumulative_cap_pct",
            "index_after",
            "microcap_after",
            "banded",
            "average_30d",
            "listed_before",
        ),
        on="company_key",
        how="left",
    )
    before = (
        pl.when(~pl.col("member") | (pl.col("excluded").is_not_null() & ~pl.col("symbol_member")))
        .then(pl.lit(None, pl.String))
        .when(pl.col("in_r3000"))
        .then(pl.col("segment").fill_null(pl.lit(R3000)))
        .otherwise(pl.lit(MICRO))
    )
    out = out.with_columns(
        index_before=before, index_after=pl.when(pl.col("excluded").is_null()).then(pl.col("index_after"))
    )
    was_in = pl.col("index_before").is_in([R1000, R2000, R3000])
    is_in = pl.col("index_after").is_in([R1000, R2000])
    no_cap_member = (
        pl.col("member") & pl.col("excluded").is_null() & (pl.col("company_excluded") == "no_market_cap")
    )
    action = (
        pl.when(no_cap_member)
        .then(pl.lit("stay"))
        .when(was_in & is_in & (pl.col("index_before") == R2000) & (pl.col("index_after") == R1000))
        .then(pl.lit("move_up"))
        .when(was_in & is_in & (pl.col("index_before") == R1000) & (pl.col("index_after") == R2000))
        .then(pl.lit("move_down"))
        .when(was_in & is_in)
        .then(pl.lit("stay"))
        .when(was_in)
        .then(pl.lit("delete"))
        .when(is_in)
        .then(pl.lit("add"))
        .otherwise(pl.lit("out"))
    )
    # A member's own symbol that now lists another kind of security (a preferred share, a warrant):
    # the member's common stock is not in the universe.
    reused = pl.col("symbol_member") & pl.col("excluded").is_not_null()
    out = out.with_columns(action=pl.when(reused).then(pl.lit("absent")).otherwise(action), reused=reused)
    out = out.with_columns(
        index_after=pl.when(no_cap_member).then(pl.col("index_before")).otherwise(pl.col("index_after")),
        rule=pl.coalesce(
            "excluded",
            "company_excluded",
            pl.when(pl.col("listed_before").fill_null(False)).then(pl.lit("listed_before")),
            pl.when(pl.col("banded")).then(pl.lit("band_r1000")),
            pl.when(pl.col("action").is_in(["add", "delete", "out"])).then(pl.lit("break_r3000")),
            pl.lit("break_r1000"),
        ),
    )
    out = out.with_columns(review=pl.lit(review), rank_day=pl.lit(rank_day, pl.Date))
    return with_reasons(
        out.select(
            *FORECAST_COLUMNS.keys() - {"reason"},
            "renamed_from",
            "reused",
            "average_30d",
            "company_price",
            "ipo_year",
        ).collect(engine="in-memory"),
        b,
        r3000,
    )


def _absent(absent: pl.DataFrame, review: str, rank_day: date) -> pl.DataFrame:
    """The members the universe does not list, by symbol (their grouping left them in no set order)."""
    return absent.sort("symbol", "member_company").select(
        review=pl.lit(review),
        rank_day=pl.lit(rank_day, pl.Date),
        symbol="symbol",
        company="member_company",
        primary_symbol="symbol",
        index_before=pl.when(pl.col("in_r3000"))
        .then(pl.col("segment").fill_null(pl.lit(R3000)))
        .otherwise(pl.lit(MICRO)),
        action=pl.lit("absent"),
        reason=pl.lit("not in the universe file: was it acquired, delisted or renamed?"),
        rule=pl.lit("absent"),
    )


def _segment_notes(mtable: pl.DataFrame) -> list[str]:
    if not mtable.height:
        return ["no Russell membership in force on rank day in the lake: every eligible company is new"]
    if mtable.filter(pl.col("in_r3000"))["segment"].null_count() == mtable.filter(pl.col("in_r3000")).height:
        return [
            (
                "the Russell 1000 and 2000 before are unknown (only the Russell 3000 is in force): members "
                "are placed by rank alone, without the band"
            )
        ]
    return []
