"""Read a PDF or text file into pages of positioned words grouped in lines.

Both kinds come out in the same shape so one layout algorithm (lists.py) serves
them: a word has x positions and a `cell` number; cells are runs of words with
no column-sized gap between them (a tab in text files, a wide gap in PDFs).
PDF text comes from pypdfium2 character boxes, which gives the same words for these
documents as pdfplumber's extract_words and is about 22x faster on the four real PDFs
(78 pages): the `ratio:` line of `bench/parse_bench.py ../shared/real`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw

from russell_pipeline.lib.documents.isolated import check_decoded_size, run_isolated
from russell_pipeline.lib.documents.limits import Limits, over_limit
from russell_pipeline.lib.errors import InputError

# A gap wider than this many font sizes separates cells: a space is ~0.3 em,
# table columns here are 5+ em apart.
CELL_GAP_EM = 0.9
# Inside a word, a jump wider than this (no generated space) still splits it.
WORD_GAP_EM = 0.6
_CONTROLS_OK = "\t\n\r\f"
# What a file's first bytes must tell: PDF or text, and whether the text is binary.
PREFIX_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    x0: float
    x1: float
    cell: int


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # 1-based on its page: visual order for PDFs, file line for text
    y: float  # top-down: points from the page top (PDF) or the line number (text)
    words: tuple[Word, ...]
    text: str  # cells joined by tabs, words by single spaces

    def cells(self) -> list[list[Word]]:
        out: list[list[Word]] = []
        for w in self.words:
            if not out or out[-1][-1].cell != w.cell:
                out.append([])
            out[-1].append(w)
        return out


@dataclass(frozen=True, slots=True)
class Page:
    number: int  # 1-based
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class TextLayer:
    kind: str  # "pdf" | "text"
    pages: tuple[Page, ...]
    metadata: dict[str, str]  # the PDF info dictionary (Title, CreationDate, ...); {} for text


def sniff(path: str | Path, head: bytes) -> str:
    """"pdf" or "text" from a file's first PREFIX_BYTES; anything else raises InputError."""
    if not head:
        raise InputError(path, "empty file")
    start = head[:1024]
    if b"%PDF-" in start:
        return "pdf"
    if str(path).lower().endswith(".pdf"):
        lowered = start.lower()
        if b"<html" in lowered or b"<!doctype" in lowered or lowered.lstrip().startswith(b"<"):
            raise InputError(path, "is an HTML page, not a PDF (a failed download saved as .pdf?)")
        raise InputError(path, "is not a PDF (no %PDF- signature)")
    _decode_text(path, head[:PREFIX_BYTES], complete=len(head) < PREFIX_BYTES)
    return "text"


def read_text_layer(path: str | Path, data: bytes, limits: Limits | None = None) -> TextLayer:
    """Pages of positioned lines; every unreadable input becomes an InputError.

    A PDF is bounded before pdfium reads it and read in a child process the kernel bounds
    (isolated.py): a hostile file costs this process nothing."""
    limits = limits or Limits()
    if sniff(path, data[:PREFIX_BYTES]) == "pdf":
        check_decoded_size(path, data)
        return _from_plain(run_isolated(path, _read_pdf_plain, path, data, limits))
    return _read_text(path, data, limits)


