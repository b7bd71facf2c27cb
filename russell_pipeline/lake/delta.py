"""The lake's tables: Delta Lake tables under `<lake>/lake/<table>/`, written and read.

Why Delta Lake rather than our own staging folders: a partition is replaced by one commit to the
table's log, so every reader (the DuckDB views, polars) sees the files of one version, the old
partition or the new one, never a mix and never a half-written file. A write killed at any point
leaves only data files that no log entry names: invisible by construction, and removed by
`vacuum` once they are older than the retention. The same holds on object stores, where renames
are not atomic. Data files are plain Parquet in hive folders (`<column>=<key>/`).
"""

from __future__ import annotations

import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from russell_pipeline.lake import remote
from russell_pipeline.lake.lock import WriterLock
from russell_pipeline.lib.errors import LakeError
from russell_pipeline.settings import fault_point

# A table's log gets a checkpoint every this many commits: opening a table reads its last checkpoint
# and the commits after it, so a table a build commits to several times a night (lineage, written
# versions, the market record) opens as fast after a year of nights as on the first.
CHECKPOINT_EVERY = 10


_BUSY: dict[str, int] = {}  # table -> how many times this process has raised its `busy` fault
# Writes of the table that fail under the `busy` fault: the step's try and its retries (defs/partitions.py
# `retry`), so the run fails as one on a machine busy for longer than the step waits does.
BUSY_WRITES = 3


# The tables this process opened, by location and store options: (their log's listing then, the table, the
# hold of the writer lock it was read or committed in). A log that lists the same files again (names, sizes,
# times or ETags) holds the same commits, so the table is handed out again instead of read again: on an
# object store an open reads the last checkpoint and each commit since, a request each, and a build asks
# its bookkeeping tables hundreds of times. Any change to the log (a commit, a checkpoint, a damaged or
# deleted entry, the folder moved) opens it afresh. While this process holds the writer lock, a table read
# or committed in that same hold is handed out without listing its log (no other process of the machine
# commits then, nor, on a store shared by machines, another writing step: the `lake_writer` pool; this
# process's commits go through `Tables`, which keeps or forgets the entry): a build lists each log once.
_OPENED: dict[tuple[str, str], tuple[tuple, DeltaTable, int | None]] = {}
_OPENED_LOCK = threading.Lock()
_OPENED_MAX = 256  # the oldest entry goes first past this many (a test process meets many lakes)
_COMMIT = re.compile(r"^(\d{20})\.json$")


class Busy(OSError):
    """The machine, not the input: a write that would succeed when tried again (the `busy` fault)."""


def fault(table: str, point: str) -> None:
    """Fault injection for the crash tests: `RUSSELL_FAULT=<table>:<point>` kills the process there;
    `<table>:busy` makes the table's first BUSY_WRITES writes in the process fail as a busy machine's
    would."""
    if fault_point() != f"{table}:{point}":
        return
    if point == "busy":
        if _BUSY.get(table, 0) < BUSY_WRITES:
            _BUSY[table] = _BUSY.get(table, 0) + 1
            raise Busy(f"{table}: the write timed out on a busy machine (RUSSELL_FAULT {table}:busy)")
        return
    os.kill(os.getpid(), signal.SIGKILL)


# What the Rust runtime under the Delta writer prints to stderr when a write fails (a full disk, a
# read-only folder): a panic per worker thread, whose one-line cause the write's error gives.
_RUST_NOISE = re.compile(
    rb"^(thread '.*' .*panicked at .*|Already shut down|stack backtrace:|note: (Some details are omitted|run "
    rb"with).*|\s*\d+: .*|\s+at .*|)$"
)
_OS_ERROR = re.compile(r"\(os error (\d+)\)")


@contextmanager
def storage_errors(table: str, where: str) -> Iterator[None]:
    """A failed write of `table` as one LakeError naming the table and the operating system's reason
    (`No space left on device`, `Read-only file system`), never a Parquet parse error; and the panics the
    Rust runtime prints while it fails kept off the terminal (other lines written meanwhile are kept)."""
    with _stderr_caught() as caught:
        try:
            yield
        except (DeltaError, OSError) as err:
            caught.append(True)  # the write failed: its panics are noise
            code = _OS_ERROR.search(" ".join(str(err).split()))
            if isinstance(err, DeltaError) and code is None:  # not the storage: the rows (a bug), as it is
                raise
            reason = (
                err.strerror
                if isinstance(err, OSError) and err.strerror
                else os.strerror(int(code.group(1)))
                if code
                else str(err)
            )
            raise LakeError(
                f"{where}: the write of {table} failed: {reason}; nothing of it was committed"
            ) from None


