"""The one storage path: hive-style Parquet under `<lake>/lake/<table>/` plus DuckDB views.

Writes are staged next to their target and swapped in only once every new file is on disk,
so a failure leaves the previous partition untouched and never a half-written one.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

import duckdb
import polars as pl

DATA_FILE = "data.parquet"


class WarehouseBusy(RuntimeError):
    """warehouse.duckdb is locked by another process."""


def default_lake_root() -> Path:
    return Path(os.environ.get("RUSSELL_DATA_LAKE") or "data_lake")


class Lake:
    """Parquet tables under `root/lake`, registered as views in `root/warehouse.duckdb`."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.tables = self.root / "lake"
        self.raw = self.root / "raw"
        self.warehouse = self.root / "warehouse.duckdb"

    def _partition_dir(self, table: str, column: str, key: object) -> Path:
        return self.tables / table / f"{column}={key}"

    def write(
        self,
        table: str,
        df: pl.DataFrame,
        partition_column: str | None = None,
        keys: Iterable[object] | None = None,
    ) -> None:
        """Replace exactly the given partitions of `table` (or the whole unpartitioned table)."""
        if partition_column is None:
            targets = {self.tables / table: df}
        else:
            keys = list(keys) if keys is not None else df[partition_column].unique().sort().to_list()
            dtype = df.schema[partition_column]
            targets = {
                self._partition_dir(table, partition_column, k): df.filter(
                    pl.col(partition_column) == pl.lit(k).cast(dtype)
                )
                for k in keys
            }
            stray = df.filter(~pl.col(partition_column).cast(pl.String).is_in([str(k) for k in keys]))
            if stray.height:
                raise ValueError(f"{table}: rows outside the partitions being written: {stray.row(0)}")
        staged = self._stage(targets)
        self._swap(staged)
        self.register(table)

    def _stage(self, targets: dict[Path, pl.DataFrame]) -> dict[Path, Path]:
        staged: dict[Path, Path] = {}
        token = uuid.uuid4().hex[:12]
        try:
            for target, part in targets.items():
                tmp = target.with_name(f".{target.name}.{token}.tmp")
                tmp.mkdir(parents=True)
                staged[target] = tmp
                part.write_parquet(tmp / DATA_FILE, statistics=True)
        except BaseException:
            for tmp in staged.values():
                shutil.rmtree(tmp, ignore_errors=True)
            raise
        return staged

    @staticmethod
    def _swap(staged: dict[Path, Path]) -> None:
        for target, tmp in staged.items():
            old = target.with_name(f".{target.name}.{tmp.name}.old")
            if target.exists():
                target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)

    def files(self, table: str, partition_column: str | None = None, keys: Iterable[object] | None = None):
        base = self.tables / table
        if partition_column is None or keys is None:
            return sorted(base.rglob(DATA_FILE)) if base.exists() else []
        paths = [self._partition_dir(table, partition_column, k) / DATA_FILE for k in keys]
        return [p for p in paths if p.exists()]

    def read(
        self, table: str, partition_column: str | None = None, keys: Iterable[object] | None = None
    ) -> pl.DataFrame | None:
        """The table's rows (of the given partitions), or None when nothing is stored."""
        paths = self.files(table, partition_column, keys)
        if not paths:
            return None
        return pl.concat([pl.read_parquet(p) for p in paths], how="vertical_relaxed")

    def scan(self, table: str) -> pl.LazyFrame | None:
        """The whole table, lazily: filters are pushed down to Parquet row groups."""
        paths = self.files(table)
        return pl.scan_parquet(paths) if paths else None

    def register(self, table: str) -> None:
        """(Re)create the DuckDB view `table` over its Parquet files."""
        if not self.files(table):
            return
        glob = str((self.tables / table).resolve() / "**" / DATA_FILE).replace("'", "''")
        try:
            with duckdb.connect(str(self.warehouse)) as con:
                # DDL cannot take bound parameters; the path is quoted, the name is an identifier.
                con.execute(
                    f'CREATE OR REPLACE VIEW "{table}" AS '
                    f"SELECT * FROM read_parquet('{glob}', union_by_name = true, hive_partitioning = false)"
                )
        except duckdb.IOException as err:
            # The Parquet is already in place; only the view waits for the file to be free.
            raise WarehouseBusy(f"{self.warehouse}: cannot register view {table!r}, the file is held by another "
                                f"process (close other DuckDB connections and re-run): {err}") from None

    def query(self, sql: str, params: list | None = None) -> pl.DataFrame:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return pl.from_arrow(con.sql(sql, params=params).to_arrow_table())
