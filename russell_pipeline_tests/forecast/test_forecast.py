"""The forecast's rules, each on a universe generated for it: classes of one company, the bands, the
price and size screens on both sides of their thresholds, the hard break at rank 3,000, members missing
from the universe, renamed members, the security types and countries the rules exclude."""

from __future__ import annotations

import hashlib
from datetime import date

import polars as pl
import pytest

from russell_pipeline.lib.documents.universe import SCREENER_HEADER, read_universe
from russell_pipeline.lib.forecast import rules as R
from russell_pipeline.lib.forecast.predict import forecast
from russell_pipeline.lib.forecast.reasons import money

RANK_DAY = date(2023, 4, 28)


def line(
    symbol: str,
    name: str,
    price: float | str,
    cap: float | str,
    country: str = "United States",
    ipo: str = "",
    volume: int = 1000,
    industry: str = "EDP Services",
) -> list[str]:
    price_text = price if isinstance(price, str) else f"${price}"
    cap_text = cap if isinstance(cap, str) else f"{cap:.2f}"
    return [
        symbol,
        name,
        price_text,
        "0.1",
        "0.5%",
        cap_text,
        country,
        ipo,
        str(volume),
        "Technology",
        industry,
    ]


def universe(rows: list[list[str]]) -> pl.DataFrame:
    """A screener file of `rows`, read as the pipeline reads one."""
    text = "\n".join([",".join(SCREENER_HEADER), *(",".join(r) for r in rows)]) + "\n"
    data = text.encode()
    return read_universe("raw/2023/nasdaq_screener_2023-04-28.csv", data, hashlib.sha256(data).hexdigest())


def companies(n: int, cap: float = 1e9, start: int = 0, prefix: str = "C") -> list[list[str]]:
    """`n` US companies of equal cap `cap`, symbols C00000.., names Company 0.."""
    return [
        line(f"{prefix}{i:05d}", f"{prefix}ompany {i} Inc. Common Stock", 20.0, cap)
        for i in range(start, start + n)
    ]


def members(symbols: list[str], index: str = "Russell 3000") -> pl.DataFrame:
    return pl.DataFrame(
        {"symbol": symbols, "company": symbols, "index_name": index, "complete": True},
        schema_overrides={"complete": pl.Boolean},  # typed even with no member, as membership_in_force's
    )


def run(rows, member_frame=None, review="2023-06", **kw) -> pl.DataFrame:
    made = forecast(
        universe(rows), member_frame if member_frame is not None else members([]), review, RANK_DAY, **kw
    )
    return made.rows


def action(rows: pl.DataFrame, symbol: str) -> dict:
    found = rows.filter(pl.col("symbol") == symbol)
    assert found.height == 1, f"{symbol}: {found.height} rows"
    return found.row(0, named=True)


def test_a_company_with_three_classes_ranks_once_and_every_class_follows_it():
    # The screener prints the company's total cap on each class line, at that class's price.
    rows = [
        line("BIG", "Big Holdings Inc. Class A Common Stock", 50.0, 5e9),
        line("BIG.B", "Big Holdings Inc. Class B Common Stock", 100.0, 5e9),
        line("BIGK", "Big Holdings Inc. Class C Capital Stock", 49.0, 5e9),
        line("SMALL", "Small Corp Common Stock", 10.0, 1e9),
    ]
    out = run(rows, members(["BIG.B"]))
    big = out.filter(pl.col("primary_symbol") == out.filter(pl.col("symbol") == "BIG")["primary_symbol"][0])
    assert big.height == 3 and set(big["rank"]) == {1} and set(big["action"]) == {"stay"}
    assert action(out, "SMALL")["rank"] == 2 and action(out, "SMALL")["action"] == "add"
    # Not one company: the same stem with caps far apart (two companies named alike).
    apart = run(
        [
            line("FB1", "First Bancorp Common Stock", 10.0, 1e9),
            line("FB2", "First Bancorp Common Stock", 10.0, 3e9),
        ]
    )
    assert sorted(apart["rank"]) == [1, 2]


