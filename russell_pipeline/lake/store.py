"""The lake callers hold: `Lake`, one object over a lake folder (or an object-store location).

Each job is a module of its own, composed here: the writer lock (lock.py), the Delta tables
(delta.py), the bookkeeping of what each asset built (lineage.py), the vacuum (vacuum.py), the
DuckDB warehouse (warehouse.py) and the read-only query surface (query.py). The pipeline writes
through lake/staged.py.
"""

from __future__ import annotations

from pathlib import Path

from russell_pipeline.lake import remote
from russell_pipeline.lake.query import Query
from russell_pipeline.lake.vacuum import Vacuum
from russell_pipeline.lake.warehouse import WAREHOUSE
from russell_pipeline.settings import DEFAULT_CACHE, DEFAULT_LOCK_TIMEOUT, DEFAULT_RETENTION_HOURS, Settings


class Lake(Query, Vacuum):
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
        `scan(version=N)`) keep working; `cache`: where an object-store lake keeps its local folder."""
        # An object-store lake keeps its tables there and a local folder for the rest (remote.py).
        self.location = str(root).rstrip("/") if remote.is_remote(str(root)) else None
        self.root = remote.cache_folder(Path(cache), self.location) if self.location else Path(root)
        self.lock_timeout, self.retention_hours = lock_timeout, retention_hours
        self.tables = self.root / "lake"
        self.warehouse = self.root / WAREHOUSE
        self.options = remote.storage_options(self.location) if self.location else {}
        self._raw, self._raw_synced = self.root / "raw", False
        self._pinned, self._pinned_names = None, None  # not inside `pinned` (delta.py)

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
