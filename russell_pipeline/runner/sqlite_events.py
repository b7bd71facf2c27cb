"""A build's Dagster events on a local (SQLite) instance, stored without a disk sync per event and
without a new database engine per event.

Dagster's SQLite storage opens a connection for every event it stores and closes it again. In WAL
mode each commit syncs the log, and the close of a database's last connection checkpoints it into
the database and deletes the log (more syncs, and one of the folder): about ten syncs per asset
event, 10,000 for the first build of the embedded defaults, most of its time on a slow disk. Its
event log also makes a new SQLAlchemy engine for each of those connections, so every statement is
compiled again (an engine caches its compiled statements) and every connection is set up anew:
about as much CPU per event as the rest of storing it.

While `fewer_syncs(instance)` is open (around a build's runs):
- this process keeps one idle connection to each database its events go to, so no close is the
  last one and nothing is checkpointed per event (SQLite checkpoints when the log passes 1,000
  pages, and when the held connections close at the end);
- its connections commit with `synchronous=NORMAL`: the setting SQLite documents for WAL mode, with
  which a crash of the process or the machine never corrupts the database; a power cut can lose
  the last events before it, as it can lose the run itself;
- the instance's event log, when it is Dagster's SQLite one, takes its connections from one pooled
  engine per database: the same statements, transactions and lock, each committed as before; so does
  its run storage, which also makes an engine per statement (about 210 in the 9 runs of a build of the
  sample documents over a small feed: each run's record is read and tagged again and again);
- it remembers the tables, and the index columns of the asset table, it has found: Dagster asks the
  database for them at every asset event (through a new engine for the tables), and once present
  they stay;
- each run's new database (Dagster keeps one per run) is a copy of the first one this process made,
  taken as Dagster's own code made it (its tables, WAL mode and alembic stamp) before any event and
  kept in memory for the life of the process (the Dagster it imported makes them all alike): alembic
  reads its migration scripts again for every database it stamps.
A PostgreSQL instance (deploy/dagster.yaml) is not touched.

This is the one module of the project that uses Dagster's private API, and it has no public route:
how the SQLite event log connects (`_connect`, its lock, its databases per run) is inside
`SqliteEventLogStorage`, and how the run storage does (`connect`, its database's address) inside
`SqliteRunStorage`, which Dagster 1.13 exports only from private modules, as it does the base
classes a storage named in dagster.yaml would have to implement (`EventLogStorage`). Only the
pooled-engine part depends on it; an upgrade that changes it breaks here only, and
`russell_pipeline_tests/runner/test_sqlite_events.py` fails on it. Without that part a build of the
embedded defaults takes 26 s against 16 s (`bench/build_calls_bench.py --repeat 2`, with `pooled`
set to False: 9 s against 2 s in `DagsterInstance.handle_new_event`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager

# No public route (see above): the storages whose connections are pooled, the event log's index
# database's name, and the busy timeout its own engines use.
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

# The idle connections of the open `fewer_syncs()`, by database file; None when none is open.
_held: dict[str, sqlite3.Connection] | None = None
# A run's new database as Dagster made the first one in this process, before any event (`_new_shard`).
_template: list[sqlite3.Connection] = []
_template_lock = threading.Lock()
_engines_lock = threading.Lock()  # the engines of the open block, made by the threads its runs use


def _on_connect(connection: object, _record: object) -> None:
    """Each new SQLite connection of the process while a build runs: commit without a sync, and
    hold its database open once it is in WAL mode (a new database is switched to it after)."""
    if _held is None or not isinstance(connection, sqlite3.Connection):
        return
    connection.execute("PRAGMA synchronous=NORMAL")
    path = connection.execute("PRAGMA database_list").fetchone()[2]
    if path and path not in _held and connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        held = sqlite3.connect(path, check_same_thread=False)
        held.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a read maps the log: it is held
        _held[path] = held


def _engine(engines: dict[str, Engine], url: str, **connect_args: object) -> Engine:
    """The block's one engine on the database at `url`, made on first use (its connections and compiled
    statements are reused); `connect_args`: what the storage's own engines pass (the event log's busy
    timeout)."""
    with _engines_lock:
        if url not in engines:
            engines[url] = create_engine(url, connect_args=connect_args)
        return engines[url]


def _pooled(storage: SqliteEventLogStorage, engines: dict[str, Engine]):
    """`storage._connect` (one transaction on one shard's database, under the storage's lock) from the
    block's engine on that database. A run's new database is a copy of the first new one this process made
    (`_new_shard`)."""

    @contextmanager
    def connect(shard: str) -> Iterator[Connection]:
        with storage._db_lock:
            url = storage.conn_string_for_shard(shard)
            engine = _engine(engines, url, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
            if shard not in storage._initialized_dbs:
                _new_shard(storage, shard, engine)
                storage._initialized_dbs.add(shard)
            with engine.connect() as connection, connection.begin():
                yield connection

    return connect


def _pooled_runs(storage: SqliteRunStorage, engines: dict[str, Engine]):
    """`storage.connect` (one transaction on the runs database) from the block's engine on it."""

    @contextmanager
    def connect() -> Iterator[Connection]:
        with _engine(engines, storage._conn_string).connect() as connection, connection.begin():
            yield connection

    return connect


