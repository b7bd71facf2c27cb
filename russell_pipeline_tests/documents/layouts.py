"""List PDFs drawn from random layouts of the FTSE Russell family, and the rows each must read as.

A `Layout` is drawn from a seed: page size and font, one table a page or two side by side, the
column order and titles, each column left-aligned, centred or right-aligned under its title (the
title aligned with it), 1-4 title lines on every page or on the first only, the header on every page
or on the first only, a notice block of 1-12 lines after the table on the last page or on every
page (close under the last row or further down), a footer with the page number, names with digits,
`&`, `'`, `-` and class suffixes, symbols with `.A`/`.B`, names wrapped onto a second line, long names
printed up to the left edge of the column after them (the leftmost of its title and of what its rows
print there: one cell with a wide centred or right-aligned symbol) or past it (into that column, up to
the row's own text). Some layouts hold one bad row (its symbol split in two) strictly inside a table:
that line, and only that one, must be named as unread. `render` draws the PDF with fpdf2 and returns
the rows in reading order (page by page, the left table, then the right one).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from fpdf import FPDF

from russell_pipeline.lib.documents.sectors import ICB_INDUSTRIES, RGS_SECTORS

CREATED = datetime(2025, 6, 27, 9, 30, tzinfo=UTC)
PAGES = {
    "letter": (612.0, 792.0),
    "a4": (595.28, 841.89),
    "legal": (612.0, 1008.0),
    "letter-landscape": (792.0, 612.0),
}
FONTS = ("helvetica", "times", "courier")
_WORDS = (
    "ACME",
    "ALPHA",
    "BETA",
    "GAMMA",
    "DELTA",
    "OMEGA",
    "ZETA",
    "KAPPA",
    "HOLDINGS",
    "GROUP",
    "INC",
    "CORP",
    "CO",
    "LTD",
    "PLC",
    "TRUST",
    "BANCORP",
    "FINANCIAL",
    "THERAPEUTICS",
    "BIOSCIENCES",
    "ENERGY",
    "REALTY",
    "SYSTEMS",
    "TECHNOLOGIES",
    "INTERNATIONAL",
    "PHARMA",
    "MINING",
    "AIRLINES",
    "AT&T",
    "O'REILLY",
    "MCDONALD'S",
    "BERKE & HERBERT",
    "1-800-FLOWERS.COM",
    "3D",
    "10X",
    "I-80",
    "8X8",
    "P3",
    "2U",
    "A K A",
    "U.S.",
    "C & F",
    "Y-MABS",
    "NORTH",
    "PACIFIC",
    "FIRST",
    "UNITED",
    "AMERICAN",
    "MEDICAL",
)
_SUFFIXES = ("", "", "", "INC", "CORP", "CL A", "CL B", "CLASS A", "(A)", "NEW", "HLDGS")
_NOTICE = (
    "For more information about Russell Indexes call us or visit www.russell.com/indexes.",
    "Americas: +1-877-503-6437; APAC: +65-6880-5926; EMEA: +44-0-20-7024-6600",
    "Copyright 2025 London Stock Exchange Group plc and its applicable group undertakings.",
    "All rights reserved. No part of this information may be reproduced or stored in a retrieval system",
    "without prior written permission of the applicable member of LSE Group. Use and distribution of",
    "the data requires a licence from FTSE, Russell, FTSE Canada and or their respective licensors.",
    "Past performance is no guarantee of future results. Charts and graphs are provided for",
    "illustrative purposes only. Index returns shown may not represent the results of the actual trading",
    "of investable assets. Certain returns shown may reflect back-tested performance, calculated",
    "prior to the index inception date, based on the same methodology that was in effect when the",
    "index was officially launched. This material is not intended to be an offer to buy or sell.",
    "Quarterly IPO additions are announced after the close of the rank day of each quarter.",
)
_TITLES = {
    "company": ("Company", "Company Name", "Name"),
    "symbol": ("Symbol", "Ticker"),
    "sector": ("Sector", "Industry"),
}


@dataclass(frozen=True)
class Layout:
    seed: int
    kind: str  # membership_list | additions | deletions
    page: str
    font: str
    size: float
    pitch: float
    two_up: bool
    order: tuple[str, ...]
    titles: tuple[str, ...]  # as printed, in `order`
    align: tuple[str, ...]  # left | centre | right, in `order`
    title_lines: int
    titles_every_page: bool
    header_every_page: bool
    notice_lines: int  # 0: none
    notice_every_page: bool
    notice_gap: float  # in row pitches below the last row (1.0: right under it)
    footer: str  # url | ftse | date
    rows: int
    wraps: bool
    bad_row: int | None  # the index of the row printed with its symbol split in two
    long_names: str = ""  # "up_to" | "past": some names run up to the next column's edge, or past it


def draw(seed: int) -> Layout:
    rng = random.Random(seed)
    kind = rng.choice(("membership_list", "additions", "deletions"))
    sector = kind != "membership_list" and rng.random() < 0.7
    order = ["company", "symbol"] if rng.random() < 0.75 else ["symbol", "company"]
    if sector:
        order.append("sector")
    page = rng.choice(tuple(PAGES))
    size = rng.choice((6.5, 7.0, 7.5, 8.0, 9.0))
    titles = tuple(rng.choice(_TITLES[c]) for c in order)
    return Layout(
        seed=seed,
        kind=kind,
        page=page,
        font=rng.choice(FONTS),
        size=size,
        pitch=round(size * rng.uniform(1.55, 2.1), 2),
        two_up=not sector and (kind == "membership_list" or rng.random() < 0.25),
        order=tuple(order),
        titles=titles,
        align=tuple(
            "left" if c == "company" and rng.random() < 0.9 else rng.choice(("left", "centre", "right"))
            for c in order
        ),
        title_lines=rng.randint(1, 4),
        titles_every_page=rng.random() < 0.7,
        header_every_page=rng.random() < 0.8,
        notice_lines=rng.choice((0, rng.randint(1, 12))),
        notice_every_page=rng.random() < 0.3,
        notice_gap=rng.choice((1.0, round(rng.uniform(1.8, 5.0), 2))),
        footer=rng.choice(("url", "ftse", "date")),
        rows=rng.randint(3, 150),
        wraps=rng.random() < 0.3,
        bad_row=None if rng.random() < 0.85 else -1,
        long_names=rng.choice(("", "", "up_to", "past")),  # drawn last: the draws above stay as they were
    )


@dataclass(frozen=True)
class Row:
    company: str  # whole, as the parser must read it (a wrapped name joined)
    symbol: str
    sector: str | None
    wrap_at: int = 0  # the name's words on its first line (0: not wrapped)
    stretch: float = 100.0  # the name's horizontal scaling (percent): a long name ends where it is meant to


def _rows(layout: Layout, rng: random.Random, room: int) -> list[Row]:
    """`layout.rows` rows with unique symbols; names fit in `room` characters (a wrapped one in two lines)."""
    sectors = sorted(RGS_SECTORS if layout.titles[-1] == "Sector" else ICB_INDUSTRIES)
    out, symbols = [], set()
    while len(out) < layout.rows:
        words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 3))]
        suffix = rng.choice(_SUFFIXES)
        name = " ".join([*words, suffix] if suffix else words)
        if len(name) > room:
            continue
        symbol = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rng.randint(1, 5)))
        if rng.random() < 0.1:
            symbol = symbol[:4] + rng.choice((".A", ".B"))
        if symbol in symbols:
            continue
        symbols.add(symbol)
        wrap = 0
        if layout.wraps and rng.random() < 0.15:
            tail = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 2)))
            if len(tail) <= room:
                wrap, name = len(name.split()), f"{name} {tail}"
        out.append(Row(name, symbol, rng.choice(sectors) if "sector" in layout.order else None, wrap))
    return out


def _long_names(
    layout: Layout,
    pdf: FPDF,
    rows: list[Row],
    chosen: set[int],
    start: float,
    box: float,
    rng: random.Random,
    used: set[str],
) -> tuple[list[Row], set[int]]:
    """One table's rows on one page, with the names of the `chosen` ones (indices into `rows`) lengthened
    (new words, scaled to end where they are meant to) to run up to the left edge of the column after the
    company's, `start` to `start + box` from the company's left: the leftmost of its title and of what the
    other rows print there (the page's column model can learn it). Up to it, the name ends 2-4 pt short of
    the edge, and the row's own text in that column is put at the edge where it can be (one cell with
    it); past it, the name ends between the edge and the row's own text. Returns the rows and the indices
    of those printed past the edge."""
    at = layout.order.index("company")
    column, align = layout.order[at + 1], layout.align[at + 1]

    def text_x(row: Row) -> float:
        return start + _at(
            align, 0, box, pdf.get_string_width(row.symbol if column == "symbol" else row.sector)
        )

    pdf.set_font(layout.font, style="B", size=layout.size + 0.5)
    title = start + _at(align, 0, box, pdf.get_string_width(layout.titles[at + 1]))
    pdf.set_font(layout.font, size=layout.size)
    edge = min([title, *(text_x(r) for k, r in enumerate(rows) if k not in chosen)])
    out, past = list(rows), set()
    for k in sorted(chosen):
        # The row's own text in that column never left of the edge: as far left as it lets, or (past it)
        # far enough right for the name to end between the two.
        fits = sorted(
            (x, sorted(c.items()))
            for c in _beside(column, rng, used)
            if (x := text_x(replace(out[k], **c))) >= edge
        )
        far = [f for f in fits if f[0] >= edge + 4]
        if layout.long_names == "past" and far:
            out[k] = replace(out[k], **dict(rng.choice(far)[1]))
        elif fits:
            out[k] = replace(out[k], **dict(fits[0][1]))
        used.add(out[k].symbol)
        own = text_x(out[k])
        end = rng.uniform(edge + 1, own - 2) if own - edge >= 4 and layout.long_names == "past" else None
        end = end or min(edge, own) - rng.uniform(2, 4)
        for _ in range(50):
            name = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 9)))
            stretch = 100 * end / pdf.get_string_width(name)
            if 80 <= stretch <= 120:
                out[k] = replace(out[k], company=name, stretch=stretch)
                if end > edge:
                    past.add(k)
                break
    return out, past


def _beside(column: str, rng: random.Random, used: set[str]) -> list[dict[str, str]]:
    """Texts to try in the column after a long name: the sectors, or symbols of 1-4 letters and a digit
    (no other row's symbol holds a digit; `used`: those given to long names already)."""
    if column == "sector":
        return [{"sector": s} for s in sorted(RGS_SECTORS | ICB_INDUSTRIES)]
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    tried = {"".join(rng.choice(letters) for _ in range(rng.randint(1, 4))) + rng.choice("0123456789")}
    for _ in range(29):
        tried.add("".join(rng.choice(letters) for _ in range(rng.randint(1, 4))) + rng.choice("0123456789"))
    return [{"symbol": s} for s in sorted(tried - used)]


def _at(align: str, x0: float, x1: float, width: float) -> float:
    return x0 if align == "left" else x1 - width if align == "right" else (x0 + x1 - width) / 2


def render(
    layout: Layout, created: datetime | None = CREATED
) -> tuple[
    bytes,
    list[tuple[int, str, str, str | None]],
    tuple[int, str] | None,
    set[tuple[int, str, str, str | None]],
]:
    """The PDF (its CreationDate `created`, none when None), its rows in reading order as (page,
    company, symbol, sector), the bad row's (page, name as printed on its line) when the layout has
    one, and the rows whose names run past the next column's edge (each read whole, or its line unread)."""
    rng = random.Random(layout.seed * 7919 + 1)
    width, height = PAGES[layout.page]
    pdf = FPDF(unit="pt", format=(width, height))
    pdf.set_auto_page_break(False)
    pdf.creation_date = created
    pdf.set_font(layout.font, size=layout.size)
    margin = rng.choice((36.0, 42.0, 54.0))
    tables = 2 if layout.two_up else 1
    span = (width - 2 * margin - (tables - 1) * 24) / tables
    em = pdf.get_string_width("M")
    # Symbol and sector columns as wide as what they print; the company column gets the rest.
    fixed = {
        "symbol": pdf.get_string_width("WWWW.A") + rng.uniform(4, 30),
        "sector": max(pdf.get_string_width(s) for s in RGS_SECTORS | ICB_INDUSTRIES) + rng.uniform(4, 20),
    }
    gutter = max(2.5 * em, 12.0)
    company_width = span - sum(fixed[c] + gutter for c in layout.order if c != "company")
    room = max(8, int(company_width / pdf.get_string_width("W")))
    rows = _rows(layout, rng, room)
    bad = rng.randrange(len(rows)) if layout.bad_row is not None and len(rows) > 2 else None
    # Names run up to (or past) the next column's edge: drawn with their own generator, so the other rows
    # of every layout stay as they were.
    at = layout.order.index("company")
    lengthen = layout.long_names and at + 1 < len(layout.order) and layout.align[at] == "left"
    long_rng = random.Random(layout.seed * 104729 + 3)
    chosen = {k for k in range(len(rows)) if k != bad and not rows[k].wrap_at and long_rng.random() < 0.25}
    chosen, used = chosen if lengthen else set(), set()
    boxes = []  # per table, per column: (x0, x1)
    for t in range(tables):
        x, cols = margin + t * (span + 24), []
        for c in layout.order:
            w = company_width if c == "company" else fixed[c]
            cols.append((x, x + w))
            x += w + gutter
        boxes.append(cols)
    title_size = [rng.choice((9.0, 12.0, 14.0)) for _ in range(layout.title_lines)]
    title_text = _title_lines(layout, rng)
    notice = [_NOTICE[(i + layout.seed) % len(_NOTICE)] for i in range(layout.notice_lines)]
    notice_height = layout.pitch * (layout.notice_gap + 1) + 11 * len(notice) if notice else 0
    bottom = height - 60
    expected, page_no, i, bad_at, past = [], 0, 0, None, set()
    while i < len(rows) or page_no == 0:
        page_no += 1
        pdf.add_page()
        y = 40.0
        if page_no == 1 or layout.titles_every_page:
            for text, size in zip(title_text, title_size, strict=True):
                pdf.set_font(layout.font, size=size)
                pdf.text(margin, y, text)
                y += size * 1.8
        y += layout.pitch
        if page_no == 1 or layout.header_every_page:
            pdf.set_font(layout.font, style="B", size=layout.size + 0.5)
            for cols in boxes:
                for (x0, x1), title, align in zip(cols, layout.titles, layout.align, strict=True):
                    pdf.text(_at(align, x0, x1, pdf.get_string_width(title)), y, title)
            y += layout.pitch * 1.3
        pdf.set_font(layout.font, size=layout.size)
        limit = bottom - (notice_height if layout.notice_every_page else 0)
        per_table = max(1, int((limit - y) // (layout.pitch * 1.7 if layout.wraps else layout.pitch)))
        # Side by side, the tables share their lines: a slot is as tall as its taller row.
        page_rows = [rows[i + t * per_table : i + (t + 1) * per_table] for t in range(tables)]
        past_rows: set[int] = set()
        for t in range(tables) if chosen else ():
            first = i + t * per_table
            mine = {k - first for k in chosen if first <= k < first + len(page_rows[t])}
            page_rows[t], beyond = _long_names(
                layout,
                pdf,
                page_rows[t],
                mine,
                company_width + gutter,
                fixed[layout.order[at + 1]],
                long_rng,
                used,
            )
            past_rows |= {first + k for k in beyond}
        slots, ty = [], y
        for k in range(max(len(r) for r in page_rows)):
            slots.append(ty)
            ty += layout.pitch * (1.7 if any(k < len(r) and r[k].wrap_at for r in page_rows) else 1)
        for t, table_rows in enumerate(page_rows):
            for k, row in enumerate(table_rows):
                if i + t * per_table + k == bad and 0 < k < len(table_rows) - 1:
                    bad_at = (page_no, " ".join(row.company.split()[: row.wrap_at or None]))
                    _draw_row(
                        pdf,
                        layout,
                        boxes[t],
                        slots[k],
                        row,
                        symbol=row.symbol[:1] + " " + row.symbol[1:] + "Q",
                    )
                else:
                    expected.append((page_no, t, row))
                    if i + t * per_table + k in past_rows:
                        past.add((page_no, row.company, row.symbol, row.sector))
                    _draw_row(pdf, layout, boxes[t], slots[k], row)
        i += sum(len(r) for r in page_rows)
        last_y = slots[-1] + (layout.pitch * 0.7 if ty - slots[-1] > layout.pitch else 0) if slots else y
        if notice and (layout.notice_every_page or i >= len(rows)):
            ny = last_y + layout.pitch * layout.notice_gap
            if ny + 11 * len(notice) > bottom:
                pdf.add_page()  # the notice alone on a page of its own after the table
                page_no += 1
                ny = 60.0
            pdf.set_font(layout.font, size=7)
            for line in notice:
                pdf.text(margin + rng.choice((0, 0, 36)), ny, line)
                ny += 11
        _footer(pdf, layout, margin, width, height, page_no)
    reading = sorted(expected, key=lambda e: (e[0], e[1]))  # stable: each table's rows stay in order
    out = [(p, r.company, r.symbol, r.sector) for p, _, r in reading]
    return bytes(pdf.output()), out, bad_at, past


def _draw_row(pdf: FPDF, layout: Layout, cols: list, y: float, row: Row, symbol: str | None = None) -> None:
    values = {"company": row.company, "symbol": symbol or row.symbol, "sector": row.sector or ""}
    if row.wrap_at:
        words = row.company.split()
        values["company"] = " ".join(words[: row.wrap_at])
        x0, x1 = cols[layout.order.index("company")]
        rest = " ".join(words[row.wrap_at :])
        pdf.text(
            _at(layout.align[layout.order.index("company")], x0, x1, pdf.get_string_width(rest)),
            y + layout.size * 1.1,
            rest,
        )
    for (x0, x1), column, align in zip(cols, layout.order, layout.align, strict=True):
        pdf.set_stretching(row.stretch if column == "company" else 100)
        pdf.text(_at(align, x0, x1, pdf.get_string_width(values[column])), y, values[column])
    pdf.set_stretching(100)


def _title_lines(layout: Layout, rng: random.Random) -> list[str]:
    kind = {
        "membership_list": "Membership list",
        "additions": "Russell 3000 Index - Additions",
        "deletions": "Russell 2000 Index - Deletions",
    }[layout.kind]
    extra = [
        "Russell US Indexes",
        "Reconstitution",
        "Quarterly IPO additions - Q3 2025" if layout.kind == "additions" else "Russell 3000 Index",
        "June 27, 2025",
    ]
    lines = [kind, *rng.sample(extra, 3)][: layout.title_lines]
    rng.shuffle(lines)
    return lines


def _footer(pdf: FPDF, layout: Layout, margin: float, width: float, height: float, page: int) -> None:
    pdf.set_font(layout.font, size=7)
    left = {"url": "ftserussell.com", "ftse": "FTSE Russell | Final index list", "date": "June 27, 2025"}[
        layout.footer
    ]
    pdf.text(margin, height - 30, left)
    pdf.text(width - margin - pdf.get_string_width(str(page)), height - 30, str(page))
