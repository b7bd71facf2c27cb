"""The lake callers hold: `Lake`, one object over a lake folder (or an object-store location), holding
its parts, one job each: `lock` (the writer lock, lock.py), `tables` (the Delta tables, delta.py),
`lineage` (what each asset built, lineage.py) and `warehouse` (the DuckDB views and the read-only query
surface, warehouse.py and query.py). The pipeline writes through lake/staged.py.
"""

from __future__ import annotations

from pathlib import Path

from russell_pipeline.lake import remote
from russell_pipeline.lake.delta import Tables
from russell_pipeline.lake.lineage import Lineage
from russell_pipeline.lake.lock import WriterLock
from russell_pipeline.lake.warehouse import WAREHOUSE, Warehouse
from russell_pipeline.settings import DEFAULT_CACHE, DEFAULT_LOCK_TIMEOUT, DEFAULT_RETENTION_HOURS, Settings


class Lake:
    """Delta tables under `root/lake`, views in `root/warehouse.duckdb`, writers one at a time."""

    def __init__(
        self,
        root: str | Path,
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        retention_hours: int = DEFAULT_RETENTION_HOURS,
        cache: Path = DEFAULT_CACHE,
    ):
        """`root`: a folder, or an object-store location (s3://bucket/prefix) kept as text.

        `lock_timeout`: seconds a second writer waits for the lock; `retention_hours`: how long files a
        newer version replaced stay, so readers holding an older snapshot (an open warehouse file,
        `tables.scan(version=N)`) keep working; `cache`: where an object-store lake keeps its local
        folder."""
        # An object-store lake keeps its tables there and a local folder for the rest (remote.py).
        self.location = str(root).rstrip("/") if remote.is_remote(str(root)) else None
        self.root = remote.cache_folder(Path(cache), self.location) if self.location else Path(root)
        self.retention_hours = retention_hours
        options = remote.storage_options(self.location) if self.location else {}
        self.lock = WriterLock(self.root, self.location, lock_timeout)
        # A write publishes the warehouse unless told not to (`Tables.write`).
        self.tables = Tables(
            self.root / "lake", self.location, options, self.lock, lambda: self.warehouse.publish()
        )
        self.lineage = Lineage(self.tables, self.lock)
        self.warehouse = Warehouse(self.root / WAREHOUSE, self.root, self.location, self.tables, self.lock)
        self._raw, self._raw_synced = self.root / "raw", False

    @classmethod
    def from_settings(cls, settings: Settings) -> Lake:
        """The lake the settings name, with their lock timeout, retention and object-store cache."""
        return cls(
            settings.data_lake,
            lock_timeout=settings.lock_timeout,
            retention_hours=settings.retention_hours,
            cache=settings.lake_cache,
        )

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

    def vacuum(self, retention_hours: int | None = None) -> int:
        """Delete the files no table version within the retention (default the lake's) needs: how many.

        Files a newer version replaced stay for `retention_hours`, so a reader holding an older snapshot
        (an open warehouse file, `tables.scan(version=N)`) keeps working; a killed write's orphans go the
        same way. A dry run decides first, so a lake with nothing to delete is not touched (no lock, no
        commit). The versions each asset left move with the vacuum's commits (`Lineage.carry_written`)."""
        hours = self.retention_hours if retention_hours is None else retention_hours
        self.tables.prune_copies(hours)  # this machine's copies of an object-store lake's data files
        due = self.tables.vacuum_due(hours)
        if not due:
            return 0
        with self.lock.hold():
            before = {name: self.tables.version(name) for name in due}
            removed = self.tables.vacuum(due, hours)
            self.lineage.carry_written(before)
            return removed
