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

from russell_pipeline.lib.documents.holdings import HOLDINGS_COLUMNS
from russell_pipeline.lib.forecast import rules as R
from russell_pipeline.lib.forecast.companies import (
    INDEX,
    PRICE_RULES,
    company_keys,
    line_stem,
    member_table,
    priced_classes,
    with_members,
)
from russell_pipeline.lib.forecast.evidence import IPO_REVIEW_COLUMNS, RULED, joined_by_rule, placed_members
from russell_pipeline.lib.forecast.reasons import with_reasons
from russell_pipeline.lib.forecast.rules import MICRO, R1000, R2000, R3000
from russell_pipeline.lib.securities.on_day import IDENTITY_COLUMNS

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
    # What its index before rests on: the list in force that prints it, the SEC maps that carry it under
    # its rank-day ticker, or the evidence that placed it since (lib/forecast/evidence.py); null: not a member
    "evidence": pl.String,
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


# The labels of a row (its rule, action, indexes) as enumerations while the rows are made: a label is
# then a small number, compared and chosen as one; they are written as text.
ACTION = pl.Enum(ACTIONS)
_LABEL = {
    **{rule: pl.lit(rule, R.RULE) for rule in R.RULE.categories},
    **{action: pl.lit(action, ACTION) for action in ACTIONS},
    **{index: pl.lit(index, INDEX) for index in INDEX.categories},
}
_ROW = [pl.col(c).cast(t) for c, t in FORECAST_COLUMNS.items()]


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
    previous_rank_day: date | None = None,
    ipo_reviews: pl.DataFrame | None = None,
    holdings: pl.DataFrame | None = None,
) -> Forecast:
    """The forecast of `review` (rank day `rank_day`) from `universe` (lib/documents/universe.py's
    columns; `from_file` False: the market data's, whose names are symbols and whose country is unknown,
    so the screens that read names and countries do not apply) and `members` (symbol, company,
    index_name, and `complete`: whether the lake knows the index whole there; the members in force on rank
    day). `history` (symbol, date, close): the closes before rank day, for the member price rule's 30-day
    average. A universe file's companies that joined since the list in force without a list the lake
    holds are members by their evidence (lib/forecast/evidence.py: `holdings` rows dated after the list,
    the quarterly `ipo_reviews` since it and whether their lists are missing, the `previous_rank_day`)."""
    year = int(review[:4])
    active = R.active(R.RULES if rules is None else rules, year)
    if "lists_whole" not in members.columns:  # members given as complete or not (the lists' whole then)
        members = members.with_columns(lists_whole=pl.col("complete"))
    members = _with_evidence(members)
    ruled = pl.DataFrame(schema=RULED)
    if from_file:
        held = pl.DataFrame(schema=HOLDINGS_COLUMNS) if holdings is None else holdings
        members = pl.concat([members, placed_members(universe, members, held)], how="diagonal_relaxed")
        reviews = pl.DataFrame(schema=IPO_REVIEW_COLUMNS) if ipo_reviews is None else ipo_reviews
        ruled = joined_by_rule(universe, members, previous_rank_day, reviews)
        used = [r for r in ("ipo_review", "spin_off") if r in active]
        ruled = ruled.filter(pl.col("rule").is_null() | pl.col("rule").is_in(used))
    mtable = member_table(members.select("symbol", "company", "index_name", "evidence").cast(pl.String))
    # The listing-age inference reads the previous reconstitution's ranking in the members: only a
    # complete published Russell 3000 says who that ranking left out.
    inferred = from_file and "listed_before" in active
    ranked_before = _ranked_before(members)
    lines = _lines(universe, from_file)
    ascii_only = lines["_ascii"].all()
    lines, absent = with_members(lines, mtable, from_file)
    lines = _screened(lines, active, from_file, ascii_only)
    averages = _averages(history, rank_day)
    lines = priced_classes(lines, active["min_price"]["value"], averages, "min_price_member" in active)
    companies = _companies(lines, active, averages, year, inferred and ranked_before)
    breaks = _breaks(companies, active, review)
    b = {r["break"]: r for r in breaks.iter_rows(named=True)}
    rows = _rows(lines, _placed(companies, b, active), review, rank_day)
    rows = with_reasons(rows, b, int(active["break_r3000"]["value"]))
    if absent.height:
        rows = pl.concat([rows, _absent(absent, review, rank_day).lazy()], how="diagonal_relaxed")
    rows = _joined(rows.select(_ROW).collect(engine="in-memory"), ruled)
    notes = _segment_notes(mtable)
    if inferred and not ranked_before and mtable.height:
        notes.append(_NOT_RANKED_BEFORE)
    return Forecast(rows, breaks, notes)


