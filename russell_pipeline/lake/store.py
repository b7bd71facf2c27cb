"""The one storage path: Delta Lake tables under `<lake>/lake/<table>/` plus DuckDB views.

Why Delta Lake rather than our own staging folders: a partition is replaced by one commit to the
table's log, so every reader (the DuckDB views, polars) sees the files of one version, the old
partition or the new one, never a mix and never a half-written file. A write killed at any point
leaves only data files that no log entry names: invisible by construction, and removed by
`vacuum` once they are older than the retention. The same holds on object stores, where renames
are not atomic. Data files are plain Parquet in hive folders (`<column>=<key>/`).

`warehouse.duckdb` holds one view per table over the files of its current version, with paths
relative to the lake (`lake_root`, default the working directory), so a copied lake reads its
own files. A new one is made from a copy of the old (only the views of changed tables made again)
and swapped in by rename: a process reading the old file keeps its snapshot (whose files outlive
the retention), and no reader can block a writer.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote

import duckdb
import polars as pl
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from russell_pipeline.lake import remote
from russell_pipeline.lib.errors import LakeError
from russell_pipeline.lib.sandbox import forbid_writes, run_in_child
from russell_pipeline.settings import (
    DEFAULT_CACHE,
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_RETENTION_HOURS,
    Settings,
    fault_point,
)

WAREHOUSE = "warehouse.duckdb"
LOCK = ".lake.lock"
SCRATCH = ".scratch"  # writers' temporary files, beside the lake
REGISTRY = "lake_tables"  # the warehouse's own table: which version of each table its views show
LINEAGE = "lineage"  # per asset and partition: the digest of the inputs it was built from
# Per asset: the Delta version of each table its last commit left. A table at another version was
# changed by something else (a write killed between two tables, a stray writer): see `lineage`.
WRITTEN = "written_versions"
# Per table: each data file of its current version as its commit left it (bytes, a stamp of size and
# modification time, sha256). `check_files` compares the files with it: a file changed in place after
# its commit (flipped bytes, a truncation, a stray writer) is found and its partition rebuilt.
CHECKSUMS = "file_checksums"
INTERNAL = (LINEAGE, WRITTEN, CHECKSUMS)  # the lake's own bookkeeping tables
# A table's log gets a checkpoint every this many commits: opening a table reads its last checkpoint
# and the commits after it, so a table a build commits to several times a night (lineage, written
# versions, the market record) opens as fast after a year of nights as on the first.
CHECKPOINT_EVERY = 10
# Table macros over a table's view (`macros/<table>.sql`); publish creates them with the views.
MACROS = Path(__file__).parent / "macros"
# Only these statement types reach the untrusted query surface.


def _explained(statement) -> tuple[str | None, bool]:
    """(the statement an EXPLAIN explains, whether it asks to ANALYZE it), from DuckDB's own tokens."""
    sql = statement.query
    every = duckdb.tokenize(sql)
    spans = [(at, sql[at:nxt].strip().lower(), kind)
             for (at, kind), (nxt, _) in zip(every, [*every[1:], (len(sql), None)])]
    tokens = [at for at, _, kind in spans if kind != duckdb.token_type.comment]
    words = [word for _, word, kind in spans if kind != duckdb.token_type.comment]
    if len(tokens) < 2 or words[0] != "explain":
        return None, False
    i = 1
    if words[1] == "(":  # EXPLAIN (option, ...) statement
        close = words.index(")", 1) if ")" in words[1:] else len(words) - 1
        options, i = words[2:close], close + 1
    else:
        options = []
        while i < len(words) and words[i] in ("analyze", "analyse"):
            options.append(words[i])
            i += 1
    inner = sql[tokens[i]:] if i < len(tokens) else None
    return inner, any(o in ("analyze", "analyse") for o in options)


