"""Tab-separated text lists drawn at random (seeded), with a sector column or without: rows one or two
lines apart, the header on the first page alone when a form feed parts the pages (a page number, a running
date or head around the break), a footer in capitals or prose, a contact page after the list, and one
row's white space mangled (tabs for spaces, spaces for tabs, runs of either). Every row is read exactly, or
its line is named unread: none is dropped or changed without a word, and no list is refused for its
furniture.

A mangled row alone on a page without another row, in a list without a sector column, reads as a name and
a symbol as a contact page's heading does (`CONTACT US`): it is unread where nothing else on its page is
written (prose or a telephone number on a line the pages before did not print: a running date or head is
not), and the contact pages here always hold some (docs/methodology.md)."""

from __future__ import annotations

import random

import pytest

from russell_pipeline.lib.documents.lists import parse_list
from russell_pipeline.lib.documents.pdftext import read_text_layer

SECTORS = ("Technology", "Health Care", "Consumer Discretionary", "Industrials", "Real Estate", "Financials")
WORDS = ("ALPHA", "BETA", "GAMMA", "HOLDINGS", "CORP", "INC", "CO", "GROUP", "&", "TRUST", "1ST", "NOTES")
FOOTERS = ((), ("", "ftserussell.com"), ("Source: FTSE Russell",), ("NOTES",), ("END OF LIST",), ("", "END"))
WHITE = (" ", "\t", "  ", "\t\t", " \t")
# Contact pages as lists end with them: a heading in capitals over addresses and telephone numbers.
CONTACTS = (
    ("CONTACT US", "AMERICAS\tEMEA", "+1 888 622 7343\t+44 20 7866 1810"),
    ("CONTACT\tLONDON OFFICE", "10 Hudson Yards\t10 Paternoster Row"),
    ("EMEA\tLONDON EC4M 7LS", "NORTH AMERICA\tASIA PACIFIC", "New York\tHong Kong"),
    ("CONTACT US", "info@ftserussell.com", "+1 888 622 7343"),
)
# What a page break prints around the rows: at page 1's foot, at page 2's top, at page 2's foot (before the
# list's footer): a page number, a running date or a running head, each in lower case on a page that may
# hold no other row.
BREAKS = (
    (("Page 1",), (), ()),
    (("p. 1",), (), ("p. 2",)),
    (("As of June 23, 2023",), (), ("As of June 23, 2023",)),
    ((), ("Russell 3000 Index - Additions",), ()),
)
SEEDS = 2000  # about two seconds a variant


def _draw(seed: int, sector: bool = True) -> tuple[list[tuple[str, str, str | None]], int | None, str]:
    """The rows, the one mangled (None: none) and the document's text."""
    rng = random.Random(seed)
    rows = []
    for k in range(rng.randint(2, 8)):
        name = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
        symbol = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rng.randint(1, 4))) + str(k)
        rows.append((name if name.strip("& ") else "OMEGA", symbol, rng.choice(SECTORS) if sector else None))
    lines = ["\t".join(cell for cell in row if cell) for row in rows]
    mangled = rng.randrange(len(rows)) if rng.random() < 0.8 else None
    if mangled is not None:
        text = lines[mangled]
        seps = [i for i, c in enumerate(text) if c in " \t"]
        chosen = set(rng.sample(seps, rng.randint(1, len(seps))))
        lines[mangled] = "".join(rng.choice(WHITE) if i in chosen else c for i, c in enumerate(text))
    step = 2 if rng.random() < 0.4 else 1  # rows one or two lines apart
    if step == 2:
        lines = [x for line in lines for x in (line, "")][:-1]
    head = ["Russell 3000 Index - Additions", "", "Company\tSymbol" + ("\tSector" if sector else "")]
    foot = list(rng.choice(FOOTERS))
    if rng.random() < 0.3 and len(lines) > 2:  # a page break, the header on the first page alone
        cut = rng.randint(1, len(lines) - 1)
        foot_1, top_2, foot_2 = rng.choice(BREAKS)
        lines = [*lines[:cut], *foot_1, "\f" + "\n".join([*top_2, lines[cut]]), *lines[cut + 1 :], *foot_2]
    contact = ["\f" + "\n".join(rng.choice(CONTACTS))] if rng.random() < 0.3 else []
    return rows, mangled, "\n".join([*head, *lines, *foot, *contact])


@pytest.mark.parametrize("sector", [True, False], ids=["with-sectors", "without-sectors"])
@pytest.mark.parametrize("block", range(4))
def test_every_row_of_a_drawn_text_list_is_read_exactly_or_named_unread(block, sector):
    for seed in range(block * SEEDS // 4, (block + 1) * SEEDS // 4):
        rows, mangled, text = _draw(seed, sector)
        parsed = parse_list(read_text_layer(f"list-{seed}.txt", text.encode()).pages, text=True)
        got = [(r.company, r.symbol, r.sector) for r in parsed.rows]
        named = " ".join(u.text for u in parsed.unread).split()
        shown = f"seed {seed}: {text!r}"
        assert set(got) <= set(rows), f"a row read that the list does not print: {shown}"
        assert all(row in got or row[1] in named for row in rows), f"a row lost without a word: {shown}"
        if mangled is None:
            assert got == rows and parsed.unread == (), f"a clean list not read whole: {shown}"
