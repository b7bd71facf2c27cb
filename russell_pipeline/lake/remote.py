"""A lake on an object store (`RUSSELL_DATA_LAKE=s3://bucket/prefix`): credentials, files, local cache.

Tables live on the store as Delta tables (delta-rs writes them there directly, committing with
conditional puts, so two writers never both win). What DuckDB and the document parser need as
local files is kept in a cache folder per lake location: the raw documents (mirrored down before
they are read, pushed up when `fetch` adds one), the lock and scratch space of this machine's
writers, a copy of `warehouse.duckdb`, whose published copy sits beside the tables, and copies of the
data files of the small tables a build reads again and again (`delta.Tables._local_files`).

DuckDB reads the tables' Parquet through an fsspec file system registered on each connection:
DuckDB's own httpfs extension cannot be downloaded here. With internet access, `INSTALL httpfs`
and `CREATE SECRET` in a user's own session read the same views.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import fsspec

# fsspec is imported where an object-store lake is used: a lake folder never loads it.


def is_remote(location: str) -> bool:
    return "://" in location and not location.startswith("file://")


def cache_folder(cache: Path, location: str) -> Path:
    """This machine's folder for a remote lake (raw mirror, lock, scratch, warehouse copy) under `cache`."""
    return cache / hashlib.sha256(location.encode()).hexdigest()[:16]


def storage_options(location: str) -> dict[str, str]:
    """delta-rs options from the standard AWS_* environment (endpoint, region, keys)."""
    if not location.startswith("s3://"):
        return {}
    options = {k: v for k, v in os.environ.items() if k.startswith("AWS_") and v}
    endpoint = options.get("AWS_ENDPOINT_URL", "")
    if endpoint.startswith("http://"):
        options["AWS_ALLOW_HTTP"] = "true"  # a local or internal S3-compatible server
    # Commits by conditional put (If-None-Match): safe with several writers, no lock table needed.
    options.setdefault("AWS_CONDITIONAL_PUT", "etag")
    return options


@cache
def filesystem(protocol: str) -> fsspec.AbstractFileSystem:
    """The fsspec file system of a scheme (s3fs reads the same AWS_* environment)."""
    import fsspec

    return fsspec.filesystem(protocol, use_listings_cache=False)


def fs_for(location: str) -> fsspec.AbstractFileSystem:
    return filesystem(location.split("://", 1)[0])


def tables_fs_for(location: str) -> fsspec.AbstractFileSystem:
    """The file system DuckDB's views read the tables' data files through. A Delta table's data file is
    written once under a name of its own and never changed (a write adds new files), so what the store
    says of one (that it exists, its size) is asked once per process: DuckDB asks for each file it opens
    about two dozen times, each a HEAD request on S3. Everything else (the Delta logs, the warehouse, the
    documents, the checksums' check of a file) is asked afresh through `fs_for`."""
    return _tables_filesystem(location.split("://", 1)[0])


@cache
def _tables_filesystem(protocol: str) -> fsspec.AbstractFileSystem:
    import fsspec
    from fsspec.asyn import AsyncFileSystem

    base = fsspec.get_filesystem_class(protocol)
    if not issubclass(base, AsyncFileSystem):
        return filesystem(protocol)

    class DataFilesKept(base):
        async def _info(self, path, *args, **kwargs):
            if kwargs.get("version_id") or kwargs.get("refresh"):  # asked of one version, or afresh
                return await super()._info(path, *args, **kwargs)
            key = self._strip_protocol(path)
            kept = self.__dict__.setdefault("_kept_infos", {})
            if key not in kept:
                info = await super()._info(path, *args, **kwargs)
                if not (_data_file(key) and info.get("type") == "file"):
                    return info
                kept[key] = info
            return dict(kept[key])

    return DataFilesKept(use_listings_cache=False)


def _data_file(path: str) -> bool:
    """A Delta table's data file (`<table>/[<partition>/]<name>.parquet`), not a file of its log."""
    return path.endswith(".parquet") and "/_delta_log/" not in path


def forget_clients() -> None:
    """Drop this process's object-store clients (a forked child makes its own)."""
    filesystem.cache_clear()
    _tables_filesystem.cache_clear()


def sync_down(location: str, local: Path) -> None:
    """Mirror the files under `location` into `local`: new and changed ones downloaded (by ETag or
    size), ones gone from the store removed. Names are kept as they are (hidden ones included),
    so the checks on raw/ judge exactly what was published."""
    fs = fs_for(location)
    index_path = local / ".sync.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {}
    remote = {}
    for path, info in fs.find(location, detail=True).items():  # one LIST ({} when there are none)
        rel = path.split(location.split("://", 1)[1].rstrip("/") + "/", 1)[1]
        remote[rel] = str(info.get("ETag") or info.get("etag") or info.get("size"))
    for rel, tag in remote.items():
        target = local / rel
        if index.get(rel) != tag or not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".sync-{os.getpid()}-{target.name}")
            fs.get(f"{location}/{rel}", str(tmp))
            os.replace(tmp, target)
    for rel in set(index) - set(remote):
        (local / rel).unlink(missing_ok=True)
    local.mkdir(parents=True, exist_ok=True)
    index_path.write_text(json.dumps(remote, sort_keys=True))


def put(local: Path, location: str) -> None:
    """Upload one file (an object store write is whole or absent)."""
    fs_for(location).put(str(local), location)


def get(location: str, local: Path) -> bool:
    """Download one object to `local` (via a temporary name); False when it does not exist. One GET: no
    HEAD to ask whether it exists, nor a LIST to ask whether it is a folder (`fs.get`'s)."""
    local.parent.mkdir(parents=True, exist_ok=True)
    tmp = local.with_name(f".get-{os.getpid()}-{threading.get_ident()}-{local.name}")  # this thread's own
    try:
        fs_for(location).get_file(location, str(tmp))
    except FileNotFoundError:
        tmp.unlink(missing_ok=True)
        return False
    os.replace(tmp, local)
    return True


def listing(location: str) -> tuple | None:
    """The objects directly under `location`, each as (name, size, ETag), sorted; None when there are
    none or the store cannot be listed (one LIST request)."""
    try:
        entries = fs_for(location).ls(location, detail=True)
    except OSError:
        return None
    found = sorted(
        (str(e["name"]).rsplit("/", 1)[-1], e.get("size"), str(e.get("ETag") or e.get("LastModified") or ""))
        for e in entries
        if e.get("type") != "directory"
    )
    return tuple(found) or None


def delta_tables(location: str) -> dict[str, tuple]:
    """The Delta tables under `location` (folders whose `_delta_log` holds files), each with that listing
    (`listing`): one LIST of the folders, and one of each folder's `_delta_log/` (an existence check would
    send a HEAD first), which opening the table then uses."""
    fs = fs_for(location)
    try:
        entries = fs.ls(location, detail=True)
    except FileNotFoundError:
        return {}
    names = [str(e["name"]).rstrip("/").rsplit("/", 1)[-1] for e in entries if e.get("type") == "directory"]
    logs = {n: listing(f"{location}/{n}/_delta_log") for n in names}
    return {n: log for n, log in sorted(logs.items()) if log is not None}