def _new_shard(storage: SqliteEventLogStorage, shard: str, engine: Engine) -> None:
    """Make `shard`'s database if it does not exist: with Dagster's `_initdb` the first time in this
    process, kept in memory (`_template`) before any event; as a copy of that one after (written beside,
    renamed into place)."""
    path = storage.path_for_shard(shard)
    new_run = shard != INDEX_SHARD_NAME and not os.path.exists(path)
    with _template_lock:
        if new_run and _template:
            beside = f"{path}.new"  # not *.db: Dagster takes every *.db of the folder for a run's database
            with closing(sqlite3.connect(beside)) as copy:
                _template[0].backup(copy)
                copy.execute("PRAGMA journal_mode=WAL")
            os.replace(beside, path)
            return
        storage._initdb(engine)
        if new_run:
            kept = sqlite3.connect(":memory:", check_same_thread=False)
            with closing(sqlite3.connect(path)) as made:
                made.backup(kept)
            _template.append(kept)


def _remembered(storage: SqliteEventLogStorage) -> dict[str, object]:
    """`has_table` and the asset table's index-column test, each answer remembered once it is yes (a
    table or column, once there, stays)."""
    found: set[str] = set()

    def yes_once(key: str, ask) -> bool:
        if key not in found and ask():
            found.add(key)
        return key in found

    return {
        "has_table": lambda name: yes_once(name, lambda: SqliteEventLogStorage.has_table(storage, name)),
        "_has_asset_key_index_cols_on_connection": lambda connection: yes_once(
            "asset key index columns",
            lambda: SqliteEventLogStorage._has_asset_key_index_cols_on_connection(storage, connection),
        ),
    }


@contextmanager
def fewer_syncs(instance=None) -> Iterator[None]:
    """Store this process's Dagster events on SQLite without a sync per event until the block ends
    (and, for `instance`'s SQLite event log and run storage, without an engine per statement)."""
    global _held
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
    events, runs = getattr(instance, "event_log_storage", None), getattr(instance, "run_storage", None)
    engines: dict[str, Engine] = {}
    # Dagster's own SQLite storages only, not a subclass: its connections may differ.
    replaced: list[tuple[object, dict]] = []
    if type(events) is SqliteEventLogStorage:
        replaced.append((events, {"_connect": _pooled(events, engines), **_remembered(events)}))
    if type(runs) is SqliteRunStorage:
        replaced.append((runs, {"connect": _pooled_runs(runs, engines)}))
    for storage, methods in replaced:
        for name, method in methods.items():
            setattr(storage, name, method)  # this object only, until the block ends
    _held = {}
    try:
        yield
    finally:
        for storage, methods in replaced:
            for name in methods:
                delattr(storage, name)
        for engine in engines.values():
            engine.dispose()
        held, _held = _held, None
        for connection in held.values():
            connection.close()  # the last close checkpoints the database once
