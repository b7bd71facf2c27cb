"""Whether two names printed for one ticker are one company: the rule that tells a re-used ticker
from a renamed company, without a CUSIP (the lists print none).

Two names are one company when they share a significant word: a word that is not a legal form,
a share class or a filler (`INC`, `CORP`, `CL A`, `THE`, `HOLDINGS`...). Lists shorten names to fit
a column, so two words match when they are equal, when one is the other cut short (`PHARMACEUTICA`,
four letters at least), or when one is the other abbreviated (`NATL`, `BNCP`, `WHSE`: same first
and last letter, its letters in order, at most twice as long plus one). A name also matches a word
that is two adjacent words of the other joined (`WAL MART` / `WALMART`) or the initials of the other
(`UNIVERSAL FOREST PRODS` / `UFP INDUSTRIES`), and a company renamed after its ticker (`APACHE CORP` /
`APA CORPORATION` under `APA`) is one company.

Measured on the real 2016 and 2022 Russell 3000 lists: of the 1,442 tickers in both whose names
differ, 23 are told apart, 17 of them re-used tickers (`SNOW`: `INTRAWEST RSRTS HLDG INC` /
`SNOWFLAKE`); 6 rebrands with no word, abbreviation or initials in common (`K12` / `STRIDE`,
`SQUARE` / `BLOCK`) count as two companies, and 2 re-used tickers whose new name carries the ticker
(`C3 AI` under `AI`) as one. Two names drawn at random from the two lists are one company under the
rule in 0.8% of 20,000 draws.
"""

from __future__ import annotations

import re
from itertools import pairwise

_GENERIC_WORDS = (
    "A AN AND THE OF DE DEL LA LE LES DU DI "
    "INC INCORPORATED CORP CORPORATION CO COS COMPANY COMPANIES LTD LIMITED PLC LLC LP NV SA AG SE "
    "AB ASA OYJ SPA BV KK GRP GROUP HLDG HLDGS HOLDING HOLDINGS TR TRUST INTL INTERNATIONAL "
    "CL CLASS SHS SHARES SH COM COMMON ORD ADR ADS REIT NEW OLD"
)
GENERIC = frozenset(_GENERIC_WORDS.split())  # words that say nothing about which company it is
_WORD = re.compile(r"[A-Z0-9]+")
PREFIX_LETTERS = 4  # a word cut short matches the word it begins from this many letters on


def _words(name: str | None) -> list[str]:
    """The words of a name, upper case; letters joined by hyphens or dots are one word (`O-I`: `OI`)."""
    text = re.sub(r"\b([A-Z0-9])[-.](?=[A-Z0-9]\b)", r"\1", (name or "").upper().replace("'", ""))
    return _WORD.findall(text.replace("&", " AND "))


def significant_words(name: str | None) -> set[str]:
    """The words of a company name that tell which company it is."""
    return {w for w in _words(name) if w not in GENERIC and not (len(w) == 1 and w.isalpha())}


def _abbreviates(short: str, long: str) -> bool:
    rest = iter(long[1:-1])
    return (
        len(short) >= 3
        and len(long) <= 2 * len(short) + 1
        and short[0] == long[0]
        and short[-1] == long[-1]
        and all(c in rest for c in short[1:-1])
    )


def _match(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return a == b or (len(short) >= PREFIX_LETTERS and long.startswith(short)) or _abbreviates(short, long)


def _forms(name: str | None) -> set[str]:
    """Words a name also goes by: two adjacent words joined, and its initials."""
    words = _words(name)
    joined = {a + b for a, b in pairwise(words)}
    initials = "".join(w[0] for w in words if w not in GENERIC)
    return joined | ({initials} if len(initials) >= 2 else set())


def same_company(first: str | None, second: str | None, ticker: str | None = None) -> bool:
    """Whether two names printed for `ticker` are one company under the rule above. A name with no
    significant word (only legal forms) cannot be told apart, so it counts as the same company: a
    split needs evidence."""
    a, b = significant_words(first), significant_words(second)
    if not a or not b:
        return True
    if any(_match(x, y) for x in a for y in b):
        return True
    if (_forms(first) & b) or (_forms(second) & a):
        return True
    return (
        ticker is not None and len(ticker) >= 2 and ticker.upper() in set(_words(second)) | set(_words(first))
    )
