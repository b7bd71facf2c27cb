"""The shape every read document takes, PDF or text: pages of lines of positioned words.

pdftext.py reads a file into it (and pdflayout.py lays a PDF page's characters out as its lines);
the list parser (lists.py, columns.py) reads it, whichever kind of file it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Word(NamedTuple):  # a tuple: a page's hundreds of words are made at C speed
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
