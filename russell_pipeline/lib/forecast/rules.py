"""The construction rules of the Russell US indexes as data: one row per rule, the years it applies to,
whom it applies to (every company, only companies new to the index, only members) and its value.

A rule FTSE Russell changes is an edit of `RULES_TEXT`, never a new branch in code. Each rule names
its source (`SOURCES`), and every row the forecast excludes names the rule that excluded it; how
each rule is read from a universe file is `SCREENS` (security types from the name and symbol the
file prints, the country from its `Country` column). No rule names a company or a symbol.

Which screens apply to whom: the rules' own words decide the measured ones (the $1.00 price applies
to new companies, a member below it stays if its 30-day average is $1.00 or more). The screens that
read a company's nature from what a universe file prints (its name, its `Country`) apply to companies
new to the index only: for a member, FTSE Russell's own classification at the last reconstitution is
better evidence than a screener's label, so it stands.
"""

from __future__ import annotations

import re

import polars as pl

from russell_pipeline.lib.rules_text import table_rows

# rule: what it excludes, or a break of the ranking
# to: all | new (not a member of the Russell 3000E on rank day) | member
# years: first-last reconstitution year it applies to
# value: its threshold (dollars, a rank, percentage points), or -
R1000, R2000, R3000, MICRO = "Russell 1000", "Russell 2000", "Russell 3000", "Russell Microcap"
RULES_TEXT = """
# rule              to      years      value       source
preferred           all     1989-2035  -           share_types
debt                all     1989-2035  -           share_types
partnership         new     1989-2035  -           structures
royalty_trust       new     1989-2035  -           structures
warrant_right_unit  all     1989-2035  -           share_types
depositary          all     1989-2035  -           country
fund                new     1989-2035  -           structures
blank_check         new     1989-2035  -           structures
investment_company  new     2014-2035  -           bdc
us_company          new     1989-2006  -           country_pre2007
us_company          new     2007-2035  -           country
us_company_form     new     1989-2035  -           country
no_market_cap       all     1989-2035  -           size
min_total_cap       all     1989-2035  30000000    size
min_price           new     1989-2035  1.00        price
min_price_member    member  1989-2035  1.00        price
voting_rights       new     2017-2022  -           voting
voting_rights       all     2023-2035  -           voting
listed_before       new     1990-2035  -           previous
ipo_review          new     2016-2035  -           ipo
spin_off            new     1989-2035  -           spin_offs
break_r1000         all     1989-2035  1000        breaks
break_r2000         all     1989-2035  2000        breaks
break_r3000         all     1989-2035  3000        breaks
break_r3000e        all     1989-2035  4000        breaks
band_r1000          member  2007-2035  2.5         banding
band_r2000          member  2007-2035  0.5         banding
"""
RULE_SCHEMA = {
    "rule": pl.String,
    "to": pl.String,
    "first_year": pl.Int64,
    "last_year": pl.Int64,
    "value": pl.Float64,
    "source": pl.String,
}

