"""Words, lines and cells of a PDF page from its text and its characters' boxes, a page at a time.

The reading child (pdftext.py) hands over, per page, pdfium's text and every character's loose
box as one float32 buffer; here numpy arrays turn them into the page's lines: no Python step per
character. The rules are the ones a reader would apply character by character:

- a word is a run of printable characters without whitespace between them, split again where a
  character leaves the band of the word's first character, steps back more than one font size,
  or jumps more than WORD_GAP_EM font sizes to the right;
- words sorted by their middle (then x) share a line while their middle sits inside the band of
  the line's first word (header cells in different font sizes still share a line);
- on a line, sorted by x, a gap wider than CELL_GAP_EM times the larger font size starts a cell, and
  so does a word set that far over the one before it (text printed over text: columns set closer than
  their text is wide are still two runs of text, not one).
"""

from __future__ import annotations

from functools import cache, partial
from itertools import chain
from pathlib import Path

import numpy as np

from russell_pipeline.lib.documents.textlayer import Line, Word
from russell_pipeline.lib.errors import InputError

# A gap wider than this many font sizes separates cells: a space is ~0.3 em,
# table columns here are 5+ em apart.
CELL_GAP_EM = 0.9
# Inside a word, a jump wider than this (no generated space) still splits it.
WORD_GAP_EM = 0.6

_TABLE = 0x3000  # code points classified by table lookup: Latin, punctuation, symbols (®, ™)
_WORD = partial(tuple.__new__, Word)  # Word._make without its length check: a zip of four


