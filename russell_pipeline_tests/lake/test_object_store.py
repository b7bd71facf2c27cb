"""A lake on S3 (`RUSSELL_DATA_LAKE=s3://bucket/prefix`) against a real S3 server (moto) on 127.0.0.1."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest

from russell_pipeline.settings import Settings
from russell_pipeline_tests.helpers import RAW
from russell_pipeline_tests.lake.test_reliability import TABLES
from russell_pipeline_tests.lakes import EXTENDED_END, LakeFolder, market_folder

pytestmark = pytest.mark.cpu(71)


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """moto's S3 server on a free 127.0.0.1 port, and the AWS_* environment pointing at it; the server
    logs each request it answers to the file `s3_log` names."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path_factory.mktemp("moto") / "requests.log"
    with log.open("w") as requests:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=requests,
        )
    s3_log[port] = log
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
    }
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.2)
    try:
        yield env
    finally:
        server.terminate()
        server.wait(timeout=10)


s3_log: dict[int, Path] = {}  # the request log of the moto server on each port


def _requests(s3_env: dict, action) -> list[str]:
    """The requests (`HEAD /bucket/key`) the S3 server answered while `action()` ran: those logged before
    the answer to one more request, sent after it (the server logs a request as it answers it)."""
    log = s3_log[int(s3_env["AWS_ENDPOINT_URL"].rsplit(":", 1)[1])]
    start = log.stat().st_size
    action()
    done = f"/action-done-{time.monotonic_ns()}"
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(urllib.request.Request(s3_env["AWS_ENDPOINT_URL"] + done, method="HEAD"))
    deadline = time.monotonic() + 10
    while f"HEAD {done} " not in (text := log.read_text()[start:]) and time.monotonic() < deadline:
        time.sleep(0.05)
    # Each line coloured by its status (a 206, a ranged GET's answer, by two codes).
    requests = re.findall(r'"(?:\x1b\[[0-9;]*m)*([A-Z]+ \S+) HTTP', text)
    return requests[: requests.index(f"HEAD {done}")]


def _bucket(s3_env: dict, name: str) -> str:
    """A new bucket holding the sample documents under raw/; returns the lake URI."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_env["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=name)
    for path in RAW.rglob("*"):
        if path.is_file():
            client.upload_file(str(path), name, f"lake/raw/{path.relative_to(RAW).as_posix()}")
    return f"s3://{name}/lake"


# Written as the CLI writes its answers (`write_out`): a `print` of these megabytes loses its tail when a
# profiler attaching to the suite's processes interrupts the write (seen: a JSON cut at 2.4 MB).
CONTENTS = """
import json, sys
from russell_pipeline.cli.common import write_out
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.settings import Settings
lake = Lake.from_settings(Settings.from_env())
with lake.warehouse.connect() as con:
    rows = {t: con.sql(f'SELECT * FROM "{t}"').pl().rows() for t in sys.argv[1:]}