# What each rule rests on: FTSE Russell's "Russell US Equity Indexes: Construction and Methodology"
# (the section numbers of its 2026 edition) and where a rule changed, the change; docs/methodology.md
# section 4.3 restates them.
SOURCES = {
    "share_types": "Construction and Methodology 5.13: preferred and convertible preferred stock, "
    "redeemable shares, warrants, rights, units, installment and trust receipts are not eligible",
    "structures": "Construction and Methodology 5.11-5.12: closed-end investment companies, ETFs and funds, "
    "blank-check companies and SPACs, royalty trusts, limited partnerships and LLCs are not eligible",
    "bdc": "Construction and Methodology 5.12: companies that report acquired fund fees and expenses, "
    "business development companies among them, are not eligible (from the June 2014 reconstitution)",
    "country": "Construction and Methodology 5.3-5.5: a US company by its home-country indicators "
    "(incorporation, headquarters, most liquid exchange); depositary receipts are not eligible; a company "
    "of a benefit-driven incorporation country (Bermuda, Cayman Islands, ...) traded in the US is assigned "
    "to the US unless its assets or revenues point elsewhere (from 2007)",
    "country_pre2007": "Construction and Methodology before 2007: companies incorporated outside the US, "
    "benefit-driven incorporation countries included, were not eligible",
    "size": "Construction and Methodology 5.9: a total market capitalization below $30 million is not "
    "eligible",
    "price": "Construction and Methodology 5.8: a close of $1.00 or more on rank day, each share class on "
    "its own; a member below it stays eligible if its average close over the 30 days before rank day is "
    "$1.00 or more",
    "previous": "the previous reconstitution's ranking: a company far above the Russell 1000 break that was "
    "listed then and not ranked was excluded by FTSE Russell (country, share type, voting rights), and "
    "that classification is taken to stand (an inference of this pipeline, not a published rule)",
    "voting": "Construction and Methodology 5.15: more than 5% of a company's voting rights must be in "
    "the hands of unrestricted shareholders (new companies from the September 2017 rule; members "
    "grandfathered until September 2022, so from the 2023 reconstitution); a company whose every listed "
    "class is non-voting has none of them there",
    "ipo": "Construction and Methodology, quarterly IPO additions: an eligible company listed since the last "
    "reconstitution is ranked at the next quarterly IPO review and added where its total market cap is "
    "above the smallest company of the Russell 3000E at the last reconstitution; companies that merged with "
    "a blank-check company are not IPOs (the calendar's quarterly IPO reviews, from 2016)",
    "spin_offs": "Construction and Methodology, corporate actions: the spin-off of an index member is added "
    "to the indexes its parent is in when the spin-off takes place, and is not a reconstitution addition",
    "breaks": "Construction and Methodology 6.10: Russell 3000E the largest 4,000 companies, Russell 3000 "
    "the largest 3,000, Russell 1000 the largest 1,000, Russell 2000 ranks 1,001-3,000, Russell Microcap "
    "ranks 2,001-4,000; no band at ranks 3,000 and 4,000",
    "banding": "Construction and Methodology 6.10-6.11: a member within +/-2.5 percentage points of "
    "cumulative market capitalization of the Russell 3000E around the rank-1,000 break (and +/-0.5 around "
    "rank 2,000, for the Microcap) stays in its index (from the 2007 reconstitution); banding applies only "
    "to members of the Russell 3000",
}

US = ("United States", "Puerto Rico", "US Virgin Islands", "U.S. Virgin Islands", "Guam")
# The US states (postal codes, and the names the screener spells out) a line's name gives in parentheses as
# where the company is incorporated (`Ovintiv Inc. (DE)`): one home-country indicator in the US.
US_STATES = (
    *("AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY"),
    *("LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND"),
    *("OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC"),
    *("Delaware", "Maryland", "Nevada"),
)
# A company whose name says it is incorporated in a US state and that lists in the US (every line of the
# universe does) has two of its three home-country indicators in the US: the screener's Country (its
# headquarters) does not make it foreign. Matched in the name's own letter case (`(DE)`, never `(de)`).
US_INCORPORATED = pl.col("company").fill_null("").str.contains(r"\((" + "|".join(US_STATES) + r")\)")
# Benefit-driven incorporation countries (Construction and Methodology, appendix B): never a nationality.
BDI = (
    "Anguilla",
    "Antigua and Barbuda",
    "Aruba",
    "Bahamas",
    "Barbados",
    "Belize",
    "Bermuda",
    "Bonaire",
    "British Virgin Islands",
    "Cayman Islands",
    "Channel Islands",
    "Cook Islands",
    "Curacao",
    "Faroe Islands",
    "Gibraltar",
    "Guernsey",
    "Isle of Man",
    "Jersey",
    "Liberia",
    "Marshall Islands",
    "Panama",
    "Saba",
    "Sint Eustatius",
    "Sint Maarten",
    "Turks and Caicos Islands",
)
# Financial industries in which a company named as a fund, lender or investment corporation is an
# investment company (a closed-end fund or business development company), not an operating one.
FINANCIAL_INDUSTRIES = (
    "Investment Managers",
    "Finance/Investors Services",
    "Finance Companies",
    "Trusts Except Educational Religious and Charitable",
    "Diversified Financial Services",
    "Finance: Consumer Services",
)


NAME = "name: "  # a name pattern's column: whether the line's name matches it (NAME_PATTERNS)


def _name(pattern: str) -> pl.Expr:
    """Whether a line's name matches `pattern` in any letter case: the pattern's column, which a frame
    takes before the screens run (each name is searched once for each pattern)."""
    if re.search(r"\\[A-Z]", pattern):  # an escape (\S, \B) that lower case would change
        raise ValueError(f"a name pattern in lower case means another: {pattern}")
    return pl.col(NAME + pattern)