@contextmanager
def _stderr_caught() -> Iterator[list]:
    """File descriptor 2 into a temporary file while inside; afterwards its lines are written to the real
    stderr, but for the Rust runtime's panics when the caller appended to the list it was given."""
    sys.stderr.flush()
    try:
        caught = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after fd 2 is restored
    except OSError:  # nowhere to put it: nothing is caught
        yield []
        return
    saved, failed = os.dup(2), []
    os.dup2(caught.fileno(), 2)
    try:
        yield failed
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        caught.seek(0)
        lines = caught.read().splitlines(keepends=True)
        caught.close()
        kept = [ln for ln in lines if not (failed and _RUST_NOISE.match(ln.rstrip(b"\n")))]
        if kept:
            os.write(2, b"".join(kept))


def _batches(table: str, data: pl.DataFrame | pl.LazyFrame) -> pa.RecordBatchReader:
    """The rows as a stream the Delta writer pulls from, a LazyFrame chunk by chunk (any size in
    bounded memory). Its end is the `data_written` fault point: every row handed over, files being
    finished, nothing committed yet."""
    schema = pl.DataFrame(schema=_schema(data)).to_arrow().schema

    def stream():
        # A frame in memory goes as one batch: the Delta writer interleaves the batches of a stream, so
        # only then is the file's row order the frame's (the same rows give the same file). A LazyFrame
        # streams in batches (bounded memory); its files' row order is not defined.
        chunks = data.collect_batches() if isinstance(data, pl.LazyFrame) else [data.rechunk()]
        for chunk in chunks:
            yield from chunk.to_arrow().cast(schema).to_batches()
        fault(table, "data_written")

    return pa.RecordBatchReader.from_batches(schema, stream())


def _schema(data: pl.DataFrame | pl.LazyFrame) -> pl.Schema:
    return data.collect_schema() if isinstance(data, pl.LazyFrame) else data.schema