def test_the_3000_break_is_hard_for_members_and_new_companies_alike():
    rows = companies(3001, cap=1e9)
    # Equal caps rank by symbol: C03000 is rank 3,001.
    out = run(rows, members(["C03000", "C00005"]))
    assert action(out, "C03000")["action"] == "delete"
    assert "below the Russell 3000 break" in action(out, "C03000")["reason"]
    assert action(out, "C02999")["action"] == "add" and action(out, "C02999")["rank"] == 3000
    assert action(out, "C00005")["action"] == "stay"


@pytest.mark.parametrize(
    ("rank", "before", "after"),
    [
        (1100, "Russell 1000", "Russell 1000"),  # exactly at the band's upper edge: kept
        (1101, "Russell 1000", "Russell 2000"),  # one past it
        (900, "Russell 2000", "Russell 2000"),  # exactly at the band's lower edge: kept
        (899, "Russell 2000", "Russell 1000"),  # one past it
        (1050, None, "Russell 2000"),  # a new company: the hard cut at rank 1,000
    ],
)
def test_a_member_within_the_band_around_rank_1000_keeps_its_index(rank, before, after):
    # 4,000 companies of equal cap: rank k holds k x 100 / 4,000 % of the Russell 3000E, so the
    # rank-1,000 break is at 25% and the band 22.5-27.5%, at ranks 900 and 1,100 exactly.
    rows = companies(4000, cap=1e8)
    symbol = f"C{rank - 1:05d}"
    frame = (
        members([symbol], before).vstack(members(["C03999"], "Russell 3000"))
        if before
        else members(["C03999"], "Russell 3000")
    )
    # The segments of the other members are known: a Russell 1000 list and a Russell 2000 list in force.
    frame = frame.vstack(members(["C00000"], "Russell 1000" if before != "Russell 1000" else "Russell 2000"))
    out = run(rows, frame)
    row = action(out, symbol)
    assert row["index_after"] == after, row["reason"]
    if before == after:
        assert row["action"] == "stay" and "within the band" in row["reason"]
    elif before:
        assert row["action"] == ("move_down" if after == "Russell 2000" else "move_up")


@pytest.mark.parametrize(("price", "eligible"), [(0.99, False), (1.00, True), (1.01, True)])
def test_a_new_company_needs_a_close_of_one_dollar_on_rank_day(price, eligible):
    out = run([line("PENNY", "Penny Inc. Common Stock", price, 5e8)])
    row = action(out, "PENNY")
    assert (row["action"] == "add") is eligible
    if not eligible:
        assert row["rule"] == "min_price" and row["reason"] == "price $0.99 below $1.00"


@pytest.mark.parametrize(("average", "kept"), [(1.00, True), (0.99, False), (None, False)])
def test_a_member_below_one_dollar_stays_while_its_30_day_average_is_one_dollar_or_more(average, kept):
    history = (
        pl.DataFrame(schema={"symbol": pl.String, "date": pl.Date, "close": pl.Float64})
        if average is None
        else pl.DataFrame(
            {
                "symbol": ["PENNY"] * 2,
                "date": [date(2023, 4, 3), date(2023, 4, 27)],
                "close": [average - 0.01, average + 0.01],
            }
        )
    )
    out = run([line("PENNY", "Penny Inc. Common Stock", 0.99, 5e8)], members(["PENNY"]), history=history)
    row = action(out, "PENNY")
    assert row["action"] == ("stay" if kept else "delete"), row["reason"]
    if average is None:
        assert "30-day average" in row["reason"] and "unknown" in row["reason"]
    # A close older than the 30 days before rank day does not count.
    old = history.with_columns(date=pl.lit(date(2023, 3, 28)))
    assert (
        action(
            run([line("PENNY", "Penny Inc. Common Stock", 0.99, 5e8)], members(["PENNY"]), history=old),
            "PENNY",
        )["action"]
        == "delete"
    )


