"""The bulk PDF layout (pdflayout.py) gives exactly what the character-at-a-time reader gave.

`_reference_lines` is that reader, kept here as the specification: one Python step per character
with its loose box, then lines and cells. Both run on the real PDFs' pages and on generated pages
built to hit every rule (spaces, markers, in-word jumps, steps back, bands, mixed font sizes)."""

from __future__ import annotations

import random
import struct

import pytest

from russell_pipeline.lib.documents import pdftext
from russell_pipeline.lib.documents.limits import Limits
from russell_pipeline.lib.documents.pdflayout import CELL_GAP_EM, WORD_GAP_EM, _round2, page_lines
from russell_pipeline.lib.errors import InputError
from russell_pipeline_tests.helpers import REAL


def _reference_lines(height: float, text: str, boxes: bytes) -> list[tuple]:
    """(number, y, text, [(word, x0, x1, cell)]) per line, a character at a time."""
    words, cur = [], []
    x0 = x1 = top = bottom = 0.0
    for i, ch in enumerate(text):
        if ch.isspace():
            if cur:
                words.append(("".join(cur), x0, x1, top, bottom, bottom - top))
                cur = []
            continue
        if not ch.isprintable():
            continue
        left, t, right, b = struct.unpack_from("4f", boxes, 16 * i)
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
    words.sort(key=lambda w: ((w[3] + w[4]) / 2, w[1]))
    groups, band = [], (0.0, -1.0)
    for w in words:
        if groups and band[0] <= (w[3] + w[4]) / 2 <= band[1]:
            groups[-1].append(w)
        else:
            groups.append([w])
            band = (w[3], w[4])
    lines = []
    for n, group in enumerate(groups, start=1):
        group.sort(key=lambda w: w[1])
        out, cell, parts = [], 0, []
        for k, (word, wx0, wx1, _t, _b, size) in enumerate(group):
            if k and abs(wx0 - group[k - 1][2]) > CELL_GAP_EM * max(size, group[k - 1][5]):
                cell += 1
            if k:
                parts.append("\t" if cell != out[-1][3] else " ")
            parts.append(word)
            out.append((word, round(wx0, 2), round(wx1, 2), cell))
        y = round(sum((w[3] + w[4]) / 2 for w in group) / len(group), 2)
        lines.append((n, y, "".join(parts), out))
    return lines


def _plain(lines) -> list[tuple]:
    return [(ln.number, ln.y, ln.text, [tuple(w) for w in ln.words]) for ln in lines]


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.glob("*.pdf")) or ["absent.pdf"])
def test_real_pages_lay_out_as_character_at_a_time(real_pdf, name):
    path = real_pdf(name)
    _, pages = pdftext._read_pdf_pages(path, path.read_bytes(), Limits())
    for view, text, boxes, ok in pages:
        assert view[0] == 0 and view[1] == view[2] == 0  # the real pages: upright, cropped at the origin
        assert _plain(page_lines(path, view, text, boxes, ok)) == _reference_lines(view[4], text, boxes)


def _generated_page(rng: random.Random) -> tuple[float, str, bytes]:
    """Lines of words in 5-12 pt, with in-word jumps and steps back, markers, raised characters."""
    chars, boxes, height = [], [], 792.0
    for _ in range(rng.randint(1, 40)):
        baseline, x = rng.uniform(20, 780), rng.uniform(10, 300)
        size = rng.choice([5.0, 7.0, 7.5, 8.0, 12.0])
        for _ in range(rng.randint(1, 12)):
            for _ in range(rng.randint(1, 9)):
                ch = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.&-®\xad\x02")
                width = size * rng.uniform(0.3, 0.7)
                jump = rng.random()
                x += (
                    size * rng.uniform(0.61, 3)
                    if jump < 0.05
                    else -size * rng.uniform(1.01, 2)
                    if jump < 0.08
                    else size * rng.uniform(0, 0.2)
                )
                lift = rng.choice([0.0] * 20 + [size * 0.6, -size * 0.7, 0.3])
                bottom = height - (baseline + lift + 0.2 * size)
                chars.append(ch)
                boxes.append((x, bottom + size, x + width, bottom))
                x += width
            chars.append(rng.choice([" ", " ", "\t", "\r\n"]))
            boxes.extend([(0.0, 0.0, 0.0, 0.0)] * (2 if chars[-1] == "\r\n" else 1))
            x += size * rng.choice([0.25, 0.3, 1.0, 5.0])
    text = "".join(chars)
    assert len(boxes) == len(text)
    return height, text, b"".join(struct.pack("4f", *b) for b in boxes)


