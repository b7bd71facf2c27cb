"""The rules tables written as text (the calendar's, the forecast's): one row a line, fields split on
white space, `#` lines and blank lines skipped."""

from __future__ import annotations

from collections.abc import Iterator


def table_rows(text: str, fields: int, what: str) -> Iterator[tuple[str, list[str]]]:
    """(line, its fields) of each row of `text`; a row without `fields` fields raises ValueError
    naming `what` (`rules row (7 fields, ...)`) and the row."""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) != fields:
            raise ValueError(f"bad {what}: {line.strip()}")
        yield line.strip(), parts
