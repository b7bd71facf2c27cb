"""A build on an object store: the requests it makes and its wall time, on moto's S3 server.

    .venv/bin/python bench/object_store_bench.py [--repeat 2] [--kinds 20] [--again]

Each repeat starts moto's S3 server on a free 127.0.0.1 port, puts the repository's sample documents
in a new bucket, and builds the embedded defaults (the built-in synthetic feed) with
`RUSSELL_DATA_LAKE=s3://.../lake`, in a new process. It prints the build's wall time and the requests
the server answered, by method: the count does not depend on the machine's load (moto answers each
request in this process's stead, so on a real store each is a round trip). With `--kinds N`, also the N
most frequent kinds of request: the method and what it asked for (a table's data file, a commit or a
checkpoint of its log, a listing of its log, the warehouse, a document). With `--again`, each repeat then
builds once more with nothing changed (what a nightly build costs when no input moved) and prints its
requests the same way.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

from add_list_bench import build  # bench/ is this script's folder

REPO = Path(__file__).resolve().parents[1]


# A request line of the server's log (coloured by status: a 404 by one code, a ranged GET's 206 by two).
REQUEST = re.compile(r'"(?:\x1b\[[0-9;]*m)*([A-Z]+) (/\S*) HTTP')


def kind(method: str, path: str) -> str:
    """What a request asked for: `GET log listing of lineage`, `HEAD data file of index_levels`..."""
    where, _, query = unquote(path).partition("?")
    table = re.search(r"/lake/lake/([^/]+)/", where + "/") or re.search(r"prefix=lake/lake/([^/%&]+)", query)
    what = (
        "log listing"
        if "list-type" in query
        else "log commit"
        if re.search(r"_delta_log/\d+\.json$", where)
        else "log checkpoint"
        if "_delta_log/" in where
        else "data file"
        if where.endswith(".parquet")
        else where.rsplit("/", 1)[-1]
    )
    return f"{method} {what}" + (f" of {table.group(1)}" if table else "")


def one_build(tmp: Path, again: bool = False) -> list[tuple[float, list[tuple[str, str]]]]:
    """(wall seconds, requests) of the first build, then, with `again`, of one with nothing changed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp / "moto.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        import boto3

        endpoint = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit(f"moto's S3 server did not answer on 127.0.0.1:{port} within 30 s")
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        client.create_bucket(Bucket="bench")
        raw = REPO / "data_lake" / "raw"
        for path in raw.rglob("*"):
            if path.is_file():
                client.upload_file(str(path), "bench", f"lake/raw/{path.relative_to(raw).as_posix()}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RUSSELL_", "DAGSTER_", "AWS_"))}
        env |= {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
            "RUSSELL_DATA_LAKE": "s3://bench/lake",
            "RUSSELL_LAKE_CACHE": str(tmp / "cache"),
            "DAGSTER_HOME": str(tmp / "home"),
        }
        builds = []
        for _ in range(2 if again else 1):
            before = log.read_text().count("\n")
            _, wall, _ = build(env)
            lines = log.read_text().splitlines()[before:]
            builds.append((wall, [m.groups() for line in lines if (m := REQUEST.search(line))]))
        return builds
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--kinds", type=int, default=0, help="print the N most frequent kinds of request")
    parser.add_argument("--again", action="store_true", help="then build again with nothing changed")
    args = parser.parse_args()
    for n in range(1, args.repeat + 1):
        tmp = Path(tempfile.mkdtemp(prefix="object_store_bench_"))
        try:
            builds = one_build(tmp, args.again)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for label, (wall, requests) in zip((f"build {n}", f"build {n} again, nothing changed"), builds):
            methods = Counter(method for method, _ in requests)
            listed = ", ".join(f"{method} {count}" for method, count in sorted(methods.items()))
            print(f"{label} on S3: wall {wall:.1f} s, {len(requests)} requests ({listed})")
            for what, count in Counter(kind(*r) for r in requests).most_common(args.kinds):
                print(f"  {count:6d}  {what}")


if __name__ == "__main__":
    main()