# ---------------------------------------------------------------- text files
def _decode_text(path: str | Path, data: bytes, complete: bool = True) -> str:
    if b"\x00" in data:
        raise InputError(path, "binary data, not a text document")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if not complete and exc.reason == "unexpected end of data":
            # A prefix may cut a multi-byte character in two: decode what comes before it.
            text = data[: exc.start].decode("utf-8-sig", errors="replace")
        else:
            text = data.decode("cp1252", errors="replace")
    # Random bytes decode to many control characters; real extractions have almost none.
    bad = sum(ch == "\ufffd" or (ch not in _CONTROLS_OK and unicodedata.category(ch) == "Cc") for ch in text)
    if bad > max(2, len(text) // 100):
        raise InputError(path, "binary data, not a text document")
    return text


def _read_text(path: str | Path, data: bytes, limits: Limits) -> TextLayer:
    text = _decode_text(path, data)
    count = text.count("\f") + 1  # form feeds separate the pages of an extraction
    if count > limits.pages:
        raise InputError(path, over_limit(f"text document has {count:,} pages", limits.pages, "pages"))
    pages = tuple(_text_page(n, chunk) for n, chunk in enumerate(text.split("\f"), start=1))
    return TextLayer("text", pages, {})


def _text_page(number: int, chunk: str) -> Page:
    raw_lines = chunk.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    split = [ln.rstrip().split("\t") for ln in raw_lines]
    # Lay tab cells out as a rendered table would: cell k of every line starts at the
    # same x (the widest earlier cells decide), so headers and data align by position.
    widths: list[int] = []
    for cells in split:
        if len(cells) > 1:
            for k, cell in enumerate(cells):
                if k == len(widths):
                    widths.append(0)
                widths[k] = max(widths[k], len(cell))
    starts = [0]
    for w in widths:
        starts.append(starts[-1] + w + 2)
    lines = []
    for n, (raw, cells) in enumerate(zip(raw_lines, split, strict=True), start=1):
        words: list[Word] = []
        for k, cell in enumerate(cells):
            base = starts[k] if len(cells) > 1 else 0
            for m in re.finditer(r"\S+", cell):
                words.append(Word(m.group(), base + m.start(), base + m.end(), k))
        if words:
            lines.append(Line(n, float(n), tuple(words), raw.rstrip()))
    return Page(number, tuple(lines))


# ---------------------------------------------------------------- PDFs
def _read_pdf(path: str | Path, data: bytes, limits: Limits) -> TextLayer:
    # pdfium silently rebuilds a truncated file from what is left; a missing
    # end-of-file marker is the reliable sign that pages may be gone.
    if b"%%EOF" not in data[-2048:]:
        raise InputError(path, "truncated PDF (no %%EOF marker at the end)")
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise InputError(path, "encrypted PDF (needs a password)") from None
        raise InputError(path, f"unreadable PDF ({_pdfium_reason(exc)})") from None
    try:
        # Both limits are known before the costly part, reading each character's box.
        if len(doc) > limits.pages:
            raise InputError(path, over_limit(f"PDF has {len(doc):,} pages", limits.pages, "pages"))
        metadata = {k: v for k, v in doc.get_metadata_dict().items() if v}
        pages, chars = [], 0
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            try:
                chars += tp.count_chars()
                if chars > limits.text_chars:
                    raise InputError(path, over_limit(f"PDF text layer reaches {chars:,} characters by page {i + 1}",
                                                      limits.text_chars, "text_chars"))
                pages.append(Page(i + 1, _pdf_lines(page.get_height(), tp)))
            finally:
                tp.close()
                page.close()
    except pdfium.PdfiumError as exc:
        raise InputError(path, f"damaged PDF ({_pdfium_reason(exc)})") from None
    finally:
        doc.close()
    if not pages:
        raise InputError(path, "PDF has no pages")
    if not any(p.lines for p in pages):
        raise InputError(path, "PDF has no text layer (a scanned image?); OCR it first")
    return TextLayer("pdf", tuple(pages), metadata)


def _read_pdf_plain(path: str | Path, data: bytes, limits: Limits) -> tuple:
    """`_read_pdf` as plain tuples: what crosses from the reading child back costs 4x less to unpickle."""
    layer = _read_pdf(path, data, limits)
    return (layer.kind, layer.metadata, [(p.number, [(ln.number, ln.y, ln.text, [(w.text, w.x0, w.x1, w.cell)
                                                                                  for w in ln.words])
                                                     for ln in p.lines]) for p in layer.pages])


def _from_plain(plain: tuple) -> TextLayer:
    kind, metadata, pages = plain
    return TextLayer(kind, tuple(Page(n, tuple(Line(number, y, tuple(Word(*w) for w in words), text)
                                               for number, y, text, words in lines)) for n, lines in pages), metadata)


def _pdfium_reason(exc: Exception) -> str:
    """pdfium's own words ("Data format error"), without the library's call wrapper."""
    m = re.search(r"PDFium: ([^)]*)", str(exc))
    return (m.group(1) if m else str(exc)).strip(" .").lower()


def _pdf_words(height: float, tp: pdfium.PdfTextPage) -> list[tuple[str, float, float, float, float, float]]:
    """(text, x0, x1, top, bottom, size) per word, top/bottom measured from the page top."""
    n = tp.count_chars()
    text = tp.get_text_range(0, n) if n else ""
    if len(text) != n:  # surrogate pairs shift indices: read chars one by one
        text = "".join(chr(pdfium_raw.FPDFText_GetUnicode(tp.raw, i)) for i in range(n))
    words = []
    cur: list[str] = []
    x0 = x1 = top = bottom = 0.0
    for i, ch in enumerate(text):
        if ch.isspace():
            if cur:
                words.append(("".join(cur), x0, x1, top, bottom, bottom - top))
                cur = []
            continue
        if not ch.isprintable():  # soft hyphens, pdfium's \x02 markers: not text
            continue
        left, b, right, t = tp.get_charbox(i, loose=True)
        ctop, cbot = height - t, height - b
        if cur:
            size = bottom - top
            mid = (ctop + cbot) / 2
            if not top <= mid <= bottom or left < x1 - size or left - x1 > WORD_GAP_EM * size:
                words.append(("".join(cur), x0, x1, top, bottom, size))
                cur = []
        if not cur:
            x0, top, bottom = left, ctop, cbot
        cur.append(ch)
        x1 = right
    if cur:
        words.append(("".join(cur), x0, x1, top, bottom, bottom - top))
    return words


def _pdf_lines(height: float, tp: pdfium.PdfTextPage) -> tuple[Line, ...]:
    words = _pdf_words(height, tp)
    words.sort(key=lambda w: ((w[3] + w[4]) / 2, w[1]))
    groups: list[list[tuple]] = []
    band = (0.0, -1.0)
    for w in words:
        mid = (w[3] + w[4]) / 2
        # Same line while the word's middle sits inside the first word's band:
        # header cells in different font sizes still share a line.
        if groups and band[0] <= mid <= band[1]:
            groups[-1].append(w)
        else:
            groups.append([w])
            band = (w[3], w[4])
    lines = []
    for n, group in enumerate(groups, start=1):
        group.sort(key=lambda w: w[1])
        out: list[Word] = []
        cell = 0
        for k, (text, x0, x1, _top, _bottom, size) in enumerate(group):
            if k and x0 - group[k - 1][2] > CELL_GAP_EM * max(size, group[k - 1][5]):
                cell += 1
            out.append(Word(text, round(x0, 2), round(x1, 2), cell))
        y = round(sum((w[3] + w[4]) / 2 for w in group) / len(group), 2)
        lines.append(Line(n, y, tuple(out), _join_cells(out)))
    return tuple(lines)


def _join_cells(words: list[Word]) -> str:
    parts: list[str] = []
    for k, w in enumerate(words):
        if k:
            parts.append("\t" if w.cell != words[k - 1].cell else " ")
        parts.append(w.text)
    return "".join(parts)
