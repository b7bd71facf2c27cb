"""A build's Dagster events on a local (SQLite) instance, stored without a disk sync per event.

Dagster's SQLite storage opens a connection for every event it stores and closes it again. In WAL
mode each commit syncs the log, and the close of a database's last connection checkpoints it into
the database and deletes the log (more syncs, and one of the folder): about ten syncs per asset
event, 10,000 for the first build of the embedded defaults, most of its time on a slow disk.

While `fewer_syncs()` is open (around a build's runs), this process keeps one idle connection to
each database its events go to, so no close is the last one and nothing is checkpointed per event
(SQLite checkpoints when the log passes 1,000 pages, and when the held connections close at the
end), and its connections commit with `synchronous=NORMAL`: the setting SQLite documents for WAL
mode, with which a crash of the process or the machine never corrupts the database; a power cut
can lose the last events before it, as it can lose the run itself. A PostgreSQL instance
(deploy/dagster.yaml) is not touched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

# The idle connections of the open `fewer_syncs()`, by database file; None when none is open.
_held: dict[str, sqlite3.Connection] | None = None


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


@contextmanager
def fewer_syncs() -> Iterator[None]:
    """Store this process's Dagster events on SQLite without a sync per event until the block ends."""
    global _held
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
    _held = {}
    try:
        yield
    finally:
        held, _held = _held, None
        for connection in held.values():
            connection.close()  # the last close checkpoints the database once