def _reads_only(statement) -> bool:
    """A SELECT, or an EXPLAIN (never EXPLAIN ANALYZE, which runs what it explains) of one SELECT:
    decided by DuckDB's parse of the statement, not by its text."""
    if statement.type == duckdb.StatementType.SELECT:
        return True
    if statement.type != duckdb.StatementType.EXPLAIN:
        return False
    inner, analyze = _explained(statement)
    if analyze or inner is None:
        return False
    try:
        explained = duckdb.extract_statements(inner)
    except duckdb.Error:
        return False
    return len(explained) == 1 and explained[0].type == duckdb.StatementType.SELECT


def _kind(statement) -> str:
    if statement.type == duckdb.StatementType.EXPLAIN:
        inner, analyze = _explained(statement)
        try:
            kinds = ", ".join(s.type.name for s in duckdb.extract_statements(inner)) if inner else "nothing"
        except duckdb.Error:
            kinds = "a statement DuckDB cannot parse"
        return f"EXPLAIN{' ANALYZE' if analyze else ''} of {kinds}"
    return statement.type.name


def _fault(table: str, point: str) -> None:
    """Fault injection for the crash tests: `RUSSELL_FAULT=<table>:<point>` kills the process there."""
    if fault_point() == f"{table}:{point}":
        os.kill(os.getpid(), signal.SIGKILL)


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
        _fault(table, "data_written")

    return pa.RecordBatchReader.from_batches(schema, stream())


def _schema(data: pl.DataFrame | pl.LazyFrame) -> pl.Schema:
    return data.collect_schema() if isinstance(data, pl.LazyFrame) else data.schema


@dataclass(frozen=True)
class Damage:
    """A data file of a table's current version that is not what its commit wrote."""

    table: str
    path: str  # as the table's log names it, relative to the table's folder
    partition: dict[str, str]  # the file's hive partition values ({} for an unpartitioned table)
    problem: str

    def line(self, lake: Lake) -> str:
        return f"{lake.tables / self.table / self.path}: {self.problem}"