def _with_evidence(members: pl.DataFrame) -> pl.DataFrame:
    """`members` with `evidence`: the document in force that prints each (and, where the SEC maps carry its
    company under another ticker on rank day, that: lib/securities/on_day.py `carried`)."""
    if "evidence" in members.columns:
        return members
    if "source_path" not in members.columns:
        return members.with_columns(evidence=pl.lit(None, pl.String))
    listed = pl.col("listed_symbol") if "listed_symbol" in members.columns else pl.col("symbol")
    said = pl.format("{} prints it as {}", "source_path", listed)
    if "cik" in members.columns:
        said = (
            pl.when(listed != pl.col("symbol"))
            .then(
                pl.format(
                    "{}; the SEC maps by rank day carry its company (CIK {}) as {}", said, "cik", "symbol"
                )
            )
            .otherwise(said)
        )
    return members.with_columns(evidence=said)


def _joined(rows: pl.DataFrame, ruled: pl.DataFrame) -> pl.DataFrame:
    """`rows` with each `add` that a rule says joined since the list (lib/forecast/evidence.py
    `joined_by_rule`) a `stay`: a member of the Russell 3000 before, its segment unknown, by that rule."""
    if not ruled.height:
        return rows
    hit = rows.select("symbol", _add=pl.col("action") == "add").join(ruled, on="symbol", how="left")
    joined = hit["_add"] & hit["rule"].is_not_null()
    caveat = hit["_add"] & hit["rule"].is_null() & hit["evidence"].is_not_null()
    said = pl.format("{} (before: Russell 3000 by rule {}, its segment unknown)", "reason", "_rule")
    return (
        rows.with_columns(_joined=joined, _caveat=caveat, _rule=hit["rule"], _evidence=hit["evidence"])
        .with_columns(
            action=pl.when("_joined").then(pl.lit("stay")).otherwise("action"),
            index_before=pl.when("_joined").then(pl.lit(R3000)).otherwise("index_before"),
            reason=pl.when("_joined").then(said).otherwise("reason"),
            rule=pl.when("_joined").then("_rule").otherwise("rule"),
            evidence=pl.when(pl.col("_joined") | pl.col("_caveat")).then("_evidence").otherwise("evidence"),
        )
        .drop("_joined", "_caveat", "_rule", "_evidence")
    )


def _ranked_before(members: pl.DataFrame) -> bool:
    """Whether `members` hold the whole Russell 3000 as the last reconstitution left it (`lists_whole`,
    from published lists): the Russell 3000's own list, or both the Russell 1000's and the Russell
    2000's; what the quarterly IPO reviews added since does not change who that ranking left out."""
    whole = set(members.filter(pl.col("lists_whole").fill_null(False))["index_name"])
    return R3000 in whole or {R1000, R2000} <= whole


_NOT_RANKED_BEFORE = (
    "no complete published Russell 3000 list is in force on rank day: a large company that is not a member "
    "is ranked as new, whenever it was listed (the listing-age inference, rules.py `listed_before`, reads "
    "the previous reconstitution's list)"
)


