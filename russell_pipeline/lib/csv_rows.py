"""Delimited text read one way: a header line, then records of exactly its fields, each named by its line.

Every reader of a CSV (or other delimited) file a user gives reads it through here, so one rule holds
for all of them (a universe file, `raw/<year>/corrections.csv`, the market-data contract's CSV files, a
user's price file; any new one the same way):

- the text is UTF-8; a byte-order mark at the start of the file is dropped;
- a line ends with LF or CRLF; a CR alone, and every other control character but TAB (NUL, ESC, the
  C1 controls), is refused wherever it stands;
- a field is written bare (no `"` in it) or quoted whole as RFC 4180 writes it (`"..."`, `""` for a
  quote inside; a quoted field may hold the separator and line ends); a quote anywhere else, and a
  quoted field the file never closes, are refused;
- every record holds as many fields as the header, an empty line too (it holds one field): a line
  cut short or holding more is refused;
- with `whole_lines` (a file a program writes, every line ended), a last line without its line end is
  refused: the file was cut short inside it;
- with `edited` (a file people write by hand: `corrections.csv`), an empty line is no record (it is
  skipped, the lines after it keep their numbers) and a CR alone ends a line (Excel for Mac's "CSV").

A refusal is one `InputError` naming the file (as the caller shows it) and the line, the header being
line 1. The rule is checked on the bytes, vectorised with numpy, before any parser sees them: a file
that passes is one polars reads exactly as the rule says, so readers keep polars' speed.

- `read_rows(data, shown)`: a file held in memory (a universe, corrections, a price file, ...): its
  `Rows`, the header and every field as written (all `String`, an empty field `""`, nothing trimmed or
  typed), with the line each record starts on. `first_line`/`last_line` read a table that is only
  part of a file (a download with lines of notes above and below its table).
- `check_file(path, shown)`: a file of any size checked in bounded memory, a block at a time, for a
  reader that then scans it with polars itself (the market data, a price file); its records' count.
  Its header may name a column twice (a yfinance file's `Price,Close,Close,...`): the reader says.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from russell_pipeline.lib.errors import InputError

_LF, _CR, _QUOTE, _TAB, _DEL = 10, 13, 34, 9, 127
_BOM = b"\xef\xbb\xbf"
BLOCK_BYTES = 8 << 20  # what check_file reads at a time
MAX_RECORD_BYTES = 1 << 20  # a record longer than this is a quote never closed, not a record


@dataclass(frozen=True)
class Rows:
    """A delimited file's table: `header` (each name as written, white space around it trimmed), `frame`
    (one `String` column per header name, in order, every field as written) and `lines` (Int64: the
    line each record starts on; the header is on `header_line`)."""

    header: tuple[str, ...]
    frame: pl.DataFrame
    lines: pl.Series
    header_line: int = 1


def read_rows(
    data: bytes,
    shown: str,
    *,
    separator: str = ",",
    whole_lines: bool = False,
    edited: bool = False,
    first_line: int = 1,
    last_line: int | None = None,
) -> Rows:
    """The table of `data` (the header on `first_line`, the records to `last_line` or the end), every
    field as written; any line that breaks the rule above is an InputError naming `shown` and its line.
    A header with no record after it gives an empty frame (the caller says whether that is an error)."""
    sep = _separator(separator)
    start, end = _span(data, first_line, last_line)
    body = data[start:end]
    if first_line == 1 and body.startswith(_BOM):
        body = body[len(_BOM) :]
    if edited:  # a CR alone ends a line: as LF, one byte for one, so every line keeps its number
        body = re.sub(rb"\r(?!\n)", b"\n", body)
    scan = _Scan(shown, sep, first_line, skip_empty=edited)
    table = scan.block(body, final=True, whole_lines=whole_lines and last_line is None)
    if table.empty.size:  # the empty lines skipped: polars reads the records only
        keep = np.ones(len(body), dtype=bool)
        for first, past in table.empty:
            keep[first:past] = False
        body = np.frombuffer(body, np.uint8)[keep].tobytes()
        table = dataclasses.replace(table, data_start=int(np.count_nonzero(keep[: table.data_start])))
    names = list(scan.header or ())
    frame = pl.DataFrame(schema=dict.fromkeys(names, pl.String))
    if table.records:
        frame = pl.read_csv(
            body[table.data_start :],
            has_header=False,
            new_columns=names,
            schema=dict.fromkeys(names, pl.String),
            separator=separator,
            quote_char='"',
            empty_string_is_null=False,
            truncate_ragged_lines=False,
            raise_if_empty=False,
        )
        if frame.height != table.records:  # the rule promises polars reads what it passed one way
            raise InputError(
                shown, f"{table.records} records on its lines, {frame.height} read: not a CSV read one way"
            )
    return Rows(tuple(names), frame, pl.Series("line", table.lines, dtype=pl.Int64), first_line)


def check_file(
    path: str | Path,
    shown: str | Path,
    *,
    separator: str = ",",
    whole_lines: bool = False,
    line_offset: int = 0,
) -> int:
    """The number of records of the delimited file at `path` (header aside), checked by the rule above a
    block at a time (memory: a few blocks, whatever the file's size); the first line that breaks it is
    an InputError naming `shown`. `line_offset`: lines of the whole file before `path`'s second line (a
    file's appended tail checked alone, with its header line, names the whole file's lines)."""
    scan = _Scan(str(shown), _separator(separator), 1, line_offset, named=False)
    records = 0
    for block, final in _blocks(path, scan):
        records += scan.block(block, final=final, whole_lines=whole_lines).records
    return records


def header_of(data: bytes, separator: str = ",") -> list[str]:
    """The names of a header line as written (a byte-order mark dropped, white space around each trimmed)."""
    text = data.removeprefix(_BOM).decode("utf-8", "replace").rstrip("\r\n")
    return [c.strip() for c in next(csv.reader([text], delimiter=separator), [])]


# ---------------------------------------------------------------- the scan
@dataclass(frozen=True)
class _Block:
    records: int  # data records in the block
    lines: np.ndarray  # the line each starts on
    data_start: int  # where its first data record starts (past the header in the first block)
    empty: np.ndarray = dataclasses.field(default_factory=lambda: np.empty((0, 2), np.int64))  # skipped lines


def _separator(separator: str) -> int:
    code = separator.encode()
    if len(code) != 1 or code[0] in (_LF, _CR, _QUOTE):
        raise ValueError(f"separator {separator!r}: one byte, not a line end or a quote")
    return code[0]


def _span(data: bytes, first_line: int, last_line: int | None) -> tuple[int, int]:
    """The bytes of lines first_line..last_line (every LF counts: a caller picks lines it has seen)."""
    if first_line == 1 and last_line is None:
        return 0, len(data)
    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == _LF)
    start = (
        0 if first_line == 1 else int(ends[first_line - 2]) + 1 if first_line - 2 < ends.size else len(data)
    )
    end = len(data) if last_line is None or last_line - 1 >= ends.size else int(ends[last_line - 1]) + 1
    return start, end


def _blocks(path: str | Path, scan: _Scan) -> Iterator[tuple[bytes, bool]]:
    """The file in blocks of whole records (each ends with a line end outside quotes), the last one
    flagged; the BOM dropped."""
    carry = b""
    with open(path, "rb") as f:
        first = True
        while True:
            chunk = f.read(BLOCK_BYTES)
            if first:
                chunk, first = chunk.removeprefix(_BOM), False
            if not chunk:
                if carry or scan.header is None:
                    yield carry, True
                return
            data = carry + chunk
            cut = _last_record_end(data)
            if cut < 0:
                if len(data) > MAX_RECORD_BYTES:
                    scan.too_long(data)
                carry = data
                continue
            yield data[: cut + 1], False
            carry = data[cut + 1 :]


def _last_record_end(data: bytes) -> int:
    """The position of the last LF outside quotes (-1: none); the data start outside quotes."""
    b = np.frombuffer(data, np.uint8)
    lf = np.flatnonzero(b == _LF)
    if not lf.size:
        return -1
    quotes = np.flatnonzero(b == _QUOTE)
    outside = lf[np.searchsorted(quotes, lf) % 2 == 0]
    return int(outside[-1]) if outside.size else -1


class _Scan:
    """The rule, checked block after block (each starting where a record starts)."""

    def __init__(
        self,
        shown: str,
        sep: int,
        first_line: int,
        line_offset: int = 0,
        skip_empty: bool = False,
        named: bool = True,
    ):
        self.shown, self.sep, self.skip_empty, self.named = shown, sep, skip_empty, named
        self.line = self.first = first_line  # the line the next block starts on; the header's
        self.line_offset = line_offset
        self.header: list[str] | None = None

    def _where(self, line: int) -> int:
        return line + self.line_offset if line > self.first else line

    def refuse(self, line: int, problem: str) -> InputError:
        return InputError(self.shown, f"line {self._where(line)}: {problem}")

    def too_long(self, data: bytes) -> None:
        raise self.refuse(
            self.line,
            f"a record runs past {MAX_RECORD_BYTES:,} bytes without ending (a quoted field never closed?)",
        )

    def block(self, data: bytes, final: bool, whole_lines: bool) -> _Block:
        b = np.frombuffer(data, np.uint8)
        lf = np.flatnonzero(b == _LF)

        def line_at(pos: np.ndarray | int) -> np.ndarray | int:
            return np.searchsorted(lf, pos) + self.line

        self._text(data, b, lf, line_at)
        quotes = np.flatnonzero(b == _QUOTE)
        seps = np.flatnonzero(b == self.sep)
        if quotes.size:  # line ends and separators inside quoted fields are part of them
            self._quotes(b, quotes, line_at, final)
            ends = lf[np.searchsorted(quotes, lf) % 2 == 0]
            seps = seps[np.searchsorted(quotes, seps) % 2 == 0]
        else:
            ends = lf
        starts = np.concatenate(([0], ends + 1))
        if starts[-1] == len(b):  # the block ends with a line end: no record after it
            starts = starts[:-1]
            bounds = ends
        else:
            bounds = np.append(ends, len(b))
            if whole_lines and final:
                raise self.refuse(
                    int(line_at(len(b))),
                    "the file ends inside this line, without its line end: cut short? (a file written "
                    "whole ends every line)",
                )
        fields = np.diff(np.searchsorted(seps, bounds), prepend=0) + 1
        lines = line_at(starts) if quotes.size else np.arange(self.line, self.line + starts.size)
        data_start, first = 0, 0
        if self.header is None:
            if not starts.size:
                raise InputError(self.shown, f"line {self.line}: no header line (an empty file)")
            end = int(ends[0]) if ends.size else len(b)
            self.header = header_of(data[:end], chr(self.sep))
            self.width = int(fields[0])
            if not any(self.header):
                raise self.refuse(int(lines[0]), "an empty header line (the column names come first)")
            twice = sorted({h for h in self.header if self.header.count(h) > 1})
            if twice and self.named:  # read_rows names its columns by the header
                raise self.refuse(int(lines[0]), f"column {twice[0]!r} named twice in the header")
            data_start, first = (end + 1 if ends.size else len(b)), 1
        empty = np.empty((0, 2), np.int64)
        if self.skip_empty:  # records holding nothing (but a CR), after the header
            length = bounds - starts
            blank = (length == 0) | ((length == 1) & (b[np.minimum(starts, max(len(b) - 1, 0))] == _CR))
            blank[:first] = False
            if blank.any():
                empty = np.stack([starts[blank], np.minimum(bounds[blank] + 1, len(b))], axis=1)
                starts, fields, lines = starts[~blank], fields[~blank], lines[~blank]
        wrong = np.flatnonzero(fields[first:] != self.width)
        if wrong.size:
            k = int(wrong[0]) + first
            n = int(fields[k])
            raise self.refuse(
                int(lines[k]),
                f"an empty line, the header has {self.width} fields (every line holds one per column)"
                if _blank(data, int(starts[k]))
                else f"{n} fields, the header has {self.width} "
                + ("(a line cut short, or a field left out)" if n < self.width else "(a field too many)"),
            )
        self.line += lf.size
        return _Block(int(starts.size - first), lines[first:], data_start, empty)

    def _text(self, data: bytes, b: np.ndarray, lf: np.ndarray, line_at) -> None:
        """UTF-8 text without control characters but TAB and the line ends (CR only before LF). Counted
        first (no positions kept), then looked up only where one is found."""
        found = []  # (position, problem) of the first of each kind
        crlf = np.count_nonzero(b[lf[lf > 0] - 1] == _CR)
        allowed = lf.size + crlf + np.count_nonzero(b == _TAB)
        if np.count_nonzero(b < 32) + np.count_nonzero(b == _DEL) > allowed:
            low = np.flatnonzero((b < 32) | (b == _DEL))
            after = b[np.minimum(low + 1, len(b) - 1)]
            code = b[low]
            ok = (code == _TAB) | (code == _LF) | ((code == _CR) & (low + 1 < len(b)) & (after == _LF))
            at = int(low[~ok][0])
            found.append(
                (
                    at,
                    "a CR without its LF (a line ends with LF or CRLF)"
                    if b[at] == _CR
                    else f"the control character U+{int(b[at]):04X}: text holds none",
                )
            )
        if b.size and b.max() >= 0x80:  # beyond ASCII: UTF-8, and no C1 control (U+0080..U+009F)
            c1 = np.flatnonzero(b[:-1] == 0xC2)
            c1 = c1[(b[c1 + 1] >= 0x80) & (b[c1 + 1] <= 0x9F)]
            if c1.size:
                found.append(
                    (int(c1[0]), f"the control character U+{int(b[c1[0] + 1]):04X}: text holds none")
                )
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as err:
                found.append((err.start, f"not UTF-8 text (byte 0x{data[err.start]:02x})"))
        if found:
            at, problem = min(found)
            raise self.refuse(int(line_at(at)), problem)

    def _quotes(self, b: np.ndarray, quotes: np.ndarray, line_at, final: bool) -> None:
        """Each field bare or quoted whole: a quote opens a field (after a separator or a line end) or
        closes it (before one), `""` inside; a field opened is closed."""
        if not quotes.size:
            return
        opening, closing = quotes[0::2], quotes[1::2]
        before = b[np.maximum(opening - 1, 0)]
        wrong_open = opening[(opening > 0) & (before != self.sep) & (before != _LF) & (before != _QUOTE)]
        after = b[np.minimum(closing + 1, len(b) - 1)]
        wrong_close = closing[
            (closing + 1 < len(b)) & (after != self.sep) & (after != _LF) & (after != _CR) & (after != _QUOTE)
        ]
        wrong = np.sort(np.concatenate((wrong_open, wrong_close)))
        if wrong.size:
            raise self.refuse(
                int(line_at(wrong[0])),
                'a quote (") inside a field: a field is bare or quoted whole ("...", "" for a quote in it)',
            )
        if quotes.size % 2 and final:
            raise self.refuse(
                int(line_at(quotes[-1])),
                "a quoted field opened here is never closed (the file ends inside it: cut short?)",
            )


def _blank(data: bytes, start: int) -> bool:
    return data[start : start + 2] in (b"\r\n", b"\r") or data[start : start + 1] == b"\n"
