"""Backfills launched the way the UI launches them, run by the real Dagster daemon.

A lake built by `russell-pipeline build` (the committed samples, a change list placed for 2017, the
small market-data folder), then `dagster-webserver` and `dagster-daemon` on a throw-away instance on
127.0.0.1, the daemon looking at its run queue every 1 s instead of 5 s (at backfills every 30 s):
the backfills are launched through the webserver's GraphQL (the mutation the asset page's "Materialize"
sends) and the daemon plans and launches their runs. Dagster counts a backfill done only when every
targeted partition is materialized or failed, so a partition without rows must still be materialized
(with 0 rows and its reason) for the backfill to end `COMPLETED_SUCCESS`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from russell_pipeline_tests.helpers import (
    DOCUMENT_TABLES,
    REPO,
    Server,
    free_port,
    stop_group,
    wait_until_loaded,
)

pytestmark = pytest.mark.slow

ADDITIONS_2017 = (
    "Russell 3000 Index - Additions\n\nCompany\tSymbol\tSector\nACME CORP\tACME\tTechnology\n"
    "GAMMA HOLDINGS\tGAMM\tEnergy\nDELTA INC\tDLTA\tUtilities\n"
)
REVIEW_ASSETS = ("quarterly_weights", "index_levels", "pro_forma_weights")
# The daemon, as a deployment runs it (its command-line interface). Its backfill daemon looks for work
# every 30 s: Dagster 1.13 offers no setting of that interval (its dagster.yaml `backfills:` takes
# workers only), so each step of a backfill waits up to 30 s here.
DAEMON = Path(sys.executable).parent / "dagster-daemon"
DEQUEUE = """
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1
"""
DONE = {"COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED", "COMPLETED"}


def _start(args: list[str], env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    """A Dagster server process in its own process group (so what it spawns is ended with it)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, lakes) -> Server:
    """The built lake with the webserver and the daemon running over its instance."""
    import os

    root = tmp_path_factory.mktemp("backfills")
    built = lakes.copy(root)  # the samples built over the small feed
    (built.root / "raw" / "2017").mkdir()
    (built.root / "raw" / "2017" / "ru3000-additions-final-20170623.txt").write_text(ADDITIONS_2017)
    # A quicker run queue than the default 5 s (a setting of the daemon's latency only), beside the
    # project's settings in the home's dagster.yaml.
    with (built.home / "dagster.yaml").open("a") as config:
        config.write(DEQUEUE)
    env = os.environ | built.env()
    port = free_port()
    server = Server(f"http://127.0.0.1:{port}", built.lake, root / "webserver.log")
    # The webserver only reads: it starts while `build` adds 2017. The daemon starts once the lake is
    # built, so that its sensors find nothing to run.
    web = _start(
        [
            sys.executable,
            "-m",
            "dagster_webserver",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            str(REPO / "workspace.yaml"),
        ],
        env,
        root,
        server.log,
    )
    try:
        done = built.build()
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.startswith("years: 1 of 42 out of date (2017)\n"), done.stdout
        runner = _start(
            [str(DAEMON), "run", "-w", str(REPO / "workspace.yaml")],
            env,
            root,
            root / "daemon.log",
        )
        try:
            wait_until_loaded(server, web)
            yield server
        finally:
            stop_group(runner)
    finally:
        stop_group(web)


