"""The vacuum: data files no table version within the retention needs, deleted.

Files a newer version replaced stay for `retention_hours`, so a reader holding an older snapshot (an
open warehouse file, `scan(version=N)`) keeps working; a killed write's orphans go the same way.
"""

from __future__ import annotations

from russell_pipeline.lake.lineage import Lineage


class Vacuum(Lineage):
    """The vacuum of every readable table; part of `Lake` (store.py)."""

    retention_hours: int

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
            # Its own handle: the vacuum commits through it (`delta` hands out shared ones).
            removed = sum(len(self._open(name).vacuum(dry_run=False, **options)) for name in due)
            self._unpin(due)  # the vacuum committed: its new versions are read afresh
            for name in due:
                dt = self.delta(name)
                self._checkpoint(dt, dt.version() - before[name])
            self._carry_written(before)
            return removed
