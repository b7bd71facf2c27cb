"""The lake's own bookkeeping of what each asset built: its inputs per partition, and the table
versions its last commit left, so a table changed by anything else makes its asset out of date."""

from __future__ import annotations

import polars as pl

from russell_pipeline.lake.delta import Tables
from russell_pipeline.lake.lock import WriterLock

LINEAGE = "lineage"  # per asset and partition: the digest of the inputs it was built from
# Per asset: the Delta version of each table its last commit left. A table at another version was
# changed by something else (a write killed between two tables, a stray writer): see `Lineage.digests`.
WRITTEN = "written_versions"


class Lineage:
    """What each asset was built from and which table versions it left, kept in two of the lake's
    `tables`: `Lake.lineage` (lake_root.py)."""

    def __init__(self, tables: Tables, lock: WriterLock):
        self.tables, self.lock = tables, lock

    def digests(self, asset: str) -> dict[str, str]:
        """Partition -> digest of the inputs it was last built from (planning/digests.py); nothing when a
        table the asset last wrote has changed since (`changed_outside`): then every partition is out of
        date and rebuilt from its inputs, never reported up to date."""
        if self.changed_outside(asset):
            return {}
        rows = self.tables.read(LINEAGE, "asset", [asset])
        return {} if rows is None else dict(rows.select("partition", "inputs").iter_rows())

    def record_written(self, asset: str, tables: list[str]) -> None:
        """After a commit of `asset` wrote `tables` (and before its lineage): their versions now."""
        with self.lock.hold():
            frame = pl.DataFrame(
                {"asset": asset, "table_name": tables, "version": [self.tables.version(t) for t in tables]},
                schema={"asset": pl.String, "table_name": pl.String, "version": pl.Int64},
            )
            self.tables.write(WRITTEN, frame, "asset", [asset], publish=False)

    def changed_outside(self, asset: str | None = None) -> list[str]:
        """One line per table an asset (or every asset) last wrote that is at another version now."""
        rows = self.tables.read(WRITTEN, "asset", [asset]) if asset else self.tables.read(WRITTEN)
        out = []
        for owner, table, version in (
            [] if rows is None else rows.select("asset", "table_name", "version").rows()
        ):
            now = self.tables.version(table)
            if now != version:
                out.append(
                    f"{table}: {'gone or unreadable' if now is None else f'at version {now}'}, but {owner} "
                    f"last left it at version {version}: changed outside a build; {owner} is rebuilt from "
                    "its inputs"
                )
        return out

    def record(self, asset: str, digests: dict[str, str]) -> None:
        """Record what these partitions of `asset` were built from (after their data is written, so a
        crash in between leaves them looking out of date, never falsely up to date)."""
        with self.lock.hold():
            merged = self.digests(asset) | digests
            frame = pl.DataFrame(
                {"asset": asset, "partition": list(merged), "inputs": list(merged.values())},
                schema={"asset": pl.String, "partition": pl.String, "inputs": pl.String},
            )
            self.tables.write(LINEAGE, frame.sort("partition"), "asset", [asset], publish=False)

    def carry_written(self, before: dict[str, int | None]) -> None:
        """A vacuum commits to the tables it cleans (Delta records it as two versions) without changing
        a row: an asset that left a table at its version before the vacuum still owns it, so its
        recorded version moves with the vacuum and `changed_outside` does not rebuild it. A table
        already at another version than its asset left it stays changed outside."""
        rows = self.tables.read(WRITTEN)
        if rows is None or not rows.height:
            return
        now = {name: self.tables.version(name) for name in before}
        carried = rows.with_columns(
            pl.struct("table_name", "version")
            .map_elements(
                lambda r: (
                    now[r["table_name"]]
                    if r["table_name"] in before and before[r["table_name"]] == r["version"]
                    else r["version"]
                ),
                return_dtype=pl.Int64,
            )
            .alias("version")
        )
        assets = sorted(set(rows.filter(pl.col("version") != carried["version"])["asset"].to_list()))
        if assets:
            self.tables.write(
                WRITTEN, carried.filter(pl.col("asset").is_in(assets)), "asset", assets, publish=False
            )