def _lines(universe: pl.DataFrame, from_file: bool) -> pl.DataFrame:
    """The universe's lines (`i`: their place) with their company (`company_key`, `issuer_lists_units`:
    companies.company_keys), whether the name is ASCII (`_ascii`) and holds one of rules.NAME_WORDS in
    any letter case (`_worded`; market data: every name is read), and `pos`, where the line's row comes
    among its rule's: the lines whose names are of the first line's kind (worded or not) first, each in
    file order (the order the forecast's rows have always had). Market data: a symbol is a company."""
    name = pl.col("company").fill_null("")
    identity = [c for c in IDENTITY_COLUMNS if c in universe.columns]
    lines = (
        universe.lazy()
        .select(*_LINE_COLUMNS, *identity)
        .with_row_index("i")
        .with_columns(
            _ascii=name.str.len_bytes() == name.str.len_chars(),
            _worded=name.str.contains_any(list(R.NAME_WORDS), ascii_case_insensitive=True)
            if from_file
            else pl.lit(True),
        )
        .with_columns(
            pos=pl.col("i").cast(pl.Int64) + pl.len() * (pl.col("_worded") != pl.col("_worded").first())
        )
    )
    if not from_file:
        lines = lines.with_columns(
            company_key=pl.col("i").first().over("symbol"),
            issuer_lists_units=pl.lit(False),  # read by the name screens alone, which market data skips
        )
        return lines.collect(engine="in-memory")
    lines = lines.with_columns(
        stem=line_stem(pl.col("company")),
        units=name.str.contains(r"(?i)(?-u:\b)units?(?-u:\b)"),  # a blank-check company lists its units
    )
    keyed = company_keys(lines.collect(engine="in-memory")).drop("stem", "units")
    if "cik" not in identity:
        return keyed.with_columns(cik=pl.lit(None, pl.Int64), listed_units=pl.lit(False))
    # The lines of one CIK are one company (its classes), keyed by its first line; and a company that
    # listed units under its own ticker in an SEC map lists them as much as one whose units the file prints.
    by_cik = pl.col("i").min().over("cik")
    return keyed.with_columns(
        company_key=pl.when(pl.col("cik").is_not_null()).then(by_cik).otherwise(pl.col("company_key")),
        issuer_lists_units=pl.col("issuer_lists_units") | pl.col("listed_units").fill_null(False),
    )


_LINE_COLUMNS = [
    "symbol",
    "listed_symbol",
    "company",
    "price",
    "market_cap",
    "country",
    "ipo_year",
    "volume",
    "industry",
    "source_line",
]


def _screened(lines: pl.LazyFrame, active: dict, from_file: bool, ascii_only: bool) -> pl.DataFrame:
    """`lines` with `excluded`: the first screen of rules.py that excludes each (null: none). Each name
    is searched once for each pattern the screens read (rules.NAME_PATTERNS), by its kind: an ASCII name
    (every name the screener prints) in lower case, against the pattern in lower case (several times
    faster than a search in any case); an ASCII name without any of rules.NAME_WORDS matches none; any
    other name in any case (a name beyond ASCII may match through a letter whose case folds to ASCII,
    such as `ſ`)."""
    screens = {
        rule: row for rule, row in active.items() if rule in R.SCREENS and (from_file or rule == "preferred")
    }
    read = {c for rule, row in screens.items() for c in R.screen(rule, row["source"]).meta.root_names()}
    patterns = [p for p in R.NAME_PATTERNS if R.NAME + p in read]
    name = pl.col("company").fill_null("")
    kinds = {  # which lines, and how a pattern is matched in their names
        "ASCII, worded": (
            pl.col("_ascii") & pl.col("_worded"),
            lambda p: name.str.to_lowercase().str.contains(p.lower()),
        ),
        "ASCII": (pl.col("_ascii") & ~pl.col("_worded"), lambda p: pl.lit(False)),
        "beyond ASCII": (~pl.col("_ascii"), lambda p: name.str.contains(f"(?i){p}")),
    }
    if ascii_only:  # every name the screener prints
        del kinds["beyond ASCII"]
    return (
        pl.concat(
            lines.filter(which).with_columns(match(p).alias(R.NAME + p) for p in patterns)
            for which, match in kinds.values()
        )
        .with_columns(excluded=_excluded(screens))
        .drop(*(R.NAME + p for p in patterns), "_ascii")
        .collect(engine="in-memory")
    )


def _excluded(screens: dict[str, dict]) -> pl.Expr:
    """The first of `screens` (rules.py's rows) that excludes each line (null: none); those that read
    names only where the name holds one of their words."""
    out = pl.lit(None, R.RULE)
    for rule, row in reversed(screens.items()):
        expr = R.screen(rule, row["source"])
        if row["to"] != "all":
            expr = expr & (pl.col("member") if row["to"] == "member" else ~pl.col("member"))
        if rule in R.BY_NAME:
            expr = expr & pl.col("_worded")
        out = pl.when(expr).then(pl.lit(rule, R.RULE)).otherwise(out)
    return out


