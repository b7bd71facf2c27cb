"""A reconstitution year's documents into the three document tables (source_documents, constituents,
constituent_changes) and the page statistics the row-count check reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import polars as pl

from russell_pipeline.lib.documents import dating
from russell_pipeline.lib.documents.corrections import Correction, read_corrections, ready_entry, settle
from russell_pipeline.lib.documents.holdings import HOLDINGS_COLUMNS
from russell_pipeline.lib.documents.limits import Limits
from russell_pipeline.lib.documents.pdftext import PdfReading
from russell_pipeline.lib.documents.raw_files import CORRECTIONS, YearFolder, list_year, same_bytes_elsewhere
from russell_pipeline.lib.documents.reading import (
    CHANGE_COLUMNS,
    CHANGE_TYPES,
    CONSTITUENT_COLUMNS,
    LIST_TYPES,
    TABLE_TYPES,
    UNREAD_COLUMNS,
    Document,
    date_of,
    read_document,
)
from russell_pipeline.lib.documents.sec_tickers import SEC_COLUMNS
from russell_pipeline.lib.documents.universe import UNIVERSE_COLUMNS
from russell_pipeline.lib.errors import InputError

# The facts a documents run reports its year under (defs/documents/assets.py), which `build` prints:
# each document and its state, the corrections applied, and the entries that would settle unread lines.
DOCUMENTS_FACT, CORRECTIONS_FACT, UNREAD_FACT = (
    "partition_documents",
    "partition_corrections",
    "partition_unread_entries",
)
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
    "date_source": pl.String,
    "furniture_pages": pl.String,
}
PAGE_STAT_COLUMNS = {
    "source_sha256": pl.String,
    "page": pl.Int64,
    "candidate_lines": pl.Int64,
    "rows": pl.Int64,
}
UNREAD_LINE_COLUMNS = {"source_sha256": pl.String, **UNREAD_COLUMNS}


@dataclass(frozen=True)
class DocumentState:
    """What became of one document of a year: read (with its rows) or refused (and why)."""

    path: str  # raw/<year>/<file>
    rows: int
    refused: str | None = None  # the one-line reason, without the path
    unread: tuple[str, ...] = ()  # the corrections.csv entry that settles each unread line, ready to paste
    what: str = ""  # what it is: `additions, Russell 3000, final`

    def line(self) -> str:
        if self.refused:
            return f"{self.path}: refused: {self.refused}"
        return f"{self.path}: read, {self.rows} rows" + (f" ({self.what})" if self.what else "")


@dataclass(frozen=True)
class YearTables:
    source_documents: pl.DataFrame
    constituents: pl.DataFrame
    constituent_changes: pl.DataFrame
    page_stats: pl.DataFrame
    unread: pl.DataFrame  # UNREAD_LINE_COLUMNS: lines holding data no row was read from
    universe_securities: pl.DataFrame  # UNIVERSE_COLUMNS: the securities of the rank-day universe files
    sec_tickers: pl.DataFrame  # SEC_COLUMNS: the SEC ticker maps' tickers
    fund_holdings: pl.DataFrame  # HOLDINGS_COLUMNS: the ETF holdings files' rows
    skipped: tuple[str, ...] = ()  # junk files left unread, one line each
    documents: tuple[DocumentState, ...] = ()  # every document of the year, in name order
    refusal: str | None = None  # one line: why nothing of the year may be written
    corrections: int = 0  # entries of raw/<year>/corrections.csv applied
    lists: tuple[tuple[str, str], ...] = ()  # (list_key, raw/<year>/<file>) of every list read


def _read_or_error(path: Path, limits: Limits, root: Path) -> Document | InputError:
    try:
        return read_document(path, limits, root)
    except InputError as err:
        return err


def _read_each(read, paths: list[Path]) -> list:
    # lstat: a link is not followed here; read_document refuses it with one line.
    pdf_bytes = sum(p.lstat().st_size for p in paths if p.suffix.lower() == ".pdf")
    workers = min(len(paths), os.cpu_count() or 1)
    # A pool only pays for its start-up (about a second per worker) on many sizeable PDFs.
    if workers < 2 or pdf_bytes < 4_000_000:
        return [read(p) for p in paths]
    # Spawn, not fork: polars' and pdfium's threads and locks do not survive a fork.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        return list(pool.map(read, paths))
    except BaseException:  # interrupted (a stop signal): the workers end now, not after their documents
        for worker in list((getattr(pool, "_processes", None) or {}).values()):
            worker.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def ingest_year(raw: Path, year: int, limits: Limits | None = None) -> YearTables:
    """`read_year`, raising its refusal as one InputError."""
    tables = read_year(raw, year, limits)
    if tables.refusal:
        path, _, problem = tables.refusal.partition(": ")
        raise InputError(path, problem)
    return tables


def read_year(
    raw: Path,
    year: int,
    limits: Limits | None = None,
    rank_day: dt.date | None = None,
    others: Mapping[str, str] | None = None,
) -> YearTables:
    """Every document under `raw/<year>/`, each read or refused, with the user's corrections applied.

    One refused document refuses the year (`refusal`: nothing of it may be written), but every
    document's state is kept, and the tables hold the rows of every document that could be read.
    `limits`: the document bounds (the settings' `limits`); `rank_day`: the year's rank day (a final
    list dated before it is refused); `others`: the lists of other years ({list_key: where it is}), so
    a list whose rows equal one of them is refused as that list under other dates.
    """
    try:
        folder = list_year(raw, year)
    except InputError as err:  # a name that cannot be read as it is stored: the year stops there
        return _empty(year, str(InputError(_shown(Path(err.path), raw), err.problem)))
    found = _read_each(partial(_read_or_error, limits=limits or Limits(), root=raw), folder.documents)
    source = _shown(folder.corrections, raw)
    entries, problems = _corrections(folder, source, year, raw)
    docs, states = [], []
    for path, got in zip(folder.documents, found, strict=True):
        shown = _shown(path, raw)
        if isinstance(got, InputError):
            states.append(DocumentState(shown, 0, got.problem))
            continue
        try:
            got = settle(got, tuple(e for e in entries if e.document == path.name), source)
        except InputError as err:
            problems.append(str(err))
        dated = date_of(got.doc_type, got.evidence, year)
        got = dataclasses.replace(got, date_source=dated.source)
        docs.append(got)
        states.append(
            DocumentState(
                shown,
                got.rows.height,
                dated.problem or _not_final(got, rank_day) or got.unread_problem(),
                tuple(ready_entry(path.name, p, n) for p, n, _ in got.unread.iter_rows()),
                _what(got),
            )
        )
    states = _identities(docs, states, raw, year)
    states = _same_rows_elsewhere(docs, states, raw, others or {})
    return YearTables(
        source_documents=_sources(docs, raw, year),
        constituents=_stack(docs, "membership_list", CONSTITUENT_COLUMNS, year),
        constituent_changes=_stack(docs, ("additions", "deletions"), CHANGE_COLUMNS, year),
        page_stats=_stack_frames(
            [d.page_stats.with_columns(source_sha256=pl.lit(d.sha256)) for d in docs], PAGE_STAT_COLUMNS
        ),
        unread=_stack_frames(
            [d.unread.with_columns(source_sha256=pl.lit(d.sha256)) for d in docs], UNREAD_LINE_COLUMNS
        ),
        universe_securities=_stack(docs, "universe", UNIVERSE_COLUMNS, year),
        sec_tickers=_stack(docs, "sec_tickers", SEC_COLUMNS, year),
        fund_holdings=_stack(docs, "holdings", HOLDINGS_COLUMNS, year),
        skipped=tuple(folder.skipped),
        documents=tuple(states),
        refusal=_refusal(problems, states, year),
        corrections=sum(d.corrections for d in docs),
        lists=tuple(
            (list_key(d.doc_type, d.index_name, d.rows), _shown(Path(d.path), raw))
            for d in docs
            if d.doc_type in LIST_TYPES
        ),
    )


def read_one(
    path: Path,
    limits: Limits | None = None,
    rank_day: Callable[[int], dt.date | None] | None = None,
    started: PdfReading | None = None,
) -> Document:
    """One document as `parse` reads it: under a year folder (`raw/<year>/`), dated against that year
    (dating.py; `rank_day(year)`: the year's rank day, for a final list) and with the entries of that
    folder's corrections.csv that name it applied; a bad document, date or entry is one InputError.
    `started`: its PDF's reading, begun already (`read_document`)."""
    doc = read_document(path, limits, started=started)
    folder = path.parent
    year = int(folder.name) if folder.name.isdecimal() and len(folder.name) == 4 else None
    dated = date_of(doc.doc_type, doc.evidence, year)
    ranked = year or (dated.as_of.year if dated.as_of else None)
    problem = dated.problem or _not_final(
        dataclasses.replace(doc, date_source=dated.source),
        rank_day(ranked) if rank_day is not None and ranked is not None else None,
    )
    if problem:
        raise InputError(path, problem)
    doc = dataclasses.replace(doc, date_source=dated.source)
    corrections = folder / CORRECTIONS
    if year is not None and os.path.lexists(corrections):
        source = f"raw/{folder.name}/{CORRECTIONS}"  # as the lake's rows name it (`corrected_by`)
        entries = read_corrections(corrections, source, folder.parent)
        doc = settle(doc, tuple(e for e in entries if e.document == path.name), source)
    return doc


def _empty(year: int, refusal: str) -> YearTables:
    return YearTables(
        _sources([], Path(), year),
        _stack([], "", CONSTITUENT_COLUMNS, year),
        _stack([], "", CHANGE_COLUMNS, year),
        _stack_frames([], PAGE_STAT_COLUMNS),
        _stack_frames([], UNREAD_LINE_COLUMNS),
        _stack([], "", UNIVERSE_COLUMNS, year),
        _stack([], "", SEC_COLUMNS, year),
        _stack([], "", HOLDINGS_COLUMNS, year),
        refusal=refusal,
    )


def _what(doc: Document) -> str:
    dated = (
        f"dated {doc.as_of_date} by its {doc.date_source.replace('_', ' ')}"
        if doc.as_of_date
        else (f"no date: the {doc.date_source}'s year" if doc.date_source else "no date")
    )
    return ", ".join([*(v or "-" for v in (doc.doc_type, doc.index_name, doc.stage)), dated])


def _identities(
    docs: list[Document], states: list[DocumentState], raw: Path, year: int
) -> list[DocumentState]:
    """The states with every document that is not a document of its own refused: a copy of a file
    anywhere under raw/ (same sha256: the first copy whose date fits its folder is read, the others
    are refused naming it), and two lists claiming to be the same version (index, kind, stage, date)."""
    state = {s.path: s for s in states}
    shown = {d.sha256: [] for d in docs}
    for d in docs:
        shown[d.sha256].append((_shown(Path(d.path), raw), d))
    elsewhere = same_bytes_elsewhere(raw, year, {d.sha256: d.bytes for d in docs})
    why: dict[str, str] = {}
    for sha, mine in shown.items():
        doc = mine[0][1]
        copies = sorted([*(p for p, _ in mine), *(_shown(p, raw) for p, s in elsewhere if s == sha)])
        if len(copies) < 2:
            continue
        # The copy to read: its date fits its folder; a copy whose file name also carries the date first.
        fits = sorted(
            (
                c
                for c in copies
                if not date_of(doc.doc_type, doc.evidence.with_name(c), int(c.split("/")[-2])).problem
            ),
            key=lambda c: (dating.name_date(c) is None, c),
        )
        for path, _ in mine:
            if fits and path != fits[0]:
                why[path] = (
                    f"same content as {fits[0]} (sha256 {sha[:12]}...): a document is read once, "
                    "remove this copy"
                )
    claims: dict[tuple, list[tuple[str, Document]]] = {}
    for d in docs:
        path = _shown(Path(d.path), raw)
        if d.doc_type in (*LIST_TYPES, *TABLE_TYPES) and not state[path].refused and path not in why:
            fund = d.rows["fund"][0] if d.doc_type == "holdings" else None  # two funds may track one index
            claims.setdefault((d.doc_type, d.index_name, d.stage, d.as_of_date, fund), []).append((path, d))
    for (kind, index, stage, as_of, fund), versions in claims.items():
        if len({d.sha256 for _, d in versions}) < 2:
            continue
        names = " and ".join(p for p, _ in versions)
        what = " ".join(v for v in (fund or index, stage, kind.replace("_", " ")) if v) + (
            f" of {as_of}" if as_of else ""
        )
        rows = " vs ".join(str(d.rows.height) for _, d in versions)
        for path, _ in versions:
            why[path] = (
                f"conflicting versions: {names} are both the {what} but differ ({rows} rows): keep the "
                "right one and remove the other"
            )
    return [dataclasses.replace(s, refused=s.refused or why.get(s.path)) for s in states]


_IPO = re.compile(r"\bIPO\b")


def _not_final(doc: Document, rank_day: dt.date | None) -> str | None:
    """Why a final change list cannot be final on its date (dating.before_rank_day); IPO additions,
    published each quarter, are not held to the annual rank day."""
    if (
        doc.doc_type not in CHANGE_TYPES
        or doc.stage != "final"
        or any(_IPO.search(t) for _, _, t in doc.lines)
    ):
        return None
    return dating.before_rank_day(doc.as_of_date, doc.date_source, doc.evidence, rank_day)


def list_key(kind: str, index_name: str | None, rows: pl.DataFrame) -> str:
    """What a list says, whatever its bytes and dates: its kind, index and (company, symbol) rows."""
    pairs = sorted(rows.select("company", "symbol").unique().iter_rows())
    return hashlib.sha256(json.dumps([kind, index_name, pairs]).encode()).hexdigest()


def stored_lists(
    constituents: pl.DataFrame | None, changes: pl.DataFrame | None, sources: pl.DataFrame | None
) -> dict[str, str]:
    """{list_key: `raw/<year>/<file>, stored for <year>`} of the lists a lake holds (its `constituents`,
    `constituent_changes` and `source_documents`), for `read_year`'s `others`."""
    if sources is None or not sources.height:
        return {}
    paths = dict(sources.select("sha256", "path").iter_rows())
    frames = []
    if constituents is not None and constituents.height:
        frames.append(constituents.with_columns(kind=pl.lit("membership_list")))
    if changes is not None and changes.height:
        frames.append(changes.with_columns(kind=pl.col("change") + "s"))
    out = {}
    for frame in frames:
        for (sha, year, index, kind), rows in frame.group_by(
            "source_sha256", "recon_year", "index_name", "kind"
        ):
            out[list_key(kind, index, rows)] = f"{paths.get(sha, sha[:12])}, stored for {year}"
    return out


def _same_rows_elsewhere(
    docs: list[Document], states: list[DocumentState], raw: Path, others: Mapping[str, str]
) -> list[DocumentState]:
    """The states with every list whose rows equal a list of another year refused, naming it."""
    if not others:
        return states
    why = {}
    for d in docs:
        if d.doc_type not in LIST_TYPES:
            continue
        where = others.get(list_key(d.doc_type, d.index_name, d.rows))
        if where is not None:
            why[_shown(Path(d.path), raw)] = (
                f"its {d.rows.height} rows equal those of {where}: it is that list under other dates "
                f"({d.evidence.said()}), not a list of its own; remove it"
            )
    return [dataclasses.replace(s, refused=s.refused or why.get(s.path)) for s in states]


def _shown(path: Path | None, raw: Path) -> str:
    """A path under raw/ as the tables show it: `raw/<year>/<file>`."""
    if path is None:
        return ""
    return path.relative_to(raw.parent).as_posix() if path.is_relative_to(raw.parent) else str(path)


def _corrections(
    folder: YearFolder, source: str, year: int, raw: Path
) -> tuple[tuple[Correction, ...], list[str]]:
    """The year's corrections, and the one-line problem of a file that cannot be applied."""
    if folder.corrections is None:
        return (), []
    try:
        entries = read_corrections(folder.corrections, source, raw)
    except InputError as err:
        return (), [str(err)]
    names = {p.name for p in folder.documents}
    stray = next((e for e in entries if e.document not in names), None)
    if stray is not None:
        return (), [
            str(
                InputError(
                    source,
                    f"line {stray.at}: {stray.document} is not a document under raw/{year}/; nothing changed",
                )
            )
        ]
    return entries, []


def _refusal(problems: list[str], states: list[DocumentState], year: int) -> str | None:
    """One line: the corrections file's problem, else each refused document's."""
    if problems:
        return "; ".join(problems)
    refused = [f"{s.path}: {s.refused}" for s in states if s.refused]
    if len(refused) > 1:
        return f"raw/{year}: {len(refused)} documents cannot be read: " + "; ".join(refused)
    return refused[0] if refused else None


def _sources(docs: list[Document], raw: Path, year: int) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "recon_year": year,
                "path": _shown(Path(d.path), raw),
                "sha256": d.sha256,
                "bytes": d.bytes,
                "pages": d.pages,
                "doc_type": d.doc_type,
                "index_name": d.index_name,
                "stage": d.stage,
                "as_of_date": d.as_of_date,
                "rows": d.rows.height,
                "date_source": d.date_source,
                "furniture_pages": d.furniture_pages(),
            }
            for d in docs
        ],
        schema=SOURCE_COLUMNS,
    )


def _stack_frames(frames: list[pl.DataFrame], columns: dict) -> pl.DataFrame:
    return pl.concat(frames or [pl.DataFrame(schema=columns)], how="diagonal_relaxed").select(list(columns))


def _stack(docs: list[Document], doc_types, columns: dict, year: int) -> pl.DataFrame:
    types = (doc_types,) if isinstance(doc_types, str) else doc_types
    frames = [d.rows.with_columns(recon_year=pl.lit(year, pl.Int64)) for d in docs if d.doc_type in types]
    if not frames:
        return pl.DataFrame(schema=columns)
    return pl.concat(frames, how="diagonal_relaxed").select([pl.col(c).cast(t) for c, t in columns.items()])
