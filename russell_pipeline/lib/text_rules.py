"""What a symbol and a name may hold: the rule every reader applies to the text it keeps.

A symbol is ASCII by rule: letters and digits, then also `.`, `/`, `-` and `^` (`BRK.B`, `BRK/B`,
`brk-b`, `ABR^D`: what the lists, the exchanges' files and the market data print). A letter that only
looks Latin (Cyrillic `А`, full-width `Ａ`), a zero-width space, a direction mark or a line end in a
symbol would make a second security of one that is stored already, so it is refused.

A name (a company, a country, a sector, an industry) is printable text: no control character (NUL, a
line end), no format character (U+200B ZERO WIDTH SPACE, U+202E RIGHT-TO-LEFT OVERRIDE), no
private-use, surrogate or unassigned code point, and no line or paragraph separator. A space of any
width is a space (a no-break space in a name is kept, as the screens read it).

Each reader refuses the first value that breaks the rule with one line naming its file and line, in
the words of `symbol_problem` and `name_problem`; `symbol_ok` and `bad_names` find the values of a
column that break it.
"""

from __future__ import annotations

import unicodedata

import polars as pl

# Also written as a polars expression (`symbol_ok`): both read ASCII classes only, so they agree.
SYMBOL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9./^-]*$"
SYMBOL_RULE = "a symbol is ASCII letters and digits, then also . / - ^"
NAME_RULE = "a name is printable text"


_UNNAMED = {
    "Cc": "a control character",
    "Cs": "a surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
}


def character(ch: str) -> str:
    """`U+0410 CYRILLIC CAPITAL LETTER A`, `U+0000 (a control character)`: a character as a user can look
    it up."""
    name = unicodedata.name(ch, "")
    return (
        f"U+{ord(ch):04X} {name}"
        if name
        else f"U+{ord(ch):04X} ({_UNNAMED.get(unicodedata.category(ch), 'unnamed')})"
    )


def symbol_problem(value: str) -> str | None:
    """Why `value` is not a symbol (naming the first character that is not allowed), or None."""
    for i, ch in enumerate(value):
        if not (ch.isascii() and (ch.isalnum() or (i and ch in "./^-"))):
            return f"symbol {value!r} holds {character(ch)}: {SYMBOL_RULE}"
    return None if value else f"an empty symbol: {SYMBOL_RULE}"


_CONTROLS = [chr(c) for c in (*range(32), 127)]
_NOT_TEXT = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # the Unicode categories a name never holds


def _unprintable(value: str) -> str | None:
    """The first character of `value` a name never holds, or None."""
    if value.isprintable():  # the fast answer: only spaces other than U+0020 are printable beyond it
        return None
    return next((c for c in value if unicodedata.category(c) in _NOT_TEXT), None)


def name_problem(value: str, what: str = "name") -> str | None:
    """Why `value` is not printable text (naming the first character that is not), or None."""
    ch = _unprintable(value)
    return None if ch is None else f"{what} {value!r} holds {character(ch)}: {NAME_RULE}"


def symbol_ok(column: str) -> pl.Expr:
    """Whether each value of `column` is a symbol by the rule (null stays null)."""
    return pl.col(column).str.contains(SYMBOL_PATTERN)


def bad_names(values: pl.Series, control: bool = True) -> pl.Series:
    """The distinct non-null values of `values` that are not printable text (each looked at once);
    `control=False` for text read through lib/csv_rows.py, which holds no control character."""
    # ASCII needs no look but for its controls: only values beyond ASCII are looked at one by one.
    beyond = values.filter(values.str.len_bytes() != values.str.len_chars()).unique()
    beyond = beyond.filter(pl.Series([_unprintable(v) is not None for v in beyond], dtype=pl.Boolean))
    if not control:
        return beyond
    return pl.concat([values.filter(values.str.contains_any(_CONTROLS)), beyond]).unique(maintain_order=True)
