"""Read one published document: what it is (by content), its metadata and its rows.

`read_document` is the single entry point for PDFs and text extractions alike;
rows follow the `constituents` / `constituent_changes` contracts of docs/methodology.md §2.3
minus `recon_year`, which the caller knows from the partition.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from russell_pipeline.lib.documents import dating
from russell_pipeline.lib.documents.holdings import looks_like_holdings, read_holdings
from russell_pipeline.lib.documents.limits import Limits
from russell_pipeline.lib.documents.lists import LayoutError, ParsedList, parse_list
from russell_pipeline.lib.documents.pdftext import PREFIX_BYTES, PdfReading, read_text_layer, sniff
from russell_pipeline.lib.documents.raw_files import read_limited
from russell_pipeline.lib.documents.sec_tickers import looks_like_sec_map, read_sec_tickers
from russell_pipeline.lib.documents.textlayer import TextLayer
from russell_pipeline.lib.documents.universe import looks_like_universe, read_universe
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.text_rules import bad_names, name_problem

CONSTITUENT_COLUMNS: dict[str, pl.DataType] = {
    "recon_year": pl.Int64,
    "as_of_date": pl.Date,
    "index_name": pl.String,
    "company": pl.String,
    "symbol": pl.String,
    "source_sha256": pl.String,
    "source_page": pl.Int64,
    "source_line": pl.Int64,
    "corrected_by": pl.String,  # an extra column after the contract: a row a user's correction added
}
CHANGE_COLUMNS: dict[str, pl.DataType] = {
    "recon_year": pl.Int64,
    "index_name": pl.String,
    "change": pl.String,
    "stage": pl.String,
    "company": pl.String,
    "symbol": pl.String,
    "sector": pl.String,
    "classification": pl.String,
    "as_of_date": pl.Date,
    "source_sha256": pl.String,
    "source_page": pl.Int64,
    "source_line": pl.Int64,
    "corrected_by": pl.String,
}
PAGE_STATS_COLUMNS: dict[str, pl.DataType] = {"page": pl.Int64, "candidate_lines": pl.Int64, "rows": pl.Int64}
# Lines holding data the parser did not read (a lost row): where, and what they say.
UNREAD_COLUMNS: dict[str, pl.DataType] = {"page": pl.Int64, "line": pl.Int64, "text": pl.String}
DOC_TYPES = (
    "membership_list",
    "additions",
    "deletions",
    "schedule",
    "ground_rules",
    "universe",
    "sec_tickers",
    "holdings",
    "unknown",
)
# The kinds whose rows are a table of their own, read from CSV or JSON (not a list's pages).
TABLE_TYPES = ("universe", "sec_tickers", "holdings")
LIST_TYPES = ("membership_list", "additions", "deletions")
CHANGE_TYPES = ("additions", "deletions")
# The kinds that must carry a date, and how a refusal names what is missing (dating.decide).
NEEDS_DATE = {
    "membership_list": "a membership list needs its date (constituents.as_of_date)",
    "universe": "a universe file needs its date (the rank day it was taken on)",
    "sec_tickers": "an SEC ticker map needs its date (the SEC's file carries none: the day it was saved)",
    "holdings": "a holdings file needs its date (its `Fund Holdings as of` line)",
}


def date_of(doc_type: str, evidence: dating.Evidence, folder: int | None) -> dating.Dated:
    """A document's date from its evidence, as its kind requires (lists and the dated tables are refused
    under the wrong year's folder; membership lists and the dated tables without a date)."""
    return dating.decide(
        evidence,
        folder,
        doc_type in (*LIST_TYPES, *TABLE_TYPES),
        NEEDS_DATE.get(doc_type),
        snapshot=doc_type == "universe",
    )