def _whole(height: float) -> tuple:
    """An upright page's view whose crop box holds every generated character."""
    return (0, 0.0, 0.0, 10_000.0, height)


@pytest.mark.parametrize("seed", range(40))
def test_generated_pages_lay_out_as_character_at_a_time(seed):
    height, text, boxes = _generated_page(random.Random(seed))
    ok = b"\x01" * len(text)
    assert _plain(page_lines("gen.pdf", _whole(height), text, boxes, ok)) == _reference_lines(
        height, text, boxes
    )


def test_text_set_over_text_is_two_cells():
    """Two columns set closer than their text is wide: the second starts inside the first's last word.
    Each is a run of text of its own, as if a gap parted them; words a space apart share a cell."""
    height, chars, boxes = 792.0, [], []
    for x, word in ((42.0, "10"), (56.4, "PATERNOSTER"), (95.5, "1"), (105.1, "LIBERTY")):
        for k, ch in enumerate(word):
            chars.append(ch)
            boxes.append((x + 4.8 * k, height - 92.0, x + 4.8 * (k + 1), height - 100.0))
        chars.append(" ")
        boxes.append((0.0, 0.0, 0.0, 0.0))
    text = "".join(chars)
    packed = b"".join(struct.pack("4f", *b) for b in boxes)
    (line,) = page_lines("gen.pdf", _whole(height), text, packed, b"\x01" * len(text))
    assert [(w.text, w.cell) for w in line.words] == [("10", 0), ("PATERNOSTER", 0), ("1", 1), ("LIBERTY", 1)]
    assert _plain([line]) == _reference_lines(height, text, packed)


def test_a_character_without_a_box_is_a_damaged_pdf():
    height, text, boxes = _generated_page(random.Random(7))
    at = next(i for i, ch in enumerate(text) if ch.isalnum())
    ok = b"\x01" * at + b"\x00" + b"\x01" * (len(text) - at - 1)
    with pytest.raises(InputError, match="damaged PDF"):
        page_lines("gen.pdf", _whole(height), text, boxes, ok)
    # A missing box where no text is (a space) is no damage.
    space = text.index(" ") if " " in text else None
    if space is not None:
        ok = b"\x01" * space + b"\x00" + b"\x01" * (len(text) - space - 1)
        assert page_lines("gen.pdf", _whole(height), text, boxes, ok)


def test_rounding_is_pythons_round():
    rng = random.Random(3)
    values = [struct.unpack("f", struct.pack("f", rng.uniform(-50, 900)))[0] for _ in range(200_000)]
    values += [0.125, 0.005, 1.005, 2.675, 0.015, -0.125, 612.0, 791.995, float("inf")]
    import numpy as np

    assert _round2(np.array(values)) == [round(v, 2) for v in values]


def test_words_go_to_the_columns_the_page_learned_side_by_side():
    from russell_pipeline.lib.documents.page_columns import Column, learn, split
    from russell_pipeline.lib.documents.textlayer import Line, Word

    def line(*words):
        return Line(1, 1.0, tuple(Word(t, x, x + 4, k) for k, (x, t) in enumerate(words)), "")

    columns = (
        Column(0, "company", 10.0, 40.0),
        Column(0, "symbol", 100.0, 125.0),
        Column(1, "company", 300.0, 330.0),
        Column(1, "symbol", 400.0, 425.0),
    )
    # Left-aligned rows: each column starts taking words where its title starts.
    model = learn(columns, [line((10.0, "ACME"), (101.0, "ACM"), (300.0, "BETA"), (400.0, "BET"))])
    got = split(line((0.0, "X"), (10.0, "ACME"), (101.0, "ACM"), (299.0, "BETA"), (420.0, "BET")), model, 2)
    assert got.cols == ({"company": ["ACME"], "symbol": ["ACM"]}, {"company": ["BETA"], "symbol": ["BET"]})
    assert got.aligned == (frozenset({"company", "symbol"}), frozenset({"company"})) and not got.spans
    # Symbols centred under their title: a short one starts right of it, a long one left of it.
    centred = [line((10.0, "ACME"), (108.5, "AC")), line((10.0, "BETA"), (96.0, "BETAX"))]
    model = learn(
        columns[:2],
        [
            Line(1, 1.0, (Word("ACME", 10, 14, 0), Word("AC", 108.5, 116.5, 1)), ""),
            Line(2, 2.0, (Word("BETA", 10, 14, 0), Word("BETAX", 95.0, 130.0, 1)), ""),
        ],
    )
    assert [a for a, _, _ in model.anchors[1]] == ["centre"] and model.starts[1] == 95.0 - 1.5
    assert split(centred[1], model, 1).cols == ({"company": ["BETA"], "symbol": ["BETAX"]},)
