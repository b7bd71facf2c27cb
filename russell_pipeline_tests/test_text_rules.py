"""lib/text_rules.py: a symbol is ASCII by rule, a name printable text, over a character of every Unicode
general category (and every printable ASCII character)."""

from __future__ import annotations

import sys
import unicodedata

import polars as pl
import pytest

from russell_pipeline.lib.text_rules import SYMBOL_PATTERN, bad_names, name_problem, symbol_problem

NOT_TEXT = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# The Unicode Standard's 30 general categories (section 4.5): a major class and its subclasses.
MAJOR = {"L": "ultmo", "M": "nce", "N": "dlo", "P": "cdseifo", "S": "mcko", "Z": "slp", "C": "cfson"}
GENERAL = {major + minor for major, minors in MAJOR.items() for minor in minors}


def _by_category() -> dict[str, str]:
    """One character of each general category: the first beyond ASCII (and U+FDD0, a code point never
    assigned, for Cn). The scan ends when each category has one (at U+E000, the first private use code
    point): every test process collecting this module made the whole scan of 1.1 million code points."""
    found: dict[str, str] = {"Cn": "\ufdd0"}
    for code in range(0x80, sys.maxunicode + 1):
        found.setdefault(unicodedata.category(chr(code)), chr(code))
        if len(found) == len(GENERAL):
            break
    return found


CATEGORIES = _by_category()


def test_every_general_category_is_sampled():
    assert set(CATEGORIES) == GENERAL


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_no_character_beyond_ascii_is_part_of_a_symbol(category):
    ch = CATEGORIES[category]
    for symbol in (f"TS{ch}LA", f"{ch}TSLA", f"TSLA{ch}"):
        problem = symbol_problem(symbol)
        assert problem is not None and f"U+{ord(ch):04X}" in problem, (category, problem)
        if category != "Cs":  # a surrogate is no UTF-8 text: no file and no polars string holds one
            assert pl.Series([symbol]).str.contains(SYMBOL_PATTERN).to_list() == [False]


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_a_name_holds_every_category_but_controls_formats_and_unassigned_or_private_code_points(category):
    ch = CATEGORIES[category]
    name = f"Tesla{ch} Inc."
    problem = name_problem(name, "Name")
    if category in NOT_TEXT:
        assert problem.startswith(f"Name {name!r} holds U+{ord(ch):04X} "), problem
        assert problem.endswith(": a name is printable text")
        if category != "Cs":
            assert bad_names(pl.Series([name, "Plain"])).to_list() == [name]
    else:
        assert problem is None
        assert bad_names(pl.Series([name, "Plain"])).is_empty()


@pytest.mark.parametrize("ch", [chr(c) for c in range(32, 127)])
def test_of_printable_ascii_a_symbol_holds_letters_digits_and_dot_slash_hyphen_caret_after_the_first(ch):
    allowed = ch.isalnum()
    assert (symbol_problem(f"{ch}A") is None) == allowed
    assert (symbol_problem(f"A{ch}") is None) == (allowed or ch in "./-^")
    for symbol in (f"{ch}A", f"A{ch}"):
        assert pl.Series([symbol]).str.contains(SYMBOL_PATTERN).item() == (symbol_problem(symbol) is None)
    assert name_problem(f"A{ch}B") is None


def test_the_issues_samples():
    for symbol in ("TSLA\u202e", "TS\u200bLA", "TS\nLA", "\u0422SLA", "\uff34\uff33\uff2c\uff21", ""):
        assert symbol_problem(symbol) is not None
    assert symbol_problem("BRK/B") is None and symbol_problem("ABR^D") is None
    assert (
        name_problem("Tesla\x00 Inc.")
        == "name 'Tesla\\x00 Inc.' holds U+0000 (a control character): a name is printable text"
    )
    assert name_problem("Pipeline Partners L.P.\u00a0Units") is None  # a no-break space is a space