def _launch(server: Server, assets: tuple[str, ...], keys: list[str]) -> str:
    """The backfill the asset page's "Materialize" launches for these partitions; its id."""
    selection = ", ".join(f'{{path: ["{a}"]}}' for a in assets)
    names = ", ".join(f'"{k}"' for k in keys)
    launched = server.graphql(
        f"mutation {{ launchPartitionBackfill(backfillParams: {{assetSelection: [{selection}], "
        f"partitionNames: [{names}], fromFailure: false}}) {{ __typename ... on LaunchBackfillSuccess "
        f"{{ backfillId }} ... on PythonError {{ message }} }} }}"
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    return launched["backfillId"]


def _wait(server: Server, backfills: list[str], timeout: float = 900) -> dict[str, str]:
    """Each backfill's final status, once the daemon has finished all of them."""
    deadline, status = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        for backfill in backfills:
            found = server.graphql(
                f'{{ partitionBackfillOrError(backfillId: "{backfill}") {{ ... on '
                f"PartitionBackfill {{ status }} }} }}"
            )["partitionBackfillOrError"]
            status[backfill] = found["status"]
        if set(status.values()) <= DONE:
            return status
        time.sleep(0.5)
    log = (server.log.parent / "daemon.log").read_text()[-3000:]
    pytest.fail(f"backfills not done after {timeout:.0f} s ({status}); the daemon's log:\n{log}")


def _latest(server: Server, asset: str, keys: list[str]) -> dict[str, tuple[str, dict]]:
    """{partition: (run id, metadata)} of each partition's latest materialization."""
    names = ", ".join(f'"{k}"' for k in keys)
    found = server.asset(
        asset,
        f"assetMaterializations(partitions: [{names}]) {{ partition runId metadataEntries "
        "{ label ... on IntMetadataEntry { intValue } ... on TextMetadataEntry { text } } }",
    )
    out: dict[str, tuple[str, dict]] = {}
    for event in found["assetMaterializations"]:  # newest first
        meta = {e["label"]: e.get("intValue", e.get("text")) for e in event["metadataEntries"]}
        out.setdefault(event["partition"], (event["runId"], meta))
    return out


def _backfill_runs(server: Server, backfill: str) -> dict[str, str]:
    """{run id: status} of the runs the daemon launched for a backfill."""
    runs = server.graphql(
        f'{{ runsOrError(filter: {{tags: [{{key: "dagster/backfill", value: "{backfill}"}}]}}) '
        "{ ... on Runs { results { runId status } } } }"
    )["runsOrError"]["results"]
    return {r["runId"]: r["status"] for r in runs}


def test_ui_backfills_over_partitions_with_and_without_rows_complete(daemon):
    """2016 (no document) and 2017 (a change list); the last review the market data fills and the two
    after it (no members yet): both backfills end COMPLETED_SUCCESS, every targeted partition
    materialized by their runs, those without rows with 0 rows and why."""
    lake = daemon.lake
    filled = sorted(lake.tables.read("quarterly_weights")["review"].unique())
    every = daemon.asset("quarterly_weights", "partitionKeys")["partitionKeys"]
    reviews = every[every.index(filled[-1]) :][:3]
    assert len(reviews) == 3  # one with members, two without
    years = ["2016", "2017"]
    documents, index = _launch(daemon, DOCUMENT_TABLES, years), _launch(daemon, REVIEW_ASSETS, reviews)

    assert _wait(daemon, [documents, index]) == {documents: "COMPLETED_SUCCESS", index: "COMPLETED_SUCCESS"}
    for backfill, assets, keys in ((documents, DOCUMENT_TABLES, years), (index, REVIEW_ASSETS, reviews)):
        runs = _backfill_runs(daemon, backfill)
        assert runs and set(runs.values()) == {"SUCCESS"}, runs
        for asset in assets:
            latest = _latest(daemon, asset, keys)
            assert sorted(latest) == keys, asset
            assert {run for run, _ in latest.values()} <= set(runs), asset
    # The partitions without rows say so, and why; the one with rows holds them.
    changes = _latest(daemon, "constituent_changes", years)
    assert changes["2016"][1]["status"] == "0 rows: no documents under raw/2016/"
    stored = lake.tables.read("constituent_changes").filter(pl.col("recon_year") == 2017)
    assert changes["2017"][1]["partition_rows"] == stored.height == 3 and "status" not in changes["2017"][1]
    weights = _latest(daemon, "quarterly_weights", reviews)
    assert weights[reviews[0]][1]["partition_rows"] > 0
    for review in reviews[1:]:
        status = weights[review][1]["status"]
        assert status.startswith(
            f"0 rows: the market data has no members for {review} (its reviews with members: "
        )
        assert status.endswith(f"..{reviews[0]})"), status
    levels = _latest(daemon, "index_levels", reviews)
    assert all(levels[r][1]["status"] == weights[r][1]["status"] for r in reviews[1:])  # the same reason
