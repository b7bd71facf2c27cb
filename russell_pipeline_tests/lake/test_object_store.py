"""A lake on S3 (`RUSSELL_DATA_LAKE=s3://bucket/prefix`) against a real S3 server (moto) on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from russell_pipeline.settings import Settings
from russell_pipeline_tests.helpers import RAW
from russell_pipeline_tests.lake.test_reliability import TABLES
from russell_pipeline_tests.lakes import EXTENDED_END, LakeFolder, market_folder


@pytest.fixture(scope="module")
def s3():
    """moto's S3 server on a free 127.0.0.1 port, and the AWS_* environment pointing at it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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


CONTENTS = """
import json, sys
from russell_pipeline.lake.store import Lake
from russell_pipeline.settings import Settings
lake = Lake.from_settings(Settings.from_env())
print(json.dumps({t: sorted(map(repr, lake.query(f'SELECT * FROM "{t}"').rows())) for t in sys.argv[1:]}))
"""


def _contents_of(lake: LakeFolder, s3_env: dict) -> dict[str, list]:
    """Every table's rows as a user's process sees them through the read-only query surface."""
    done = subprocess.run(
        [sys.executable, "-c", CONTENTS, *TABLES],
        capture_output=True,
        text=True,
        env=os.environ | lake.env(**s3_env),
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
    before = _contents_of(on_s3, s3)
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
    local = lakes.built(EXTENDED_END).lake
    assert after == {t: sorted(map(repr, local.query(f'SELECT * FROM "{t}"').rows())) for t in TABLES}
    # The query surface stays read-only and inside the lake on S3 too.
    for sql, problem in (
        ("COPY (SELECT 1) TO 's3://russell/lake/lake/index_levels/x.parquet'", "got COPY"),
        ("SELECT * FROM read_text('s3://russell/other.txt')", "Cannot access file"),
    ):
        refused = on_s3.cli("query", sql, env=s3)
        assert refused.returncode == 1 and problem in refused.stderr, refused.stderr
    # The lake is self-contained on the store: a fresh machine (new cache) reads the same tables.
    fresh = on_s3.with_settings(lake_cache=tmp_path / "other_machine")
    assert _contents_of(fresh, s3) == after
    assert list((tmp_path / "other_machine").glob("*/warehouse.duckdb"))  # its own copy of the warehouse