def _averages(history: pl.DataFrame | None, rank_day: date) -> pl.DataFrame:
    """symbol, average_30d: each symbol's average close over the 30 days before `rank_day` (the member
    price rule's), from `history` (symbol, date, close); none where it holds no closes then."""
    if history is None or not history.height:
        return pl.DataFrame(schema={"symbol": pl.String, "average_30d": pl.Float64})
    window = pl.col("date").is_between(rank_day - timedelta(days=30), rank_day, closed="left")
    return history.filter(window).group_by("symbol").agg(average_30d=pl.col("close").mean())


def _companies(
    lines: pl.DataFrame,
    active: dict,
    averages: pl.DataFrame,
    year: int,
    listing_age: bool,
) -> pl.DataFrame:
    """The companies of the eligible lines, priced by the most traded one (ties: the first symbol), each
    with the screens of a company as a whole (`company_excluded`: a market cap, its size, its price, a
    member's 30-day average where the price is below); the others ranked by total market cap, largest
    first (ties by symbol): `rank` and `cumulative_cap_pct` (of the Russell 3000E's total: the top
    `break_r3000e` companies). New companies ranked within the Russell 1000 whose listing (IPO year) is
    known to precede the previous reconstitution's year are `listed_before`: the ranking then left them
    out (rules.py `previous`), so they are ranked without them; only with `listing_age` (a universe file,
    and members that are the previous reconstitution's whole Russell 3000)."""
    companies = (
        lines.lazy()
        .filter(pl.col("excluded").is_null())
        .sort(
            "company_key",
            pl.col("volume").fill_null(0) * pl.col("price").fill_null(0),  # the most traded first
            "symbol",
            descending=[False, True, False],
        )
        .group_by("company_key")
        .agg(_COMPANY)
    )
    companies = companies.join(averages.lazy(), left_on="primary_symbol", right_on="symbol", how="left")
    member_rule = active.get("min_price_member")
    member_ok = pl.col("average_30d").fill_null(0) >= member_rule["value"] if member_rule else pl.lit(False)
    below = pl.col("company_price") < active["min_price"]["value"]
    cap = pl.col("total_market_cap")
    voting = active.get("voting_rights")
    no_vote = pl.col("no_vote") if voting and voting["to"] == "all" else pl.col("no_vote") & ~pl.col("member")
    screened = (
        pl.when(cap.fill_null(0) <= 0)
        .then(_LABEL["no_market_cap"])
        .when(no_vote if voting else pl.lit(False))
        .then(_LABEL["voting_rights"])
        .when(cap < active["min_total_cap"]["value"])
        .then(_LABEL["min_total_cap"])
        .when(pl.col("company_price").is_null())
        .then(_LABEL["no_market_cap"])
        .when(below & ~pl.col("member"))
        .then(_LABEL["min_price"])
        .when(below & pl.col("member") & ~member_ok)
        .then(_LABEL["min_price_member"])
    )
    listed_before = pl.lit(False)
    if listing_age:  # a universe file (the market data says nothing of a listing's age) and a list before
        cut = cap.slice(int(active["break_r1000"]["value"]) - 1, 1).first()  # at the Russell 1000 break
        listed_before = (
            ~pl.col("member") & (cap > cut) & (pl.col("ipo_year").fill_null(0) < year - 1)
        ).fill_null(False)
    # The ranking without the companies listed before (a running count and sum that skip them).
    kept = ~pl.col("listed_before")
    total = cap.filter(kept).head(int(active["break_r3000e"]["value"])).sum()
    companies = companies.with_columns(company_excluded=screened)
    ranked = (
        companies.filter(pl.col("company_excluded").is_null())
        .sort("total_market_cap", "primary_symbol", descending=[True, False])
        .with_columns(listed_before=listed_before)
        .with_columns(
            rank=pl.when(kept).then(kept.cum_sum().cast(pl.Int64)),
            cumulative_cap_pct=pl.when(kept).then(
                pl.when(kept).then(cap).otherwise(0.0).cum_sum()
                * 100
                / pl.when(total != 0).then(total).otherwise(1.0)
            ),
        )
    )
    unranked = companies.filter(pl.col("company_excluded").is_not_null())
    return pl.concat([ranked, unranked], how="diagonal").collect(engine="in-memory")


