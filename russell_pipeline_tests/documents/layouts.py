"""List PDFs drawn from random layouts of the FTSE Russell family, and the rows each must read as.

A `Layout` is drawn from a seed: the family (a two-up membership list, an addition or deletion list,
a quarterly IPO list with the ticker first), page size and font, one table a page or two side by
side, the column order and titles, each column left-aligned, centred or right-aligned under its title
(the title aligned with it), 1-4 title lines on every page or on the first only, the header on every
page or on the first only, a notice block of 1-12 lines after the table on the last page or on every
page (close under the last row or further down), a footer with the page number, names with digits,
`&`, `'`, `-` and class suffixes, symbols with `.A`/`.B`, names wrapped onto a second line, long names
printed up to the left edge of the column after them (the leftmost of its title and of what its rows
print there) or past it (into that column, up to the row's own text). Some
layouts hold one bad row (its symbol split in two) strictly inside a table: that line, and only
that one, must be named as unread.

Pages that are not part of the table are mixed in at random positions (before, between or after the
table pages): a cover, an about page, a disclaimer, a methodology note, a contact block in one, two or
three columns (at random places, some on the table's own columns), a summary of counts by sector, a
blank page, a page of footnotes. The text is set in a core font (Type 1, not embedded) or in an
embedded TrueType font (DejaVu, from matplotlib); some layouts draw each page's text in a random order
(not the order it reads in), some pages are turned (/Rotate 90 or 270, the text drawn turned the other
way so the page shows upright), and some are cropped (a crop box inside the media box, with a printer's
slug outside it that a reader never sees); in some, every other table page is moved along the line (a
two-sided document's margins: the header, where it is printed, with it). `render` draws the PDF with
fpdf2 (turned and cropped pages are set with pypdfium2) and returns the rows in reading order (page by
page, the left table, then the right one).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from russell_pipeline.lib.documents.sectors import ICB_INDUSTRIES, RGS_SECTORS

if TYPE_CHECKING:  # imported where a PDF is drawn: every xdist worker collects the modules importing this one
    from fpdf import FPDF

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
    ipo: bool = False  # a quarterly IPO list: ticker first, `IPO Additions` in its title
    schedule: bool = False  # a reconstitution schedule (a timetable of dates), not a list
    furniture: tuple[tuple[float, str], ...] = ()  # (where among the table pages 0..1, kind) of each page
    embedded: bool = False  # text in an embedded TrueType font (DejaVu), not a core font
    shuffled: bool = False  # each page's text drawn in a random order
    turned: tuple[int, ...] = ()  # the page rotation (0, 90, 270) of each page, cycled
    cropped: bool = False  # a crop box inside the media box, a slug outside it
    shift: float = 0.0  # every other table page drawn this far right (points, within its margins)
    contact_at: tuple[float, ...] = field(default=())  # the contact block's column starts (fractions)
    long_names: str = ""  # "up_to" | "past": some names run up to the next column's edge, or past it
    # A contact block set, not drawn (tests): per column, where it starts (("column", k): at the start of
    # the page's k-th table column, left to right; ("at", f): `f` of the width between the margins) and
    # its region (an index into _REGIONS).
    contact: tuple[tuple[str, float, int], ...] = ()


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
    layout = Layout(
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
        **_page_kinds(seed, kind),
        long_names=rng.choice(("", "", "up_to", "past")),  # the draws above stay as they were
    )
    if layout.schedule:
        return replace(layout, kind="schedule", two_up=False, bad_row=None)
    if not layout.ipo:
        return layout
    # FTSE Russell's quarterly IPO additions: Ticker, then Company Name (then the sector, if any).
    first = [layout.order.index("symbol"), layout.order.index("company")]
    rest = [i for i in range(len(layout.order)) if i not in first]
    pick = first + rest
    return replace(
        layout,
        order=tuple(layout.order[i] for i in pick),
        titles=("Ticker", "Company Name", *(layout.titles[i] for i in rest)),
        align=tuple(layout.align[i] for i in pick),
        two_up=False,
    )


FURNITURE = ("cover", "about", "disclaimer", "methodology", "contact", "sectors", "blank", "footnotes")


def _page_kinds(seed: int, kind: str) -> dict:
    """The layout's pages beyond its table and how its text is set, from their own random stream (so the
    table of a seed stays the one it was)."""
    rng = random.Random(seed * 104729 + 17)
    count = rng.choice((0, 1, 1, 2, 3))
    furniture = tuple(
        sorted((rng.choice((0.0, 1.0, rng.random())), rng.choice(FURNITURE)) for _ in range(count))
    )
    columns = rng.choice((1, 2, 2, 3))
    schedule = rng.random() < 0.12
    return {
        "schedule": schedule,
        "ipo": not schedule and kind == "additions" and rng.random() < 0.5,
        "furniture": furniture,
        "embedded": rng.random() < 0.4,
        "shuffled": rng.random() < 0.3,
        "turned": rng.choice(((0,), (0,), (0,), (90,), (270,), (0, 90), (0, 0, 270))),
        "cropped": rng.random() < 0.25,
        "contact_at": tuple(sorted(rng.uniform(0.0, 0.7) for _ in range(columns))),
        "shift": rng.choice((0.0, 0.0, 0.0, round(rng.uniform(2.0, 30.0) * rng.choice((1, -1)), 1))),
    }


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
    pdf: _Canvas,
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
    if layout.schedule:
        return _render_schedule(layout, created)
    rng = random.Random(layout.seed * 7919 + 1)
    width, height = PAGES[layout.page]
    pdf = _Canvas(layout, width, height)
    pdf.set_font(layout.font, size=layout.size)
    margin = rng.choice((36.0, 42.0, 54.0))
    # The shift of every other page, within its margins (and its crop box): the text stays on the page.
    reach = margin - (CROP if layout.cropped else 0.0) - 4.0
    shift = max(-reach, min(reach, layout.shift))
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
        pdf.dx = shift if page_no % 2 == 0 else 0.0
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
                pdf.dx = shift if page_no % 2 == 0 else 0.0
                ny = 60.0
            pdf.set_font(layout.font, size=7)
            for line in notice:
                pdf.text(margin + rng.choice((0, 0, 36)), ny, line)
                ny += 11
        _footer(pdf, layout, margin, width, height, page_no)
    pdf.dx = 0.0
    at = _with_furniture(pdf, layout, margin, boxes)  # table page -> page of the document
    reading = sorted(expected, key=lambda e: (e[0], e[1]))  # stable: each table's rows stay in order
    out = [(at[p], r.company, r.symbol, r.sector) for p, _, r in reading]
    bad = (at[bad_at[0]], bad_at[1]) if bad_at else None
    return _emit(pdf, layout, created), out, bad, {(at[p], *rest) for p, *rest in past}


_Op = tuple[str, str, float, float, float, str, float]  # (family, style, size, x, y, text, stretch)


class _Canvas:
    """What `render` draws, recorded page by page (fpdf2's calls, measured in the font it will be set in),
    so pages can be put in another order, drawn in another order, turned and cropped."""

    def __init__(self, layout: Layout, width: float, height: float):
        self.layout, self.width, self.height = layout, width, height
        self.pages: list[list[_Op]] = []
        self.measure = _fpdf(layout, width, height)
        self.measure.add_page()
        self.font: tuple[str, str, float] = (layout.font, "", layout.size)
        self.stretch = 100.0
        self.dx = 0.0  # how far right the page's text is drawn from where it is placed (`Layout.shift`)

    def add_page(self) -> None:
        self.pages.append([])

    def set_font(self, family: str, style: str = "", size: float = 0.0) -> None:
        self.font = (family, style, size or self.font[2])
        self.measure.set_font(_family(self.layout, family), style=style, size=self.font[2])

    def set_stretching(self, stretch: float) -> None:
        self.stretch = stretch
        self.measure.set_stretching(stretch)

    def get_string_width(self, text: str) -> float:
        return self.measure.get_string_width(text)

    def text(self, x: float, y: float, text: str) -> None:
        self.pages[-1].append((*self.font, x + self.dx, y, text, self.stretch))


@cache
def _ttf() -> tuple[str, str]:
    """DejaVu Sans, regular and bold, as matplotlib (a test dependency) ships them."""
    import matplotlib

    folder = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf"
    return str(folder / "DejaVuSans.ttf"), str(folder / "DejaVuSans-Bold.ttf")


def _fpdf(layout: Layout, width: float, height: float) -> FPDF:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(width, height))
    pdf.set_auto_page_break(False)
    if layout.embedded:
        regular, bold = _ttf()
        pdf.add_font("dejavu", "", regular)
        pdf.add_font("dejavu", "B", bold)
    return pdf


def _family(layout: Layout, family: str) -> str:
    return "dejavu" if layout.embedded else family


def _with_furniture(pdf: _Canvas, layout: Layout, margin: float, boxes: list) -> dict[int, int]:
    """The layout's furniture pages put among the table pages; {table page: its page in the document}."""
    rng = random.Random(layout.seed * 6007 + 3)
    tables = len(pdf.pages)
    before: dict[int, list[list[_Op]]] = {}
    for where, kind in layout.furniture:
        before.setdefault(round(where * tables), []).append(_furniture(pdf, layout, kind, margin, boxes, rng))
    pages, at = [], {}
    for k in range(tables + 1):
        pages += before.get(k, [])
        if k < tables:
            pages.append(pdf.pages[k])
            at[k + 1] = len(pages)
    pdf.pages = pages
    return at


_ABOUT = (
    "FTSE Russell is a leading global provider of benchmarking, analytics and data solutions for investors,",
    "giving them a precise view of the market relevant to their investment process. A comprehensive range",
    "of reliable and accurate indexes provides investors worldwide with the tools they require to measure",
    "and benchmark markets across asset classes, styles or strategies.",
)
_METHOD = (
    "The lists below are ranked by total market capitalization as of the rank day. Companies are",
    "assigned to the index for which they are eligible on that day; membership is reviewed annually",
    "and quarterly for initial public offerings.",
)
_FOOTNOTES = (
    "* Company added after the rank day as a result of a spin-off.",
    "1 Symbol changed after the lists were published; the new symbol is shown.",
    "2 Class A and class B shares are listed separately where both are eligible.",
)
_REGIONS = (
    ("EMEA", "10 Paternoster Square", "LONDON EC4M 7LS", "+44 (0) 20 7866 1810"),
    ("NORTH AMERICA", "1 Liberty Plaza", "NEW YORK NY 10006", "+1 877 503 6437"),
    ("ASIA-PACIFIC", "18 Harbour Road", "HONG KONG", "+852 2164 3333"),
    ("Americas", "One World Trade Center", "New York", "+1 877 503 6437"),
    ("Tokyo", "Marunouchi 1-chome", "TOKYO 100-0005", "+81 3 4563 6346"),
)
_SECTORS = ("Technology", "Health Care", "Financials", "Industrials", "Energy", "Utilities")


def _furniture(pdf: _Canvas, layout: Layout, kind: str, margin: float, boxes: list, rng: random.Random):
    """The ops of one page that holds no part of the table (FURNITURE), with a footer."""
    ops: list[_Op] = []
    f, size = layout.font, 8.0

    def line(x: float, y: float, text: str, s: float = size, style: str = "") -> None:
        ops.append((f, style, s, x, y, text, 100.0))

    width = pdf.width
    y = 60.0
    if kind == "blank":
        return ops
    if kind == "cover":
        titles = ["Russell US Indexes", "Reconstitution"] if layout.schedule else None
        for text in titles or _title_lines(layout, random.Random(layout.seed)):
            line(margin, y, text, 16.0)
            y += 30
    elif kind in ("about", "disclaimer"):
        line(margin, y, "About FTSE Russell" if kind == "about" else "Disclaimer", 12.0)
        for text in _ABOUT if kind == "about" else _NOTICE[2:]:
            y += 12
            line(margin, y, text)
    elif kind == "methodology":
        line(margin, y, "Methodology note", 12.0)
        line(margin, y + 14, "RUSSELL US INDEXES")
        for text in _METHOD:
            y += 12
            line(margin, y + 14, text)
    elif kind == "footnotes":
        for text in _FOOTNOTES:
            line(margin, y, text)
            y += 12
    elif kind == "sectors":
        line(margin, y, "Summary by sector", 12.0)
        upper = rng.random() < 0.5
        x1 = rng.choice([margin + 200, *(c[0] for cols in boxes for c in cols)])
        for name in _SECTORS:
            y += 12
            line(margin, y, name.upper() if upper else name)
            line(x1, y, str(rng.randint(20, 600)))
    elif kind == "contact":
        line(margin, y, "For more information about our indexes, please visit ftserussell.com.")
        y += 30
        starts = [c[0] for cols in boxes for c in cols]
        if layout.contact:
            xs = [
                starts[int(v)] if how == "column" else margin + v * (width - 2 * margin)
                for how, v, _ in layout.contact
            ]
            regions = [_REGIONS[r] for *_, r in layout.contact]
        else:
            xs = [
                rng.choice(starts) if starts and rng.random() < 0.5 else margin + a * (width - 2 * margin)
                for a in layout.contact_at
            ]
            regions = rng.sample(_REGIONS, len(xs))
        for k in range(4):
            for x, region in zip(xs, regions, strict=True):
                line(x, y, region[k], size, "B" if k == 0 else "")
            y += 12
    _footer_ops(ops, layout, margin, width, pdf.height)
    return ops


def _footer_ops(ops: list[_Op], layout: Layout, margin: float, width: float, height: float) -> None:
    left = {"url": "ftserussell.com", "ftse": "FTSE Russell | Final index list", "date": "June 27, 2025"}
    ops.append((layout.font, "", 7.0, margin, height - 30, left[layout.footer], 100.0))


def _emit(pdf: _Canvas, layout: Layout, created: datetime | None) -> bytes:
    """The recorded pages as a PDF: in the layout's font, each page's text in reading or random order,
    then the turned and cropped pages set."""
    out = _fpdf(layout, pdf.width, pdf.height)
    out.creation_date = created
    rng = random.Random(layout.seed * 3571 + 5)
    slug = f"PROOF {layout.seed:05d} - printed for review - not for distribution"
    for ops in pdf.pages:
        out.add_page()
        if layout.cropped:
            ops = [
                *ops,
                (layout.font, "", 6.0, 12.0, pdf.height - 6.0, slug, 100.0),
                (layout.font, "", 6.0, 12.0, 9.0, slug, 100.0),
            ]
        if layout.shuffled:
            ops = rng.sample(ops, len(ops))
        for family, style, size, x, y, text, stretch in ops:
            out.set_font(_family(layout, family), style=style, size=size)
            out.set_stretching(stretch)
            out.text(x, y, text)
    data = bytes(out.output())
    if not layout.cropped and set(layout.turned) == {0}:
        return data
    return _turned_and_cropped(data, layout, pdf.width, pdf.height)


CROP = 20.0  # points the crop box leaves off each side of a cropped page


def _turned_and_cropped(data: bytes, layout: Layout, width: float, height: float) -> bytes:
    """Each page turned as `layout.turned` cycles (its text drawn turned the other way, so it shows
    upright) and cropped by CROP on every side when `layout.cropped`, by pypdfium2."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        for i in range(len(doc)):
            page = doc[i]
            turn = layout.turned[i % len(layout.turned)]
            w, h = (height, width) if turn else (width, height)
            if turn:
                # Shown (x, y) -> drawn: turned 90 the page shows x = y_drawn, y = h_drawn - x_drawn.
                matrix = (
                    pdfium.PdfMatrix(0, 1, -1, 0, height, 0)
                    if turn == 90
                    else pdfium.PdfMatrix(0, -1, 1, 0, 0, width)
                )
                for obj in page.get_objects():
                    obj.transform(matrix)
                page.set_mediabox(0, 0, w, h)
                page.set_rotation(turn)
                page.gen_content()
            if layout.cropped:
                page.set_cropbox(CROP, CROP, w - CROP, h - CROP)
            page.close()
        buffer = io.BytesIO()
        doc.save(buffer)
        return buffer.getvalue()
    finally:
        doc.close()


def _draw_row(
    pdf: _Canvas, layout: Layout, cols: list, y: float, row: Row, symbol: str | None = None
) -> None:
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
        "additions": "Russell 3000 Index - IPO Additions" if layout.ipo else "Russell 3000 Index - Additions",
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


def _footer(pdf: _Canvas, layout: Layout, margin: float, width: float, height: float, page: int) -> None:
    pdf.set_font(layout.font, size=7)
    left = {"url": "ftserussell.com", "ftse": "FTSE Russell | Final index list", "date": "June 27, 2025"}[
        layout.footer
    ]
    pdf.text(margin, height - 30, left)
    pdf.text(width - margin - pdf.get_string_width(str(page)), height - 30, str(page))


def outcome(layout: Layout, expected: list, bad: tuple[int, str] | None, doc=None, error=None) -> str:
    """What became of one rendered layout: `exact` (its kind and every row, nothing unread),
    `refused-located` (refused with the lines named by page and line: the bad row, when it has one,
    and each row not read among them),
    `refused-unlocated` (a one-line refusal naming no line), or `wrong: why` (read with a row, a kind
    or a bad row missed, a row lost: what must never happen)."""
    import polars as pl

    if error is not None:
        return "refused-unlocated" if type(error).__name__ == "InputError" else f"wrong: crashed ({error!r})"
    if doc.doc_type != layout.kind:
        return f"wrong: read as {doc.doc_type}"
    if layout.kind == "schedule":
        from russell_pipeline.lib.calendar.published import read_schedule

        try:
            published = read_schedule(doc, doc.path)
        except Exception as err:  # noqa: BLE001 - an InputError names its line; anything else is wrong
            located = type(err).__name__ == "InputError" and " line " in str(err)
            return "refused-located" if located else f"wrong: schedule crashed ({err!r})"
        got = sorted(published.rows.select("review", "review_type", "event", "date").rows())
        return "exact" if got == expected else f"wrong: schedule rows {got[:3]} for {expected[:3]}"
    unread = doc.unread.rows()
    sector = pl.col("sector") if "sector" in doc.rows.columns else pl.lit(None, pl.String)
    got = doc.rows.select("source_page", "company", "symbol", sector.alias("sector")).rows()
    # Every row is read, or its line is named unread (the test asks more of a row whose name does not run
    # past the next column's edge, `past`: that it is read).
    refused = [e for e in expected if e not in set(got)]
    if got != [e for e in expected if e not in refused]:
        first = next(
            (i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected))
        )
        return f"wrong: {len(got)} rows for {len(expected)}, first difference at row {first}"
    if bad is not None and not any(p == bad[0] and bad[1] in t for p, _, t in unread):
        return f"wrong: the bad row on page {bad[0]} ({bad[1]}) not named, unread: {unread[:2]}"
    for page, _, symbol, _ in refused:
        if not any(p == page and symbol in t.split() for p, _, t in unread):
            return f"wrong: the row of {symbol} on page {page} neither read nor named"
    if len(unread) > len(refused) + (bad is not None):
        return (
            f"wrong: {len(unread)} lines unread for {len(refused) + (bad is not None)} not read: {unread[:2]}"
        )
    return "refused-located" if unread else "exact"


_MONTH_NAMES = tuple(date(2000, m, 1).strftime("%B") for m in range(1, 13))


def _friday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 7 * (n - 1))


def schedule_dates(layout: Layout) -> tuple[int, list[tuple[str, str, date, date | None]]]:
    """(year, [(event, label, date, end date of a period)]) of a schedule layout's timetable: an annual
    reconstitution closing on the fourth Friday of June, its events the usual weeks before it."""
    rng = random.Random(layout.seed * 7 + 11)
    year = rng.randint(2019, 2030)
    close = _friday(year, 6, 4)
    weeks = rng.choice((6, 7))
    return year, [
        (
            "rank_day",
            "Rank day. Membership eligibility is determined at market close.",
            close - timedelta(weeks=weeks),
            None,
        ),
        (
            "query_period",
            "Query period. Users are welcome to query the published data.",
            close - timedelta(weeks=5),
            close - timedelta(weeks=2),
        ),
        (
            "preliminary_list",
            "Preliminary membership lists are published after market close.",
            close - timedelta(weeks=3),
            None,
        ),
        (
            "lock_down",
            "Lock-down. No further corrections will be implemented.",
            close - timedelta(days=11),
            None,
        ),
        (
            "final_list",
            "Final membership lists are published after market close.",
            close - timedelta(weeks=1),
            None,
        ),
        ("implementation", "The Russell US reconstitution is implemented after market close.", close, None),
    ]


def _said(d: date, style: int) -> str:
    month = _MONTH_NAMES[d.month - 1]
    return f"{d:%A} {d.day:02d} {month} {d.year}" if style == 0 else f"{d:%A}, {month} {d.day}, {d.year}"


def _render_schedule(layout: Layout, created: datetime | None) -> tuple[bytes, list, None, set]:
    """A reconstitution schedule: title, prose, and a timetable (`Friday 09 May 2025: Rank day. ...`),
    with the layout's furniture pages, fonts, order and turns; its calendar rows as (review,
    review_type, event, date), sorted."""
    from russell_pipeline.lib.sessions import next_session

    rng = random.Random(layout.seed * 13 + 5)
    width, height = PAGES[layout.page]
    pdf = _Canvas(layout, width, height)
    margin = rng.choice((36.0, 42.0, 54.0))
    year, events = schedule_dates(layout)
    style, tabbed = rng.randint(0, 1), rng.random() < 0.3
    pdf.add_page()
    pdf.set_font(layout.font, size=14.0)
    pdf.text(margin, 50, f"Russell US Indexes - Annual Reconstitution {year}")
    pdf.set_font(layout.font, size=layout.size)
    y = 80.0
    for text in (
        "Performed annually, reconstitution ensures that the Russell US indexes continue to reflect",
        "the current state of the US equity market and its market segments.",
    ):
        pdf.text(margin, y, text)
        y += layout.pitch
    if rng.random() < 0.5:  # the timetable on a page of its own
        _footer(pdf, layout, margin, width, height, 1)
        pdf.add_page()
        pdf.set_font(layout.font, size=layout.size)
        y = 60.0
    pdf.text(margin, y + layout.pitch, "Timetable:")
    y += 2.5 * layout.pitch
    for _, label, start, end in events:
        said = _said(start, style) + (f" to {_said(end, style)}" if end else "")
        if tabbed:  # the date and its label in cells of their own
            pdf.text(margin, y, said)
            pdf.text(margin + pdf.get_string_width(said) + 3 * pdf.get_string_width("M"), y, label)
        else:
            pdf.text(margin, y, f"{said}: {label}")
        y += layout.pitch * 1.5
    _footer(pdf, layout, margin, width, height, len(pdf.pages))
    _with_furniture(pdf, layout, margin, [])
    review = f"{year}-06"
    rows = []
    for event, _, start, end in events:
        if event == "query_period":
            rows += [("query_period_start", start), ("query_period_end", end)]
        elif event == "implementation":
            rows += [("recon_close", start), ("effective_open", next_session(start))]
        else:
            rows.append((event, start))
    expected = sorted((review, "annual_reconstitution", e, d) for e, d in rows)
    return _emit(pdf, layout, created), expected, None, set()