write_out((json.dumps({t: sorted(map(repr, r)) for t, r in rows.items()}) + "\\n").encode())
"""


def _contents_of(folder: LakeFolder, s3_env: dict, *tables: str) -> dict[str, list]:
    """The rows of `tables` (default: every table) as a new process of a user's sees them through the
    warehouse views."""
    done = subprocess.run(
        [sys.executable, "-c", CONTENTS, *(tables or TABLES)],
        capture_output=True,
        text=True,
        env=os.environ | folder.env(**s3_env),
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("\n") == 1, done.stdout[:3000]  # one line of JSON, nothing else
    return json.loads(done.stdout)


@pytest.mark.slow
def test_a_build_on_s3_equals_a_build_on_a_folder_survives_a_kill_and_answers_queries(s3, tmp_path, lakes):
    market = market_folder(tmp_path / "market")  # the small feed, which the test extends
    settings = Settings(market_data=str(market), lake_cache=tmp_path / "cache")
    on_s3 = LakeFolder(settings.with_lake(_bucket(s3, "russell")), tmp_path / "home")
    first = on_s3.cli("build", env=s3)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "index_levels 2019-03..2020-03: ok" in first.stdout
    before = _contents_of(on_s3, s3, "index_levels")
    # A kill inside the index_levels write: S3 keeps the previous version, every view still answers.
    market_folder(market, EXTENDED_END)
    killed = on_s3.cli("build", env=s3 | {"RUSSELL_FAULT": "index_levels:data_written"})
    assert killed.returncode == -signal.SIGKILL
    assert _contents_of(on_s3, s3)["index_levels"] == before["index_levels"]
    again = on_s3.cli("build", env=s3)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "marked run" in again.stdout
    # The same tables as a build on a local folder with the same inputs (read here: no store involved).
    after = _contents_of(on_s3, s3)
    with lakes.built(EXTENDED_END).lake.warehouse.connect() as local:
        assert after == {t: sorted(map(repr, local.sql(f'SELECT * FROM "{t}"').pl().rows())) for t in TABLES}
    # The query surface stays read-only and inside the lake on S3 too.
    for sql, problem in (
        ("COPY (SELECT 1) TO 's3://russell/lake/lake/index_levels/x.parquet'", "got COPY"),
        ("SELECT * FROM read_text('s3://russell/other.txt')", "Cannot access file"),
    ):
        refused = on_s3.cli("query", sql, env=s3)
        assert refused.returncode == 1 and problem in refused.stderr, refused.stderr
    # Each process that reads a data file asks the store about it once, however often DuckDB asks (about
    # two dozen HEAD requests a file when each was sent): `query` reads in two, the sandboxed child that
    # answers and its own note on which tables rest on the synthetic feed.
    asked = _requests(s3, lambda: on_s3.cli("query", 'SELECT count(*) FROM "index_levels"', env=s3))
    heads = Counter(r for r in asked if r.startswith("HEAD") and r.endswith(".parquet"))
    assert heads and max(heads.values()) <= 2, heads.most_common(3)
    # The lake is self-contained on the store: a fresh machine (new cache) reads the same tables.
    fresh = on_s3.with_settings(lake_cache=tmp_path / "other_machine")
    assert _contents_of(fresh, s3) == after
    assert list((tmp_path / "other_machine").glob("*/warehouse.duckdb"))  # its own copy of the warehouse


def test_the_tables_file_system_asks_once_of_a_data_file_and_afresh_of_everything_else(
    s3, monkeypatch, request
):
    import boto3

    from russell_pipeline.lake import remote

    for name, value in s3.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3["AWS_ENDPOINT_URL"], region_name="us-east-1")
    client.create_bucket(Bucket="kept")
    objects = {
        "data": "lake/lake/t/year=2020/part-0.parquet",
        "log": "lake/lake/t/_delta_log/00000000000000000000.checkpoint.parquet",
        "warehouse": "lake/warehouse.duckdb",
    }
    for key in objects.values():
        client.put_object(Bucket="kept", Key=key, Body=b"1234")
    remote.forget_clients()  # clients of this server's, forgotten again after the test
    request.addfinalizer(remote.forget_clients)
    fs = remote.tables_fs_for("s3://kept/lake")

    def heads(key: str) -> int:
        def ask() -> None:
            for _ in range(3):
                assert fs.info(f"s3://kept/{key}")["size"] == 4 and fs.exists(f"s3://kept/{key}")

        return sum(r == f"HEAD /kept/{key}" for r in _requests(s3, ask))

    assert {what: heads(key) for what, key in objects.items()} == {"data": 1, "log": 6, "warehouse": 6}
    # A data file changed behind the process (never by the lake's writes) is seen by a new one.
    client.put_object(Bucket="kept", Key=objects["data"], Body=b"123456")
    assert fs.info(f"s3://kept/{objects['data']}")["size"] == 4
    remote.forget_clients()
    assert remote.tables_fs_for("s3://kept/lake").info(f"s3://kept/{objects['data']}")["size"] == 6


def test_a_tables_stamps_on_s3_are_one_listing_and_a_files_sha256_is_read_in_ranges_of_its_size(
    s3, monkeypatch, request, tmp_path
):
    """The file check's stamps of a table's files come from one listing of its folder, not a HEAD per file,
    each as a HEAD of the file says it (what the record held before); a file's sha256 is read in ranges of
    the size its stamp said, with no request to ask the size again."""
    import boto3

    from russell_pipeline.lake import checksums, remote
    from russell_pipeline.lake.lake_root import Lake

    for name, value in s3.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3["AWS_ENDPOINT_URL"], region_name="us-east-1")
    client.create_bucket(Bucket="sums")
    body = bytes(range(256)) * 5
    for key, data in (
        ("lake/lake/t/part-0.parquet", body),
        ("lake/lake/t/year=2020/part-1.parquet", body[:300]),
        ("lake/lake/t/_delta_log/00000000000000000000.json", b"{}"),
        ("lake/lake/t2/part-0.parquet", body[:7]),  # another table, whose name extends this one's
    ):
        client.put_object(Bucket="sums", Key=key, Body=data)
    remote.forget_clients()  # clients of this server's, forgotten again after the test
    request.addfinalizer(remote.forget_clients)
    monkeypatch.setattr(checksums, "READ_BYTES", 100)
    lake, got = Lake("s3://sums/lake", cache=tmp_path), {}
    files = ["part-0.parquet", "year=2020/part-1.parquet", "gone.parquet"]

    def read() -> None:
        got["stamps"] = checksums._stamps(lake, "t", files)
        got["sha"] = checksums._sha256(lake, "t", "part-0.parquet", len(body))

    asked = _requests(s3, read)
    stamps = got["stamps"]
    head = remote.fs_for("s3://sums").info("s3://sums/lake/lake/t/part-0.parquet")
    assert stamps["part-0.parquet"] == f"{len(body)}:{head['LastModified']}"  # a HEAD's, as recorded before
    assert stamps["year=2020/part-1.parquet"].startswith("300:") and stamps["gone.parquet"] is None
    assert got["sha"] == hashlib.sha256(body).hexdigest()
    assert Counter(r.split()[0] for r in asked) == {"GET": 14}, asked  # no HEAD
    assert sum("list-type=2" in r for r in asked) == 1  # one listing, then the 13 ranges of 100 bytes
    assert checksums._sha256(lake, "t", "gone.parquet", len(body)) is None


def test_a_small_tables_data_files_are_fetched_once_per_machine_and_pruned_when_no_version_lists_them(
    s3, monkeypatch, request, tmp_path
):
    """A table of an object-store lake at most `LOCAL_COPY_BYTES` is read from this machine's copies of its
    data files, each fetched once (a data file never changes), and reads as polars' Delta reader reads the
    store; a new version fetches its new files only; a larger table is read from the store; `vacuum`
    removes the copies no current version lists once older than the retention."""
    import boto3
    import polars as pl

    from russell_pipeline.lake import delta, remote
    from russell_pipeline.lake.lake_root import Lake

    for name, value in s3.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=s3["AWS_ENDPOINT_URL"], region_name="us-east-1").create_bucket(
        Bucket="copies"
    )
    remote.forget_clients()  # clients of this server's, forgotten again after the test
    request.addfinalizer(remote.forget_clients)
    writer = Lake("s3://copies/lake", cache=tmp_path / "writer")
    frame = pl.DataFrame({"year": [2020, 2021, 2022], "name": ["a", "b", "c"]})
    writer.tables.write("t", frame, "year", [2020, 2021, 2022], publish=False)

    def data_gets(read) -> int:
        return sum(r.startswith("GET /copies/lake/lake/t/year=") for r in _requests(s3, read))

    store = pl.scan_delta("s3://copies/lake/lake/t", storage_options=writer.tables.options).collect()
    reader = Lake("s3://copies/lake", cache=tmp_path / "reader")
    assert data_gets(lambda: reader.tables.read("t")) == 3  # each file once
    assert data_gets(lambda: Lake("s3://copies/lake", cache=tmp_path / "reader").tables.read("t")) == 0
    assert reader.tables.read("t").equals(store)
    writer.tables.write(
        "t", frame.filter(year=2021).with_columns(name=pl.lit("z")), "year", [2021], publish=False
    )
    assert data_gets(lambda: reader.tables.read("t")) == 1  # the new 2021 file only
    assert sorted(reader.tables.read("t")["name"]) == ["a", "c", "z"]
    # The current version asked for by its number (the warehouse's published one) reads the same copies;
    # an earlier version is read from the store.
    current = reader.tables.version("t")
    assert data_gets(lambda: reader.tables.scan("t", current).collect()) == 0
    assert reader.tables.scan("t", current).collect().equals(reader.tables.read("t"))
    assert data_gets(lambda: reader.tables.scan("t", current - 1).collect()) >= 3
    assert sorted(reader.tables.scan("t", current - 1).collect()["name"]) == ["a", "b", "c"]
    monkeypatch.setattr(delta, "LOCAL_COPY_BYTES", 1)  # the table now too large: read from the store
    big = Lake("s3://copies/lake", cache=tmp_path / "big")
    assert data_gets(lambda: big.tables.read("t")) >= 3 and sorted(big.tables.read("t")["name"]) == [
        "a",
        "c",
        "z",
    ]
    assert not list((tmp_path / "big").rglob("*.parquet"))
    copies = sorted(p.relative_to(tmp_path / "reader") for p in (tmp_path / "reader").rglob("*.parquet"))
    assert len(copies) == 4  # the replaced 2021 file's copy too
    assert reader.tables.prune_copies(retention_hours=1) == 0  # made within the retention: kept
    gone = tmp_path / "reader" / "gone.parquet"  # a copy another process's vacuum removed meanwhile
    real_rglob = Path.rglob
    monkeypatch.setattr(Path, "rglob", lambda self, pattern: [*real_rglob(self, pattern), gone])
    assert reader.tables.prune_copies(retention_hours=0) == 1
    monkeypatch.setattr(Path, "rglob", real_rglob)
    assert len(list((tmp_path / "reader").rglob("*.parquet"))) == 3
    assert sorted(reader.tables.read("t")["name"]) == ["a", "c", "z"]


def test_inside_a_pinned_stretch_each_tables_log_is_listed_once_for_its_name_and_its_opening(
    s3, monkeypatch, request, tmp_path
):
    """Finding the tables (folders whose `_delta_log` holds files) lists each log; opening a table then uses
    that listing, not a second one (a build's questions, its vacuum and the warehouse ask every table)."""
    import boto3
    import polars as pl

    from russell_pipeline.lake import remote
    from russell_pipeline.lake.lake_root import Lake

    for name, value in s3.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3["AWS_ENDPOINT_URL"], region_name="us-east-1")
    client.create_bucket(Bucket="pinned")
    client.put_object(
        Bucket="pinned", Key="lake/lake/not_a_table/x.parquet", Body=b"1"
    )  # no log: not a table
    remote.forget_clients()  # clients of this server's, forgotten again after the test
    request.addfinalizer(remote.forget_clients)
    writer = Lake("s3://pinned/lake", cache=tmp_path / "writer")
    for table in ("a", "b"):
        writer.tables.write(
            table, pl.DataFrame({"year": [2020, 2021], "x": [1, 2]}), "year", [2020, 2021], publish=False
        )
    lake, found = Lake("s3://pinned/lake", cache=tmp_path / "reader"), {}

    def ask() -> None:
        with lake.tables.pinned():
            found["tables"] = {name: dt.version() for name, dt in lake.tables.readable().items()}
            found["again"] = sorted(lake.tables.readable())  # inside the stretch: no request

    asked = _requests(s3, ask)
    assert found == {"tables": {"a": 0, "b": 0}, "again": ["a", "b"]}
    listings = Counter(unquote(re.search(r"prefix=([^&]+)", r).group(1)) for r in asked if "list-type=2" in r)
    # The lake's folders, then each table's log once (a folder without one: its missing log, then itself).
    assert {p: n for p, n in listings.items() if "not_a_table" not in p} == {
        "lake/lake/": 1,
        "lake/lake/a/_delta_log/": 1,
        "lake/lake/b/_delta_log/": 1,
    }, asked
    with lake.tables.pinned():
        lake.tables.write("a", pl.DataFrame({"year": [2022], "x": [3]}), "year", [2022], publish=False)
        assert lake.tables.version("a") == 1  # a commit forgets the listings: the new version is seen