def two_classes(a_price: float, b_price: float) -> list[list[str]]:
    """One company of 100 million shares in two classes (the screener prints its total cap at each class's
    price), its series A the most traded."""
    return [
        line("TWMA", "Twin Media Inc. Series A Common Stock", a_price, a_price * 1e8, volume=500_000),
        line("TWMB", "Twin Media Inc. Series B Common Stock", b_price, b_price * 1e8, volume=700),
    ]


def test_each_class_must_close_at_one_dollar_and_the_classes_that_do_price_the_company():
    out = run(two_classes(0.80, 21.50))
    a, b = action(out, "TWMA"), action(out, "TWMB")
    assert a["action"] == "out" and a["rule"] == "min_price", a
    assert a["reason"] == (
        "price $0.80 below $1.00: each class must close at $1.00 or more, and its company ranks by its class "
        "TWMB at $21.50"
    )
    assert b["action"] == "add" and b["primary_symbol"] == "TWMB" and b["total_market_cap"] == 2.15e9, b
    # Every class below the price: the company's rule, priced by its most traded class, as before.
    out = run(two_classes(0.80, 0.95))
    for symbol in ("TWMA", "TWMB"):
        row = action(out, symbol)
        assert (
            row["action"] == "out"
            and row["rule"] == "min_price"
            and row["reason"] == "price $0.80 below $1.00"
        )


@pytest.mark.parametrize(("average", "printed_stays"), [(None, False), (1.00, True)])
def test_a_member_class_below_one_dollar_is_deleted_and_its_passing_class_added_in_its_place(
    average, printed_stays
):
    history = pl.DataFrame(
        {"symbol": ["TWMA"], "date": [date(2023, 4, 27)], "close": [average or 0.80]},
        schema={"symbol": pl.String, "date": pl.Date, "close": pl.Float64},
    )
    out = run(two_classes(0.80, 3.82), members(["TWMA"]), history=history if average else None)
    a, b = action(out, "TWMA"), action(out, "TWMB")
    if printed_stays:  # its 30-day average keeps the member's class: the company is as it was
        assert a["action"] == "stay" and b["action"] == "stay", (a, b)
        return
    assert a["action"] == "delete" and a["rule"] == "min_price_member", a
    assert "its company ranks by its class TWMB at $3.82" in a["reason"] and "unknown" in a["reason"]
    assert b["action"] == "add" and b["index_before"] is None, b
    assert b["reason"].endswith(
        "another class of a member company whose printed class leaves below $1.00: added in its place"
    )


@pytest.mark.parametrize(("cap", "eligible"), [(29_999_999.0, False), (30_000_000.0, True)])
def test_a_company_needs_a_total_market_cap_of_30_million(cap, eligible):
    row = action(run([line("TINY", "Tiny Inc. Common Stock", 5.0, cap)]), "TINY")
    assert (row["action"] == "add") is eligible
    assert eligible or row["rule"] == "min_total_cap"


def test_a_member_missing_from_the_universe_is_absent_not_deleted_and_a_renamed_one_stays():
    rows = [
        line("NEWT", "Renamed Widgets Inc. Common Stock", 20.0, 1e9),
        line("OTHER", "Other Inc. Common Stock", 20.0, 1e9),
    ]
    frame = pl.DataFrame(
        {
            "symbol": ["GONE", "OLDT"],
            "company": ["GONE HOLDINGS INC", "RENAMED WIDGETS INC"],
            "index_name": "Russell 3000",
            "complete": True,
        }
    )
    out = run(rows, frame)
    gone = action(out, "GONE")
    assert gone["action"] == "absent" and gone["reason"].startswith("not in the universe file")
    newt = action(out, "NEWT")
    assert newt["action"] == "stay" and "a member as OLDT" in newt["reason"]
    assert action(out, "OTHER")["action"] == "add"
    assert out.filter(pl.col("symbol") == "OLDT").height == 0


