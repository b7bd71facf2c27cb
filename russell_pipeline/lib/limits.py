"""How large a document may be: the bounds every untrusted file under raw/ is read within."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

MB = 1_000_000
# Limit -> (environment variable, bytes, characters or pages per unit of the variable).
LIMIT_ENV = {"pdf_bytes": ("RUSSELL_MAX_PDF_MB", MB), "text_chars": ("RUSSELL_MAX_TEXT_MB", MB),
             "pages": ("RUSSELL_MAX_PAGES", 1)}


@dataclass(frozen=True, slots=True)
class Limits:
    """The largest document read. Real FTSE Russell documents are 0.2-0.4 MB and up to ~40 pages
    (full lists of broader indexes ~3 MB, ~70 pages); the defaults leave a wide margin while
    bounding the worst case (a 10 MB text list parses in ~8 s and ~0.5 GB)."""

    pdf_bytes: int = 50 * MB
    text_chars: int = 10 * MB  # a text file's bytes, or the characters of a PDF's text layer
    pages: int = 500

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Limits:
        """The defaults, overridden by `RUSSELL_MAX_PDF_MB`, `RUSSELL_MAX_TEXT_MB`, `RUSSELL_MAX_PAGES`."""
        return cls(**{name: _positive(var, environ[var], unit) for name, (var, unit) in LIMIT_ENV.items()
                      if environ.get(var, "").strip()})


def _positive(var: str, raw: str, unit: int) -> int:
    try:
        value = float(raw) * unit if unit > 1 else int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{var}={raw!r}: expected a positive {'number' if unit > 1 else 'whole number'}")
    return int(value)


def over_limit(what: str, limit: int, limit_name: str) -> str:
    """The problem text of a document over one of its limits, naming the variable that raises it."""
    return f"{what}, over the limit of {limit:,} (set {LIMIT_ENV[limit_name][0]} to raise it)"
