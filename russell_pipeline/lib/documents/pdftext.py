"""Read a PDF or text file into pages of positioned words grouped in lines.

Both kinds come out in the same shape so one layout algorithm (lists.py) serves
them: a word has x positions and a `cell` number; cells are runs of words with
no column-sized gap between them (a tab in text files, a wide gap in PDFs).
PDF text comes from pdfium's text and loose character boxes, read a page at a time in a
bounded child (`_read_pdf_pages`) and laid out with numpy (pdflayout.py); it gives the same
words for these documents as pdfplumber's extract_words, many times faster: the `ratio:` and
`parser / pypdfium2 text-only:` lines of `bench/parse_bench.py ../shared/real`.
"""

from __future__ import annotations

import ctypes
import re
import unicodedata
from itertools import accumulate, chain, repeat
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw

from russell_pipeline.lib.documents.isolated import Isolated, check_decoded_size
from russell_pipeline.lib.documents.limits import Limits, over_limit
from russell_pipeline.lib.documents.textlayer import Line, Page, TextLayer, Word
from russell_pipeline.lib.errors import InputError

_CONTROLS_OK = "\t\n\r\f"
# What a file's first bytes must tell: PDF or text, and whether the text is binary.
PREFIX_BYTES = 64 * 1024


def sniff(path: str | Path, head: bytes) -> str:
    """ "pdf" or "text" from a file's first PREFIX_BYTES; anything else raises InputError."""
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
    reading = start_pdf(path, data, limits)
    return reading.layer() if reading is not None else _read_text(path, data, limits or Limits())


class PdfReading:
    """A PDF's text layer being read in the bounded child (`start_pdf`): `layer()` waits for it and lays
    its lines out; `stop()` ends the child unheard. `data`: the file's bytes."""

    def __init__(self, path: str | Path, data: bytes, limits: Limits) -> None:
        self.path, self.data = path, data
        self._child = Isolated(path, _read_pdf_pages, path, data, limits)

    def layer(self) -> TextLayer:
        return _laid_out(self.path, self._child.result())

    def stop(self) -> None:
        self._child.stop()


def start_pdf(path: str | Path, data: bytes, limits: Limits | None = None) -> PdfReading | None:
    """`read_text_layer`'s reading of a PDF started and not waited for (None: `data` is a text document):
    the caller loads or works on meanwhile, as `parse` does. The file is bounded first (isolated.py)."""
    if sniff(path, data[:PREFIX_BYTES]) != "pdf":
        return None
    check_decoded_size(path, data)
    return PdfReading(path, data, limits or Limits())


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
    chunks = [chunk.replace("\r\n", "\n").replace("\r", "\n").split("\n") for chunk in text.split("\f")]
    cells = [[line.rstrip().split("\t") for line in chunk] for chunk in chunks]
    # Lay tab cells out as a rendered table would: cell k of every line of every page starts at the same
    # x (the widest earlier cells decide), so headers and data align by position, on a page that
    # carries a table without its header too.
    widths: list[int] = []
    for split in chain.from_iterable(cells):
        if len(split) > 1:
            for k, cell in enumerate(split):
                if k == len(widths):
                    widths.append(0)
                widths[k] = max(widths[k], len(cell))
    starts = [0, *accumulate(w + 2 for w in widths)]
    pages = tuple(
        _text_page(n, chunk, split, starts)
        for n, (chunk, split) in enumerate(zip(chunks, cells, strict=True), start=1)
    )
    return TextLayer("text", pages, {})


def _text_page(number: int, raw_lines: list[str], split: list[list[str]], starts: list[int]) -> Page:
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
# pdfium's loose character box through a plain C prototype: pypdfium2's typed binding checks each
# argument's type and costs several times the C call itself; called through `map`, a page's boxes
# are read with no Python step per character.
_LOOSE_BOX = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)(
    ctypes.cast(pdfium_raw.FPDFText_GetLooseCharBox, ctypes.c_void_p).value
)
_BOX_BYTES = ctypes.sizeof(pdfium_raw.FS_RECTF)  # left, top, right, bottom as float32


def _read_pdf(path: str | Path, data: bytes, limits: Limits) -> TextLayer:
    """The PDF's text layer, read in this process."""
    return _laid_out(path, _read_pdf_pages(path, data, limits))


def _read_pdf_pages(path: str | Path, data: bytes, limits: Limits) -> tuple:
    """(metadata, [(page view, text, character boxes, box read) per page]): what pdfium gives, as
    bytes; what crosses from the reading child back costs little to unpickle. The view (`_view`) is
    the page's rotation and crop box."""
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
                n = tp.count_chars()
                chars += n
                if chars > limits.text_chars:
                    raise InputError(
                        path,
                        over_limit(
                            f"PDF text layer reaches {chars:,} characters by page {i + 1}",
                            limits.text_chars,
                            "text_chars",
                        ),
                    )
                pages.append((_view(page), _page_text(tp, n), *_char_boxes(tp, n)))
            finally:
                tp.close()
                page.close()
    except pdfium.PdfiumError as exc:
        raise InputError(path, f"damaged PDF ({_pdfium_reason(exc)})") from None
    finally:
        doc.close()
    if not pages:
        raise InputError(path, "PDF has no pages")
    return metadata, pages


def _view(page: pdfium.PdfPage) -> tuple[int, float, float, float, float]:
    """(rotation in degrees clockwise, crop box left, bottom, right, top): how the page is shown. Its
    text is laid out as shown (pdflayout.py): upright on a page its /Rotate turns, and only inside
    its crop box (text cropped away is not on the page a reader sees)."""
    # The box pdfium shows (the crop box within the media box, either inherited from the page tree):
    # get_cropbox reads the page's own entry only, and falls back to a Letter page without one.
    left, bottom, right, top = page.get_bbox()
    return page.get_rotation() % 360, left, bottom, right, top


def _page_text(tp: pdfium.PdfTextPage, n: int) -> str:
    """One character per pdfium character index."""
    text = tp.get_text_range(0, n) if n else ""
    if len(text) != n:  # surrogate pairs shift indices: read chars one by one
        text = "".join(chr(pdfium_raw.FPDFText_GetUnicode(tp.raw, i)) for i in range(n))
    return text


def _char_boxes(tp: pdfium.PdfTextPage, n: int) -> tuple[bytes, bytes]:
    """Every character's loose box (pdfium's FS_RECTF) and one byte per character: 1 where pdfium gave it."""
    boxes = ctypes.create_string_buffer(_BOX_BYTES * n)
    base, handle = ctypes.addressof(boxes), ctypes.cast(tp.raw, ctypes.c_void_p).value
    ok = bytes(map(_LOOSE_BOX, repeat(handle, n), range(n), range(base, base + _BOX_BYTES * n, _BOX_BYTES)))
    return boxes.raw, ok


def _laid_out(path: str | Path, read: tuple) -> TextLayer:
    """The pages' lines from what `_read_pdf_pages` read (pdflayout.py; numpy is imported with it)."""
    from russell_pipeline.lib.documents.pdflayout import page_lines

    metadata, pages = read
    layer = tuple(Page(number, page_lines(path, *page)) for number, page in enumerate(pages, start=1))
    if not any(p.lines for p in layer):
        raise InputError(path, "PDF has no text layer (a scanned image?); OCR it first")
    return TextLayer("pdf", layer, metadata)


def _pdfium_reason(exc: Exception) -> str:
    """pdfium's own words ("Data format error"), without the library's call wrapper."""
    m = re.search(r"PDFium: ([^)]*)", str(exc))
    return (m.group(1) if m else str(exc)).strip(" .").lower()