# A company of lines: its most traded line (the first) prices it, and gives its total market cap where it
# prints one (the screener prints the company's total on each class line at that class's price, so a
# thinly traded class at a higher price would overstate it).
_COMPANY = [
    pl.col("symbol").first().alias("primary_symbol"),
    pl.col("price").first().alias("company_price"),
    pl.when(pl.col("market_cap").first() > 0)
    .then(pl.col("market_cap").first())
    .otherwise(pl.col("market_cap").max())
    .alias("total_market_cap"),
    pl.col("ipo_year").max(),
    *(pl.col(c).first() for c in ("member", "in_r3000", "segment", "in_micro")),
    # every listed class says it carries no vote: the company's voting class is not listed
    pl.col("company").fill_null("").str.contains(r"(?i)\bnon[- ]?voting\b").all().alias("no_vote"),
]


def _breaks(companies: pl.DataFrame, active: dict, review: str) -> pl.DataFrame:
    ranks = {name: int(active[rule]["value"]) for name, rule, _ in _BREAKS}
    at = {
        rank: (cap, pct)
        for rank, cap, pct in companies.filter(pl.col("rank").is_in(list(ranks.values())))
        .select("rank", "total_market_cap", "cumulative_cap_pct")
        .iter_rows()
    }
    rows = []
    for name, _, band in _BREAKS:
        cap, pct = at.get(ranks[name], (None, None))
        width = active[band]["value"] if band in active and pct is not None else None
        rows.append((review, name, ranks[name], cap, pct, width and pct - width, width and pct + width, None))
    return pl.DataFrame(rows, schema=BREAK_COLUMNS, orient="row")


_BREAKS = (
    (R1000, "break_r1000", "band_r1000"),
    (R2000, "break_r2000", "band_r2000"),
    (R3000, "break_r3000", None),
    ("Russell 3000E", "break_r3000e", None),
)


def _placed(companies: pl.DataFrame, b: dict, active: dict) -> pl.LazyFrame:
    """Each company's index after the review (`index_after`, `microcap_after`, `banded`: kept by the
    band)."""
    rank, pct = pl.col("rank"), pl.col("cumulative_cap_pct")
    r1000, r2000, r3000, r3000e = (
        active[f"break_{k}"]["value"] for k in ("r1000", "r2000", "r3000", "r3000e")
    )
    low, high = b[R1000]["band_low_pct"], b[R1000]["band_high_pct"]
    in_band = pct.is_between(low, high) if low is not None else pl.lit(False)
    banded = in_band & pl.col("segment").is_not_null() & pl.col("in_r3000").fill_null(False) & (rank <= r3000)
    by_rank = pl.when(rank <= r1000).then(_LABEL[R1000]).when(rank <= r3000).then(_LABEL[R2000])
    after = (
        pl.when(rank.is_null())
        .then(pl.lit(None, INDEX))
        .when(banded)
        .then(pl.col("segment"))
        .otherwise(by_rank.when(rank <= r3000e).then(_LABEL[MICRO]))
    )
    micro_low, micro_high = b[R2000]["band_low_pct"], b[R2000]["band_high_pct"]
    micro_band = pct.is_between(micro_low, micro_high) if micro_low is not None else pl.lit(False)
    micro = (
        pl.when(rank.is_null() | (rank > r3000e))
        .then(False)
        .when(micro_band & pl.col("in_micro").is_not_null() & (pl.col("segment") == R2000))
        .then(pl.col("in_micro"))
        .otherwise(rank > r2000)
    )
    return companies.lazy().select(
        "company_key",
        "primary_symbol",
        "company_price",
        "total_market_cap",
        "company_excluded",
        "rank",
        "cumulative_cap_pct",
        "average_30d",
        "listed_before",
        index_after=after,
        microcap_after=micro,
        banded=banded,
    )