_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH = "(" + "|".join(m.capitalize() for m in _MONTHS) + ")"
_DATE_LINE = (  # a line that is only a date, maybe followed by a page number
    re.compile(
        rf"^(?:[A-Z][a-z]+day,?\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(\d{{4}})(?:\s+\d{{1,3}})?$"
    ),
    re.compile(rf"^(?:[A-Z][a-z]+day,?\s+)?{_MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})(?:\s+\d{{1,3}})?$"),
)
# "Russell 2000 Index - Deletions", "Russell 3000 Index - IPO Additions" (up to three words between).
_CHANGE_TITLE = re.compile(
    r"^(Russell\b.*?)\s*Index\s*(?:[-–—:]\s*)?(?:[A-Za-z]+\s+){0,3}?(Additions|Deletions)\b", re.IGNORECASE
)
_INDEX_TITLE = re.compile(r"^(Russell\b.*?)\s*Index(es)?\b")
_KIND_WORDS = (
    ("additions", r"\b(additions|adds)\b"),
    ("deletions", r"\b(deletions|deletes)\b"),
    ("membership_list", r"\bmembership"),
)
# Titles and footers capitalise the stage ("FTSE Russell | Final index Adds"); prose does not.
_STAGE_WORDS = (("update", r"\bUpdated?\b"), ("preliminary", r"\bPrelim(inary)?\b"), ("final", r"\bFinal\b"))
_SCHEDULE = re.compile(
    r"\b(review schedule|reconstitution schedule|rank day|reconstitution calendar)\b", re.IGNORECASE
)
_UNKNOWN = "not a recognized FTSE Russell document (no company list header, schedule or ground rules found)"
_UNKNOWN_LIST = (
    "company list whose kind is not stated: no title, footer, file name or PDF title says "
    "membership list, additions or deletions"
)
_LIST_WORD = re.compile(r"\b(adds|deletes|additions|deletions|list|lists|index)\b", re.IGNORECASE)


@dataclass(frozen=True, eq=False)
class Document:
    path: str
    sha256: str
    bytes: int
    pages: int
    doc_type: str
    index_name: str | None
    stage: str | None
    as_of_date: dt.date | None
    lines: tuple[tuple[int, int, str], ...]  # (page, line_no, text); cells tab-separated
    rows: pl.DataFrame
    page_stats: pl.DataFrame  # page, candidate_lines (rows + unread lines), rows
    unread: pl.DataFrame  # UNREAD_COLUMNS: one row per line whose data no row took
    classification: str | None = None  # ICB | RGS for change lists with a sector column
    row_tables: tuple[int, ...] = ()  # each row's table (0: the left one of side-by-side tables)
    unread_tables: dict = field(default_factory=dict)  # (page, line) of an unread line -> its tables
    corrections: int = 0  # entries of raw/<year>/corrections.csv applied (corrections.py)
    evidence: dating.Evidence = field(
        default_factory=dating.Evidence
    )  # what its text, file name and PDF metadata say of its date
    date_source: str | None = None  # which of them gave `as_of_date` (dating.SOURCES)
    furniture: tuple[tuple[int, str], ...] = ()  # (page, why) of a list's pages that hold no table

    def furniture_pages(self) -> str | None:
        """`page: why` of each furniture page, `; `-separated (source_documents.furniture_pages)."""
        return "; ".join(f"{page}: {why}" for page, why in self.furniture) or None

    def unread_problem(self) -> str | None:
        """One line naming each unread line (page, line, text), or None when every data line was read."""
        if not self.unread.height:
            return None
        shown = "; ".join(f"page {p} line {n}: {t!r}" for p, n, t in self.unread.head(3).iter_rows())
        more = f" (and {self.unread.height - 3} more)" if self.unread.height > 3 else ""
        return (
            f"{self.unread.height} line(s) hold data no row was read from (not company, symbol"
            f"{' and sector' if self.classification else ''} in their columns): {shown}{more}"
        )