def test_absent_members_come_in_the_same_order_every_time():
    """Rebuilds are byte for byte: the members missing from the universe are listed by symbol, whatever
    order the grouping of the members left them in."""
    symbols = [f"GONE{k:02d}" for k in range(40)]
    frame = pl.DataFrame(
        {
            "symbol": symbols[::-1],
            "company": [f"GONE {s} INC" for s in symbols[::-1]],
            "index_name": "Russell 3000",
            "complete": True,
        }
    )
    out = run([line("OTHER", "Other Inc. Common Stock", 20.0, 1e9)], frame)
    assert out.filter(pl.col("action") == "absent")["symbol"].to_list() == symbols


@pytest.mark.parametrize(
    ("symbol", "name", "country", "industry", "rule"),
    [
        ("PRF^A", "Pref Corp 6% Series A Preferred Stock", "United States", "Banks", "preferred"),
        ("WRNTW", "Warrant Co Inc. Warrant", "United States", "EDP Services", "warrant_right_unit"),
        ("ADRX", "Foreign Co Ltd. American Depositary Shares", "China", "EDP Services", "depositary"),
        ("FNDX", "Income Fund Inc. Common Shares", "United States", "Investment Managers", "fund"),
        (
            "SPCA",
            "Blank Acquisition Corp. Class A Common Stock",
            "United States",
            "Blank Checks",
            "blank_check",
        ),
        ("LPX", "Pipeline Partners L.P. Common Units", "United States", "Natural Gas", "partnership"),
        ("LLCX", "Acres Holdings LLC Class A Common Shares", "United States", "Real Estate", "partnership"),
        ("ISRL", "Israel Tech Ltd. Ordinary Shares", "Israel", "EDP Services", "us_company"),
        ("PLCX", "Overseas plc Ordinary Shares", "", "EDP Services", "us_company_form"),
    ],
)
def test_each_excluded_kind_is_out_by_its_rule_and_a_member_keeps_its_classification(
    symbol, name, country, industry, rule
):
    rows = [line(symbol, name, 20.0, 2e9, country=country, industry=industry)]
    row = action(run(rows), symbol)
    assert row["action"] == "out" and row["rule"] == rule, row
    assert row["reason"] == R.SCREENS[rule][1].format(country=country)
    # For a member, FTSE Russell's own classification stands; a share type never is one.
    kept = action(run(rows, members([symbol])), symbol)
    if R.RULES.filter(pl.col("rule") == rule)["to"][0] == "new":
        assert kept["action"] == "stay", kept
    else:
        assert kept["action"] == "absent" and "now a" in kept["reason"]


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("Acres Holdings L.L.C. Common Stock", "partnership"),
        ("Acres Holdings LLC Class A Common Shares", "partnership"),
        ("Allcity Corp. Common Stock", None),  # `llc` inside a word is no legal form
        ("Acres Holdings Co. Common Stock", None),
    ],
)
def test_a_limited_liability_company_is_excluded_as_a_partnership_is(name, rule):
    row = action(run([line("ACR", name, 20.0, 2e9)]), "ACR")
    assert (row["action"], row["rule"]) == (("add", "break_r3000") if rule is None else ("out", rule)), row


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("NexGen Diversified Real Estate Trust Common Stock", None),  # a REIT, whatever its industry says
        ("NexGen Real Estate Income Trust Common Stock", "fund"),  # an income trust: a fund
        ("NexGen Real Estate Trust Fund Common Stock", "fund"),
        ("NexGen Diversified Trust Common Stock", "fund"),
    ],
)
def test_a_real_estate_trust_is_a_reit_not_a_fund(name, rule):
    # The screener's industry of a fund that became a REIT stays a financial one a while.
    row = action(run([line("NXG", name, 20.0, 2e9, industry="Investment Managers")]), "NXG")
    assert (row["action"], row["rule"]) == (("add", "break_r3000") if rule is None else ("out", rule)), row