# A trust whose name says it is a real estate trust is a REIT, an operating company (eligible), whatever
# financial industry the screener still gives it (a fund that became a REIT keeps its old label a while).
_REAL_ESTATE_TRUST = _name(r"\breal estate trust\b")

# Each excluding rule as read from a universe file's columns (true: the rule excludes the line), and
# the reason a row gives (`{country}` is the line's Country).
SCREENS: dict[str, tuple[pl.Expr, str]] = {
    "preferred": (
        pl.col("listed_symbol").str.contains(r"\^")
        # a US company's depositary shares are fractions of a preferred share; a foreign company's
        # American depositary shares or receipts (of its preferred shares too) are the depositary rule's
        | (
            _name(
                r"\bpreferred (stock|shares?|securities|equity|class|series)\b|\bperp(etual)?\b|\bpfd\b"
                r"|\bdep(ositary|ository)? (shares?|shs|shr)\b"
            )
            & ~_name(r"american depositary|\bsponsored\b|\bADS\b|\bADR\b")
        ),
        "preferred share",
    ),
    "debt": (_name(r"\bnotes?\b|\bdebentures?\b|\bdue 20\d\d\b|%"), "exchange-traded debt"),
    "warrant_right_unit": (
        _name(r"\bwarrants?\b|\brights?\b")
        # a blank-check company's units; a partnership's or trust's units are its equity (rules above)
        | (_name(r"\b(sub)?units?\b") & ~_name(r"\b(common|partnership|limited|trust) units\b|\bunits of\b")),
        "warrant, right or unit",
    ),
    "depositary": (
        _name(
            r"american depositary|depositary (shares?|receipts?)|depository "
            r"(shares?|receipts?)|\bADS\b|\bADR\b"
        ),
        "depositary receipt of a foreign company",
    ),
    "fund": (
        _name(r"\bfunds?\b|\bmunicipals?\b|\bclosed[- ]end\b|\bETF\b|\bBDC\b|\bbusiness development\b")
        | (
            _name(r"\btrust\b")
            & ~_name(r"\bbank|\bbancorp|\bfinancial\b|\brealty\b|\bpropert(y|ies)\b|\bREIT\b|\bcorporation\b")
            & ~_REAL_ESTATE_TRUST
            & (pl.col("industry").fill_null("") != "Real Estate Investment Trusts")
        ),
        "fund, trust or business development company",
    ),
    "blank_check": (
        _name(r"\b(acquisitions?|merger)\b")
        | (pl.col("industry") == "Blank Checks")
        # a blank-check company's shares trade at its trust's value per share, about $10, from its
        # listing until its merger, with its units beside them
        | (pl.col("price").is_between(9.5, 11.0) & pl.col("issuer_lists_units")),
        "blank-check company",
    ),
    "royalty_trust": (
        _name(r"royalty trust|\btrust\b.*\bunits\b|beneficial interest")
        & (pl.col("industry").fill_null("") != "Real Estate Investment Trusts"),
        "royalty trust",
    ),
    "partnership": (
        _name(r"\bL\.?P\.?(\s|$)|limited partnership|common units|partnership units|\bL\.?L\.?C\b"),
        "limited partnership or limited liability company",
    ),
    "investment_company": (
        pl.col("industry").is_in(FINANCIAL_INDUSTRIES)
        & ~_REAL_ESTATE_TRUST
        & _name(
            r"\btrust\b|\bBDC\b|\bbusiness development\b|\b(capital|investment|finance|credit) "
            r"(corp|corporation|company|co|inc)\b|\blending\b|\bincome\b|\bfloating "
            r"rate\b|\bopportunit(y|ies)\b|\bdividend\b|\binvestors\b|\bsecurities\b|\btotal "
            r"return\b|\binfrastructure\b"
        ),
        "investment company (a closed-end fund or business development company by its name and industry)",
    ),
    "us_company": (
        pl.col("country").is_not_null() & ~pl.col("country").is_in([*US, *BDI]) & ~US_INCORPORATED,
        "not a US company (Country: {country})",
    ),
    "us_company_form": (
        pl.col("country").is_null()
        & ~US_INCORPORATED
        & (
            _name(
                r"ordinary shares?|subordinate "
                r"voting|\bN\.?V\.?(\s|$)|\bS\.A\.?(\s|$)|\bS\.p\.A\.?|\bAG\b|\bplc\b|\bLtd\.?(\s|$)|\blimited\b"
            )
            # a US trust (a REIT) issues common shares (of beneficial interest) as much as a foreign company
            | (
                _name(r"common shares")
                & ~_name(r"\btrust\b")
                & (pl.col("industry").fill_null("") != "Real Estate Investment Trusts")
            )
        ),
        "no Country, and its name gives a non-US legal form or share name: taken as not a US company",
    ),
}
# The screens that read a line's name, and every word any of them looks for: a name holding none
# of these words (in any letter case) passes them all, so they run only on the names that do.
BY_NAME = frozenset(
    {
        "debt",
        "partnership",
        "royalty_trust",
        "warrant_right_unit",
        "depositary",
        "fund",
        "investment_company",
        "us_company_form",
    }
)
NAME_WORDS = (
    "preferred",
    "perp",
    "pfd",
    "dep sh",
    "note",
    "debenture",
    "due 20",
    "%",
    "l.p",
    "lp",
    "llc",
    "l.l.c",
    "limited",
    "partnership",
    "units",
    "royalty",
    "trust",
    "beneficial",
    "warrant",
    "right",
    "unit",
    "depositary",
    "depository",
    "ads",
    "adr",
    "fund",
    "municipal",
    "closed",
    "etf",
    "bdc",
    "business development",
    "acquisition",
    "merger",
    "capital",
    "investment",
    "finance",
    "credit",
    "lending",
    "income",
    "floating",
    "opportunit",
    "dividend",
    "investors",
    "securities",
    "infrastructure",
    "total return",
    "common shares",
    "ordinary share",
    "subordinate",
    "n.v",
    "s.a",
    "s.p.a",
    "ag",
    "plc",
    "ltd",
)
# Every rule a forecast row can rest on: the screens, then those of a company as a whole and of its rank.
RULE = pl.Enum(
    [
        *SCREENS,
        "no_market_cap",
        "voting_rights",
        "min_total_cap",
        "min_price",
        "min_price_member",
        "listed_before",
        "band_r1000",
        "break_r3000",
        "break_r1000",
    ]
)
# Every pattern the screens read in a name, once, in the order they name them.
NAME_PATTERNS = list(
    dict.fromkeys(
        c.removeprefix(NAME) for e, _ in SCREENS.values() for c in e.meta.root_names() if c.startswith(NAME)
    )
)
# Rules of the pre-2007 era read the same columns; a BDI country is not the US then.
PRE_2007_US = pl.col("country").is_not_null() & ~pl.col("country").is_in(US) & ~US_INCORPORATED