def _literal(value: object) -> str:
    """A partition key as a SQL literal for a Delta predicate (keys are ints or plain strings)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"partition key {value!r} must be an int or a string")
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


_DUCKDB_TYPES = {"string": "VARCHAR", "long": "BIGINT", "integer": "INTEGER", "short": "SMALLINT",
                 "byte": "TINYINT", "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN", "date": "DATE",
                 "timestamp": "TIMESTAMPTZ", "timestamp_ntz": "TIMESTAMP", "binary": "BLOB"}


def _duckdb_type(table: str, column: str, delta_type) -> str:
    """The DuckDB type of a Delta column (the lake's tables hold primitive columns only)."""
    name = getattr(delta_type, "type", None)
    if name in _DUCKDB_TYPES:
        return _DUCKDB_TYPES[name]
    if isinstance(name, str) and name.startswith("decimal"):
        return name.upper()
    raise TypeError(f"{table}.{column}: column type {delta_type} has no view mapping")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Lake:
    """Delta tables under `root/lake`, views in `root/warehouse.duckdb`, writers one at a time."""

    _held: ClassVar[dict[str, tuple[int, int]]] = {}  # lock path -> (fd, depth): the lock is re-entrant per process

    def __init__(self, root: str | Path, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                 retention_hours: int = DEFAULT_RETENTION_HOURS,
                 cache: Path = DEFAULT_CACHE):
        """`root`: a folder, or an object-store location (s3://bucket/prefix) kept as text.

        `lock_timeout`: seconds a second writer waits for the lock; `retention_hours`: how long files a
        newer version replaced stay, so readers holding an older snapshot (an open warehouse file,
        `scan(version=N)`) keep working; `cache`: where an object-store lake keeps its local folder."""
        # An object-store lake keeps its tables there and a local folder for the rest (remote.py).
        self.location = str(root).rstrip("/") if remote.is_remote(str(root)) else None
        self.root = remote.cache_folder(Path(cache), self.location) if self.location else Path(root)
        self.lock_timeout, self.retention_hours = lock_timeout, retention_hours
        self.tables = self.root / "lake"
        self.warehouse = self.root / WAREHOUSE
        self.options = remote.storage_options(self.location) if self.location else {}
        self._raw, self._raw_synced = self.root / "raw", False
        self._pinned: dict[str, DeltaTable | None] | None = None  # `pinned`: the tables opened so far

    @classmethod
    def from_settings(cls, settings: Settings) -> Lake:
        """The lake the settings name, with their lock timeout, retention and object-store cache."""
        return cls(settings.data_lake, lock_timeout=settings.lock_timeout, retention_hours=settings.retention_hours,
                   cache=settings.lake_cache)

    @property
    def raw(self) -> Path:
        """raw/ as local files: the folder itself, or the object store's raw/ mirrored down once."""
        if self.location and not self._raw_synced:
            remote.sync_down(f"{self.location}/raw", self._raw)
            self._raw_synced = True
        return self._raw

    def push_raw(self) -> None:
        """Upload documents added to the local raw/ (by `fetch`) to an object-store lake."""
        if self.location:
            for path in sorted(p for p in self._raw.rglob("*") if p.is_file() and p.name != ".sync.json"):
                remote.put(path, f"{self.location}/raw/{path.relative_to(self._raw).as_posix()}")
            self._raw_synced = False

    def uri(self, table: str) -> str:
        return f"{self.location}/lake/{table}" if self.location else str((self.tables / table).absolute())

    @property
    def lake_root(self) -> str:
        """What the warehouse's relative paths hang from (the `lake_root` variable)."""
        return self.location or str(self.root.absolute())

    # ------------------------------------------------------------------ one writer at a time
    @contextmanager
    def locked(self, timeout: float | None = None) -> Iterator[Lake]:
        """Hold the lake's writer lock (an flock, which the OS releases when the process dies).

        A second writer waits up to `timeout` seconds (default the lake's `lock_timeout`), then
        gives up with one line. Re-entrant within a process, so a build can hold it around its runs.
        """
        path = str((self.root / LOCK).absolute())
        if path in Lake._held:
            fd, depth = Lake._held[path]
            Lake._held[path] = (fd, depth + 1)
            try:
                yield self
            finally:
                fd, depth = Lake._held[path]
                Lake._held[path] = (fd, depth - 1)
            return
        if self.location:
            self.root.mkdir(parents=True, exist_ok=True)
        if not self.root.is_dir():
            raise LakeError(f"{self.root}: lake folder does not exist")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise LakeError(f"{path}: cannot open the lake lock ({err.strerror})") from None
        try:
            self._acquire(fd, path, self.lock_timeout if timeout is None else timeout)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            Lake._held[path] = (fd, 1)
            # Scratch space of a writer that died (a SIGKILL mid-step): no other writer can be using it.
            shutil.rmtree(self.root / SCRATCH, ignore_errors=True)
            try:
                yield self
            finally:
                del Lake._held[path]
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def holds_lock(self) -> bool:
        """Whether this process holds the lake's writer lock now."""
        return str((self.root / LOCK).absolute()) in Lake._held

    @staticmethod
    def _acquire(fd: int, path: str, timeout: float) -> None:
        deadline, told = time.monotonic() + timeout, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
                    raise LakeError(f"{path}: the lake is being written by process {holder}; "
                                    f"gave up after {timeout:.0f} s (RUSSELL_LOCK_TIMEOUT)") from None
                if not told:
                    told = True
                    print(f"waiting for the lake lock {path} (another build or run is writing)", flush=True)
                time.sleep(0.2)

    def check_writable(self) -> None:
        """One line now, rather than a failed step later, when the lake folder cannot be written."""
        path = self.root / LOCK
        try:
            if self.location:
                self.root.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o644))
        except OSError as err:
            raise LakeError(f"{path}: the lake cannot be written ({err.strerror})") from None

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A private folder beside the lake (same file system, so a file made here can be renamed in),
        removed afterwards; what a killed writer leaves is removed when the next writer takes the lock."""
        with self.locked():
            folder = self.root / SCRATCH / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
            folder.mkdir(parents=True)
            try:
                yield folder
            finally:
                shutil.rmtree(folder, ignore_errors=True)

    @contextmanager
    def pinned(self) -> Iterator[Lake]:
        """Hold the writer lock, and open each table once while it is held: a build asks the same
        tables several times (what is out of date, the file check, the vacuum, the warehouse), and
        with the lock no other process can commit in between. A commit through this object opens the
        tables it committed to afresh when next asked; a commit through another object in this
        process (a Dagster run's) would not be seen, so only stretches in which this object alone
        commits are pinned."""
        with self.locked():
            outer = self._pinned is None
            if outer:
                self._pinned = {}
            try:
                yield self
            finally:
                if outer:
                    self._pinned = None

    def _unpin(self, tables: Iterable[str]) -> None:
        """Before a commit to `tables`: they are opened afresh, at their new versions, when next asked."""
        if self._pinned is not None:
            for table in tables:
                self._pinned.pop(table, None)

    # ------------------------------------------------------------------ tables
    def delta(self, table: str) -> DeltaTable | None:
        """The Delta table at its current version (inside `pinned`, as first opened there), None when it
        does not exist; a log that cannot be read is one LakeError naming the table and the repair (its
        asset is rebuilt once the folder is out of the way)."""
        if self._pinned is not None and table in self._pinned:
            return self._pinned[table]
        dt = self._open(table)
        if self._pinned is not None:
            self._pinned[table] = dt
        return dt

    def _open(self, table: str) -> DeltaTable | None:
        try:
            return DeltaTable(self.uri(table), storage_options=self.options)
        except TableNotFoundError:
            return None
        except DeltaError as err:
            reason = next((ln.strip() for ln in str(err).splitlines() if ln.strip()), type(err).__name__)
            raise LakeError(f"{self.uri(table)}: its Delta log cannot be read ({reason}); move the folder out of the "
                            "lake (or restore it from a copy) and run `russell-pipeline build`: the table is "
                            "rebuilt from its inputs") from None

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
        """
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
            stray = lazy.filter(~pl.col(partition_column).cast(pl.String).is_in([str(k) for k in keys])).head(1)
            stray = stray.collect()
            if stray.height:
                raise ValueError(f"{table}: rows outside the partitions being written: {stray.row(0)}")
            if not keys and self.delta(table) is not None:
                return  # nothing to replace (a new table is still made, empty)
            options |= {"partition_by": [partition_column]}
            if keys:
                options["predicate"] = f'"{partition_column}" IN ({", ".join(_literal(k) for k in keys)})'
        with self.locked():
            stored = self.scan(table)
            # A table stored with other partitions (its layout changed) is rewritten whole from the rows given.
            moved = stored is not None and partition_column is not None and \
                partition_column not in self.delta(table).metadata().partition_columns
            if stored is not None and (stored.collect_schema() != schema or moved):
                # The code changed the table's columns: rewrite the table in the new shape in the same
                # single commit (other partitions keep their rows, new columns are null for them).
                if partition_column is not None and not moved:
                    kept = stored.filter(~pl.col(partition_column).is_in(keys))
                    df = pl.concat([df.lazy(), kept], how="diagonal_relaxed").select(list(schema))
                options = {k: v for k, v in options.items() if k != "predicate"} | {"schema_mode": "overwrite"}
            self._unpin([table])
            write_deltalake(self.uri(table), _batches(table, df), storage_options=self.options, **options)
            _fault(table, "committed")
            self._checkpoint(table, 1)
            if publish:
                self.publish()

    def read(
        self, table: str, partition_column: str | None = None, keys: Iterable[object] | None = None,
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
        """The table (at its current or an earlier version), lazily: filters prune partitions and row groups."""
        dt = self.delta(table)
        if dt is None:
            return None
        if version is None:  # the version just opened (its options carry the object store's)
            return pl.scan_delta(dt)
        return pl.scan_delta(self.uri(table), version=version, storage_options=self.options or None)

    def lineage(self, asset: str) -> dict[str, str]:
        """Partition -> digest of the inputs it was last built from (planning/digests.py); nothing when a
        table the asset last wrote has changed since (`changed_outside`): then every partition is out of
        date and rebuilt from its inputs, never reported up to date."""
        if self.changed_outside(asset):
            return {}
        rows = self.read(LINEAGE, "asset", [asset])
        return {} if rows is None else dict(rows.select("partition", "inputs").iter_rows())

    def record_written(self, asset: str, tables: list[str]) -> None:
        """After a commit of `asset` wrote `tables` (and before its lineage): their versions now."""
        with self.locked():
            frame = pl.DataFrame({"asset": asset, "table_name": tables, "version": [self.version(t) for t in tables]},
                                 schema={"asset": pl.String, "table_name": pl.String, "version": pl.Int64})
            self.write(WRITTEN, frame, "asset", [asset], publish=False)

    def changed_outside(self, asset: str | None = None) -> list[str]:
        """One line per table an asset (or every asset) last wrote that is at another version now."""
        rows = self.read(WRITTEN, "asset", [asset]) if asset else self.read(WRITTEN)
        out = []
        for owner, table, version in ([] if rows is None else rows.select("asset", "table_name", "version").rows()):
            now = self.version(table)
            if now != version:
                out.append(f"{table}: {'gone or unreadable' if now is None else f'at version {now}'}, but {owner} last left it at "
                           f"version {version}: changed outside a build; {owner} is rebuilt from its inputs")
        return out

    def version(self, table: str) -> int | None:
        """The table's current Delta version; None when it is missing or its log cannot be read."""
        try:
            dt = self.delta(table)
        except (LakeError, OSError):
            return None
        return None if dt is None else dt.version()

    def record_lineage(self, asset: str, digests: dict[str, str]) -> None:
        """Record what these partitions of `asset` were built from (after their data is written, so a
        crash in between leaves them looking out of date, never falsely up to date)."""
        with self.locked():
            merged = self.lineage(asset) | digests
            frame = pl.DataFrame({"asset": asset, "partition": list(merged), "inputs": list(merged.values())},
                                 schema={"asset": pl.String, "partition": pl.String, "inputs": pl.String})
            self.write(LINEAGE, frame.sort("partition"), "asset", [asset], publish=False)

    def table_names(self) -> list[str]:
        if self.location:
            return remote.delta_tables(f"{self.location}/lake")
        if not self.tables.is_dir():
            return []
        return sorted(p.name for p in self.tables.iterdir() if (p / "_delta_log").is_dir())

    def vacuum(self, retention_hours: int | None = None) -> int:
        """Delete files no version within the retention needs (replaced ones, and a killed write's orphans).

        A dry run decides first, so a lake with nothing to delete is not touched (no lock, no commit)."""

        hours = self.retention_hours if retention_hours is None else retention_hours
        options = {"retention_hours": hours, "enforce_retention_duration": False}
        due = [name for name, dt in self.readable_tables().items() if dt.vacuum(dry_run=True, **options)]
        if not due:
            return 0
        with self.locked():
            before = {name: self.version(name) for name in due}
            removed = sum(len(self.delta(name).vacuum(dry_run=False, **options)) for name in due)
            self._unpin(due)  # the vacuum committed: its new versions are read afresh
            for name in due:
                self._checkpoint(name, self.version(name) - before[name])
            self._carry_written(before)
            return removed

    def _checkpoint(self, table: str, commits: int) -> None:
        """A checkpoint of the table's log when its last `commits` commits reached a multiple of
        CHECKPOINT_EVERY (written beside the commits: a reader sees it, or the commits alone)."""
        dt = self.delta(table)
        if dt.version() % CHECKPOINT_EVERY < commits:
            dt.create_checkpoint()

    def _carry_written(self, before: dict[str, int | None]) -> None:
        """A vacuum commits to the tables it cleans (Delta records it as two versions) without changing
        a row: an asset that left a table at its version before the vacuum still owns it, so its
        recorded version moves with the vacuum and `changed_outside` does not rebuild it. A table
        already at another version than its asset left it stays changed outside."""
        rows = self.read(WRITTEN)
        if rows is None or not rows.height:
            return
        now = {name: self.version(name) for name in before}
        carried = rows.with_columns(pl.struct("table_name", "version").map_elements(
            lambda r: now[r["table_name"]] if r["table_name"] in before and before[r["table_name"]] == r["version"]
            else r["version"], return_dtype=pl.Int64).alias("version"))
        assets = sorted(set(rows.filter(pl.col("version") != carried["version"])["asset"].to_list()))
        if assets:
            self.write(WRITTEN, carried.filter(pl.col("asset").is_in(assets)), "asset", assets, publish=False)

    # ------------------------------------------------------------------ the DuckDB views
    def _view_sql(self, table: str, dt: DeltaTable) -> str:
        fields = [(f.name, _duckdb_type(table, f.name, f.type)) for f in dt.schema().fields]
        # (from_stream, not pa.table: that probes for pandas, a second's import.)
        adds = pa.RecordBatchReader.from_stream(dt.get_add_actions(flatten=True)).read_all()
        files = [f"lake/{table}/{unquote(p)}" for p in adds.column("path").to_pylist()]
        if not files:  # an empty table still answers with its columns and types
            cols = ", ".join(f'CAST(NULL AS {t}) AS "{name}"' for name, t in fields)
            return f'CREATE VIEW "{table}" AS SELECT {cols} WHERE false'
        parts = dt.metadata().partition_columns
        hive = ""
        if parts:
            types = dict(fields)
            hive = ", hive_partitioning = true, hive_types = {" + ", ".join(
                f"{_quote(c)}: {_quote(types[c])}" for c in parts) + "}"
        columns = ", ".join(f'"{name}"' for name, _ in fields)
        # Paths are relative to the lake: `SET VARIABLE lake_root = '<folder>'`, or run from inside it.
        paths = ", ".join(f"coalesce(getvariable('lake_root'), '.') || '/' || {_quote(f)}" for f in files)
        return (f'CREATE VIEW "{table}" AS SELECT {columns} FROM read_parquet([{paths}], '
                f"union_by_name = true{hive})")

    def readable_tables(self) -> dict[str, DeltaTable]:
        """Every table whose Delta log can be read. One that cannot is left out (no view, no vacuum)
        until it is repaired: `build` names it in one line (`changed_outside`, and its asset's failure)."""
        out = {}
        for name in self.table_names():
            try:
                out[name] = self.delta(name)
            except LakeError:
                continue
        return out

    def published_versions(self) -> dict[str, int]:
        """Table -> Delta version the current warehouse file shows ({} when there is none or it is busy)."""
        return {name: version for name, (version, _) in self._published_views().items()}

    def _published_views(self) -> dict[str, tuple[int, str | None]]:
        """Table -> (Delta version, digest of its view) in the current warehouse file; the digest is
        None in a file from before the registry kept them (then `publish` makes every view again)."""
        if self.location and not self._fetch_warehouse():
            return {}
        if not self.warehouse.exists():
            return {}
        try:
            with duckdb.connect(str(self.warehouse), read_only=True) as con:
                cursor = con.execute(f"SELECT * FROM {REGISTRY}")
                columns, rows = [d[0] for d in cursor.description], cursor.fetchall()
        except duckdb.Error:
            return {}
        return {(row := dict(zip(columns, values)))["table_name"]: (row["version"], row.get("definition"))
                for values in rows}

    def published(self, table: str) -> pl.DataFrame | None:
        """The table as readers see it: at the version of the last published snapshot (None if none)."""
        version = self.published_versions().get(table)
        return None if version is None else self.scan(table, version).collect()

    def publish(self, timeout: float | None = None) -> bool:
        """Make warehouse.duckdb show every table's current version, when any version changed.

        The new file is made beside the old one and renamed over it, so readers never block this
        and never see a half-made catalog: the views and the `lake_tables` registry are one
        snapshot of table versions, swapped at once. It starts as a copy of the published file, in
        which only the views whose definition changed (their table's files, or the code that writes
        the view) are made again, since making a view reads the footers of its files; when a table
        came or went, or a macro changed, every view is made in a new file. Returns whether a
        new file was published; `timeout`: how long to wait for the writer lock (default the lake's).
        """
        tables, published = self.readable_tables(), self._published_views()
        if {name: dt.version() for name, dt in tables.items()} == {n: v for n, (v, _) in published.items()}:
            return False  # nothing changed: no lock taken, no file touched
        held = self.holds_lock()
        with self.locked(timeout):
            if not held:  # another writer may have committed before this process took the lock
                tables, published = self.readable_tables(), self._published_views()
            versions = {name: dt.version() for name, dt in tables.items()}
            if versions == {name: version for name, (version, _) in published.items()}:
                return False
            views = {name: self._view_sql(name, dt) for name, dt in tables.items()}
            macros = {name: path.read_text() for name in tables if (path := MACROS / f"{name}.sql").is_file()}
            # A view's definition: its SQL (its files, its columns) and the macros over the views.
            definitions = {name: hashlib.sha256(json.dumps([sql, macros]).encode()).hexdigest()[:16]
                           for name, sql in views.items()}
            # Views are made again only in a copy holding the same tables and macros; otherwise all are.
            keep = ({n for n in views if published[n][1] == definitions[n]} if set(published) == set(views)
                    else set())
            with self.scratch() as folder:
                tmp = folder / WAREHOUSE
                try:
                    self._make_warehouse(tmp, tables, views, macros, versions, definitions, keep)
                except duckdb.Error:  # the copy could not be used (a user's session changing it): anew
                    tmp = folder / f"anew-{WAREHOUSE}"
                    self._make_warehouse(tmp, tables, views, macros, versions, definitions, set())
                with open(tmp, "rb") as f:
                    os.fsync(f.fileno())
                _fault(WAREHOUSE, "staged")
                if self.location:  # an object store replaces a whole object at once
                    remote.put(tmp, f"{self.location}/{WAREHOUSE}")
                os.replace(tmp, self.warehouse)
            return True

    def _make_warehouse(self, tmp: Path, tables: dict[str, DeltaTable], views: dict[str, str], macros: dict[str, str],
                        versions: dict[str, int], definitions: dict[str, str], keep: set[str]) -> None:
        """The warehouse file at `tmp`: a copy of the published one keeping the views of `keep`, the
        other views made again (all of them, and the macros, in a new file when `keep` is empty)."""
        if keep:
            shutil.copyfile(self.warehouse, tmp)
        with duckdb.connect(str(tmp)) as con:
            self._attach_store(con)
            con.execute("BEGIN")  # one commit for the whole catalog, not one per statement
            for name in set(views) - keep:
                con.execute(f'DROP VIEW IF EXISTS "{name}"')
                con.execute(views[name])
            if not keep:  # after every view they may read (a table macro binds when it is called)
                for text in macros.values():
                    con.execute(text)
            con.execute(f"CREATE OR REPLACE TABLE {REGISTRY} (table_name VARCHAR, version BIGINT, files BIGINT, "
                        "definition VARCHAR)")
            con.executemany(f"INSERT INTO {REGISTRY} VALUES (?, ?, ?, ?)",
                            [(n, versions[n], len(dt.file_uris()), definitions[n]) for n, dt in tables.items()])
            con.execute("COMMIT")

    def _fetch_warehouse(self) -> bool:
        """Refresh the local copy of an object-store lake's published warehouse (False: none yet)."""
        return remote.get(f"{self.location}/{WAREHOUSE}", self.warehouse)

    def _attach_store(self, con: duckdb.DuckDBPyConnection) -> None:
        """Point the views at this lake: `lake_root`, and the object store's file system if remote."""
        if self.location:
            con.register_filesystem(remote.fs_for(self.location))
        con.execute("SET VARIABLE lake_root = ?", [self.lake_root])

    @contextmanager
    def connect(self, temp_directory: Path | None = None, fetch: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the warehouse that can read the lake's tables and nothing else.

        No statement can write (the file is opened read-only), read or write a path outside the
        lake (external access off, the lake folder allowed), load an extension or change these
        settings (the configuration is locked). `temp_directory`: where DuckDB may spill; `fetch`:
        refresh an object-store lake's warehouse copy first.
        """
        if self.location and fetch:
            self._fetch_warehouse()
        if not self.warehouse.exists():
            raise LakeError(f"{self.location or self.warehouse}: no warehouse yet: run `russell-pipeline build` first")
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            self._attach_store(con)
            if temp_directory is not None:
                con.execute("SET temp_directory = ?", [str(temp_directory)])
            con.execute("SET enable_progress_bar = false")  # stdout holds the answer (csv, json), nothing else
            con.execute("SET allowed_directories = ?", [[f"{self.lake_root}/lake/"]])
            con.execute("SET enable_external_access = false")
            con.execute("SET autoinstall_known_extensions = false")
            con.execute("SET autoload_known_extensions = false")
            con.execute("SET lock_configuration = true")
            yield con
        finally:
            con.close()

    def query(self, sql: str, params: list | None = None) -> pl.DataFrame:
        """Run one read-only statement (SELECT, EXPLAIN) against the warehouse views.

        The statement is checked first (one SELECT, or EXPLAIN of one, by DuckDB's parse); then it runs
        in a child process the kernel forbids to change any file but its own spill folder
        (lib/sandbox.py, Landlock): whatever route a statement finds, the lake cannot be written."""
        if self.location:
            self._fetch_warehouse()  # the child reads this copy
        if not self.warehouse.exists():
            raise LakeError(f"{self.location or self.warehouse}: no warehouse yet: run `russell-pipeline build` first")
        try:
            statements = duckdb.extract_statements(sql)  # parsing needs no catalog
        except duckdb.Error as err:
            raise LakeError(f"query: {' '.join(str(err).split())}") from None
        if len(statements) != 1 or not _reads_only(statements[0]):
            kinds = ", ".join(_kind(s) for s in statements) or "nothing"
            raise LakeError(f"query: only one SELECT statement (or EXPLAIN of one, without ANALYZE) is "
                            f"allowed (got {kinds}); the query surface is read-only")
        spill = Path(tempfile.mkdtemp(prefix="russell-query-"))
        try:
            outcome = run_in_child(self._answer, sql, params, spill, prepare=lambda: self._sandbox(spill))
        finally:
            shutil.rmtree(spill, ignore_errors=True)
        if outcome.kind == "ok":
            return pl.from_arrow(outcome.value)
        if outcome.kind == "error" and isinstance(outcome.value, LakeError):
            raise outcome.value
        if outcome.kind == "error":
            raise LakeError(f"query: {' '.join(str(outcome.value).split())}")
        raise LakeError(f"query: the process answering it died (signal {outcome.value})")

    def _sandbox(self, spill: Path) -> None:
        """In the query's child: no file but `spill` can change; an object store's client is made anew
        (the parent's belongs to its own process)."""
        remote.filesystem.cache_clear()
        forbid_writes([spill])

    def counts(self) -> dict[str, int]:
        """Rows per published table, read in this process: fixed SQL of ours, not a user's statement."""
        tables = list(self.published_versions())
        if not tables:
            return {}
        with self.connect() as con:
            union = " UNION ALL ".join(f"SELECT {_quote(t)}, count(*) FROM \"{t}\"" for t in tables)
            return dict(con.sql(union).fetchall())

    def _answer(self, sql: str, params: list | None, spill: Path) -> pa.Table:
        """The statement's rows, in the child (the parent has fetched the warehouse already)."""
        with self.connect(spill, fetch=False) as con:
            return con.sql(sql, params=params).to_arrow_table()