@pytest.mark.parametrize(
    ("name", "industry", "rule"),
    [
        ("Peak Realty Trust Common Shares", "Real Estate Investment Trusts", None),  # a US trust's shares
        ("Peak Storage Trust Common Shares of Beneficial Interest", "Real Estate Investment Trusts", None),
        ("Peak Homes Common Shares", "Real Estate Investment Trusts", None),
        ("Peak Mining Corp. Common Shares", "Metal Mining", "us_company_form"),  # no Country: foreign
        ("Peak Realty Trust Ltd. Common Shares", "Real Estate Investment Trusts", "us_company_form"),
    ],
)
def test_common_shares_without_a_country_are_foreign_unless_a_trust_issues_them(name, industry, rule):
    row = action(run([line("PKT", name, 20.0, 2e9, country="", industry=industry)]), "PKT")
    assert (row["action"], row["rule"]) == (("add", "break_r3000") if rule is None else ("out", rule)), row


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("Société Générale Fund Inc. Common Shares", "fund"),
        ("Blank Acqui\u017fition Corp. Class A Common Stock", "blank_check"),  # a long s: an s in any case
        ("Pipeline Partners L.P.\u00a0Units", "partnership"),  # a no-break space is a space
    ],
)
def test_a_name_beyond_ascii_is_screened_in_any_letter_case(name, rule):
    row = action(run([line("ODD", name, 20.0, 2e9)]), "ODD")
    assert row["action"] == "out" and row["rule"] == rule, row


@pytest.mark.parametrize(
    ("name", "country", "rule"),
    [
        ("Kings Financial Inc. Common Stock (DE)", "Canada", None),  # incorporated in Delaware
        ("Kings Bio Inc. (Delaware) Common Stock", "Israel", None),
        ("Kings Energy Ltd. Common Shares (NV)", "", None),  # the state tag outweighs the foreign form
        ("Kings Financial Inc. Common Stock (Canada)", "Canada", "us_company"),
        ("Kings Financial Inc. Common Stock", "Canada", "us_company"),
        ("Kings Energy Ltd. Common Shares (de)", "", "us_company_form"),  # no state in another case
        ("Kings Holdings (The) Common Stock", "Israel", "us_company"),
    ],
)
def test_a_company_incorporated_in_a_us_state_is_a_us_company_wherever_its_country_says(name, country, rule):
    row = action(run([line("KNG", name, 20.0, 2e9, country=country)]), "KNG")
    assert (row["action"], row["rule"]) == (("add", "break_r3000") if rule is None else ("out", rule)), row


def test_bermuda_counts_as_us_from_2007_and_not_before():
    rows = [line("BMU", "Island Re Ltd. Common Stock", 20.0, 2e9, country="Bermuda")]
    assert action(run(rows), "BMU")["action"] == "add"
    assert action(run(rows, review="2006-06"), "BMU")["rule"] == "us_company"


def test_no_band_before_2007():
    rows = companies(4000, cap=1e8)
    frame = members(["C01099"], "Russell 1000").vstack(members(["C00000"], "Russell 2000"))
    assert action(run(rows, frame, review="2006-06"), "C01099")["action"] == "move_down"
    assert action(run(rows, frame, review="2007-06"), "C01099")["action"] == "stay"


def test_fewer_companies_than_a_break_leave_that_break_empty():
    made = forecast(universe(companies(10)), members([]), "2023-06", RANK_DAY)
    assert made.breaks.filter(pl.col("break") == "Russell 3000")["market_cap"].to_list() == [None]
    assert set(made.rows["index_after"]) == {"Russell 1000"}