def parse_rules(text: str) -> pl.DataFrame:
    """The rules table as a frame (RULE_SCHEMA); a row that does not parse raises ValueError."""
    rows = []
    for line, fields in table_rows(text, 5, "forecast rules row (5 fields)"):
        rule, to, years, value, source = fields
        first, _, last = years.partition("-")
        if to not in ("all", "new", "member") or source not in SOURCES or not (first + last).isdecimal():
            raise ValueError(f"bad forecast rules row: {line}")
        rows.append((rule, to, int(first), int(last), None if value == "-" else float(value), source))
    return pl.DataFrame(rows, schema=RULE_SCHEMA, orient="row")


RULES = parse_rules(RULES_TEXT)


def active(rules: pl.DataFrame, year: int) -> dict[str, dict]:
    """The rules in force in `year`, by name: {rule: {"to", "value", "source"}}. Two rows of one rule
    in force at once raise ValueError."""
    rows = rules.filter((pl.col("first_year") <= year) & (pl.col("last_year") >= year))
    twice = rows.filter(pl.col("rule").is_duplicated())
    if twice.height:
        raise ValueError(f"forecast rules overlap in {year}: {sorted(set(twice['rule']))}")
    return {r["rule"]: r for r in rows.iter_rows(named=True)}


def screen(rule: str, source: str) -> pl.Expr:
    """The expression of an excluding rule (its pre-2007 reading where the source says so)."""
    if rule == "us_company" and source == "country_pre2007":
        return PRE_2007_US
    return SCREENS[rule][0]
