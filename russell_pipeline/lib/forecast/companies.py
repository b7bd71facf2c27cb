"""Which lines of a universe are one company, and which companies are members: the classes of a
company (the screener prints the company's total market cap on every class line) rank once and
follow the company; a member whose symbol the universe lacks is matched by its company's name (a
renamed ticker) or is absent."""

from __future__ import annotations

import polars as pl

from russell_pipeline.lib.forecast.rules import MICRO, R1000, R2000, R3000

MEMBER_INDEXES = (R1000, R2000, R3000, MICRO, "Russell 3000E")
INDEX = pl.Enum([R1000, R2000, R3000, MICRO])  # an index a company is in, before or after
# Name words that say which class or kind of share a line is, not which company: removed to find the
# company's name stem.
_SHARE_WORDS = (
    r"\b(class|cl|series)\s+[a-z0-9]\b|\bcommon stock\b|\bcapital stock\b|\bordinary shares?\b|\bcommon "
    r"shares?\b|\bsubordinate voting shares?\b|\bnon[- "
    r"]?voting\b|\bvoting\b|\bshares?\b|\bstock\b|\bnew\b|\bwarrants?\b|\brights?\b|\b(sub)?units?\b"
)
_LEGAL = r"\b(inc|incorporated|corp|corporation|co|company|ltd|limited|plc|llc|lp|holdings?|group|the)\b"


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


def line_stem(company: pl.Expr) -> pl.Expr:
    """A universe line's company name: its name up to the words that name the security, in lower case
    (`Alphabet Inc. Class C Capital Stock` and `... Class A Common Stock` are `alphabet inc.`)."""
    name = company.fill_null("")
    # The name before the match (which runs to the end): found, then cut, at half the cost of a replace.
    cut = name.cast(pl.Binary).bin.head(name.str.find(_SECURITY)).cast(pl.String)  # find: a byte offset
    return pl.coalesce(cut, name).str.strip_chars().str.to_lowercase()


def company_keys(lines: pl.DataFrame) -> pl.DataFrame:
    """`lines` (`i`: their place, `symbol`, `stem`, `market_cap`, `price`, and `units`: the name says
    units) with `company_key`, the `i` of the company's largest line (ties: the first symbol), and
    `issuer_lists_units`: a line of its stem says units. Lines sharing a name stem are one company
    while, from the largest down, each market cap is within 5% of the one before or implies the same
    share count (cap / price: the screener prints the company's total cap on every class line, at that
    class's price); a line without a cap joins its stem's company when the stem has only one. A line
    alone in its stem (most are), or without one, is its own company: only the others are sorted."""
    cap = pl.col("market_cap").fill_null(0)
    shares = (pl.col("market_cap") / pl.col("price")).fill_nan(None)
    same_shares = ((shares - shares.shift(1)).abs() <= 0.005 * shares).fill_null(False)
    new_stem = (pl.col("stem") != pl.col("stem").shift(1)).fill_null(True)
    # In stem order, largest first: a company's lines with a cap follow its largest one.
    starts = new_stem | ((cap > 0) & (cap < 0.95 * cap.shift(1).fill_null(0)) & ~same_shares)
    # Lines without a cap: the stem's company when its capped lines are one company, else their own.
    one_company = _in_stem(pl.col("_start") & (cap > 0)) == 1
    shared = (
        lines.lazy()
        .filter(pl.col("stem").is_duplicated() & (pl.col("stem") != ""))
        .sort(["stem", "market_cap", "symbol"], descending=[False, True, False], nulls_last=True)
        .with_columns(_new=new_stem, _start=starts)
        .select(
            "i",
            key=pl.when(cap > 0)
            .then(pl.when(pl.col("_start")).then(pl.col("i")).forward_fill())
            .when(one_company)
            .then(pl.when(pl.col("_new")).then(pl.col("i")).forward_fill())
            .otherwise(pl.col("i")),
            units=_in_stem(pl.col("units")) > 0,
        )
        .collect(engine="in-memory")
    )
    # Looked up by place: the other lines are not copied, as a join would.
    return lines.with_columns(
        company_key=pl.col("i").replace_strict(shared["i"], shared["key"], default=pl.col("i")),
        issuer_lists_units=pl.col("i").is_in(shared.filter("units")["i"].implode())
        | (pl.col("units") & (pl.col("stem") != "")),
    )


def _in_stem(flag: pl.Expr) -> pl.Expr:
    """How many lines of a line's stem have `flag`, in stem order (stems are runs, `_new` their first
    line: the difference of a running count at the run's end and before its start)."""
    n = flag.cast(pl.Int64)
    counted = n.cum_sum()
    through = pl.when(pl.col("_new").shift(-1).fill_null(True)).then(counted).backward_fill()
    before = pl.when(pl.col("_new")).then(counted - n).forward_fill()
    return through - before


def member_table(members: pl.DataFrame) -> pl.DataFrame:
    """One row per member symbol: its company, whether it is in the Russell 3000, its segment (1000 or
    2000, null where the lake knows only the 3000), whether it is in the Microcap (null: unknown, where
    no member is known to be), and the evidence it is a member by (`evidence`: null where none is said)."""
    if "evidence" not in members.columns:
        members = members.with_columns(evidence=pl.lit(None, pl.String))
    return (
        members.lazy()
        .filter(pl.col("index_name").is_in(MEMBER_INDEXES))
        .group_by("symbol")
        .agg(
            member_company=pl.col("company").first(),
            evidence=pl.col("evidence").sort_by("index_name").drop_nulls().first(),
            in_r3000=pl.col("index_name").is_in([R1000, R2000, R3000]).any(),
            segment=pl.when(pl.col("index_name").is_in([R1000]).any())
            .then(pl.lit(R1000, INDEX))
            .when(pl.col("index_name").is_in([R2000]).any())
            .then(pl.lit(R2000, INDEX)),
            in_micro=pl.col("index_name").is_in([MICRO]).any(),
        )
        .with_columns(in_micro=pl.when(pl.col("in_micro").any()).then("in_micro"))
        .collect(engine="in-memory")
    )