def test_a_large_company_listed_before_the_last_reconstitution_stays_out_only_beside_its_whole_list():
    # Beside the whole Russell 3000 the 2022 reconstitution left, a company above the Russell 1000 break
    # that is not a member was ranked then and left out, if it was listed before 2022 (or says no year).
    rest = companies(1200)
    listed = {"OLD": "2021", "BLANK": "", "NEW": "2022", "NEWER": "2023"}
    big = [line(s, f"{s} Corp. Common Stock", 50.0, 5e11, ipo=year) for s, year in listed.items()]
    symbols = [r[0] for r in rest]
    whole = forecast(universe(rest + big), members(symbols), "2023-06", RANK_DAY)
    got = {s: action(whole.rows, s) for s in listed}
    assert {s: (r["action"], r["rule"]) for s, r in got.items()} == {
        "OLD": ("out", "listed_before"),
        "BLANK": ("out", "listed_before"),
        "NEW": ("add", "break_r3000"),
        "NEWER": ("add", "break_r3000"),
    }
    assert got["NEW"]["rank"] == 1 and got["OLD"]["rank"] is None  # ranked without the ones left out
    assert not any("listing-age" in n for n in whole.notes)
    # Beside members that are not the whole Russell 3000 (the market data's memberships, a part of the
    # index), nothing says who the last ranking left out: each is ranked as new, and the forecast says so.
    part = members(symbols).with_columns(complete=pl.lit(False))
    only_2000 = members(symbols, "Russell 2000")
    for before in (part, only_2000):
        made = forecast(universe(rest + big), before, "2023-06", RANK_DAY)
        assert {action(made.rows, s)["action"] for s in listed} == {"add"}
        assert any("listing-age inference" in n for n in made.notes), made.notes
    # The Russell 1000 and 2000 lists together are the whole Russell 3000.
    both = pl.concat([members(symbols[:600], "Russell 1000"), members(symbols[600:], "Russell 2000")])
    made = forecast(universe(rest + big), both, "2023-06", RANK_DAY)
    assert action(made.rows, "OLD")["rule"] == "listed_before"


def test_the_members_from_market_data_are_the_vendor_indexes_of_the_latest_review_before():
    from russell_pipeline.lib.forecast.inputs import vendor_members, vendor_reviews

    memberships = pl.DataFrame(
        {
            "review": ["2023-06", "2023-12", "2023-12", "2023-12", "2024-03", "2024-06"],
            "index": [
                "RUSSELL_2000_GROWTH",
                "RUSSELL_SMALL_CAP_COMPLETENESS",
                "RUSSELL_2000_GROWTH",
                "RUSSELL_2000_GROWTH",
                "OTHER",  # not a component of the 90/10 index: its review gives no members
                "RUSSELL_2000_GROWTH",
            ],
            "symbol": ["OLD", "AAA", "BBB", "BBB", "CCC", "NEW"],
        }
    )
    by_review = vendor_reviews(memberships)
    got, of = vendor_members(by_review, "2024-06")
    assert of == "2023-12"
    assert sorted(got.select("symbol", "index_name", "complete").rows()) == [
        ("AAA", "Russell 3000", False),
        ("BBB", "Russell 2000", False),
    ]
    assert set(got["source_path"]) == {"the market data's memberships of 2023-12"}
    assert vendor_members(by_review, "2023-12")[1] == "2023-06"
    none, of = vendor_members(by_review, "2023-06")
    assert of is None and none.is_empty() and none.columns == got.columns


def test_the_rules_table_refuses_a_bad_row_and_overlapping_years():
    with pytest.raises(ValueError, match="5 fields"):
        R.parse_rules("min_price new 2020-2035 1.00")
    with pytest.raises(ValueError, match="bad forecast rules row"):
        R.parse_rules("min_price someone 2020-2035 1.00 price")
    twice = R.parse_rules("min_price new 2020-2030 1.00 price\nmin_price new 2025-2035 2.00 price")
    with pytest.raises(ValueError, match="overlap in 2026"):
        R.active(twice, 2026)
    # Every excluding rule of the table has a screen or a company rule, and every source a text.
    assert set(R.RULES["source"]) <= set(R.SOURCES)


@pytest.mark.parametrize(
    ("usd", "said"),
    [
        (0.0, "$0.0M"),
        (164_049_999.0, "$164.0M"),
        (999_949_999.0, "$999.9M"),
        (1_234_560_000.0, "$1.23B"),
        (1_234_567_000_000.0, "$1,234.57B"),
        (123_456_000_000_000.0, "$123,456.00B"),  # six digits: the longest grouped by cutting the text
        (1_234_567_000_000_000.0, "$1,234,567.00B"),
        (1_234_567_890_000_000_000.0, "$1,234,567,890.00B"),
        (-2_500_000.0, "$-2.5M"),
    ],
)
def test_money_in_a_reason_groups_every_thousand_of_any_size(usd, said):
    assert pl.select(money(pl.lit(usd))).item() == said
