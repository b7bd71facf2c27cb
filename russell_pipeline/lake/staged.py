"""The lake's one table write: staged rows -> write -> lineage -> checksums (`write_staged`).

Every table-writing asset stages its rows (`Staged`) and hands them, once its checks pass, to
`commit` (defs/commit.py), which writes them here:
1. every staged table is written (each one Delta commit replacing exactly its partitions);
2. the version of each table it wrote is recorded, then what each partition was built from
   (planning/digests.py), after the data, so a crash in between leaves the partitions looking out of
   date, never falsely up to date; a table found later at another version than recorded (a write
   killed between two tables, a stray writer) makes its asset out of date (`Lake.lineage.digests`); then
   the checksum of every new data file (lake/checksums.py: a file changed later is rebuilt).

The two writes that are no asset's `commit`, the fetch manifest and `import-prices`'s
`research_prices`, go through it too (`write_and_publish`). The warehouse is published by `build`
when it ends, or by the `publish_warehouse` sensor (defs/publish.py), not here.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from russell_pipeline.lake import checksums
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.lineage import LINEAGE, WRITTEN


@dataclass(frozen=True)
class Staged:
    """Rows for `table`: the partitions `keys` of `partition_column`, or the whole table when None."""

    table: str
    rows: pl.DataFrame | pl.LazyFrame
    partition_column: str | None = None
    keys: list | None = None


def write_staged(lake: Lake, staged: list[Staged], lineage: dict[str, dict[str, str]]) -> None:
    """Write `staged` under the writer lock (each one Delta commit replacing exactly its partitions), then
    record the versions it left and `lineage` ({asset: {partition: digest}}) for each asset, then the
    checksum of every data file of the tables written. The warehouse is not published."""
    with lake.lock.hold():
        for s in staged:
            lake.tables.write(s.table, s.rows, s.partition_column, s.keys, publish=False)
        for asset in lineage:  # the versions this write left: a later change by anything else shows
            lake.lineage.record_written(asset, [s.table for s in staged])
        for asset, digests in lineage.items():
            lake.lineage.record(asset, digests)
        # What each file holds, so a byte changed later is found (lake/checksums.py).
        checksums.record(lake, [*(s.table for s in staged), *((WRITTEN, LINEAGE) if lineage else ())])


def write_and_publish(lake: Lake, staged: Staged) -> None:
    """One table written with no checks or lineage (the fetch manifest, an imported price file): through
    `write_staged`, then published, so readers see it at once."""
    with lake.lock.hold():
        write_staged(lake, [staged], {})
        lake.warehouse.publish()