def page_lines(path: str | Path, view: tuple, text: str, boxes: bytes, ok: bytes) -> tuple[Line, ...]:
    """The page's lines as the page is shown, top to bottom; y and x rounded to 0.01 pt.

    `view`: (rotation clockwise, crop box left, bottom, right, top) (pdftext.py `_view`); a character
    whose middle lies outside the crop box is not shown, and not read. `boxes` holds (left, top,
    right, bottom) float32 per character of `text` in PDF space, `ok` one byte per character: 1 where
    pdfium gave the box."""
    if not text:
        return ()
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    space, printable = _classes(codes)
    # Soft hyphens and pdfium's \x02 markers are not text, and do not end a word either.
    keep = np.flatnonzero(printable & ~space)
    if not keep.size:
        return ()
    if not np.frombuffer(ok, dtype=np.uint8)[keep].all():
        raise InputError(path, "damaged PDF (failed to get charbox)")
    box = np.frombuffer(boxes, dtype=np.float32).reshape(-1, 4)[keep].astype(np.float64)
    left, top, right, bottom = _shown(box, *view)
    inside = _inside(box, *view[1:])
    if not inside.all():  # cropped away: not on the page a reader sees
        keep, left, top, right, bottom = (a[inside] for a in (keep, left, top, right, bottom))
        if not keep.size:
            return ()
    starts = _word_starts(left, right, top, bottom, np.cumsum(space)[keep])
    ends = np.append(starts[1:], keep.size)
    kept = codes[keep].tobytes().decode("utf-32-le", "surrogatepass")
    words = [kept[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    return _lines(words, left[starts], right[ends - 1], top[starts], bottom[starts])


def _shown(box: np.ndarray, rotation: int, x0: float, y0: float, x1: float, y1: float) -> tuple:
    """(left, top, right, bottom) of each character box (PDF space: left, top, right, bottom, y up) as
    the page is shown: turned clockwise by `rotation`, measured from the crop box's top left corner."""
    xa, ya, xb, yb = box[:, 0], box[:, 1], box[:, 2], box[:, 3]  # ya: the box's top (larger y)
    if rotation == 90:
        return yb - y0, xa - x0, ya - y0, xb - x0
    if rotation == 180:
        return x1 - xb, yb - y0, x1 - xa, ya - y0
    if rotation == 270:
        return y1 - ya, x1 - xb, y1 - yb, x1 - xa
    return xa - x0, y1 - ya, xb - x0, y1 - yb


def _inside(box: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Whether each character's middle lies inside the crop box."""
    mx, my = (box[:, 0] + box[:, 2]) / 2, (box[:, 1] + box[:, 3]) / 2
    return (mx >= x0) & (mx <= x1) & (my >= y0) & (my <= y1)


@cache
def _table() -> tuple[np.ndarray, np.ndarray]:
    """isspace() and isprintable() of the first _TABLE code points (once per process)."""
    chars = [chr(c) for c in range(_TABLE)]
    return (
        np.array([c.isspace() for c in chars], dtype=bool),
        np.array([c.isprintable() for c in chars], dtype=bool),
    )


def _classes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whitespace and printable masks of the code points, as str.isspace and str.isprintable say."""
    space, printable = (t[np.minimum(codes, _TABLE - 1)] for t in _table())
    for i in np.flatnonzero(codes >= _TABLE).tolist():  # beyond the table: rare in these documents
        ch = chr(codes[i])
        space[i], printable[i] = ch.isspace(), ch.isprintable()
    return space, printable


def _word_starts(
    left: np.ndarray, right: np.ndarray, top: np.ndarray, bottom: np.ndarray, spaces: np.ndarray
) -> np.ndarray:
    """Indices of the characters that start a word. A split depends on the word's first character,
    so each pass adds the first split of every word found so far; most pages need one pass."""
    size, mid = bottom - top, (top + bottom) / 2
    start = np.empty(left.size, dtype=bool)
    start[0] = True
    start[1:] = spaces[1:] != spaces[:-1]  # whitespace between two printable characters
    before = np.append(np.nan, right[:-1])  # x1 of the word so far: the previous character's right
    at = np.arange(left.size)
    while True:
        first = np.maximum.accumulate(np.where(start, at, 0))
        em = size[first]
        inside = (top[first] <= mid) & (mid <= bottom[first])
        split = ~start & (~inside | (left < before - em) | (left - before > WORD_GAP_EM * em))
        if not split.any():
            return np.flatnonzero(start)
        _, firsts = np.unique(first[split], return_index=True)
        start[at[split][firsts]] = True


def _lines(
    words: list[str], x0: np.ndarray, x1: np.ndarray, top: np.ndarray, bottom: np.ndarray
) -> tuple[Line, ...]:
    mid, size = (top + bottom) / 2, bottom - top
    order = np.lexsort((x0, mid))  # stable: equal keys keep reading order
    n = order.size
    # The line a word opens ends at the first word (by middle) below its band.
    past = np.maximum(np.searchsorted(mid[order], bottom[order], side="right"), np.arange(1, n + 1)).tolist()
    firsts, k = [], 0
    while k < n:
        firsts.append(k)
        k = past[k]
    line = np.repeat(np.arange(len(firsts)), np.diff(np.append(firsts, n)))
    order = order[np.lexsort((x0[order], line))]  # each line left to right
    gx0, gx1, gsize = x0[order], x1[order], size[order]
    cut = np.zeros(n, dtype=bool)  # a new cell: a gap (or an overlap) wider than the larger font allows
    gap = np.abs(gx0[1:] - gx1[:-1])
    cut[1:] = (gap > CELL_GAP_EM * np.maximum(gsize[1:], gsize[:-1])) & (line[1:] == line[:-1])
    run = np.cumsum(cut)
    texts = [words[i] for i in order.tolist()]
    placed = list(
        map(_WORD, zip(texts, _round2(gx0), _round2(gx1), (run - run[firsts][line]).tolist(), strict=True))
    )
    seps = np.where(cut, "\t", " ").astype(object)
    seps[firsts] = "\n"
    joined = "".join(chain.from_iterable(zip(seps.tolist(), texts, strict=True))).split("\n")
    mids = mid[order].tolist()
    ends = [*firsts[1:], n]
    return tuple(
        Line(number, round(sum(mids[a:b]) / (b - a), 2), tuple(placed[a:b]), joined[number])
        for number, (a, b) in enumerate(zip(firsts, ends, strict=True), start=1)
    )


def _round2(x: np.ndarray) -> list[float]:
    """Python's round(v, 2) of every value: numpy's rint(100 v) / 100 is the same double except
    where 100 v lands within a hair of a half cent (100 v is rounded once); those go through round()."""
    hundred = x * 100
    out = np.rint(hundred) / 100
    with np.errstate(invalid="ignore"):  # infinities: NaN, so near
        near = np.flatnonzero(~(np.abs(hundred - np.floor(hundred) - 0.5) > 1e-6))
    out = out.tolist()
    for i in near.tolist():
        out[i] = round(float(x[i]), 2)
    return out
