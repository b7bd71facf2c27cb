"""Checksums of the lake's data files: what each commit wrote, and whether the files still hold it.

A Delta log names a table's files but not their content, so a byte flipped in place (a disk, a copy,
a stray writer) would be served as data. After every commit, `record` keeps, per data file of the
tables it wrote, its size, a stamp (size and modification time) and its sha256, in the lake's own
`file_checksums` table. `check` compares: `build` reads a file again only when its stamp changed
(so a no-change build costs one `stat` per file, on an object store one listing per table), the
`verify` verb reads every byte. A damaged file is one line naming it; `forget` makes the partition
that holds it out of date (its assets' lineage forgets it), so `build` rebuilds it from its inputs
and the rewrite drops the file from the table's log.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import polars as pl
from deltalake import DeltaTable

from russell_pipeline.lake import remote
from russell_pipeline.lake.delta import add_actions
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.lineage import LINEAGE, WRITTEN

# Per table: each data file of its current version as its commit left it (bytes, a stamp of size and
# modification time, sha256). `check` compares the files with it: a file changed in place after
# its commit (flipped bytes, a truncation, a stray writer) is found and its partition rebuilt.
CHECKSUMS = "file_checksums"
SCHEMA = {
    "table_name": pl.String,
    "path": pl.String,
    "bytes": pl.Int64,
    "stamp": pl.String,
    "sha256": pl.String,
}
BOOKKEEPING = (LINEAGE, WRITTEN)  # partitioned by asset: a damaged file there forgets that asset
READ_BYTES = 50 * 2**20  # an object-store file's bytes per GET request when its sha256 is taken


@dataclass(frozen=True)
class Damage:
    """A data file of a table's current version that is not what its commit wrote."""

    table: str
    path: str  # as the table's log names it, relative to the table's folder
    partition: dict[str, str]  # the file's hive partition values ({} for an unpartitioned table)
    problem: str

    def line(self, lake: Lake) -> str:
        return f"{lake.tables.folder / self.table / self.path}: {self.problem}"


def data_files(dt: DeltaTable) -> dict[str, tuple[int, dict[str, str]]]:
    """Path (relative to the table) -> (bytes, hive partition values) of each file of the current version."""
    adds = add_actions(dt).to_pylist()
    return {
        unquote(a["path"]): (
            a["size_bytes"],
            {k.split(".", 1)[1]: str(v) for k, v in a.items() if k.startswith("partition.")},
        )
        for a in adds
    }


def _stamps(lake: Lake, table: str, paths: Iterable[str]) -> dict[str, str | None]:
    """Size and modification time of each of a table's data files `paths`; None for one that is gone. On
    an object store, from one listing of the table's folder (a request per 1,000 files, not a HEAD per
    file), each stamp as a HEAD of the file would give it (`_stamp_of`)."""
    paths = list(paths)
    if not lake.location:
        return {path: _local_stamp(lake, table, path) for path in paths}
    fs, uri = remote.fs_for(lake.location), lake.tables.uri(table)
    root = uri.split("://", 1)[1].rstrip("/") + "/"  # how the listing names the table's objects
    try:
        found = fs.find(uri, detail=True) if paths else {}
    except OSError:
        found = {}
    listed = {key.removeprefix(root): info for key, info in found.items()}
    return {path: _stamp_of(listed[path]) if path in listed else None for path in paths}


def _local_stamp(lake: Lake, table: str, path: str) -> str | None:
    try:
        st = os.stat(lake.tables.folder / table / path)
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}"


def _stamp_of(info: dict) -> str:
    """An object's stamp: its size and modification time, to the second in UTC (a listing may say the
    milliseconds and another time zone, a HEAD says neither), or its ETag where the store gives no time."""
    modified = info.get("LastModified")
    if isinstance(modified, datetime):
        modified = modified.astimezone(UTC).replace(microsecond=0)
    return f"{info['size']}:{modified or info.get('ETag') or ''}"