def _literal(value: object) -> str:
    """A partition key as a SQL literal for a Delta predicate (keys are ints or plain strings)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"partition key {value!r} must be an int or a string")
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


class Tables:
    """The Delta tables under `folder` (or `location`/lake on an object store, with its `options`), one
    commit per write under the writer `lock`: `Lake.tables` (lake_root.py). A write then calls `publish`
    (the warehouse's, warehouse.py) unless told not to."""

    def __init__(
        self,
        folder: Path,
        location: str | None,
        options: dict,
        lock: WriterLock,
        publish: Callable[[], object],
    ):
        self.folder, self.location, self.options, self.lock = folder, location, options, lock
        self._publish = publish
        self._pinned: dict[str, DeltaTable | None] | None = None  # `pinned`: the tables opened so far
        # `pinned`: the table names, once listed, each with its log's listing on an object store (None here)
        self._pinned_logs: dict[str, tuple | None] | None = None

    def uri(self, table: str) -> str:
        return f"{self.location}/lake/{table}" if self.location else str((self.folder / table).absolute())

    @contextmanager
    def pinned(self) -> Iterator[Self]:
        """Hold the writer lock, and open each table once while it is held: a build asks the same
        tables several times (what is out of date, the file check, the vacuum, the warehouse), and
        with the lock no other process can commit in between; the table names are listed once too. A
        commit through this object opens the tables it committed to (and lists the names) afresh when
        next asked; a commit through another object in this
        process (a Dagster run's) would not be seen, so only stretches in which this object alone
        commits are pinned."""
        with self.lock.hold():
            outer = self._pinned is None
            if outer:
                self._pinned, self._pinned_logs = {}, None
            try:
                yield self
            finally:
                if outer:
                    self._pinned, self._pinned_logs = None, None

    def _unpin(self, tables: Iterable[str]) -> None:
        """Before a commit to `tables`: they are opened afresh, at their new versions, when next asked (and
        the names listed afresh: the commit may make a table), unless the commit hands its table on
        (`_remember`)."""
        self._pinned_logs = None
        tables = list(tables)
        if self._pinned is not None:
            for table in tables:
                self._pinned.pop(table, None)
        with _OPENED_LOCK:
            for table in tables:
                _OPENED.pop(self._key(table), None)

    def delta(self, table: str) -> DeltaTable | None:
        """The Delta table at its current version (inside `pinned`, as first opened there), None when it
        does not exist; a log that cannot be read is one LakeError naming the table and the repair (its
        asset is rebuilt once the folder is out of the way). Shared: never commit through it."""
        if self._pinned is not None and table in self._pinned:
            return self._pinned[table]
        dt = self._current(table)
        if self._pinned is not None:
            self._pinned[table] = dt
        return dt

    def _current(self, table: str) -> DeltaTable | None:
        """The table at its current version: as this process last had it when it read or committed it in
        the hold of the writer lock open now, or when its log lists the same files (`_OPENED`), else opened
        afresh. The log is listed before it is opened, so a commit landing in between is in the table
        handed out and makes the next listing differ."""
        key, hold = self._key(table), self.lock.hold_id()
        with _OPENED_LOCK:
            known = _OPENED.get(key)
        if known is not None and hold is not None and known[2] == hold:
            return known[1]
        listing = self._log_listing(table)
        if listing is not None and known is not None and known[0] == listing:
            self._remember(table, listing, known[1])  # kept, now as read in this hold
            return known[1]
        dt = self._open(table)
        self._remember(table, listing, dt)
        return dt

    def _remember(self, table: str, listing: tuple | None, dt: DeltaTable | None) -> None:
        """Keep `dt` for `_current` when `listing` (its log's, listed no later than `dt` was read) names
        `dt`'s version as the newest commit; otherwise forget what was kept."""
        key = self._key(table)
        commits = (_COMMIT.match(entry[0]) for entry in listing or ())
        newest = max((int(m.group(1)) for m in commits if m), default=None)
        with _OPENED_LOCK:
            _OPENED.pop(key, None)
            if dt is not None and newest is not None and newest == dt.version():
                _OPENED[key] = (listing, dt, self.lock.hold_id())
                while len(_OPENED) > _OPENED_MAX:
                    _OPENED.pop(next(iter(_OPENED)))

    def _key(self, table: str) -> tuple[str, str]:
        return self.uri(table), repr(sorted(self.options.items()))

    def _log_listing(self, table: str) -> tuple | None:
        """The files of the table's `_delta_log` with what a write changes (size and times, or size and
        ETag on an object store), sorted; None when there is none or it cannot be listed. Inside `pinned`, an
        object store's as `names` listed it (nothing commits in between: a commit forgets the listings)."""
        if self.location:
            listed = (self._pinned_logs or {}).get(table) if self._pinned is not None else None
            return listed or remote.listing(f"{self.uri(table)}/_delta_log")
        try:
            with os.scandir(self.folder / table / "_delta_log") as entries:
                listing = []
                for entry in entries:
                    st = entry.stat(follow_symlinks=False)
                    listing.append((entry.name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
        except OSError:
            return None
        return tuple(sorted(listing)) or None

    def _open(self, table: str) -> DeltaTable | None:
        try:
            return DeltaTable(self.uri(table), storage_options=self.options)
        except TableNotFoundError:
            return None
        except DeltaError as err:
            reason = next((ln.strip() for ln in str(err).splitlines() if ln.strip()), type(err).__name__)
            raise LakeError(
                f"{self.uri(table)}: its Delta log cannot be read ({reason}); move the folder out of the "
                "lake (or restore it from a copy) and run `russell-pipeline build`: the table is "
                "rebuilt from its inputs"
            ) from None

    def write(
        self,
        table: str,
        df: pl.DataFrame | pl.LazyFrame,
        partition_column: str | None = None,
        keys: Iterable[object] | None = None,
        publish: bool = True,
    ) -> None:
        """Replace exactly the given partitions of `table` (or the whole unpartitioned table) in one commit.

        A LazyFrame is streamed into the table chunk by chunk, so its size is not bounded by memory.
        The pipeline writes through lake/staged.py, which records what each write left.
        """
        fault(table, "busy")
        schema = _schema(df)
        nulls = [c for c, t in schema.items() if t == pl.Null]
        if nulls:
            raise ValueError(f"{table}: columns {nulls} have no type; cast them to the table's schema")
        options: dict = {"mode": "overwrite"}
        if partition_column is not None:
            lazy = df.lazy()
            if keys is None:
                keys = lazy.select(pl.col(partition_column).unique().sort()).collect()[partition_column]
            keys = list(keys)
            stray = lazy.filter(~pl.col(partition_column).cast(pl.String).is_in([str(k) for k in keys])).head(
                1
            )
            stray = stray.collect()
            if stray.height:
                raise ValueError(f"{table}: rows outside the partitions being written: {stray.row(0)}")
            if not keys and self.delta(table) is not None:
                return  # nothing to replace (a new table is still made, empty)
            options |= {"partition_by": [partition_column]}
            if keys:
                options["predicate"] = f'"{partition_column}" IN ({", ".join(_literal(k) for k in keys)})'
        with self.lock.hold():
            stored = self.scan(table)
            # This write's own handle on the table (none is shared): its commit advances it in place.
            target = None if stored is None else self._open(table)
            # A table stored with other partitions (its layout changed) is rewritten whole from the rows
            # given.
            moved = (
                target is not None
                and partition_column is not None
                and partition_column not in target.metadata().partition_columns
            )
            if stored is not None and (stored.collect_schema() != schema or moved):
                # The code changed the table's columns: rewrite the table in the new shape in the same
                # single commit (other partitions keep their rows, new columns are null for them).
                if partition_column is not None and not moved:
                    kept = stored.filter(~pl.col(partition_column).is_in(keys))
                    df = pl.concat([df.lazy(), kept], how="diagonal_relaxed").select(list(schema))
                options = {k: v for k, v in options.items() if k != "predicate"} | {
                    "schema_mode": "overwrite"
                }
            self._unpin([table])
            with storage_errors(table, self.uri(table)):
                write_deltalake(
                    self.uri(table) if target is None else target,
                    _batches(table, df),
                    storage_options=self.options,
                    **options,
                )
            fault(table, "committed")
            written = self.delta(table) if target is None else target
            with storage_errors(f"{table}'s checkpoint", self.uri(table)):
                self._checkpoint(written, 1)
            # At its new version, checkpoint included: kept unless the log holds a newer commit.
            self._remember(table, self._log_listing(table), written)
            if publish:
                self._publish()

    def read(
        self,
        table: str,
        partition_column: str | None = None,
        keys: Iterable[object] | None = None,
        without: Iterable[object] | None = None,
    ) -> pl.DataFrame | None:
        """The table's rows (of the given partitions; or of every partition but `without`, whose files are
        not opened: a step rewriting them never reads them), or None when the table does not exist."""
        scan = self.scan(table)
        if scan is None:
            return None
        if partition_column is not None and keys is not None:
            scan = scan.filter(pl.col(partition_column).is_in(list(keys)))
        if partition_column is not None and without is not None:
            scan = scan.filter(~pl.col(partition_column).is_in(list(without)))
        return scan.collect()

    def scan(self, table: str, version: int | None = None) -> pl.LazyFrame | None:
        """The table (at its current or an earlier version), lazily: filters prune partitions and row
        groups. The current version, however asked for (the published one usually is), is read through
        `_files_scan`: on an object store from this machine's copies of its files, not the store."""
        dt = self.delta(table)
        if dt is None:
            return None
        if version is not None and version != dt.version():
            return pl.scan_delta(self.uri(table), version=version, storage_options=self.options or None)
        return _files_scan(dt, self.folder, lambda: self._local_files(table, dt))

    def _local_files(self, table: str, dt: DeltaTable) -> list[str] | None:
        """The data files of `dt`'s version as local paths: the lake folder's own; on an object store, this
        machine's copies (`_copy`), each downloaded once, when the version holds at most LOCAL_COPY_BYTES.
        None when it holds more, or a copy cannot be made (the file gone, the cache's disk full): then the
        store is read, a range at a time, files skipped by their statistics (polars' Delta reader)."""
        files = dt.file_uris()
        if not self.location:
            return files
        root = dt.table_uri.rstrip("/") + "/"
        if not all(uri.startswith(root) for uri in files):
            return None
        paths = [uri[len(root) :] for uri in files]
        copies = self.copies_of(table, dt, paths)
        return [str(copies[path]) for path in paths] if len(copies) == len(paths) else None

    def copies_of(self, table: str, dt: DeltaTable, paths: Iterable[str]) -> dict[str, Path]:
        """This machine's copies of the data files `paths` (relative to the table, as its log names them)
        of `dt`'s version on an object store, each fetched unless already here, when the version is read
        from copies (`_local_files`); {} otherwise. A file whose copy cannot be made is left out."""
        paths = list(paths)
        if (
            not (self.location and paths)
            or sum(add_actions(dt).column("size_bytes").to_pylist()) > LOCAL_COPY_BYTES
        ):
            return {}
        root, copies = dt.table_uri.rstrip("/") + "/", {}
        for path in paths:
            copy = self._copy(table, dt, root + path)
            try:
                if copy is not None and (copy.exists() or remote.get(root + path, copy)):
                    copies[path] = copy
            except OSError:
                continue
        return copies

    def _copy(self, table: str, dt: DeltaTable, uri: str) -> Path | None:
        """Where this machine keeps its copy of the data file `uri` of an object-store table: under the
        lake's cache folder, at the file's path in the table (a data file is written once under a name
        of its own and never changed, so a copy is never stale)."""
        root = dt.table_uri.rstrip("/") + "/"
        return self.folder / table / uri[len(root) :] if uri.startswith(root) else None

    def prune_copies(self, retention_hours: int) -> int:
        """Remove this machine's copies of an object-store lake's data files that no table's current
        version lists and that were made over `retention_hours` ago (a reader holding an older version
        reads its files while the store keeps them): how many."""
        if not self.location or not self.folder.is_dir():
            return 0
        listed = {
            copy
            for name, dt in self.readable().items()
            for uri in dt.file_uris()
            if (copy := self._copy(name, dt, uri))
        }
        before = time.time() - retention_hours * 3600
        removed = 0
        for copy in self.folder.rglob("*.parquet"):
            try:
                if copy not in listed and copy.stat().st_mtime < before:
                    copy.unlink()
                    removed += 1
            except FileNotFoundError:  # removed meanwhile by another process's vacuum
                continue
        return removed

    def version(self, table: str) -> int | None:
        """The table's current Delta version; None when it is missing or its log cannot be read."""
        try:
            dt = self.delta(table)
        except (LakeError, OSError):
            return None
        return None if dt is None else dt.version()

    def names(self) -> list[str]:
        """The tables of the lake (folders holding a `_delta_log`); inside `pinned`, listed once."""
        if self._pinned is not None and self._pinned_logs is not None:
            return sorted(self._pinned_logs)
        if self.location:
            logs = remote.delta_tables(f"{self.location}/lake")
        elif not self.folder.is_dir():
            logs = {}
        else:
            logs = {p.name: None for p in self.folder.iterdir() if (p / "_delta_log").is_dir()}
        if self._pinned is not None:
            self._pinned_logs = logs
        return sorted(logs)

    def damaged(self) -> list[str]:
        """One line per table that a build could not use: its Delta log cannot be read (a truncated
        checkpoint, a corrupt entry), or its folder cannot be written (a read-only mount). Asked before
        any run, so such a table is named once, not as the failure of every partition."""
        lines = []
        for name in self.names():
            try:
                self.delta(name)  # inside `pinned`, opened once for the questions that follow
            except LakeError as err:
                lines.append(str(err))
                continue
            if self.location is None:
                folder = self.folder / name
                stuck = next((p for p in (folder, folder / "_delta_log") if not os.access(p, os.W_OK)), None)
                if stuck is not None:
                    reason = "Read-only file system" if _read_only(stuck) else "Permission denied"
                    lines.append(f"{stuck}: the table {name} cannot be written ({reason}); make it writable")
        return lines

    def readable(self) -> dict[str, DeltaTable]:
        """Every table whose Delta log can be read. One that cannot is left out (no view, no vacuum)
        until it is repaired: `build` names it in one line (`changed_outside`, and its asset's failure)."""
        out = {}
        for name in self.names():
            try:
                out[name] = self.delta(name)
            except LakeError:
                continue
        return out

    def vacuum_due(self, retention_hours: int) -> list[str]:
        """The tables holding files no version within `retention_hours` needs (replaced ones, and a killed
        write's orphans), by a dry run: no lock, no commit."""
        options = {"retention_hours": retention_hours, "enforce_retention_duration": False}
        return [name for name, dt in self.readable().items() if dt.vacuum(dry_run=True, **options)]

    def vacuum(self, tables: list[str], retention_hours: int) -> int:
        """Delete the files of `tables` no version within `retention_hours` needs: how many. The vacuum
        commits to each table (Delta records it as two versions) without changing a row."""
        options = {"retention_hours": retention_hours, "enforce_retention_duration": False}
        with self.lock.hold():
            before = {name: self.version(name) for name in tables}
            # Its own handle: the vacuum commits through it (`delta` hands out shared ones).
            removed = sum(len(self._open(name).vacuum(dry_run=False, **options)) for name in tables)
            self._unpin(tables)  # the vacuum committed: its new versions are read afresh
            for name in tables:
                dt = self.delta(name)
                self._checkpoint(dt, dt.version() - before[name])
            return removed

    @staticmethod
    def _checkpoint(dt: DeltaTable, commits: int) -> None:
        """A checkpoint of the table's log when its last `commits` commits reached a multiple of
        CHECKPOINT_EVERY (written beside the commits: a reader sees it, or the commits alone). None
        before that: a young table opens from its few commits, where a checkpoint would cost a reader
        more requests (a Parquet file's footer and columns) than the commits it replaces."""
        if dt.version() >= CHECKPOINT_EVERY and dt.version() % CHECKPOINT_EVERY < commits:
            dt.create_checkpoint()


# An object-store table whose current version holds at most this many bytes of data files is read from
# local copies of them (`Tables._local_files`): a build reads a small table a dozen times (the calendar,
# the bookkeeping tables, a review's window of the market tables), each read a request or more per file.
LOCAL_COPY_BYTES = 64 * 2**20


def _files_scan(dt: DeltaTable, folder: Path, local_files: Callable[[], list[str] | None]) -> pl.LazyFrame:
    """The table at `dt`'s version, its files listed by `local_files` once per version and `folder` the
    files are read from (an object-store lake's copies are per cache folder), the scan kept on the opened
    table object itself (`_OPENED`, `pinned`: a build scans the market tables some 700 times, and polars'
    Delta reader lists a version's files from its log again at every collect; a commit or a changed log
    opens a new object). Read as that reader reads it (`_parquet_scan`), or by that reader when the
    version has no local files (None) or its protocol asks more of a reader (column mapping, deletion
    vectors: none of the lake's)."""
    kept = dt.__dict__.setdefault("_russell_scans", {})  # dies with the object (a table object does not hash)
    key = (dt.version(), folder)
    if key not in kept:
        files = local_files() if dt.protocol().min_reader_version == 1 else None
        # polars' reader: the version opened (its options carry the object store's)
        kept[key] = pl.scan_delta(dt) if files is None else _parquet_scan(dt, files)
    return kept[key]


def _parquet_scan(dt: DeltaTable, files: list[str]) -> pl.LazyFrame:
    """`files` (the data files of `dt`'s version) as polars' Delta reader reads them: as Parquet, the
    partition columns from their hive folders, the table's columns in its order."""
    schema = pl.Schema(dt.schema())
    if not files:
        return pl.LazyFrame(schema=schema)
    hive = {c: schema[c] for c in dt.metadata().partition_columns}
    return pl.scan_parquet(
        files,
        schema={c: t for c, t in schema.items() if c not in hive},  # the table's: no file opened for it
        hive_schema=hive or None,
        hive_partitioning=bool(hive),
        missing_columns="insert",
        extra_columns="ignore",
    ).select(list(schema))


def add_actions(dt: DeltaTable) -> pa.Table:
    """The files of the table's current version as its log lists them (path, size_bytes, num_records,
    partition.<column>...). Read as a stream: `pa.table` would probe for pandas, a second's import."""
    return pa.RecordBatchReader.from_stream(dt.get_add_actions(flatten=True)).read_all()


def _read_only(path: Path) -> bool:
    """Whether `path` lies on a file system mounted read-only."""
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
