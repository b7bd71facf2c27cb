"""What the tests share besides fixtures and lakes (lakes.py): the paths of the repository and
../shared, the Dagster resources over a lake, the one way to materialize assets in-process, the
command line as a user runs it, and the Dagster webserver as a user opens it.

The project and Dagster are imported inside the functions: conftest.py imports this module, and
`make mutate` starts a test process per mutant from a server that has loaded it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from russell_pipeline.lake.lake_root import Lake
    from russell_pipeline_tests.lakes import LakeFolder

REPO = Path(__file__).resolve().parents[1]
# ../shared next to the checkout; RUSSELL_TEST_SHARED points elsewhere (`make mutate` runs the tests
# from a copy of the project in mutants/, whose parent has no shared/).
SHARED = Path(os.environ.get("RUSSELL_TEST_SHARED") or REPO.parent / "shared")
REAL = SHARED / "real"
RAW = REPO / "data_lake" / "raw"
# The tables of one year's documents, one multi-asset: a year is read, refused or empty as one (the
# UI materializes all of it).
DOCUMENT_TABLES = (
    "source_documents",
    "constituents",
    "constituent_changes",
    "universe_securities",
    "sec_tickers",
    "fund_holdings",
)
# The machine's temporary folder, read before conftest.py points the tests' own at their folders in memory:
# for what another user must run or read (that folder is the test user's alone, and /dev/shm may forbid
# running a program from it).
SYSTEM_TMP = Path(tempfile.gettempdir())
WAIT_MS = 30_000  # how long a browser test waits for the UI to draw something


def materialize(
    assets: Sequence,
    resources: dict,
    instance,
    partitions: str | tuple[str, str] | None = None,
    *,
    tags: dict[str, str] | None = None,
    publish: bool = False,
):
    """One in-process run of `assets` on the lake of `resources`, recorded in `instance`: of the partition
    `partitions`, of every partition of the range (first, last) as `build` runs a backfill (range tags), or
    unpartitioned. `publish` then does what the `publish_warehouse` sensor does once the runs are done:
    runs outside `build` do not publish the warehouse themselves (defs/commit.py). Never raises on a failed
    run: the caller asserts `success` or reads the failure."""
    import dagster as dg

    from russell_pipeline.defs.publish import publish_warehouse
    from russell_pipeline.planning.keys import RANGE_END, RANGE_START
    from russell_pipeline.runner.sqlite_events import fewer_syncs

    tags, key = dict(tags or {}), None
    if isinstance(partitions, tuple):
        tags |= {RANGE_START: partitions[0], RANGE_END: partitions[1]}
    else:
        key = partitions
    with fewer_syncs(instance):  # its events stored as a build stores them
        result = dg.materialize(
            list(assets),
            resources=resources,
            instance=instance,
            partition_key=key,
            tags=tags,
            raise_on_error=False,
        )
    if publish:
        publish_warehouse(
            dg.build_sensor_context(instance=instance, resources={"pipeline": resources["pipeline"]})
        )
    return result


# `russell-pipeline` as a test starts it: this interpreter running the package's CLI (`cli`, and the tests
# that start it with Popen to stop, kill or read it while it runs).
COMMAND = [sys.executable, "-m", "russell_pipeline.cli"]


def cli(
    *args: str, env: dict | None = None, cwd: Path | None = None, text: bool = False, timeout: float = 600
) -> subprocess.CompletedProcess:
    """`russell-pipeline ARGS` in a subprocess with `env` added to this environment; never raises on exit
    code."""
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        text=text,
        timeout=timeout,
        check=False,
    )


def run_main(*args: str, env: dict | None = None, text: bool = True) -> subprocess.CompletedProcess:
    """`russell-pipeline ARGS` run in this process as the command runs it: the CLI's `main`, its settings
    read from this environment with `env` added, its output captured (bytes unless `text`), its exit code
    returned (an argument error's too). What a test of a verb's answer asks for, without a process's start
    and imports (about 0.6 CPU-second of each call); what only a process shows (the command line, a kill, a
    signal, a crash's traceback, builds side by side) runs `cli`."""
    import contextlib
    import io

    from russell_pipeline.cli import main

    out, err, saved = io.BytesIO(), io.StringIO(), dict(os.environ)
    stdout = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse's usage errors and --help; exit codes as a process's
                code = 0 if exit_.code is None else exit_.code if isinstance(exit_.code, int) else 1
                if isinstance(exit_.code, str):
                    print(exit_.code, file=sys.stderr)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    output, errors = out.getvalue(), err.getvalue()
    return subprocess.CompletedProcess(
        ["russell-pipeline", *args],
        code,
        output.decode() if text else output,
        errors if text else errors.encode(),
    )


def text_layer_bomb(chars: int, run: int = 4096) -> bytes:
    """A valid one-page PDF whose Flate content stream draws `chars` characters: `(A...A) Tj` repeated,
    a few hundred KB on disk for hundreds of millions of characters (a compressed text-layer bomb)."""
    import zlib

    op = b"(" + b"A" * run + b") Tj\n"
    comp = zlib.compressobj(9)
    parts = [comp.compress(b"BT /F1 1 Tf 10 10 Td\n")]
    for _ in range(max(1, chars // run)):
        parts.append(comp.compress(op))
    parts.append(comp.compress(b"ET\n") + comp.flush())
    stream = b"".join(parts)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>"
        ),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def flip_bytes(path: Path, restore_time: bool = False) -> None:
    """XOR 64 bytes in the middle of a file, in place: its size kept, and its time too if asked."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    path.write_bytes(bytes(data))
    if restore_time:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@dataclass
class Server:
    url: str
    lake: Lake
    log: Path
    build_output: str = ""  # what `russell-pipeline build` printed
    folder: LakeFolder | None = None  # the lake, its market data and its Dagster home

    def graphql(self, query: str) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                body = json.load(response)
        except urllib.error.HTTPError as err:  # the server's own account of what went wrong
            raise AssertionError(f"{err}: {err.read().decode(errors='replace')[:3000]}") from err
        assert "errors" not in body, body["errors"]
        return body["data"]

    def asset(self, name: str, fields: str) -> dict:
        return self.graphql(
            f'{{ assetNodeOrError(assetKey: {{path: ["{name}"]}}) {{ __typename '
            f"... on AssetNode {{ {fields} }} }} }}"
        )["assetNodeOrError"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_loaded(server: Server, process: subprocess.Popen, timeout: float = 180) -> None:
    """Until the server answers and the code location is loaded; fails with the server's log."""
    deadline, state = time.monotonic() + timeout, "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"dagster-webserver exited with {process.returncode}:\n{server.log.read_text()[-3000:]}"
            )
        try:
            entries = server.graphql(
                "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus "
                "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
            )
        except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
            state = str(err)
        else:
            [entry] = entries["workspaceOrError"]["locationEntries"]
            loaded = entry["locationOrLoadError"] or {}
            if loaded.get("__typename") == "PythonError":
                pytest.fail(f"code location failed to load: {loaded['message']}")
            if entry["loadStatus"] == "LOADED" and loaded.get("__typename") == "RepositoryLocation":
                return
            state = entry["loadStatus"]
        time.sleep(0.5)
    pytest.fail(
        f"dagster-webserver not ready after {timeout:.0f} s ({state}):\n{server.log.read_text()[-3000:]}"
    )


def stop_group(process: subprocess.Popen) -> None:
    """The webserver is asked to stop (10 s at most), then what is left of its group (the code
    server it spawned) is killed: the instance is a throw-away one."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)  # whatever of the group is still there
    except ProcessLookupError:
        pass
    process.wait()


def up_to_date_lines() -> list[str]:
    """The first lines `build` prints when every stage is up to date, stage by stage."""
    from russell_pipeline.planning.keys import year_keys

    years = len(year_keys())
    return [
        f"years: 0 of {years} out of date",
        f"recon_calendar: 0 of {years} years out of date",
        "market_data: up to date",
        "reviews: 0 out of date",
        "membership: up to date",
        f"reconstitution_effect: 0 of {years} years out of date",
        f"reconstitution_forecast: 0 of {years} years out of date",
        "pro_forma_weights: 0 out of date",
    ]


def html_tables(page: str) -> dict[str, list[list[str]]]:
    """The tables of an HTML page by their `class`: each a list of rows (the header row first) of the cells'
    texts."""
    from html.parser import HTMLParser

    tables: dict[str, list[list[str]]] = {}

    class Tables(HTMLParser):
        name: str | None = None
        cell: list[str] | None = None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.name = dict(attrs).get("class") or ""
                tables[self.name] = []
            elif tag == "tr" and self.name is not None:
                tables[self.name].append([])
            elif tag in ("td", "th") and self.name is not None:
                self.cell = []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                tables[self.name][-1].append("".join(self.cell).strip())
                self.cell = None
            elif tag == "table":
                self.name = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    Tables().feed(page)
    return tables
