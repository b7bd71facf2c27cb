"""`raw/<year>/corrections.csv`: what a user settles about lines the parser could not read, without code.

A list line that holds data no row was read from refuses its document (and so its year). The user
looks at the page and writes one entry per such line: `not_a_row` (the line holds no company: a
note, a stray heading) or `row` (the company, symbol and sector it holds). An entry must match an
unread line of the document it names, else the whole file is refused, naming its line; a `row` entry
adds its row, traced to the corrections file and line (`corrected_by`). An entry settles one unread
line, once: a line holds one row per table it crosses, and a row's symbol must be new to its list.
The file itself is untrusted input, read under the rules of a document (raw_files.py).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from russell_pipeline.lib.csv_rows import header_of, read_rows
from russell_pipeline.lib.documents.lists import TICKER_RE
from russell_pipeline.lib.documents.raw_files import read_small
from russell_pipeline.lib.documents.reading import CHANGE_COLUMNS
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.text_rules import name_problem

HEADER = ("document", "page", "line", "action", "company", "symbol", "sector")
ACTIONS = ("not_a_row", "row")
_MAX_BYTES = 1_000_000  # a file of corrections, not a list


@dataclass(frozen=True)
class Correction:
    at: int  # the line of corrections.csv
    document: str  # the file name under raw/<year>/
    page: int
    line: int
    action: str
    company: str
    symbol: str
    sector: str


def ready_entry(document: str, page: int, line: int) -> str:
    """The entry that settles an unread line as not a row, as a user pastes it (or edits into a row)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([document, page, line, "not_a_row", "", "", ""])
    return out.getvalue()


def read_corrections(
    path: Path, shown: str | None = None, root: Path | None = None
) -> tuple[Correction, ...]:
    """The entries of a corrections file; a file or entry that is not as specified is one InputError
    naming the file (as `shown`: `raw/<year>/corrections.csv`) and its line: its lines by the rule of
    every CSV (lib/csv_rows.py, as a file edited by hand: an empty line is skipped, a CR alone ends a line;
    a line with more or fewer than the header's seven fields is refused), a company and sector printable
    text (lib/text_rules.py). It is read as a document
    is (raw_files.py): with `root` (raw/) never through a link nor from outside it, never from a pipe or
    a device, its size refused before it is read, and no more than its limit ever read."""
    name = shown or str(path)
    try:
        data = read_small(path, _MAX_BYTES, "a file of corrections", root)
    except InputError as err:
        raise InputError(name, err.problem) from None
    if tuple(header_of(re.split(rb"\r\n|\r|\n", data, maxsplit=1)[0])) != HEADER:
        raise InputError(name, f"line 1: the header must be `{','.join(HEADER)}`")
    table = read_rows(data, name, edited=True)  # every line by the one CSV rule (lib/csv_rows.py)
    return tuple(
        _entry(name, at, fields)
        for at, fields in zip(table.lines, table.frame.rows(), strict=True)
        if any(f.strip() for f in fields)
    )


def _entry(name: str, at: int, fields: list[str]) -> Correction:
    def bad(why: str) -> InputError:
        return InputError(name, f"line {at}: {why}")

    document, page, line, action, company, symbol, sector = (f.strip() for f in fields)
    if not document or "/" in document or "\\" in document:
        raise bad(f"document {document!r}: the file name under the year's folder")
    numbers = []
    for field, value in (("page", page), ("line", line)):
        if not value.isdecimal() or int(value) < 1:
            raise bad(f"{field} {value!r} is not a number from 1 (as the refusal prints it)")
        numbers.append(int(value))
    if action not in ACTIONS:
        raise bad(f"action {action!r} is not one of {', '.join(ACTIONS)}")
    company = " ".join(company.split())
    if action == "not_a_row" and (company or symbol or sector):
        raise bad("not_a_row leaves company, symbol and sector empty")
    if action == "row" and not company:
        raise bad("a row needs its company")
    if action == "row" and not TICKER_RE.match(symbol):
        raise bad(f"symbol {symbol!r} is not a symbol as the lists print them (BRK.B, HEI.A, BELFB)")
    sector = " ".join(sector.split())
    for what, text in (("company", company), ("sector", sector)):
        if problem := name_problem(text, what):
            raise bad(problem)
    return Correction(at, document, numbers[0], numbers[1], action, company, symbol, sector)