def with_members(
    lines: pl.DataFrame, mtable: pl.DataFrame, from_file: bool
) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """(`lines` (with `company_key`), each with its company's membership (`member`, `in_r3000`,
    `segment`, `in_micro`, `renamed_from`, and `symbol_member`: the line's own symbol is a member's),
    the members the universe lacks under any name)."""
    keys = lines.select("symbol", "company_key")
    absent = mtable.join(keys, on="symbol", how="anti")
    renamed = pl.DataFrame(schema={"company_key": keys.schema["company_key"], "renamed_from": pl.String})
    # Renamed members: a member symbol the universe lacks whose name stem is one company's, once.
    if from_file and absent.height:
        member_keys = keys.join(mtable, on="symbol", how="semi").select("company_key").unique()
        free = lines.select("company", "company_key").join(member_keys, on="company_key", how="anti")
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
    # Each company's membership: any of its lines a member (in the lines' order), or a renamed member.
    by_company = (
        pl.concat(
            [
                keys.lazy()
                .join(mtable.lazy(), on="symbol", maintain_order="left")
                .select(
                    "company_key",
                    "in_r3000",
                    "segment",
                    "in_micro",
                    "evidence",
                    pl.lit(None, pl.String).alias("renamed_from"),
                ),
                renamed.lazy()
                .join(mtable.lazy().rename({"symbol": "renamed_from"}), on="renamed_from")
                .select("company_key", "in_r3000", "segment", "in_micro", "evidence", "renamed_from"),
            ]
        )
        .group_by("company_key")
        .agg(
            member=pl.lit(True),
            in_r3000=pl.col("in_r3000").any(),
            segment=pl.col("segment").drop_nulls().first(),
            in_micro=pl.col("in_micro").drop_nulls().first(),
            evidence=pl.col("evidence").drop_nulls().first(),
            renamed_from=pl.col("renamed_from").drop_nulls().first(),
        )
    )
    # The member symbols searched before the plan is made: a list in a plan is hashed value by value by the
    # plan's optimizations (about 2% of an 8,000-line forecast's instructions).
    lines = (
        lines.with_columns(symbol_member=pl.col("symbol").is_in(mtable["symbol"].implode()))
        .lazy()
        .join(by_company, on="company_key", how="left", maintain_order="left")
        .with_columns(pl.col("member").fill_null(False))
    )
    return lines, absent


# The price rules a line can fail on its own (`priced_classes`), beside the screens of its kind.
PRICE_RULES = ("min_price", "min_price_member")


def priced_classes(
    lines: pl.DataFrame, floor: float, averages: pl.DataFrame, member_rule: bool
) -> pl.DataFrame:
    """`lines` (with `company_key`, `member`, `symbol_member` and `excluded`: with_members, then the
    screens) with the minimum price applied to each class of a company that has one at `floor` or more
    (Construction and Methodology 5.8: each security closes at $1.00 or more on rank day): a class below
    it leaves (`excluded`: `min_price`; a member's own class `min_price_member`, unless `member_rule`
    and its 30-day average in `averages` (symbol, average_30d) is at `floor` or more), and the company
    is priced by the classes that pass. A company whose every class is below the floor is the company
    rule's (its most traded class prices it). `replaces_class`: the line is another class of a member
    company whose printed classes all leave so: FTSE Russell's lists name securities, so the member's
    class is deleted and this one added."""
    eligible = pl.col("excluded").is_null()
    plain = {
        "line_priced": pl.lit(False),
        "line_average_30d": pl.lit(None, pl.Float64),
        "replaces_class": pl.lit(False),
    }
    # Only a company with an eligible class below the floor and another eligible class can be priced by
    # another: the lines of those few companies are looked at, every other line passes as it is.
    found = (
        lines.lazy()
        .filter(eligible)
        .group_by("company_key")
        .agg(n=pl.len(), low=(pl.col("price") < floor).any())
        .filter((pl.col("n") > 1) & pl.col("low"))
        .collect(engine="in-memory")["company_key"]
    )
    if not found.len():
        return lines.with_columns(**plain)
    inside = pl.col("company_key").is_in(found.implode())
    some = lines.filter(inside)
    known = some.join(averages, on="symbol", how="left") if averages.height else some
    if "average_30d" not in known.columns:
        known = known.with_columns(average_30d=pl.lit(None, pl.Float64))
    kept_by_average = pl.col("symbol_member") & (pl.col("average_30d").fill_null(0) >= floor) & member_rule
    passes = eligible & ((pl.col("price") >= floor) | kept_by_average)
    below = eligible & ~passes & passes.any().over("company_key")
    rule = pl.when(pl.col("symbol_member")).then(pl.lit("min_price_member")).otherwise(pl.lit("min_price"))
    priced = known.with_columns(
        excluded=pl.when(below).then(rule.cast(known.schema["excluded"])).otherwise(pl.col("excluded")),
        line_priced=below,
        line_average_30d=pl.col("average_30d"),
    ).drop("average_30d")
    printed_out = (pl.col("symbol_member") & pl.col("line_priced")).any().over("company_key")
    printed_in = (pl.col("symbol_member") & eligible).any().over("company_key")
    priced = priced.with_columns(
        replaces_class=pl.col("member") & ~pl.col("symbol_member") & eligible & printed_out & ~printed_in
    )
    rest = lines.filter(~inside).with_columns(**plain)
    return pl.concat([rest, priced.select(rest.columns)]).sort("i")