def read_document(
    path: str | Path,
    limits: Limits | None = None,
    root: Path | None = None,
    started: PdfReading | None = None,
) -> Document:
    """Parse one document; bad input raises InputError naming the file and the problem.

    `limits` default to `Limits()`; with `root`, the file must be a regular file inside it. `started`:
    this PDF's reading, begun by `pdftext.start_pdf` (`parse` starts it before loading the rest)."""
    limits = limits or Limits()
    data = started.data if started is not None else read_limited(path, limits, root)
    if started is None and sniff(path, data[:PREFIX_BYTES]) == "text":
        table = _table_document(path, data)
        if table is not None:
            return table
    layer = started.layer() if started is not None else read_text_layer(path, data, limits)
    try:
        parsed = parse_list(layer.pages, text=layer.kind == "text")
    except LayoutError as exc:
        raise InputError(path, str(exc)) from None
    sha = hashlib.sha256(data).hexdigest()
    lines = tuple((p.number, ln.number, ln.text) for p in layer.pages for ln in p.lines)
    other = [_clean(t) for p, n, t in lines if (p, n) not in parsed.table_lines]
    doc_type = _doc_type(other, parsed, path, layer)
    if doc_type == "unknown":
        raise InputError(path, _UNKNOWN_LIST if parsed.tables_found else _UNKNOWN)
    is_list = doc_type in LIST_TYPES
    if is_list and not parsed.tables_found:
        raise InputError(path, f"{doc_type} document without a recognizable Company/Symbol table header")
    if is_list and not parsed.rows:
        raise InputError(path, f"{doc_type} document: table header found but no rows could be read")
    index_name = _index_name(other)
    stage = _stage(other, path, layer) if doc_type in CHANGE_TYPES else None
    found = dating.evidence(_text_date(other), path, layer.metadata)
    dated = date_of(doc_type, found, None)
    as_of = dated.as_of
    stats = pl.DataFrame(
        list(parsed.page_stats) if is_list else [(p.number, 0, 0) for p in layer.pages],
        schema=PAGE_STATS_COLUMNS,
        orient="row",
    )
    unread = pl.DataFrame(
        [(u.page, u.line, u.text) for u in parsed.unread] if is_list else [],
        schema=UNREAD_COLUMNS,
        orient="row",
    )
    classification = parsed.classification if doc_type in CHANGE_TYPES else None
    rows = _rows(doc_type, parsed, sha, index_name, stage, as_of, classification)
    _printable(path, rows)
    return Document(
        str(path),
        sha,
        len(data),
        len(layer.pages),
        doc_type,
        index_name,
        stage,
        as_of,
        lines,
        rows,
        stats,
        unread,
        classification,
        tuple(r.table for r in parsed.rows) if is_list else (),
        {(u.page, u.line): u.tables for u in parsed.unread} if is_list else {},
        evidence=found,
        date_source=dated.source,
        furniture=tuple((k.page, k.reason) for k in parsed.pages if k.kind == "furniture") if is_list else (),
    )


def _printable(path: str | Path, rows: pl.DataFrame) -> None:
    """A list's companies and sectors are printable text (lib/text_rules.py): the first row holding a
    control, format or unassigned character (a NUL a text extraction lets through, U+202E) refuses the
    document, naming its page and line. (A symbol is ASCII already: the parser reads no other.)"""
    for column in ("company", "sector"):
        bad = bad_names(rows[column]) if column in rows.columns else None
        if bad is not None and bad.len():
            row = rows.filter(pl.col(column).is_in(bad.implode())).row(0, named=True)
            where = f"page {row['source_page']} line {row['source_line']}"
            raise InputError(path, f"{where}: {name_problem(row[column], column)}")


def _table_document(path: str | Path, data: bytes) -> Document | None:
    """A text document that is one table (TABLE_TYPES), recognized by its first lines: a rank-day
    universe file (lib/documents/universe.py), an SEC ticker map (sec_tickers.py, dated by its file
    name) or an ETF holdings file (holdings.py, dated by its text), with its rows, each dated as the
    document is; None for any other text."""
    head = data[:4096].decode("utf-8", "replace")
    sha, text_date, index_name = hashlib.sha256(data).hexdigest(), None, None
    if looks_like_universe(head):
        doc_type, rows = "universe", read_universe(str(path), data, sha)
    elif looks_like_sec_map(head):
        doc_type, rows = "sec_tickers", read_sec_tickers(str(path), data, sha)
    elif looks_like_holdings(head):
        doc_type, (rows, text_date) = "holdings", read_holdings(str(path), data, sha)
        index_name = rows["index_name"][0]
    else:
        return None
    found = dating.evidence(text_date, path, {})
    dated = date_of(doc_type, found, None)
    return Document(
        str(path),
        sha,
        len(data),
        1,
        doc_type,
        index_name,
        None,
        dated.as_of,
        (),
        rows.with_columns(as_of_date=pl.lit(dated.as_of, pl.Date)),
        pl.DataFrame(schema=PAGE_STATS_COLUMNS),
        pl.DataFrame(schema=UNREAD_COLUMNS),
        evidence=found,
        date_source=dated.source,
    )