def settle(doc, entries: tuple[Correction, ...], source: str):
    """The document with its entries applied: each `not_a_row` line is no longer unread, each `row`
    entry's row added in reading order with `corrected_by` = `<source>:<line>`.

    A correction settles one unread line of its document, once: an entry for a line that is not
    unread, a second entry for a line already settled, a `row` beyond what the line holds (one row
    per table the line crosses), a row that does not fit its columns, or a row whose symbol the
    document already lists is one InputError naming the corrections file (`source`) and the entry's
    line; nothing of the file is applied then."""
    if not entries:
        return doc
    unread = {(p, n): t for p, n, t in doc.unread.iter_rows()}
    symbols = dict(
        zip(
            doc.rows["symbol"],
            zip(doc.rows["source_page"], doc.rows["source_line"], strict=True),
            strict=True,
        )
    )
    added, tables, settled = [], [], {}
    for e in entries:
        where = f"{e.document} page {e.page} line {e.line}"

        def refuse(why: str, at: int = e.at) -> InputError:
            return InputError(source, f"line {at}: {why}; nothing changed")

        if (e.page, e.line) not in unread:
            shown = ", ".join(f"page {p} line {n}" for p, n in unread) or "none"
            raise refuse(f"{where} is not a line the parser could not read (its unread lines: {shown})")
        side = doc.unread_tables.get((e.page, e.line), (0,))
        before = settled.setdefault((e.page, e.line), [])
        if before and (
            e.action == "not_a_row" or before[0].action == "not_a_row" or len(before) >= len(side)
        ):
            holds = "" if len(side) == 1 else f" (it holds {len(side)} rows, one per table it crosses)"
            lines = ", ".join(str(b.at) for b in before)
            raise refuse(f"{where} is settled twice: line {lines} already settles it{holds}")
        before.append(e)
        if e.action == "not_a_row":
            continue
        wants_sector = doc.classification is not None
        if bool(e.sector) != wants_sector:
            raise refuse(
                f"{e.document} "
                + (
                    "prints a sector column: the row needs its sector"
                    if wants_sector
                    else "has no sector column: leave sector empty"
                )
            )
        if e.symbol in symbols:
            page, line = symbols[e.symbol]
            raise refuse(
                f"symbol {e.symbol} is already on {e.document} page {page} line {line}: "
                "a list names a symbol once"
            )
        symbols[e.symbol] = (e.page, e.line)
        table = side[len(before) - 1]
        added.append((e.page, e.line, e.company, e.symbol, e.sector or None, f"{source}:{e.at}"))
        tables.append(table)
    return dataclasses.replace(_with_rows(doc, added, tables, set(settled)), corrections=len(entries))


def _with_rows(doc, added: list[tuple], tables: list[int], settled: set[tuple[int, int]]):
    """The document's rows with `added` put in reading order, and its unread lines and page counts
    without the `settled` ones."""
    fixed = {
        "source_sha256": doc.sha256,
        "index_name": doc.index_name,
        "as_of_date": doc.as_of_date,
        "change": doc.doc_type.removesuffix("s"),
        "stage": doc.stage,
        "classification": doc.classification,
    }
    named = ("source_page", "source_line", "company", "symbol", "sector", "corrected_by")
    new = pl.DataFrame(
        [dict(zip(named, a, strict=True)) | fixed for a in added],
        schema={c: t for c, t in CHANGE_COLUMNS.items() if c != "recon_year"},
    )
    new = new.select([pl.col(c).cast(t) for c, t in doc.rows.schema.items()])
    keys = [
        (p, t, n)
        for p, n, t in zip(doc.rows["source_page"], doc.rows["source_line"], doc.row_tables, strict=True)
    ]
    keys += [(p, t, n) for (p, n, *_), t in zip(added, tables, strict=True)]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    rows = pl.concat([doc.rows, new])[order]
    unread = doc.unread.join(
        pl.DataFrame(sorted(settled), schema={"page": pl.Int64, "line": pl.Int64}, orient="row"),
        on=["page", "line"],
        how="anti",
    )
    produced = dict(rows.group_by("source_page").len().iter_rows())
    lost = dict(unread.group_by("page").len().iter_rows())
    stats = pl.DataFrame(
        [(p, produced.get(p, 0) + lost.get(p, 0), produced.get(p, 0)) for p in doc.page_stats["page"]],
        schema=doc.page_stats.schema,
        orient="row",
    )
    return dataclasses.replace(
        doc, rows=rows, row_tables=tuple(keys[i][1] for i in order), unread=unread, page_stats=stats
    )
