"""Where FTSE Russell published each document: the source registry (`russell_pipeline/lib/fetch/sources.csv`).

The registry is data, one row per (document, address): a document is `(recon_year, file)`, the
file name it gets under `raw/<year>/`, and may have several addresses, tried in row order, each
with its web-archive copy as fallback. Columns:

- `review`: the index review the document belongs to (`2025-06` reconstitution, `2025-09` IPOs);
- `kind`: membership_list | additions | deletions | ipo_additions | schedule;
- `stage`: the stage the copy must be (preliminary | update | final); empty for membership
  lists, and for change lists whose stage only the PDF can tell;
- `url`: where the publisher put it; `archive_stamp`: a web.archive.org timestamp. Fourteen digits
  name a capture seen in public sources; a shorter one (`2016`, `20160621`) is a point in time the
  archive redirects to the nearest capture of;
- `confidence`: `seen` when the exact address appears in public sources, `inferred` when it is
  built from a naming pattern seen for neighbouring years or indexes; `note` says which.

It is read by the rule of every CSV (lib/csv_rows.py): a line short of a field is refused naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from russell_pipeline.lib.csv_rows import read_rows
from russell_pipeline.lib.errors import InputError

KINDS = ("membership_list", "additions", "deletions", "ipo_additions", "schedule")
STAGES = ("preliminary", "update", "final")
CONFIDENCE = ("seen", "inferred")
COLUMNS = (
    "recon_year",
    "review",
    "kind",
    "index_name",
    "stage",
    "file",
    "url",
    "archive_stamp",
    "confidence",
    "note",
)
ARCHIVE = "https://web.archive.org/web/{stamp}id_/{url}"
_YEARS = re.compile(r"^(\d{4})(?:\.\.(\d{4}))?$")
_URL = re.compile(r"^https?://[^/\s]+/\S+$")
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.pdf$")


@dataclass(frozen=True)
class Address:
    url: str
    archive_stamp: str
    confidence: str

    @property
    def archive_url(self) -> str:
        """The raw (`id_`) web-archive copy: the file as captured, without the archive's frame."""
        return ARCHIVE.format(stamp=self.archive_stamp, url=self.url)


@dataclass(frozen=True)
class Published:
    """One published document and the addresses it can be fetched from, in order."""

    recon_year: int
    review: str
    kind: str
    index_name: str | None
    stage: str | None
    file: str
    addresses: tuple[Address, ...]

    @property
    def label(self) -> str:
        return " ".join(
            x for x in (str(self.recon_year), self.index_name, self.kind.replace("_", " "), self.stage) if x
        )


def registry_path() -> Path:
    return Path(str(resources.files("russell_pipeline.lib.fetch").joinpath("sources.csv")))


def load_registry(path: str | Path | None = None) -> list[Published]:
    """Every document of the registry (the packaged one by default); a bad row is an InputError."""
    where = Path(path) if path else registry_path()
    try:
        text = where.read_bytes()
    except OSError as exc:
        raise InputError(where, f"cannot read the source registry ({exc.strerror or exc})") from None
    table = read_rows(text, str(where))  # every line by the one CSV rule (lib/csv_rows.py)
    missing = [c for c in COLUMNS if c not in table.header]
    if missing:
        raise InputError(where, f"missing columns {', '.join(missing)}")
    docs: dict[tuple[int, str], Published] = {}
    for line, row in zip(table.lines, table.frame.select(COLUMNS).iter_rows(named=True), strict=True):
        doc = _document(where, line, row)
        key = (doc.recon_year, doc.file)
        if key in docs:
            first = docs[key]
            if (first.review, first.kind, first.index_name, first.stage) != (
                doc.review,
                doc.kind,
                doc.index_name,
                doc.stage,
            ):
                raise InputError(
                    where, f"line {line}: {doc.file} is described differently on an earlier line"
                )
            doc = replace(first, addresses=first.addresses + doc.addresses)
        docs[key] = doc
    return list(docs.values())


def _document(where: Path, line: int, row: dict) -> Published:
    def bad(problem: str) -> InputError:
        return InputError(where, f"line {line}: {problem}")

    year, review = (row["recon_year"] or "").strip(), (row["review"] or "").strip()
    if not re.fullmatch(r"\d{4}", year) or not re.fullmatch(rf"{year}-(0[1-9]|1[0-2])", review):
        raise bad(f"recon_year {year!r} and review {review!r} must read like 2025 and 2025-06")
    kind, stage = row["kind"], row["stage"] or None
    if kind not in KINDS:
        raise bad(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if stage is not None and stage not in STAGES:
        raise bad(f"stage {stage!r} is not one of {', '.join(STAGES)}")
    if stage is not None and kind in ("membership_list", "schedule"):
        raise bad(f"a {kind} document has no stage (got {stage!r})")
    if not _FILE.match(row["file"] or ""):
        raise bad(f"file {row['file']!r} must be a plain file name ending in .pdf")
    if not _URL.match(row["url"] or ""):
        raise bad(f"url {row['url']!r} is not an http(s) address")
    if not re.fullmatch(r"\d{4}(\d{2}){0,5}", row["archive_stamp"] or ""):
        raise bad(
            f"archive_stamp {row['archive_stamp']!r} is not a web-archive timestamp (YYYY to YYYYMMDDhhmmss)"
        )
    if row["confidence"] not in CONFIDENCE:
        raise bad(f"confidence {row['confidence']!r} is not one of {', '.join(CONFIDENCE)}")
    address = Address(row["url"], row["archive_stamp"], row["confidence"])
    return Published(int(year), review, kind, row["index_name"] or None, stage, row["file"], (address,))


def documents_for(registry: list[Published], years: list[int]) -> dict[int, list[Published]]:
    """The registry's documents of each year (an empty list for a year it has none of)."""
    return {y: [d for d in registry if d.recon_year == y] for y in years}


def parse_years(text: str) -> list[int]:
    """`2024` -> [2024]; `2010..2026` -> [2010, ..., 2026]."""
    m = _YEARS.match(text.strip())
    first, last = (int(m.group(1)), int(m.group(2) or m.group(1))) if m else (0, -1)
    if not m or last < first:
        raise ValueError(f"years {text!r}: expected a year (2024) or a range (2010..2026)")
    return list(range(first, last + 1))


def mirrored(url: str, mirror: str | None) -> str:
    """`https://host/path` read from `MIRROR/host/path` (an internal cache of the published files)."""
    if not mirror:
        return url
    rest = re.sub(r"^[a-z]+://", "", url, flags=re.IGNORECASE)
    return f"{mirror.rstrip('/')}/{rest}"