def _sha256(lake: Lake, table: str, path: str, size: int, copy: Path | None = None) -> str | None:
    """The file's sha256; `size`: its bytes, as its stamp says (on an object store it is read by ranges
    of that many bytes, with no HEAD request to ask them again); `copy`: this machine's copy of it, just
    fetched from the store (`record`: the reads that follow a commit then find it here)."""
    try:
        if lake.location and copy is None:
            fs, uri, digest = (
                remote.fs_for(lake.location),
                f"{lake.tables.uri(table)}/{path}",
                hashlib.sha256(),
            )
            for start in range(0, size, READ_BYTES):
                digest.update(fs.cat_file(uri, start=start, end=min(size, start + READ_BYTES)))
            return digest.hexdigest()
        with open(copy or lake.tables.folder / table / path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


def recorded(lake: Lake) -> dict[str, dict[str, tuple[int, str, str]]]:
    """{table: {path: (bytes, stamp, sha256)}} as the commits recorded them."""
    rows = lake.tables.read(CHECKSUMS)
    out: dict[str, dict[str, tuple[int, str, str]]] = {}
    for table, path, size, stamp, sha in [] if rows is None else rows.select(*SCHEMA).rows():
        out.setdefault(table, {})[path] = (size, stamp, sha)
    return out


def record(lake: Lake, tables: Iterable[str]) -> None:
    """After a commit wrote `tables`: the record of every data file of their current versions. A file
    an earlier commit recorded keeps its record (file names are unique per write); a new one is read
    once. Call with the writer lock held."""
    tables = sorted(set(tables))
    known, rows = recorded(lake), []
    for table in tables:
        dt = lake.tables.delta(table)
        if dt is None:
            continue
        old, files = known.get(table, {}), data_files(dt)
        stamps = _stamps(lake, table, [path for path in files if path not in old])
        copies = lake.tables.copies_of(
            table, dt, [path for path, stamp in stamps.items() if stamp is not None]
        )
        for path, (size, _) in files.items():
            if path in old:
                rows.append((table, path, *old[path]))
                continue
            stamp = stamps[path]
            sha = (
                None
                if stamp is None
                else _sha256(lake, table, path, int(stamp.split(":")[0]), copies.get(path))
            )
            rows.append((table, path, size, stamp or "", sha or ""))
    lake.tables.write(
        CHECKSUMS, pl.DataFrame(rows, schema=SCHEMA, orient="row"), "table_name", tables, publish=False
    )


Checked = tuple[list[Damage], list[str], int]  # what `check` says


def check(lake: Lake, every_byte: bool = False) -> Checked:
    """(damaged files, tables holding files no commit recorded, files checked) over every table's
    current version but the record itself. A file whose stamp is as recorded is trusted unless
    `every_byte`; otherwise it is read and its sha256 compared with the record."""
    known, damage, unrecorded, count = recorded(lake), [], [], 0
    for table, dt in lake.tables.readable().items():
        if table == CHECKSUMS:
            continue
        files, record_of = data_files(dt), known.get(table, {})
        if any(path not in record_of for path in files):
            unrecorded.append(table)
        stamps = _stamps(lake, table, [path for path in files if path in record_of])
        for path, (size, partition) in files.items():
            if path not in record_of:
                continue
            count += 1
            want_size, want_stamp, want_sha = record_of[path]
            stamp = stamps[path]
            if stamp is None:
                problem = "missing: the table's log names it but the file is gone"
            elif not stamp.startswith(f"{want_size}:"):
                problem = f"{stamp.split(':')[0]} bytes, but its commit wrote {want_size}"
            elif (every_byte or stamp != want_stamp) and _sha256(lake, table, path, want_size) != want_sha:
                problem = "its content differs from what its commit wrote (sha256 mismatch)"
            else:
                continue
            damage.append(Damage(table, path, partition, problem))
    return damage, unrecorded, count


def forget(lake: Lake, damage: list[Damage]) -> list[str]:
    """Make each damaged file's partition out of date, so `build` rebuilds it from its inputs; one line
    per file saying what is rebuilt. Call with the writer lock held."""
    owners: dict[str, list[str]] = {}
    written = None if WRITTEN in {d.table for d in damage} else lake.tables.read(WRITTEN)
    for asset, table in [] if written is None else written.select("asset", "table_name").rows():
        owners.setdefault(table, []).append(asset)
    lines, forgotten = [], {}
    for d in damage:
        if d.table in BOOKKEEPING:  # the lake's own record of an asset: that asset is rebuilt whole
            asset = d.partition.get("asset", "")
            lake.tables.write(
                d.table,
                pl.DataFrame(schema=lake.tables.scan(d.table).collect_schema()),
                "asset",
                [asset],
                publish=False,
            )
            forgotten[asset] = None
            what = f"{asset} is rebuilt from its inputs"
        elif d.table not in owners:
            what = (
                f"no asset is recorded as writing {d.table}: move lake/{d.table} out of the lake and run "
                "`russell-pipeline build` to rebuild it"
            )
        else:
            key = next(iter(d.partition.values())) if len(d.partition) == 1 else None
            for asset in owners[d.table]:
                if asset not in forgotten or forgotten[asset] is not None:
                    forgotten[asset] = None if key is None else [*(forgotten.get(asset) or []), key]
            what = f"{', '.join(owners[d.table])} {key or ''} is rebuilt from its inputs".replace("  ", " ")
        lines.append(f"{d.line(lake)}: {what}")
    for asset, keys in forgotten.items():
        _forget_lineage(lake, asset, keys)
    return lines


def _forget_lineage(lake: Lake, asset: str, keys: list[str] | None) -> None:
    """Drop `keys` (None: every partition) from what `asset` was built from: they are out of date."""
    rows = lake.tables.read(LINEAGE, "asset", [asset]) if keys is not None else None
    if rows is not None and not rows.filter(pl.col("partition").is_in(keys)).height:
        rows = None  # a table partition that is no partition of the asset (market_data's years): all of it
    kept = (
        pl.DataFrame(schema={"asset": pl.String, "partition": pl.String, "inputs": pl.String})
        if rows is None
        else rows.filter(~pl.col("partition").is_in(keys))
    )
    lake.tables.write(LINEAGE, kept, "asset", [asset], publish=False)