def _rows(lines: pl.DataFrame, placed: pl.LazyFrame, review: str, rank_day: date) -> pl.DataFrame:
    """Each line's row: its company's place, its index before and after, its action and rule (the
    columns the reasons read beside them), the rows of each rule together: the rules in the order of
    their first row (`pos`), each rule's rows in that order."""
    return (
        lines.lazy()
        .select(  # what the rows read of a line (the others are not carried through the join)
            "symbol",
            "company",
            "country",
            "price",
            "ipo_year",
            "source_line",
            "renamed_from",
            "pos",
            "company_key",
            "member",
            "in_r3000",
            "segment",
            "symbol_member",
            "excluded",
            "evidence",
            "line_priced",
            "line_average_30d",
            "replaces_class",
        )
        .join(placed, on="company_key", how="left")
        .with_columns(
            index_before=_BEFORE,
            index_after=pl.when(pl.col("excluded").is_null()).then(pl.col("index_after")),
        )
        .with_columns(action=_ACTION, reused=_REUSED)
        .with_columns(
            index_after=pl.when(_NO_CAP_MEMBER).then(pl.col("index_before")).otherwise(pl.col("index_after")),
            rule=_RULE,
        )
        .sort(pl.col("pos").min().over("rule") * 2 * pl.len() + pl.col("pos"))  # one key (pos < 2 x rows)
        .select(
            *(c for c in FORECAST_COLUMNS if c not in ("review", "rank_day", "reason")),
            "renamed_from",
            "reused",
            "average_30d",
            "company_price",
            "ipo_year",
            "line_priced",
            "line_average_30d",
            "replaces_class",
            review=pl.lit(review),
            rank_day=pl.lit(rank_day, pl.Date),
        )
        .collect(engine="in-memory")
    )


# A line's index before the review (null: not a member, the member's symbol now names another security
# of its company, or the line is a class that takes the place of its company's printed class).
_BEFORE = (
    pl.when(
        ~pl.col("member")
        | (pl.col("excluded").is_not_null() & ~pl.col("symbol_member"))
        | pl.col("replaces_class")
    )
    .then(pl.lit(None, INDEX))
    .when(pl.col("in_r3000"))
    .then(pl.col("segment").fill_null(_LABEL[R3000]))
    .otherwise(_LABEL[MICRO])
)
_NO_CAP_MEMBER = (
    pl.col("member") & pl.col("excluded").is_null() & (pl.col("company_excluded") == "no_market_cap")
)
# A member's own symbol that now lists another kind of security (a preferred share, a warrant): the
# member's common stock is not in the universe (a class below the minimum price is still its stock).
_REUSED = pl.col("symbol_member") & pl.col("excluded").is_not_null() & ~pl.col("excluded").is_in(PRICE_RULES)
# The action, for the Russell 3000, from the index before and after.
_WAS_IN = pl.col("index_before").is_in([R1000, R2000, R3000])
_IS_IN = pl.col("index_after").is_in([R1000, R2000])
_ACTION = (
    pl.when(_REUSED)
    .then(_LABEL["absent"])
    .when(_NO_CAP_MEMBER)
    .then(_LABEL["stay"])
    .when(_WAS_IN & _IS_IN & (pl.col("index_before") == R2000) & (pl.col("index_after") == R1000))
    .then(_LABEL["move_up"])
    .when(_WAS_IN & _IS_IN & (pl.col("index_before") == R1000) & (pl.col("index_after") == R2000))
    .then(_LABEL["move_down"])
    .when(_WAS_IN & _IS_IN)
    .then(_LABEL["stay"])
    .when(_WAS_IN)
    .then(_LABEL["delete"])
    .when(_IS_IN)
    .then(_LABEL["add"])
    .otherwise(_LABEL["out"])
)
_RULE = pl.coalesce(
    "excluded",
    "company_excluded",
    pl.when(pl.col("listed_before").fill_null(False)).then(_LABEL["listed_before"]),
    pl.when(pl.col("banded")).then(_LABEL["band_r1000"]),
    pl.when(pl.col("action").is_in(["add", "delete", "out"])).then(_LABEL["break_r3000"]),
    _LABEL["break_r1000"],
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
        evidence="evidence",
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
