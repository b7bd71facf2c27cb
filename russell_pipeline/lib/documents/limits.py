"""How large a document may be: the bounds every untrusted file under raw/ is read within."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1_000_000
# Limit -> (the environment variable settings.py reads it from, bytes, characters or pages per unit of it).
LIMIT_ENV = {
    "pdf_bytes": ("RUSSELL_MAX_PDF_MB", MB),
    "text_chars": ("RUSSELL_MAX_TEXT_MB", MB),
    "pages": ("RUSSELL_MAX_PAGES", 1),
}


@dataclass(frozen=True, slots=True)
class Limits:
    """The largest document read. Real FTSE Russell documents are 0.2-0.4 MB and up to ~40 pages
    (full lists of broader indexes ~3 MB, ~70 pages); the defaults leave a wide margin while
    bounding the worst case (a 10 MB text list parses in ~8 s and ~0.5 GB)."""

    pdf_bytes: int = 50 * MB
    text_chars: int = 10 * MB  # a text file's bytes, or the characters of a PDF's text layer
    pages: int = 500


def over_limit(what: str, limit: int, limit_name: str) -> str:
    """The problem text of a document over one of its limits, naming the variable that raises it."""
    return f"{what}, over the limit of {limit:,} (set {LIMIT_ENV[limit_name][0]} to raise it)"
