"""The forecast of one review: every security of a rank-day universe and every member in force, with
the index it is in before and after, the action and its reason, by the rules of rules.py.

The steps, each FTSE Russell's (Construction and Methodology, sections 5-6; docs/methodology.md
section 12):
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

R1000, R2000, R3000, MICRO = "Russell 1000", "Russell 2000", "Russell 3000", "Russell Microcap"
SEGMENTS = (R1000, R2000)
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
MEMBER_INDEXES = (R1000, R2000, R3000, MICRO, "Russell 3000E")
# Name words that say which class or kind of share a line is, not which company: removed to find the
# company's name stem.
_SHARE_WORDS = (
    r"\b(class|cl|series)\s+[a-z0-9]\b|\bcommon stock\b|\bcapital stock\b|\bordinary shares?\b|\bcommon "
    r"shares?\b|\bsubordinate voting shares?\b|\bnon[- "
    r"]?voting\b|\bvoting\b|\bshares?\b|\bstock\b|\bnew\b|\bwarrants?\b|\brights?\b|\b(sub)?units?\b"
)
_LEGAL = r"\b(inc|incorporated|corp|corporation|co|company|ltd|limited|plc|llc|lp|holdings?|group|the)\b"


@dataclass(frozen=True)
class Forecast:
    rows: pl.DataFrame  # FORECAST_COLUMNS
    breaks: pl.DataFrame  # BREAK_COLUMNS
    notes: list[str] = field(default_factory=list)  # what the forecast could not know, one line each


def name_stem(company: pl.Expr) -> pl.Expr:
    """A company's name without its share class and legal form: `BERKSHIRE HATHAWAY` for both classes."""
    return (
        company.fill_null("")
        .str.to_lowercase()
        .str.replace_all("&", " and ")
        .str.replace_all(_SHARE_WORDS, " ")
        .str.replace_all(r"[^a-z0-9 ]", " ")
        .str.replace_all(_LEGAL, " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


# Where a universe line's name stops naming the company and starts naming the security.
_SECURITY = (
    r"(?i)[\s,]+(class|series|cl|common|ordinary|capital "
    r"stock|warrants?|units?|subunits?|rights?|preferred|depositary|depository|american "
    r"depositary|shares?|subordinate|non[- ]?voting|voting|\d[\d.]*%)(?-u:\b).*$"
)


def _line_stem(company: pl.Expr) -> pl.Expr:
    """A universe line's company name: its name up to the words that name the security, in lower case
    (`Alphabet Inc. Class C Capital Stock` and `... Class A Common Stock` are `alphabet inc.`)."""
    return company.fill_null("").str.replace(_SECURITY, "").str.strip_chars().str.to_lowercase()


def _companies(lines: pl.DataFrame) -> pl.Series:
    """A company key per line: lines sharing a name stem are one company while, from the largest down,
    each market cap is within 5% of the one before or implies the same share count (cap / price: the
    screener prints the company's total cap on every class line, at that class's price); a line
    without a cap joins its stem's company when the stem has only one."""
    cap = pl.col("market_cap").fill_null(0)
    shares = (pl.col("market_cap") / pl.col("price")).fill_nan(None)
    ordered = (
        lines.select("symbol", "stem", "market_cap", "price")
        .with_row_index("i")
        .sort(["stem", "market_cap", "symbol"], descending=[False, True, False], nulls_last=True)
    )
    same_shares = ((shares - shares.shift(1)).abs() <= 0.005 * shares).fill_null(False)
    starts = (
        (pl.col("stem") != pl.col("stem").shift(1)).fill_null(True)
        | (pl.col("stem") == "")
        | ((cap > 0) & (cap < 0.95 * cap.shift(1).fill_null(0)) & ~same_shares)
        | ((cap <= 0) & (cap.shift(1).fill_null(0) <= 0) & (pl.col("stem") != pl.col("stem").shift(1)))
    )
    ordered = ordered.with_columns(cluster=starts.cum_sum())
    # Lines without a cap: the stem's company when its capped lines are one company, else their own.
    capped = (
        ordered.filter(cap > 0)
        .group_by("stem")
        .agg(n=pl.col("cluster").n_unique(), only=pl.col("cluster").first())
    )
    ordered = ordered.join(capped, on="stem", how="left").with_columns(
        cluster=pl.when((cap <= 0) & (pl.col("n") == 1) & (pl.col("stem") != ""))
        .then(pl.col("only"))
        .when(cap <= 0)
        .then(-pl.col("i").cast(pl.Int64) - 1)
        .otherwise(pl.col("cluster"))
    )
    keyed = ordered.with_columns(
        company_key=pl.col("symbol")
        .sort_by(pl.col("market_cap").fill_null(0), descending=True)
        .first()
        .over("cluster")
    )
    return keyed.sort("i")["company_key"]


def member_table(members: pl.DataFrame) -> pl.DataFrame:
    """One row per member symbol: its company, whether it is in the Russell 3000, its segment (1000 or
    2000, null where the lake knows only the 3000), whether it is in the Microcap (null: unknown)."""
    m = members.filter(pl.col("index_name").is_in(MEMBER_INDEXES))
    known_micro = m["index_name"].is_in([MICRO]).any()
    return m.group_by("symbol").agg(
        member_company=pl.col("company").first(),
        in_r3000=pl.col("index_name").is_in([R1000, R2000, R3000]).any(),
        segment=pl.when(pl.col("index_name").is_in([R1000]).any())
        .then(pl.lit(R1000))
        .when(pl.col("index_name").is_in([R2000]).any())
        .then(pl.lit(R2000)),
        in_micro=pl.col("index_name").is_in([MICRO]).any() if known_micro else pl.lit(None, pl.Boolean),
    )


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
    lines = universe.select(
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
    ).with_columns(stem=_line_stem(pl.col("company")) if from_file else pl.col("symbol"))
    units = pl.col("company").fill_null("").str.contains(r"(?i)(?-u:\b)units?(?-u:\b)")
    lines = lines.with_columns(
        company_key=_companies(lines) if from_file else pl.col("symbol"),
        issuer_lists_units=pl.col("stem").is_in(pl.col("stem").filter(units).implode())
        & (pl.col("stem") != ""),
    )
    mtable = member_table(members.select("symbol", "company", "index_name").cast(pl.String))
    # Renamed members: a member symbol the universe lacks whose name stem is one company's, once.
    absent = mtable.join(lines.select("symbol"), on="symbol", how="anti")
    member_lines = lines.join(mtable, on="symbol", how="semi")
    free = lines.join(member_lines.select("company_key").unique(), on="company_key", how="anti")
    renamed = pl.DataFrame(schema={"symbol": pl.String, "company_key": pl.String, "renamed_from": pl.String})
    if from_file and absent.height:
        wanted = absent.select(stem=name_stem(pl.col("member_company")))
        first = pl.col("stem").str.extract(r"^(\S+)")
        words = wanted.select(first.unique())["stem"].drop_nulls().implode()
        free = free.filter(pl.col("company").str.to_lowercase().str.extract(r"^(\S+)").is_in(words))
        stems = (
            free.with_columns(stem=name_stem(pl.col("company")))
            .group_by("stem")
            .agg(pl.col("company_key").n_unique().alias("n"), pl.col("company_key").first())
        )
        stems = stems.filter((pl.col("n") == 1) & (pl.col("stem") != ""))
        matched = absent.with_columns(stem=name_stem(pl.col("member_company"))).join(stems, on="stem")
        matched = matched.filter(pl.col("company_key").is_unique())
        renamed = matched.select(pl.col("company_key"), renamed_from=pl.col("symbol"))
        absent = absent.join(matched.select("symbol"), on="symbol", how="anti")
    # Each company's membership: any of its lines a member, or a renamed member.
    keyed = lines.join(mtable, on="symbol", how="left")
    by_company = (
        pl.concat(
            [
                keyed.select(
                    "company_key",
                    "in_r3000",
                    "segment",
                    "in_micro",
                    pl.lit(None, pl.String).alias("renamed_from"),
                ),
                renamed.join(mtable.rename({"symbol": "renamed_from"}), on="renamed_from").select(
                    "company_key", "in_r3000", "segment", "in_micro", "renamed_from"
                ),
            ]
        )
        .filter(pl.col("in_r3000").is_not_null())
        .group_by("company_key")
        .agg(
            member=pl.lit(True),
            in_r3000=pl.col("in_r3000").any(),
            segment=pl.col("segment").drop_nulls().first(),
            in_micro=pl.col("in_micro").drop_nulls().first(),
            renamed_from=pl.col("renamed_from").drop_nulls().first(),
        )
    )
    lines = lines.join(by_company, on="company_key", how="left").with_columns(
        pl.col("member").fill_null(False), symbol_member=pl.col("symbol").is_in(mtable["symbol"].implode())
    )
    lines = _screened(lines, active, from_file)
    # Companies: the eligible lines of each, priced by the most traded one.
    eligible = lines.filter(pl.col("excluded").is_null())
    companies = (
        eligible.with_columns(traded=pl.col("volume").fill_null(0) * pl.col("price").fill_null(0))
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
    )
    companies = _company_screens(companies, active, history, rank_day, from_file)
    ranked = (
        companies.filter(pl.col("company_excluded").is_null())
        .sort(["total_market_cap", "primary_symbol"], descending=[True, False])
        .with_row_index("rank", offset=1)
        .with_columns(pl.col("rank").cast(pl.Int64))
    )
    top = ranked.filter(pl.col("rank") <= active["break_r3000e"]["value"])
    total = top["total_market_cap"].sum() or 1.0
    ranked = ranked.with_columns(cumulative_cap_pct=pl.col("total_market_cap").cum_sum() * 100 / total)
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
    lines = lines.with_row_index("_at").with_columns(_worded=worded if from_file else pl.lit(False))
    parts = []
    for (named,), part in lines.partition_by("_worded", as_dict=True).items():
        flags = {}
        for rule, expr, to in screens:
            if not named and rule in R.BY_NAME:
                continue
            who = ~pl.col("member") if to == "new" else pl.col("member") if to == "member" else pl.lit(True)
            flags[f"_{rule}"] = (expr & who).fill_null(False)
        part = part.lazy().with_columns(**flags).collect()
        excluded = pl.lit(None, pl.String)
        for rule, _, _ in reversed(screens):
            if f"_{rule}" in flags:
                excluded = pl.when(pl.col(f"_{rule}")).then(pl.lit(rule)).otherwise(excluded)
        parts.append(part.with_columns(excluded=excluded).drop(list(flags)))
    return pl.concat(parts).drop("_at", "_worded")


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
    kept = out.filter(~pl.col("listed_before")).drop("rank", "cumulative_cap_pct")
    kept = kept.with_row_index("rank", offset=1).with_columns(pl.col("rank").cast(pl.Int64))
    top = kept.filter(pl.col("rank") <= active["break_r3000e"]["value"])
    total = top["total_market_cap"].sum() or 1.0
    kept = kept.with_columns(cumulative_cap_pct=pl.col("total_market_cap").cum_sum() * 100 / total)
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
    out = lines.join(
        placed.select(
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
    return _with_reasons(
        out.select(
            *FORECAST_COLUMNS.keys() - {"reason"},
            "renamed_from",
            "reused",
            "average_30d",
            "company_price",
            "ipo_year",
        ),
        b,
        r3000,
    )


def _fixed(x: pl.Expr, places: int) -> pl.Expr:
    """A number as text with `places` decimals and thousands grouped: 1234.5 -> `1,234.50`."""
    scaled = (x * 10**places).round(0).cast(pl.Int64)
    whole = _grouped(scaled // 10**places)
    if not places:
        return whole
    return pl.format("{}.{}", whole, (scaled % 10**places).cast(pl.String).str.zfill(places))


def _grouped(n: pl.Expr) -> pl.Expr:
    """A whole number as text with thousands grouped: 3214 -> `3,214`."""
    text = n.cast(pl.String)
    return text.str.reverse().str.replace_all(r"(\d{3})(\d)", "$1,$2").str.reverse()


def _money(x: pl.Expr) -> pl.Expr:
    """USD as `$1.23B` or `$164.0M`."""
    return (
        pl.when(x >= 1e9)
        .then(pl.format("${}B", _fixed(x / 1e9, 2)))
        .otherwise(pl.format("${}M", _fixed(x / 1e6, 1)))
    )


def _reason(rule: str, b: dict, r3000: int) -> pl.Expr:
    """One human line for the rows of one rule, with their numbers (evaluated on those rows only)."""
    rank, action = pl.col("rank"), pl.col("action")
    where = pl.format("rank {}", _grouped(rank))
    price = pl.format("price ${} below $1.00", _fixed(pl.col("company_price"), 2))
    if rule in R.SCREENS:
        text = R.SCREENS[rule][1]
        said = (
            pl.format(text.replace("{country}", "{}"), pl.col("country"))
            if "{country}" in text
            else pl.lit(text)
        )
        reused = pl.format(
            "a member's symbol, now a {}: its common stock is not in the universe file (renamed?)", said
        )
        return pl.when(pl.col("reused")).then(reused).otherwise(said)
    if rule == "no_market_cap":
        return (
            pl.when(action == "stay")
            .then(pl.lit("no market cap in the universe file: not ranked, kept as it stands"))
            .otherwise(pl.lit("no market cap in the universe file: not ranked"))
        )
    if rule == "min_total_cap":
        return pl.format("total market cap {} below $30.0M", _money(pl.col("total_market_cap")))
    if rule == "min_price":
        return price
    if rule == "min_price_member":
        return (
            pl.when(pl.col("average_30d").is_not_null())
            .then(pl.format("{}, and its 30-day average ${} too", price, _fixed(pl.col("average_30d"), 2)))
            .otherwise(
                pl.format(
                    "{}; its 30-day average (which keeps a member at $1.00 or more) is unknown: no closes "
                    "before rank day",
                    price,
                )
            )
        )
    if rule == "listed_before":
        return pl.format(
            "total market cap {}, above the Russell 1000 break, but not a member though listed {}: left out "
            "at the last reconstitution, taken to stay out",
            _money(pl.col("total_market_cap")),
            pl.format("since {}", pl.col("ipo_year")).fill_null("before (no IPO year given)"),
        )
    if rule == "band_r1000":
        low, high = b[R1000]["band_low_pct"], b[R1000]["band_high_pct"]
        return pl.format(
            f"{{}}: kept in the {{}}: within the band ({{}}% cumulative, band {low:.2f}-{high:.2f}%)",
            where,
            pl.col("index_after"),
            _fixed(pl.col("cumulative_cap_pct"), 2),
        )
    cap3000 = b[R3000]["market_cap"]
    below = f" (its market cap ${cap3000 / 1e6:,.1f}M)" if cap3000 is not None else ""
    return (
        pl.when(action.is_in(["delete", "out"]) & (rank > r3000))
        .then(pl.format("{}: below the Russell 3000 break" + below, where))
        .when(pl.col("index_before") == R3000)
        .then(pl.format("{}: {} (before: Russell 3000, its segment unknown)", where, pl.col("index_after")))
        .otherwise(pl.format("{}: {}", where, pl.col("index_after")))
    )


def _with_reasons(out: pl.DataFrame, b: dict, r3000: int) -> pl.DataFrame:
    """`out` with `reason`, computed rule by rule; a renamed member's says under which symbol it was one."""
    parts = [
        part.with_columns(reason=_reason(rule, b, r3000))
        for (rule,), part in out.partition_by("rule", as_dict=True).items()
    ]
    out = pl.concat(parts)
    renamed = pl.col("renamed_from").is_not_null() & ~pl.col("reused")
    if not out.select(renamed.any()).item():
        return out
    said = pl.format(
        "{}; a member as {}, listed now as {} (same company name)",
        pl.col("reason"),
        pl.col("renamed_from"),
        pl.col("symbol"),
    )
    return out.with_columns(reason=pl.when(renamed).then(said).otherwise(pl.col("reason")))


def _absent(absent: pl.DataFrame, review: str, rank_day: date) -> pl.DataFrame:
    return absent.select(
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