def empty_rows(doc_type: str) -> pl.DataFrame:
    """The empty row frame of a document type (no recon_year): constituents for membership
    lists, constituent_changes for everything else."""
    cols = CONSTITUENT_COLUMNS if doc_type == "membership_list" else CHANGE_COLUMNS
    return pl.DataFrame(schema={k: v for k, v in cols.items() if k != "recon_year"})


def _rows(
    doc_type: str,
    parsed: ParsedList,
    sha: str,
    index_name: str | None,
    stage: str | None,
    as_of: dt.date | None,
    classification: str | None,
) -> pl.DataFrame:
    if doc_type not in LIST_TYPES:
        return empty_rows(doc_type)
    common = {
        "company": [r.company for r in parsed.rows],
        "symbol": [r.symbol for r in parsed.rows],
        "source_sha256": sha,
        "source_page": [r.page for r in parsed.rows],
        "source_line": [r.line for r in parsed.rows],
        "index_name": index_name,
        "as_of_date": as_of,
        "corrected_by": None,
    }
    if doc_type != "membership_list":
        common |= {
            "change": doc_type.removesuffix("s"),
            "stage": stage,
            "sector": [r.sector for r in parsed.rows],
            "classification": classification,
        }
    template = empty_rows(doc_type)
    n = len(parsed.rows)
    frame = pl.DataFrame({k: v if isinstance(v, list) else [v] * n for k, v in common.items()})
    return frame.select([pl.col(c).cast(t) for c, t in template.schema.items()])


def _clean(text: str) -> str:
    return " ".join(text.replace("®", " ").replace("™", " ").split())


def _doc_type(other: list[str], parsed: ParsedList, path: str | Path, layer: TextLayer) -> str:
    for line in other:
        m = _CHANGE_TITLE.match(line)
        if m:
            return m.group(2).lower()
    if any(ln.lower() == "membership list" for ln in other):
        return "membership_list"
    if parsed.tables_found:
        short = [ln for ln in other if len(ln) < 80]  # footers: "FTSE Russell | Final index Adds 2"
        # The text first; the file name and PDF title only when the text names no kind.
        for source in ([ln for ln in short if _LIST_WORD.search(ln)], _metadata_text(path, layer)):
            for kind, pattern in _KIND_WORDS:
                if any(re.search(pattern, ln, re.IGNORECASE) for ln in source):
                    return kind
        return "unknown"
    if sum(ln.lower().count("ground rules") for ln in other) >= 2:
        return "ground_rules"
    if any(_SCHEDULE.search(ln) for ln in other):
        return "schedule"
    return "unknown"


def _index_name(other: list[str]) -> str | None:
    """The index a title names ("Russell 3000"); a family ("Russell US") when no single index is named."""
    family = None
    for line in other:
        m = _INDEX_TITLE.match(line)
        if m and len(m.group(1)) < 60:
            if not m.group(2):
                return m.group(1).strip()
            family = family or m.group(1).strip()
    return family


def _metadata_text(path: str | Path, layer: TextLayer) -> list[str]:
    """The file name (as words) and the PDF's title and subject."""
    return [
        re.sub(r"[^A-Za-z]+", " ", Path(path).stem),
        layer.metadata.get("Title", ""),
        layer.metadata.get("Subject", ""),
    ]


def _stage(other: list[str], path: str | Path, layer: TextLayer) -> str:
    found = [ln for ln in other if len(ln) < 80 and _LIST_WORD.search(ln)]
    for source, flags in ((found, 0), (_metadata_text(path, layer), re.IGNORECASE)):
        for stage, pattern in _STAGE_WORDS:
            if any(re.search(pattern, ln, flags) for ln in source):
                return stage
    # FTSE Russell labels preliminary lists and updates as such; an unlabelled list is the final one.
    return "final"


def _text_date(other: list[str]) -> dt.date | None:
    for line in other:
        for k, pattern in enumerate(_DATE_LINE):
            m = pattern.match(line)
            if m:
                day, month, year = (m.group(1), m.group(2), m.group(3)) if k == 0 else m.group(2, 1, 3)
                try:
                    return dt.date(int(year), _MONTHS.index(month.lower()) + 1, int(day))
                except ValueError:
                    continue
    return None
