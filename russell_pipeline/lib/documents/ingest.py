"""A reconstitution year's documents into the three document tables (source_documents, constituents,
constituent_changes) and the page statistics the row-count check reads."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import polars as pl

from russell_pipeline.lib.documents.limits import Limits
from russell_pipeline.lib.documents.raw_files import list_year
from russell_pipeline.lib.documents.reading import (
    CHANGE_COLUMNS,
    CONSTITUENT_COLUMNS,
    UNREAD_COLUMNS,
    Document,
    read_document,
)
from russell_pipeline.lib.errors import InputError

SOURCE_COLUMNS = {
    "recon_year": pl.Int64,
    "path": pl.String,
    "sha256": pl.String,
    "bytes": pl.Int64,
    "pages": pl.Int64,
    "doc_type": pl.String,
    "index_name": pl.String,
    "stage": pl.String,
    "as_of_date": pl.Date,
    "rows": pl.Int64,
}
PAGE_STAT_COLUMNS = {"source_sha256": pl.String, "page": pl.Int64, "candidate_lines": pl.Int64, "rows": pl.Int64}
UNREAD_LINE_COLUMNS = {"source_sha256": pl.String, **UNREAD_COLUMNS}


@dataclass(frozen=True)
class YearTables:
    source_documents: pl.DataFrame
    constituents: pl.DataFrame
    constituent_changes: pl.DataFrame
    page_stats: pl.DataFrame
    unread: pl.DataFrame  # UNREAD_LINE_COLUMNS: lines holding data no row was read from
    skipped: tuple[str, ...] = ()  # junk files left unread, one line each


def _read_or_error(path: Path, limits: Limits, root: Path) -> Document | InputError:
    try:
        return read_document(path, limits, root)
    except InputError as err:
        return err


def _read_all(paths: list[Path], raw: Path, limits: Limits) -> list[Document]:
    """Every document of the folder; every bad one is named in one InputError (a build reports them all)."""
    read = partial(_read_or_error, limits=limits, root=raw)
    out = _read_each(read, paths)
    errors = [r for r in out if isinstance(r, InputError)]
    if len(errors) == 1:
        raise errors[0]
    if errors:
        folder = paths[0].parent.relative_to(raw.parent) if paths[0].is_relative_to(raw.parent) else paths[0].parent
        raise InputError(folder, f"{len(errors)} documents cannot be read: " + "; ".join(map(str, errors)))
    return out


def _read_each(read, paths: list[Path]) -> list:
    # lstat: a link is not followed here; read_document refuses it with one line.
    pdf_bytes = sum(p.lstat().st_size for p in paths if p.suffix.lower() == ".pdf")
    workers = min(len(paths), os.cpu_count() or 1)
    # A pool only pays for its start-up (about a second per worker) on many sizeable PDFs.
    if workers < 2 or pdf_bytes < 4_000_000:
        return [read(p) for p in paths]
    # Spawn, not fork: polars' and pdfium's threads and locks do not survive a fork.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(read, paths))


def ingest_year(raw: Path, year: int, limits: Limits | None = None) -> YearTables:
    """Parse every document under `raw/<year>/`; bad documents raise one InputError naming each.

    `limits`: the document bounds (the settings' `limits`).
    """
    folder = list_year(raw, year)
    docs = _read_all(folder.documents, raw, limits or Limits())
    sources = pl.DataFrame(
        [
            {
                "recon_year": year,
                "path": Path(d.path).relative_to(raw.parent).as_posix()
                if Path(d.path).is_relative_to(raw.parent)
                else str(d.path),
                "sha256": d.sha256,
                "bytes": d.bytes,
                "pages": d.pages,
                "doc_type": d.doc_type,
                "index_name": d.index_name,
                "stage": d.stage,
                "as_of_date": d.as_of_date,
                "rows": d.rows.height,
            }
            for d in docs
        ],
        schema=SOURCE_COLUMNS,
    )
    return YearTables(
        source_documents=sources,
        constituents=_stack(docs, "membership_list", CONSTITUENT_COLUMNS, year),
        constituent_changes=_stack(docs, ("additions", "deletions"), CHANGE_COLUMNS, year),
        page_stats=_stack_frames([d.page_stats.with_columns(source_sha256=pl.lit(d.sha256)) for d in docs],
                                 PAGE_STAT_COLUMNS),
        unread=_stack_frames([d.unread.with_columns(source_sha256=pl.lit(d.sha256)) for d in docs],
                             UNREAD_LINE_COLUMNS),
        skipped=tuple(folder.skipped),
    )


def _stack_frames(frames: list[pl.DataFrame], columns: dict) -> pl.DataFrame:
    return pl.concat(frames or [pl.DataFrame(schema=columns)], how="diagonal_relaxed").select(list(columns))


def _stack(docs: list[Document], doc_types, columns: dict, year: int) -> pl.DataFrame:
    types = (doc_types,) if isinstance(doc_types, str) else doc_types
    frames = [d.rows.with_columns(recon_year=pl.lit(year, pl.Int64)) for d in docs if d.doc_type in types]
    if not frames:
        return pl.DataFrame(schema=columns)
    return pl.concat(frames, how="diagonal_relaxed").select(
        [pl.col(c).cast(t) for c, t in columns.items()]
    )
