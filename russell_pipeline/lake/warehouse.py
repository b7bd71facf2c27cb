"""The DuckDB warehouse: `warehouse.duckdb`, one view per lake table, published in one swap.

`warehouse.duckdb` holds one view per table over the files of its current version, with paths
relative to the lake (`lake_root`, default the working directory), so a copied lake reads its
own files. A new one is made from a copy of the old (only the views of changed tables made again)
and swapped in by rename: a process reading the old file keeps its snapshot (whose files outlive
the retention), and no reader can block a writer.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

import duckdb
import polars as pl
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError

from russell_pipeline.lake import query as surface
from russell_pipeline.lake import remote
from russell_pipeline.lake.delta import Tables, add_actions, fault
from russell_pipeline.lake.lock import WriterLock
from russell_pipeline.lib.errors import LakeError
from russell_pipeline.lib.sandbox import run_in_child, terminate_as_interrupt

WAREHOUSE = "warehouse.duckdb"
REGISTRY = "lake_tables"  # the warehouse's own table: which version of each table its views show
# Table macros over a table's view (`macros/<table>.sql`); publish creates them with the views.
MACROS = Path(__file__).parent / "macros"
_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "long": "BIGINT",
    "integer": "INTEGER",
    "short": "SMALLINT",
    "byte": "TINYINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
    "timestamp_ntz": "TIMESTAMP",
    "binary": "BLOB",
}


# The registry of each warehouse file read by this process, with the identity of the file it was read from
# (`Warehouse._registry`): opening a DuckDB file costs 20-30 ms (its catalog of built-in functions is made
# anew), and a build or a verb asks for the published versions several times.
_REGISTRIES: dict[Path, tuple[tuple, dict[str, dict]]] = {}


def _identity(file: Path) -> tuple | None:
    """What tells one state of `file` from another (None: no file): its inode, size and change time. A
    published warehouse is a new file (rename); a change in place (a user's read-write session) moves
    its modification and change times."""
    try:
        st = file.stat()
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _duckdb_type(table: str, column: str, delta_type) -> str:
    """The DuckDB type of a Delta column (the lake's tables hold primitive columns only)."""
    name = getattr(delta_type, "type", None)
    if name in _DUCKDB_TYPES:
        return _DUCKDB_TYPES[name]
    if isinstance(name, str) and name.startswith("decimal"):
        return name.upper()
    raise TypeError(f"{table}.{column}: column type {delta_type} has no view mapping")


def _logged_rows(dt: DeltaTable) -> int | None:
    """The rows of the table's current files as its log records them (each file's `num_records`);
    None when a file was added without that statistic."""
    records = add_actions(dt).column("num_records").to_pylist()
    return None if None in records else sum(records)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Warehouse:
    """The views of the lake's `tables` in `file` (a local file; an object-store lake's copy of its
    published one), read-only connections to it and the query surface: `Lake.warehouse`
    (lake_root.py). `root`: the lake folder; `location`: an object-store lake's."""

    def __init__(self, file: Path, root: Path, location: str | None, tables: Tables, lock: WriterLock):
        self.file, self.root, self.location, self.tables, self.lock = file, root, location, tables, lock

    @property
    def lake_root(self) -> str:
        """What the warehouse's relative paths hang from (the `lake_root` variable)."""
        return self.location or str(self.root.absolute())

    def _view_sql(self, table: str, dt: DeltaTable) -> str:
        fields = [(f.name, _duckdb_type(table, f.name, f.type)) for f in dt.schema().fields]
        files = [f"lake/{table}/{unquote(p)}" for p in add_actions(dt).column("path").to_pylist()]
        if not files:  # an empty table still answers with its columns and types
            cols = ", ".join(f'CAST(NULL AS {t}) AS "{name}"' for name, t in fields)
            return f'CREATE VIEW "{table}" AS SELECT {cols} WHERE false'
        parts = dt.metadata().partition_columns
        hive = ""
        if parts:
            types = dict(fields)
            hive = (
                ", hive_partitioning = true, hive_types = {"
                + ", ".join(f"{_quote(c)}: {_quote(types[c])}" for c in parts)
                + "}"
            )
        columns = ", ".join(f'"{name}"' for name, _ in fields)
        # Paths are relative to the lake: `SET VARIABLE lake_root = '<folder>'`, or run from inside it.
        paths = ", ".join(f"coalesce(getvariable('lake_root'), '.') || '/' || {_quote(f)}" for f in files)
        return (
            f'CREATE VIEW "{table}" AS SELECT {columns} FROM read_parquet([{paths}], '
            f"union_by_name = true{hive})"
        )

    def published_versions(self) -> dict[str, int]:
        """Table -> Delta version the current warehouse file shows ({} when there is none or it is busy)."""
        return {name: version for name, (version, _) in self._published_views().items()}

    def _published_views(self) -> dict[str, tuple[int, str | None]]:
        """Table -> (Delta version, digest of its view) in the current warehouse file; the digest is
        None in a file from before the registry kept them (then `publish` makes every view again)."""
        return {name: (row["version"], row.get("definition")) for name, row in self._registry().items()}

    def _registry(self) -> dict[str, dict]:
        """Table -> its `lake_tables` row in the current warehouse file ({} when there is none or it is
        busy). Read once per file: the answer is kept with the file's identity (`_identity`) and read
        again when the file is another (publish swaps in a new one) or was changed in place."""
        if self.location and not self._fetch_warehouse():
            return {}
        identity = _identity(self.file)
        if identity is None:
            return {}
        kept = _REGISTRIES.get(self.file)
        if kept is None or kept[0] != identity:
            try:
                with duckdb.connect(str(self.file), read_only=True) as con:
                    cursor = con.execute(f"SELECT * FROM {REGISTRY}")
                    columns, rows = [d[0] for d in cursor.description], cursor.fetchall()
            except duckdb.Error:
                return {}
            kept = (identity, {(row := dict(zip(columns, values)))["table_name"]: row for values in rows})
            if _identity(self.file) == identity:  # not replaced while it was read
                _REGISTRIES[self.file] = kept
        return {name: dict(row) for name, row in kept[1].items()}

    def published(self, table: str) -> pl.DataFrame | None:
        """The table as readers see it: at the version of the last published snapshot (None if none). A
        version its log no longer holds (an entry deleted) is one LakeError naming the table."""
        version = self.published_versions().get(table)
        if version is None:
            return None
        try:
            return self.tables.scan(table, version).collect()
        except (DeltaError, OSError, pl.exceptions.PolarsError) as err:
            raise LakeError(_missing_version(self.tables.uri(table), version, err)) from None

    def unpublishable(self) -> list[str]:
        """One line per table of the published warehouse whose published version its Delta log no
        longer holds (an entry deleted or damaged): what `verify` names and readers would trip on."""
        lines = []
        for table, version in self.published_versions().items():
            try:
                DeltaTable(self.tables.uri(table), version=version, storage_options=self.tables.options)
            except TableNotFoundError:
                continue  # the folder moved out of the lake: the next build rebuilds it
            except (DeltaError, OSError) as err:
                lines.append(_missing_version(self.tables.uri(table), version, err))
        return lines

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
        tables, published = self.tables.readable(), self._published_views()
        if {name: dt.version() for name, dt in tables.items()} == {n: v for n, (v, _) in published.items()}:
            return False  # nothing changed: no lock taken, no file touched
        self._never_a_table_short(tables)
        held = self.lock.held()
        with self.lock.hold(timeout):
            if not held:  # another writer may have committed before this process took the lock
                tables, published = self.tables.readable(), self._published_views()
                self._never_a_table_short(tables)
            versions = {name: dt.version() for name, dt in tables.items()}
            if versions == {name: version for name, (version, _) in published.items()}:
                return False
            views = {name: self._view_sql(name, dt) for name, dt in tables.items()}
            macros = {name: path.read_text() for name in tables if (path := MACROS / f"{name}.sql").is_file()}
            # A view's definition: its SQL (its files, its columns) and the macros over the views.
            definitions = {
                name: hashlib.sha256(json.dumps([sql, macros]).encode()).hexdigest()[:16]
                for name, sql in views.items()
            }
            # Views are made again only in a copy holding the same tables and macros; otherwise all are.
            keep = (
                {n for n in views if published[n][1] == definitions[n]}
                if set(published) == set(views)
                else set()
            )
            with self.lock.scratch() as folder:
                tmp = folder / WAREHOUSE
                try:
                    self._make_warehouse(tmp, tables, views, macros, versions, definitions, keep)
                except duckdb.Error:  # the copy could not be used (a user's session changing it): anew
                    tmp = folder / f"anew-{WAREHOUSE}"
                    self._make_warehouse(tmp, tables, views, macros, versions, definitions, set())
                with open(tmp, "rb") as f:
                    os.fsync(f.fileno())
                fault(WAREHOUSE, "staged")
                if self.location:  # an object store replaces a whole object at once
                    remote.put(tmp, f"{self.location}/{WAREHOUSE}")
                os.replace(tmp, self.file)
            return True

    def _never_a_table_short(self, tables: dict[str, DeltaTable]) -> None:
        """A LakeError when a table folder of the lake has a log that cannot be read: the new warehouse
        would lack its view, so the published one (which still reads its files) stays."""
        broken = [name for name in self.tables.names() if name not in tables]
        if broken:
            raise LakeError(
                f"not published: {', '.join(broken)}: the Delta log cannot be read, and a warehouse without "
                "it would be a table short; the previous warehouse stays (repair: `russell-pipeline build` "
                "names the fix)"
            )

    def _make_warehouse(
        self,
        tmp: Path,
        tables: dict[str, DeltaTable],
        views: dict[str, str],
        macros: dict[str, str],
        versions: dict[str, int],
        definitions: dict[str, str],
        keep: set[str],
    ) -> None:
        """The warehouse file at `tmp`: a copy of the published one keeping the views of `keep`, the
        other views made again (all of them, and the macros, in a new file when `keep` is empty)."""
        if keep:
            shutil.copyfile(self.file, tmp)
        with duckdb.connect(str(tmp)) as con:
            surface.attach_store(con, self.lake_root, self.location)
            con.execute("BEGIN")  # one commit for the whole catalog, not one per statement
            for name in set(views) - keep:
                con.execute(f'DROP VIEW IF EXISTS "{name}"')
                con.execute(views[name])
            if not keep:  # after every view they may read (a table macro binds when it is called)
                for text in macros.values():
                    con.execute(text)
            con.execute(
                f"CREATE OR REPLACE TABLE {REGISTRY} (table_name VARCHAR, version BIGINT, files BIGINT, "
                "definition VARCHAR, rows BIGINT)"
            )
            con.executemany(
                f"INSERT INTO {REGISTRY} VALUES (?, ?, ?, ?, ?)",
                [
                    (n, versions[n], len(dt.file_uris()), definitions[n], _logged_rows(dt))
                    for n, dt in tables.items()
                ],
            )
            con.execute("COMMIT")

    def _fetch_warehouse(self) -> bool:
        """Refresh the local copy of an object-store lake's published warehouse (False: none yet)."""
        return remote.get(f"{self.location}/{WAREHOUSE}", self.file)

    @contextmanager
    def connect(
        self, temp_directory: Path | None = None, fetch: bool = True
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the warehouse that can read the lake's tables and nothing else.

        No statement can write (the file is opened read-only), read or write a path outside the
        lake (external access off, the lake folder allowed), load an extension or change these
        settings (the configuration is locked). `temp_directory`: where DuckDB may spill; `fetch`:
        refresh an object-store lake's warehouse copy first.
        """
        if self.location and fetch:
            self._fetch_warehouse()
        if not self.file.exists():
            raise LakeError(
                f"{self.location or self.file}: no warehouse yet: run `russell-pipeline build` first"
            )
        with surface.open_views(self.file, self.lake_root, self.location, temp_directory) as con:
            yield con

    def counts(self) -> dict[str, int]:
        """Rows per published table: as the registry took them from each table's log when it was
        published, without opening a file (on an object store, a request per file). A table whose
        log lacks a file's row count, or any table of a warehouse from before the registry kept
        them, is counted through its view, in this process: fixed SQL of ours, not a user's."""
        registry = self._registry()
        counts = {name: row["rows"] for name, row in registry.items() if row.get("rows") is not None}
        unknown = [name for name in registry if name not in counts]
        if unknown:
            with self.connect() as con:
                union = " UNION ALL ".join(f'SELECT {_quote(t)}, count(*) FROM "{t}"' for t in unknown)
                counts |= dict(con.sql(union).fetchall())
        return counts

    def read(self, sql: str, params: list | None = None) -> pl.DataFrame:
        """The rows of a statement of ours (fixed SQL, a user's values only as `params`) over the
        warehouse views, in this process, on `connect()`. A user's statement goes to `query`."""
        with self.connect() as con:
            return con.sql(sql, params=params).pl()

    def query(self, sql: str, params: list | None = None, timeout: float | None = None) -> pl.DataFrame:
        """Run one read-only statement (SELECT, EXPLAIN) of a user's against the warehouse views.

        The statement is checked first (one SELECT, or EXPLAIN of one, by DuckDB's parse); then it runs
        in a fresh child process the kernel forbids to change any file but its own spill folder
        (lib/sandbox.py, Landlock): whatever route a statement finds, the lake cannot be written. The
        child is a new interpreter, not a fork: DuckDB's state in a fork of a process that has used
        it (its threads, their locks) can crash it (seen: a query that died of SIGSEGV).
        `timeout`: seconds before the child is killed (one line, nothing left behind). The spill folder
        is removed when the query ends, however it ends: a SIGTERM ends it as an interrupt does, and the
        folder of a query whose process was killed outright is removed by the next query (query.py)."""
        if self.location:
            self._fetch_warehouse()  # the child reads this copy
        if not self.file.exists():
            raise LakeError(
                f"{self.location or self.file}: no warehouse yet: run `russell-pipeline build` first"
            )
        surface.check_read_only(sql)
        with surface.spill_folder() as spill, terminate_as_interrupt():
            outcome = run_in_child(
                surface.rows,
                *(self.file, self.lake_root, self.location, sql, params, spill),
                prepare=surface.sandbox(spill),
                wall=timeout,
                fresh=True,
            )
        return surface.answer(outcome, timeout)


def _missing_version(uri: str, version: int, err: Exception) -> str:
    reason = next((ln.strip() for ln in str(err).splitlines() if ln.strip()), type(err).__name__)
    return (
        f"{uri}: the version {version} the warehouse shows cannot be read from its Delta log ({reason}); "
        "a log entry is missing or damaged: restore it from a copy, or move the folder out of the lake and "
        "run `russell-pipeline build` (the table is rebuilt from its inputs)"
    )
