"""Fetch the published documents of reconstitution years into `raw/<year>/`, with a manifest.

A copy is stored only when it is the document the registry describes: a whole PDF (not an HTML
page, not cut short), of the expected kind, created in the months around its review and, where the
registry names one, at the expected stage. FTSE Russell overwrites some files under the same
address (2016's preliminary and final lists, every year's quarterly IPO lists), so the PDF's
creation date, read against the year's calendar, tells which stage and year a copy is. A copy that
fails is discarded and the next address (then its web-archive copy) is tried; a document that no
address yields is one line naming every address and its problem, and nothing is written for it.
Each download goes to a hidden folder next to its target and is swapped in with os.replace.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import polars as pl

from russell_pipeline.lib.calendar.projection import FIRST_YEAR, LAST_YEAR, project_calendar
from russell_pipeline.lib.documents.pdftext import read_text_layer
from russell_pipeline.lib.documents.reading import read_document
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.fetch.download import Client, Response, page_title
from russell_pipeline.lib.fetch.registry import Published, documents_for
from russell_pipeline.lib.sandbox import running

MANIFEST = "fetch_manifest"
MANIFEST_COLUMNS: dict[str, pl.DataType] = {
    "recon_year": pl.Int64,
    "file": pl.String,
    "path": pl.String,
    "kind": pl.String,
    "index_name": pl.String,
    "review": pl.String,
    "stage": pl.String,
    "doc_type": pl.String,
    "pdf_created": pl.Date,
    "url": pl.String,
    "source": pl.String,
    "final_url": pl.String,
    "http_status": pl.Int64,
    "sha256": pl.String,
    "bytes": pl.Int64,
    "fetched_at": pl.Datetime("us", "UTC"),
}
# The document type read_document reports for each registry kind.
DOC_TYPES = {
    "membership_list": "membership_list",
    "additions": "additions",
    "ipo_additions": "additions",
    "deletions": "deletions",
    "schedule": "schedule",
}
CHANGE_KINDS = ("additions", "deletions", "ipo_additions")
# A list posted on a Friday evening may carry the previous day's date (LSEG renders them overnight).
STAGE_SLACK = timedelta(days=3)
STAGING = ".fetch-"  # + pid: a download's folder beside its year's documents until it is checked


@dataclass(frozen=True)
class Outcome:
    document: Published
    status: str  # fetched | present | failed
    row: dict | None = None  # the manifest row (fetched, present)
    problem: str | None = None  # failed: every address tried and what was wrong with it
    warning: str | None = None

    @property
    def failure_line(self) -> str:
        return f"raw/{self.document.recon_year}/{self.document.file} not fetched: {self.problem}"

    @property
    def line(self) -> str:
        doc, row = self.document, self.row
        if self.status == "failed":
            return f"{doc.label}: FAILED {doc.file}"
        if self.status == "present":
            return f"{doc.label}: already fetched {row['path']} (sha256 {row['sha256'][:12]})"
        return (
            f"{doc.label}: fetched {row['path']} ({row['bytes']:,} bytes, stage {row['stage'] or '-'}, "
            f"{row['source']} copy)" + (f"; warning: {self.warning}" if self.warning else "")
        )


@dataclass(frozen=True)
class Checked:
    doc_type: str | None
    stage: str | None
    created: date | None
    warning: str | None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def review_window(review: str) -> tuple[date, date]:
    """The months a review's documents are created in: two before its month to one after."""
    year, month = (int(x) for x in review.split("-"))
    first = year * 12 + month - 1 - 2
    after = year * 12 + month - 1 + 2
    return date(first // 12, first % 12 + 1, 1), date(after // 12, after % 12 + 1, 1) - timedelta(days=1)


@lru_cache(maxsize=64)
def _review_events(review: str, ipo: bool) -> dict[str, date]:
    """First date of each projected event of a review's reconstitution (or, `ipo`, of its quarterly
    IPO review: a December review holds both since 2026); {} outside the projected years."""
    year = int(review[:4])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return {}
    kind = pl.col("review_type") == "quarterly_ipo"
    events = (
        project_calendar(year)
        .filter((pl.col("review") == review) & (kind if ipo else ~kind))
        .group_by("event")
        .agg(pl.col("date").min())
    )
    return dict(events.iter_rows())


def published_stage(kind: str, review: str, created: date | None, text_stage: str | None) -> str | None:
    """The stage of a change list: from its creation date against the review's calendar (final
    from the final-list date, or recon_close where the schedule has none; update from the first
    Friday after the preliminary lists), else the stage its text or file name gives."""
    if kind not in CHANGE_KINDS:
        return None
    events = _review_events(review, kind == "ipo_additions")
    if created is None or "recon_close" not in events:
        return text_stage
    if created >= events.get("final_list", events["recon_close"]) - STAGE_SLACK:
        return "final"
    prelim = events.get("preliminary_list")
    if prelim is None:  # no published list dates (the semi-annual review): the document says
        return text_stage or "preliminary"
    return "update" if created > prelim + STAGE_SLACK else "preliminary"


def check_copy(path: Path, response: Response, doc: Published) -> Checked:
    """The downloaded copy is the document `doc` describes, or InputError(address, problem)."""
    data = path.read_bytes()
    if response.content_type in ("text/html", "application/xhtml+xml") or b"%PDF-" not in data[:1024]:
        title = page_title(data)
        what = f"an HTML page ({title!r})" if title else f"{response.content_type} content"
        raise InputError(response.url, f"served {what} instead of a PDF")
    try:
        layer = read_text_layer(path, data)
    except InputError as err:
        raise InputError(response.url, err.problem) from None
    created = _creation_date(layer.metadata)
    try:
        parsed, warning = read_document(path), None
    except InputError as err:
        # A whole PDF the parser cannot read yet is still the published document: keep it, say so.
        parsed, warning = None, f"the parser cannot read it: {err.problem}"
    doc_type = parsed.doc_type if parsed else None
    if doc_type not in (None, DOC_TYPES[doc.kind]):
        raise InputError(response.url, f"holds {doc_type}, not {doc.kind}")
    start, end = review_window(doc.review)
    if created is not None and not start <= created <= end:
        raise InputError(
            response.url,
            f"is a copy created {created}, another publication than the {doc.review} "
            f"one (expected {start} to {end})",
        )
    stage = published_stage(doc.kind, doc.review, created, parsed.stage if parsed else None)
    if doc.stage and stage and stage != doc.stage:
        raise InputError(response.url, f"is the {stage} list (created {created}), not the {doc.stage} one")
    return Checked(doc_type, stage, created, warning)


def _creation_date(metadata: dict[str, str]) -> date | None:
    m = re.match(r"D:(\d{4})(\d{2})(\d{2})", metadata.get("CreationDate", ""))
    try:
        return date(*map(int, m.groups())) if m else None
    except ValueError:
        return None


def fetch_document(raw: Path, doc: Published, client: Client, known: dict | None = None) -> Outcome:
    """One document into `raw/<year>/<file>`, unless the manifest row `known` already vouches for it."""
    folder = raw / str(doc.recon_year)
    target = folder / doc.file
    if known and _vouched(raw, known):
        return Outcome(doc, "present", known)
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(folder)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-", dir=folder))
    problems = []
    try:
        for address in doc.addresses:
            for source, url in (("publisher", address.url), ("archive", address.archive_url)):
                dest = staging / doc.file
                try:
                    response = client.get(url, dest)
                    checked = check_copy(dest, response, doc)
                except InputError as err:
                    problems.append(str(err))
                    continue
                os.replace(dest, target)
                _fsync_dir(folder)
                row = _row(raw, doc, target, address.url, source, response, checked)
                return Outcome(doc, "fetched", row, warning=checked.warning)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Outcome(doc, "failed", problem="; ".join(problems))


def remove_stale_staging(folder: Path) -> list[Path]:
    """Remove the staging folders (`.fetch-<pid>-*`) a killed fetch left in `folder`: those of a
    process no longer running. A running fetch's folder is left alone. Returns what was removed."""
    removed = []
    for path in folder.glob(f"{STAGING}*"):
        pid = path.name.removeprefix(STAGING).split("-", 1)[0]
        if path.is_dir() and not (pid.isdecimal() and running(int(pid))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def fetch_all(
    raw: Path,
    years: list[int],
    registry: list[Published],
    client: Client,
    known: pl.DataFrame | None,
    report: Callable[[Outcome], None] = lambda _: None,
) -> tuple[list[Outcome], pl.DataFrame]:
    """Every registry document of `years` fetched into `raw/<year>/`, and the years' new `fetch_manifest`
    rows: what was fetched now plus the earlier rows (`known`) whose files are still as recorded."""
    known = known if known is not None else pl.DataFrame(schema=MANIFEST_COLUMNS)
    outcomes, rows = [], []
    for year, docs in documents_for(registry, years).items():
        prior = {r["file"]: r for r in known.filter(pl.col("recon_year") == year).iter_rows(named=True)}
        kept = {f: r for f, r in prior.items() if _vouched(raw, r)}
        for doc in docs:
            outcome = fetch_document(raw, doc, client, kept.get(doc.file))
            outcomes.append(outcome)
            report(outcome)
            if outcome.row is not None:
                kept[doc.file] = outcome.row
        rows += kept.values()
    return outcomes, pl.DataFrame(rows, schema=MANIFEST_COLUMNS)


def _vouched(raw: Path, row: dict) -> bool:
    path = raw.parent / row["path"]
    return path.is_file() and file_sha256(path) == row["sha256"]


def _row(
    raw: Path, doc: Published, target: Path, url: str, source: str, response: Response, checked: Checked
) -> dict:
    return {
        "recon_year": doc.recon_year,
        "file": doc.file,
        "path": target.relative_to(raw.parent).as_posix(),
        "kind": doc.kind,
        "index_name": doc.index_name,
        "review": doc.review,
        "stage": checked.stage,
        "doc_type": checked.doc_type,
        "pdf_created": checked.created,
        "url": url,
        "source": source,
        "final_url": response.final_url,
        "http_status": response.status,
        "sha256": response.sha256,
        "bytes": response.bytes,
        "fetched_at": datetime.now(UTC),
    }


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