def test_the_checksum_of_a_new_small_tables_file_is_taken_from_the_copy_the_reads_that_follow_use(
    s3, monkeypatch, request, tmp_path
):
    """After a commit, `record` fetches each new file of a table read from copies once, as this machine's
    copy, and hashes that: a read that follows asks the store for no data file. A larger table's files are
    hashed from the store, and no copy is made of them."""
    import boto3
    import polars as pl

    from russell_pipeline.lake import checksums, delta, remote
    from russell_pipeline.lake.lake_root import Lake

    for name, value in s3.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3["AWS_ENDPOINT_URL"], region_name="us-east-1")
    client.create_bucket(Bucket="hashed")
    remote.forget_clients()  # clients of this server's, forgotten again after the test
    request.addfinalizer(remote.forget_clients)
    lake = Lake("s3://hashed/lake", cache=tmp_path / "writer")
    frame = pl.DataFrame({"year": [2020, 2021, 2022], "name": ["a", "b", "c"]})

    def data_gets(table: str, action) -> int:
        return sum(r.startswith(f"GET /hashed/lake/lake/{table}/year=") for r in _requests(s3, action))

    def stored_sha256(table: str) -> dict[str, str]:
        return {
            o["Key"].split(f"/lake/{table}/", 1)[1]: hashlib.sha256(
                client.get_object(Bucket="hashed", Key=o["Key"])["Body"].read()
            ).hexdigest()
            for o in client.list_objects_v2(Bucket="hashed", Prefix=f"lake/lake/{table}/year=")["Contents"]
        }

    for table, limit in (("small", delta.LOCAL_COPY_BYTES), ("large", 1)):
        monkeypatch.setattr(delta, "LOCAL_COPY_BYTES", limit)
        lake.tables.write(table, frame, "year", [2020, 2021, 2022], publish=False)
        assert data_gets(table, lambda t=table: checksums.record(lake, [t])) == 3  # each new file once
        recorded = {path: sha for path, (_, _, sha) in checksums.recorded(lake)[table].items()}
        assert recorded == stored_sha256(table)
    monkeypatch.setattr(delta, "LOCAL_COPY_BYTES", 64 * 2**20)
    assert data_gets("small", lambda: lake.tables.read("small")) == 0  # the copies `record` made
    copied = {p.relative_to(tmp_path / "writer").parts[-3] for p in (tmp_path / "writer").rglob("*.parquet")}
    assert "small" in copied and "large" not in copied, copied  # none of the larger table's files
