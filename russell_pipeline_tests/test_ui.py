"""The Dagster UI for real: `dagster-webserver` on 127.0.0.1 over a lake and instance built by
`russell-pipeline build`, read through its GraphQL API and through headless Chromium.

One server per module, over a copy of the run's shared build (the sample documents and the small
market-data folder up to 2020-03-31, lakes.py): the build and the server start are paid once.
`RUSSELL_LINEAGE_PNG=docs/lineage.png` also saves the lineage screenshot there (how the README's
picture is made).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from russell_pipeline_tests.helpers import (
    REPO,
    WAIT_MS,
    Server,
    free_port,
    stop_group,
    wait_until_loaded,
)
from russell_pipeline_tests.lakes import SMALL_END

pytestmark = [pytest.mark.slow, pytest.mark.cpu(77)]

MARKET_END = SMALL_END
BUILT_REVIEWS = ["2019-03", "2019-06", "2019-09", "2019-12", "2020-03"]
YEAR_ASSETS = ("source_documents", "constituents", "constituent_changes", "recon_calendar")
MEMBERSHIP = (
    "membership_history",
    "membership_in_force",
    "membership_reconciliation",
    "membership_reconciliation_summary",
    "list_revisions",
    "securities",
    "ticker_changes",
    "holdings_reconciliation",
)
# The documents' tables read from CSV files beside the PDFs: each from the year's source documents.
CSV_TABLES = ("universe_securities", "sec_tickers", "fund_holdings")
RESEARCH = ("reconstitution_paths", "reconstitution_effect")
FORECAST = (
    "reconstitution_forecast",
    "forecast_breaks",
    "forecast_score",
    "forecast_misses",
    "reconstitution_demand",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory, lakes) -> Server:
    """`dagster-webserver` over a copy of the samples built over the small feed (to 2020-03-31)."""
    root = tmp_path_factory.mktemp("ui")
    first = lakes.build(MARKET_END)
    built = first.folder.copy(root)
    port = free_port()
    server = Server(f"http://127.0.0.1:{port}", built.lake, root / "webserver.log", first.stdout, built)
    with server.log.open("wb") as log:
        # Its own process group, so the code server it spawns is ended with it.
        process = subprocess.Popen(
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
            env=os.environ | built.env(),
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_loaded(server, process)
        yield server
    finally:
        stop_group(process)


# --- GraphQL -------------------------------------------------------------------------------------


def _session(sid: int) -> list[str]:
    """The processes of session `sid` still running (not zombies): `pid command` each."""
    got = subprocess.run(["ps", "-eo", "pid=,sid=,stat=,args="], capture_output=True, text=True, check=True)
    out = []
    for line in got.stdout.splitlines():
        pid, session, stat, *args = line.split(None, 3)
        if int(session) == sid and not stat.startswith("Z"):
            out.append(f"{pid} {' '.join(args)[:100]}")
    return out


# The command that follows it, run with SIGINT and SIGTERM at their defaults (as a terminal's shell leaves
# them) whatever the test process inherited: a suite started in the background ignores SIGINT, and `make`
# would too.
DEFAULT_SIGNALS_THEN_EXEC = """
import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM):
    signal.signal(s, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])
"""
AS_A_TERMINAL_LEAVES_THEM = [sys.executable, "-c", DEFAULT_SIGNALS_THEN_EXEC]


@pytest.mark.parametrize("sigint", ["default", "ignored"], ids=["terminal", "background"])
def test_make_ui_serves_on_its_host_and_port_with_dg_dev_and_ends_with_its_children_on_sigterm(
    tmp_path, sigint, lakes
):
    """`make ui HOST=... PORT=...` runs `dg dev -h -p` (no supersession warning: `dagster dev` printed
    one), and a SIGTERM to make ends make, the webserver, the daemon and the code server. Started in
    the background (SIGINT ignored, as `cmd &` or a service manager leaves it), Dagster's dev command
    used to take SIGTERM as SIGINT, and ignore it: the whole UI outlived the stop.

    On a copy of a built lake, whose sensors find nothing to do: on an empty one, the daemon's sensors
    launch a build at once, which `dg dev` then waits for on SIGTERM."""
    import signal

    port = free_port()
    built = lakes.copy(tmp_path)
    env = os.environ | built.env()
    make = f"exec make --no-print-directory ui HOST=127.0.0.1 PORT={port}"
    process = subprocess.Popen(  # `trap '' INT`: SIGINT ignored from then on, through the exec
        [*AS_A_TERMINAL_LEAVES_THEM, "sh", "-c", f"trap '' INT; {make}" if sigint == "ignored" else make],
        cwd=REPO,
        env=env,
        stdout=(tmp_path / "log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_loaded(Server(f"http://127.0.0.1:{port}", built.lake, tmp_path / "log"), process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=30) as response:
            assert json.load(response)["dagster_version"] == "1.13.27"
        assert len(_session(process.pid)) >= 4  # make, dg dev, the webserver, the daemon (and code server)
        process.send_signal(signal.SIGTERM)  # to make alone, as a service manager stops what it started
        process.wait(timeout=240)  # ignoring SIGTERM, as before, never ends
        deadline = time.monotonic() + 60
        while _session(process.pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _session(process.pid) == [], (tmp_path / "log").read_text()[-3000:]
    finally:
        stop_group(process)
    log = (tmp_path / "log").read_text()
    assert f"russell_pipeline.cli.ui --host 127.0.0.1 --port {port}" in log
    assert "SupersessionWarning" not in log and "superseded" not in log, log[-3000:]
    assert "Shutting down Dagster services" in log
    assert "Launching run" not in log  # the daemon's sensors found the built lake up to date


def test_asset_graph_edges_and_partition_mappings(server):
    nodes = server.graphql(
        "{ assetNodes { assetKey { path } groupName dependencies { asset { assetKey { path } } "
        "partitionMapping { className description } } } }"
    )["assetNodes"]
    edges = {
        (d["asset"]["assetKey"]["path"][0], n["assetKey"]["path"][0])
        for n in nodes
        for d in n["dependencies"]
    }
    assert edges == {
        ("published_documents", "raw_documents"),
        ("raw_documents", "source_documents"),
        ("raw_documents", "recon_calendar"),
        ("source_documents", "recon_calendar"),  # the calendar skips the files read as lists
        ("source_documents", "constituents"),
        ("source_documents", "constituent_changes"),
        *(("source_documents", table) for table in CSV_TABLES),
        ("constituents", "market_data"),
        ("constituent_changes", "market_data"),
        ("market_data", "quarterly_weights"),
        ("recon_calendar", "quarterly_weights"),
        ("market_data", "index_levels"),
        ("quarterly_weights", "index_levels"),
        ("index_levels", "index_levels"),
        ("market_data", "pro_forma_weights"),
        ("recon_calendar", "pro_forma_weights"),
        ("quarterly_weights", "pro_forma_weights"),
        ("reconstitution_forecast", "pro_forma_weights"),
        *(
            (upstream, table)
            for table in MEMBERSHIP
            for upstream in (
                "source_documents",
                "constituents",
                "constituent_changes",
                "recon_calendar",
                *CSV_TABLES,
            )
        ),
        *(
            (upstream, table)
            for table in RESEARCH
            for upstream in ("constituent_changes", "recon_calendar", "market_data", "index_levels")
        ),
        *(
            (upstream, table)
            for table in FORECAST
            for upstream in (
                *CSV_TABLES,
                "membership_in_force",
                "recon_calendar",
                "constituent_changes",
                "market_data",
            )
        ),
    }
    assert {n["assetKey"]["path"][0]: n["groupName"] for n in nodes} == {
        "published_documents": "documents",
        "raw_documents": "documents",
        "source_documents": "documents",
        "constituents": "documents",
        "constituent_changes": "documents",
        **dict.fromkeys(CSV_TABLES, "documents"),
        "recon_calendar": "calendar",
        "market_data": "market",
        "quarterly_weights": "index",
        "index_levels": "index",
        "pro_forma_weights": "index",
        **dict.fromkeys(MEMBERSHIP, "membership"),
        **dict.fromkeys(RESEARCH, "research"),
        **dict.fromkeys(FORECAST, "forecast"),
    }
    mappings = {
        (d["asset"]["assetKey"]["path"][0], n["assetKey"]["path"][0]): d["partitionMapping"]
        for n in nodes
        for d in n["dependencies"]
        if n["assetKey"]["path"][0] in ("quarterly_weights", "index_levels")
    }
    overlap = "Maps a downstream partition to any upstream partition with an overlapping time window."
    assert mappings == {
        ("recon_calendar", "quarterly_weights"): {
            "className": "TimeWindowPartitionMapping",
            "description": overlap,
        },
        ("market_data", "quarterly_weights"): None,
        ("market_data", "index_levels"): None,
        ("index_levels", "index_levels"): {
            "className": "TimeWindowPartitionMapping",
            "description": f"{overlap} The start and end of the upstream time window is offsetted by "
            "-1 and -1 partitions respectively.",
        },
        ("quarterly_weights", "index_levels"): {
            "className": "TimeWindowPartitionMapping",
            "description": f"{overlap} The start and end of the upstream time window is offsetted by 0 and 1 "
            "partitions respectively.",
        },
    }


def _expected_keys() -> tuple[list[str], list[str]]:
    """Years 1989 to four years ahead; reviews from the first the calendar dates (1989-03) to the one
    after the one whose quarter has begun (UTC): the upcoming review."""
    now = datetime.now(UTC)
    years = [str(y) for y in range(1989, now.year + 5)]
    current = [
        f"{y}-{m:02d}"
        for y in range(1989, now.year + 1)
        for m in (3, 6, 9, 12)
        if (y, m) <= (now.year, now.month)
    ]
    year, month = int(current[-1][:4]), int(current[-1][5:])
    return years, [*current, f"{year + 1}-03" if month == 12 else f"{year}-{month + 3:02d}"]


def test_partitions_and_how_many_are_materialized(server):
    years, reviews = _expected_keys()
    fields = (
        "partitionKeys partitionStats { numMaterialized numPartitions numFailed numMaterializing } "
        "assetPartitionStatuses { ... on TimePartitionStatuses { ranges { startKey endKey status } } }"
    )
    stats = {
        name: server.asset(name, fields)
        for name in ("raw_documents", *YEAR_ASSETS, "quarterly_weights", "index_levels")
    }
    # The calendar of every year was built (the rules project each one); the documents of the years with
    # files, and of 2021 between them (with 0 rows and why): a year with no input, never built, is not run.
    for name in YEAR_ASSETS:
        built = years if name == "recon_calendar" else [str(y) for y in range(2019, 2025)]
        assert stats[name]["partitionKeys"] == years
        assert stats[name]["partitionStats"] == {
            "numMaterialized": len(built),
            "numPartitions": len(years),
            "numFailed": 0,
            "numMaterializing": 0,
        }
        assert stats[name]["assetPartitionStatuses"]["ranges"] == [
            {"startKey": built[0], "endKey": built[-1], "status": "MATERIALIZED"}
        ], name
    # raw_documents is the files themselves: observed by the sensor, never materialized.
    assert stats["raw_documents"]["partitionStats"]["numMaterialized"] == 0
    for name in ("quarterly_weights", "index_levels"):
        assert stats[name]["partitionKeys"] == reviews
        assert stats[name]["partitionStats"] == {
            "numMaterialized": 5,
            "numPartitions": len(reviews),
            "numFailed": 0,
            "numMaterializing": 0,
        }
        assert stats[name]["assetPartitionStatuses"]["ranges"] == [
            {"startKey": "2019-03", "endKey": "2020-03", "status": "MATERIALIZED"}
        ]


def _metadata(entries: list[dict]) -> dict:
    return {
        e["label"]: next((e[k] for k in ("intValue", "floatValue", "text", "mdStr") if k in e), None)
        for e in entries
    }


MATERIALIZATIONS = (
    "assetMaterializations(partitions: [{keys}]) {{ partition runId metadataEntries {{ label "
    "... on IntMetadataEntry {{ intValue }} ... on FloatMetadataEntry {{ floatValue }} "
    "... on TextMetadataEntry {{ text }} "
    "... on MarkdownMetadataEntry {{ mdStr }} }} }}"
)


OBSERVATIONS = MATERIALIZATIONS.replace("assetMaterializations", "assetObservations")


def _partition_metadata(server: Server, asset: str, keys: list[str]) -> dict[str, dict]:
    found = server.asset(asset, MATERIALIZATIONS.format(keys=", ".join(f'"{k}"' for k in keys)))
    # Newest first: the first materialization seen of a partition is its latest.
    out: dict[str, dict] = {}
    for event in found["assetMaterializations"]:
        out.setdefault(event["partition"], _metadata(event["metadataEntries"]))
    return out


def test_each_partition_shows_its_own_rows_and_dates(server):
    levels = server.lake.tables.read("index_levels")
    stored = {
        r["review"]: r
        for r in levels.group_by("review")
        .agg(pl.len().alias("rows"), pl.col("date").min().alias("first"), pl.col("date").max().alias("last"))
        .to_dicts()
    }
    shown = _partition_metadata(server, "index_levels", BUILT_REVIEWS)
    assert sorted(shown) == sorted(stored) == BUILT_REVIEWS
    for review, meta in shown.items():
        assert (
            meta["partition"],
            meta["partition_rows"],
            meta["partition_first_date"],
            meta["partition_last_date"],
        ) == (review, stored[review]["rows"], str(stored[review]["first"]), str(stored[review]["last"]))
        # Beside its own facts, the whole table as the run left it.
        assert (meta["dagster/row_count"], meta["table_partitions_with_rows"]) == (levels.height, 5)
    # One run wrote all five, yet each partition carries its own count (not the run's total).
    assert (shown["2019-06"]["partition_rows"], shown["2019-09"]["partition_rows"]) == (58, 64)

    changes = _partition_metadata(server, "constituent_changes", ["2016", "2021", "2020", "2023"])
    per_year = dict(server.lake.tables.read("constituent_changes").group_by("recon_year").len().iter_rows())
    assert {y: m["partition_rows"] for y, m in changes.items()} == {
        "2021": 0,
        "2020": per_year[2020],
        "2023": per_year[2023],
    }  # 2016, with no input and never built, has no materialization
    assert per_year[2020] != per_year[2023]
    documents = _partition_metadata(server, "source_documents", ["2016", "2021", "2020"])
    # 2021 holds no document, between two years with them: run with them, materialized with 0 rows, and its
    # metadata in the UI says why.
    assert "2016" not in documents
    assert (documents["2021"]["partition_rows"], documents["2021"]["status"]) == (
        0,
        "0 rows: no documents under raw/2021/",
    )
    assert "status" not in documents["2020"]
    [path] = (
        server.lake.tables.read("source_documents").filter(pl.col("recon_year") == 2020)["path"].to_list()
    )
    assert (
        documents["2020"]["partition_documents"]
        == f"- {path}: read, 256 rows (deletions, Russell Microcap, final, no date: the folder's year)"
    )


def test_each_pro_forma_partition_shows_its_trade_facts(server):
    from russell_pipeline.lib.index.pro_forma import totals

    stored = server.lake.tables.read("pro_forma_weights")
    shown = _partition_metadata(server, "pro_forma_weights", BUILT_REVIEWS)
    assert sorted(shown) == BUILT_REVIEWS
    for review, meta in shown.items():
        rows = stored.filter(pl.col("review") == review)
        head, sums = rows.row(0, named=True), totals(rows)
        assert (
            meta["partition"],
            meta["partition_rows"],
            meta["partition_as_of_date"],
            meta["partition_prices"],
            meta["partition_names_in"],
            meta["partition_names_out"],
        ) == (
            review,
            rows.height,
            str(head["effective_date"]),
            f"cut-off closes of {head['cutoff_date']}",
            sums.names_in,
            sums.names_out,
        )
        assert meta["partition_one_way_turnover"] == pytest.approx(sums.turnover, rel=1e-12)
        assert meta["partition_previous_review"] == (head["previous_review"] or "none (the base review)")
    # The base review is bought from nothing; each later one trades from the review before it.
    assert (shown["2019-03"]["partition_names_in"], shown["2019-03"]["partition_names_out"]) == (
        stored.filter(pl.col("review") == "2019-03").height,
        0,
    )
    assert shown["2020-03"]["partition_previous_review"] == "2019-12"


def test_every_column_of_every_table_asset_is_described(server):
    nodes = server.graphql(
        "{ assetNodes { assetKey { path } metadataEntries { label "
        "... on TableSchemaMetadataEntry { schema { columns { name description } } } } } }"
    )
    schemas = {
        n["assetKey"]["path"][0]: e["schema"]["columns"]
        for n in nodes["assetNodes"]
        for e in n["metadataEntries"]
        if e["label"] == "dagster/column_schema"
    }
    assert set(schemas) == {
        *YEAR_ASSETS,
        *CSV_TABLES,
        "quarterly_weights",
        "index_levels",
        "pro_forma_weights",
        *MEMBERSHIP,
        *RESEARCH,
        *FORECAST,
    }
    assert [
        f"{a}.{c['name']}"
        for a, columns in schemas.items()
        for c in columns
        if not (c["description"] or "").strip()
    ] == []


def _state(check: dict) -> str:
    """A check's state as the UI shows it (its line on the Checks tab): of a check partitioned like its
    asset, failed when it failed on any partition, else its latest evaluation's."""
    ranges = (check["partitionStatuses"] or {}).get("ranges") or []
    failed = any(r["status"] == "FAILED" for r in ranges)
    return "FAILED" if failed else check["executionForLatestMaterialization"]["status"]


def test_checks_with_their_blocking_flag_and_latest_result(server):
    nodes = server.graphql(
        "{ assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks { "
        "name blocking executionForLatestMaterialization { status } partitionStatuses { "
        "... on AssetCheckTimePartitionStatuses { ranges { status } } } } } } } }"
    )["assetNodes"]
    checks = {
        (n["assetKey"]["path"][0], c["name"]): (c["blocking"], _state(c))
        for n in nodes
        for c in n["assetChecksOrError"]["checks"]
    }
    ok = "SUCCEEDED"
    assert checks == {
        ("source_documents", "rows_match_pages"): (True, ok),
        ("source_documents", "no_skipped_files"): (False, ok),
        ("constituents", "no_duplicate_symbols"): (False, ok),
        ("constituents", "no_header_rows"): (False, ok),
        ("constituent_changes", "no_duplicate_symbols"): (False, ok),
        ("constituent_changes", "no_header_rows"): (False, ok),
        ("constituent_changes", "additions_deletions_disjoint"): (False, ok),
        ("constituents", "no_null_contract_columns"): (True, ok),
        ("constituent_changes", "no_null_contract_columns"): (True, ok),
        ("constituents", "list_size"): (False, ok),  # the samples hold no membership list: 0 checked
        ("constituents", "member_count_change"): (False, ok),
        ("recon_calendar", "published_schedules_parse"): (False, ok),
        ("recon_calendar", "published_matches_projection"): (False, ok),
        ("recon_calendar", "schedule_contradictions"): (False, ok),
        ("membership_history", "intervals_disjoint"): (True, ok),
        ("membership_history", "documents_placed"): (False, ok),
        ("membership_reconciliation", "membership_reconciles"): (False, ok),
        ("membership_in_force", "vendor_memberships_listed"): (False, ok),  # the synthetic feed: not compared
        ("quarterly_weights", "no_null_contract_columns"): (True, ok),
        ("quarterly_weights", "weights_match_sql"): (True, ok),
        ("quarterly_weights", "member_count_change"): (False, ok),
        ("index_levels", "no_jump_at_rebalance"): (False, ok),
        ("index_levels", "total_return_matches_dividends"): (True, ok),
        ("index_levels", "no_null_contract_columns"): (True, ok),
        ("index_levels", "rebalance_continuity"): (True, ok),
        ("index_levels", "daily_move_bound"): (False, ok),
        ("pro_forma_weights", "no_null_contract_columns"): (True, ok),
        ("pro_forma_weights", "pro_forma_matches_weights"): (True, ok),
        # The data end on 2020-03-31, long before the last NYSE session: the UI shows both red.
        ("market_data", "market_current"): (False, "FAILED"),
        ("index_levels", "levels_current"): (False, "FAILED"),
        # The synthetic feed prices none of 2020's listed symbols: a warning on 2020, red in the UI.
        ("reconstitution_paths", "listed_symbols_priced"): (False, "FAILED"),
        # No published Russell 3000 list of a forecast review in the samples: nothing to score.
        ("forecast_score", "forecast_matches_published"): (False, ok),
    }


def test_schedules_sensors_and_the_builds_runs(server):
    repo = server.graphql(
        '{ repositoryOrError(repositorySelector: {repositoryLocationName: "russell_pipeline", '
        'repositoryName: "__repository__"}) { ... on Repository { '
        "schedules { name cronSchedule executionTimezone pipelineName scheduleState { status } } "
        "sensors { name minIntervalSeconds targets { pipelineName } sensorState { status } } "
        "jobs { name } } } "
        "runsOrError { ... on Runs { results { jobName status tags { key value } } } } }"
    )
    schedules = {
        s["name"]: (
            s["cronSchedule"],
            s["executionTimezone"],
            s["pipelineName"],
            s["scheduleState"]["status"],
        )
        for s in repo["repositoryOrError"]["schedules"]
    }
    assert schedules == {
        "nightly_market": ("30 18 * * 1-5", "America/New_York", "market_job", "RUNNING"),
        "freshness": ("0 20 * * 1-5", "America/New_York", "freshness_job", "RUNNING"),
    }
    sensors = {
        s["name"]: (
            s["minIntervalSeconds"],
            [t["pipelineName"] for t in s["targets"]],
            s["sensorState"]["status"],
        )
        for s in repo["repositoryOrError"]["sensors"]
    }
    assert sensors == {
        "new_documents": (60, ["recon_year_job"], "RUNNING"),
        "stale_reviews": (60, ["reviews_job"], "RUNNING"),
        "stale_membership": (60, ["membership_job"], "RUNNING"),
        "publish_warehouse": (30, [], "RUNNING"),
    }  # publishes the views after runs outside build
    assert {j["name"] for j in repo["repositoryOrError"]["jobs"]} - {"__ASSET_JOB"} == {
        "recon_year_job",
        "market_job",
        "reviews_job",
        "index_job",
        "freshness_job",
        "membership_job",
        "research_job",
        "forecast_job",
    }
    # The build's runs, newest first, with the ranges they covered.
    runs = [
        (
            r["jobName"],
            r["status"],
            {t["key"]: t["value"] for t in r["tags"]}.get("dagster/asset_partition_range_start"),
        )
        for r in repo["runsOrError"]["results"]
    ]
    years, _ = _expected_keys()
    # The years with input only: the forecast of the feed's rank days, the effect of 2020's final list, the
    # documents of the years with files; the calendar of every year.
    assert runs == [
        ("reviews_job", "SUCCESS", "2019-03"),  # pro_forma_weights, last: it reads the forecast
        ("forecast_job", "SUCCESS", "2018"),
        ("research_job", "SUCCESS", "2020"),
        ("membership_job", "SUCCESS", None),
        ("reviews_job", "SUCCESS", "2019-03"),  # index_levels
        ("reviews_job", "SUCCESS", "2019-03"),  # quarterly_weights
        ("market_job", "SUCCESS", None),
        ("recon_year_job", "SUCCESS", years[0]),  # recon_calendar
        ("recon_year_job", "SUCCESS", "2019"),  # the documents
    ]


# --- Chromium ------------------------------------------------------------------------------------


def _page(browser, **size):
    context = browser.new_context(**size)
    context.set_default_timeout(WAIT_MS)
    return context


@pytest.fixture
def page(browser, server):
    """A page of a laptop's screen. No newsletter dialog over the page of a fresh instance: the
    project's dagster.yaml turns it off (the lineage test checks; this fixture used to mark it seen,
    which a user's `make ui` did not)."""
    context = _page(browser, viewport={"width": 1600, "height": 1000})
    yield context.new_page()
    context.close()


@pytest.fixture
def graph_page(browser, server):
    """A page big enough for the whole lineage graph at a zoom that draws full nodes (the picture is
    scaled down): a layout of 6000 by 2600 pixels costs Chromium more to draw, so only the graph's test
    asks for it."""
    context = _page(browser, viewport={"width": 6000, "height": 2600}, device_scale_factor=0.4)
    yield context.new_page()
    context.close()


ASSETS = (
    "published_documents",
    "raw_documents",
    "source_documents",
    "constituents",
    "constituent_changes",
    "recon_calendar",
    "market_data",
    "quarterly_weights",
    "index_levels",
    "pro_forma_weights",
    *CSV_TABLES,
    *MEMBERSHIP,
    *RESEARCH,
    *FORECAST,
)


def _latest_levels_run(server: Server) -> str:
    return server.asset("index_levels", "assetMaterializations(limit: 1) { runId }")["assetMaterializations"][
        0
    ]["runId"]


def test_lineage_graph_shows_every_asset_and_its_state(browser, server, graph_page, tmp_path):
    from playwright.sync_api import expect

    page = graph_page

    groups = ("calendar", "documents", "forecast", "index", "market", "membership", "research")
    # Every group expanded and the graph laid out top to bottom: the whole graph then fits the
    # window at a zoom where each asset shows its name and state (a wide layout leaves some off screen).
    page.add_init_script("window.localStorage.setItem('asset-graph-direction', JSON.stringify('vertical'))")
    page.goto(f"{server.url}/asset-groups?expanded=" + ",".join(f"global@global:{g}" for g in groups))
    expect(page.get_by_text("Global asset lineage", exact=True)).to_be_visible()
    page.get_by_text("Hide navigation", exact=True).click()
    page.locator("button:has([aria-label='panel_show_right'])").click()  # and the group tree
    # The graph is fitted to its pane when it is laid out: laid out before the clicks above, it stayed
    # at the first pane's zoom, too small to draw full nodes (6 of 15 loads here). Both choices are
    # kept by the UI, so loaded again it is laid out in its final pane.
    page.reload()
    # A node holds its full name in a tooltip (a long one is drawn shortened).
    nodes = {name: page.locator(f"foreignObject:has([data-tooltip='{name}'])") for name in ASSETS}
    for node in nodes.values():
        expect(node).to_have_count(1)
        expect(node).to_be_visible()
    levels = nodes["index_levels"]
    expect(levels.get_by_text("5 / 6 Passed", exact=True)).to_be_visible()
    expect(levels.get_by_text(f"{len(_expected_keys()[1])} partitions", exact=True)).to_be_visible()
    expect(levels.locator(f"a[href^='/runs/{_latest_levels_run(server)}']")).to_be_visible()
    expect(nodes["recon_calendar"].get_by_text("3 / 3 Passed", exact=True)).to_be_visible()
    expect(nodes["recon_calendar"].get_by_text("100% filled", exact=True)).to_be_visible()
    # The documents' kind is drawn as a word (Dagster draws `pdf` as a bare icon).
    for name in ("raw_documents", "source_documents", "constituents", "constituent_changes"):
        expect(nodes[name].get_by_text("PDFs", exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")
    shot = Path(os.environ.get("RUSSELL_LINEAGE_PNG") or tmp_path / "lineage.png")
    page.screenshot(path=shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_new_home_opens_the_ui_without_the_sign_up_dialog(browser, server, page):
    """A new home's first visit opened Dagster's "Join the Dagster community / Sign up for the Dagster
    newsletter" dialog over the page (half the lineage picture hidden behind it, and every user's
    first `make ui`); the project's dagster.yaml turns it off, so nothing covers the page."""
    from playwright.sync_api import expect

    assert server.graphql("{ shouldShowNux }")["shouldShowNux"] is False
    page.goto(f"{server.url}/asset-groups")
    expect(page.get_by_text("Global asset lineage", exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(2000)  # the dialog opened once the instance had answered
    expect(page.get_by_text("Join the Dagster community")).to_have_count(0)
    expect(page.get_by_text("Sign up for the Dagster newsletter")).to_have_count(0)


def test_asset_page_shows_the_latest_materialization(browser, server, page):
    from playwright.sync_api import expect

    levels = server.lake.tables.read("index_levels")
    latest = levels.sort("date").row(-1, named=True)
    page.goto(f"{server.url}/assets/index_levels")
    expect(page.get_by_text("Latest materialization", exact=True).locator("xpath=..")).to_contain_text(
        latest["review"]
    )
    # The headline is the whole table's, though the latest materialization is one review's; the
    # metadata below names that review and labels its own facts as the partition's.
    expect(page.get_by_text("Row count", exact=True).locator("xpath=..")).to_have_text(
        re.compile(rf"^Row count\s*{levels.height:,}$")
    )
    for label, value in (
        ("partition", latest["review"]),
        ("partition_last_date", latest["date"]),
        ("table_last_date", latest["date"]),
        ("table_partitions_with_rows", 5),
        ("table_partition_range", "2019-03..2020-03"),
    ):
        expect(page.locator("tr", has=page.get_by_text(label, exact=True))).to_contain_text(str(value))

    # A partition opened on its own shows its own row count and dates.
    page.goto(f"{server.url}/assets/index_levels?view=partitions&partition=2019-06")
    expect(page.get_by_text("Materialized (5)", exact=True)).to_be_visible()
    period = levels.filter(pl.col("review") == "2019-06")
    for label, value in (
        ("partition_rows", period.height),
        ("partition_first_date", period["date"].min()),
        ("partition_last_date", period["date"].max()),
    ):
        expect(page.locator("tr", has=page.get_by_text(label, exact=True))).to_have_text(
            re.compile(rf"^\s*{re.escape(label)}\s*{re.escape(str(value))}\s*$")
        )


def test_the_checks_tab_shows_the_partition_of_each_evaluation(browser, server, page):
    """A check of a partitioned asset is evaluated once per run, on the rows of every partition of the
    run (one run built the reviews 2019-03..2020-03, one the documents of 2019..2024), and recorded on
    each partition: the Checks tab shows the partition of each evaluation (it showed `—`), and a check
    that failed on its year's rows shows failed there. (Failed on the partitions its offending rows are
    in and passed on the others of its run: lake/test_commit.py.)"""
    from playwright.sync_api import expect

    def latest(label: str):
        return page.get_by_text(label, exact=True).locator("xpath=..")

    def column(name: str) -> list[str]:
        heads = [h.strip() for h in page.locator("thead th").all_inner_texts()]
        assert name in heads, heads
        return [
            r.locator("td").nth(heads.index(name)).inner_text().strip()
            for r in page.locator("tbody tr").all()
        ]

    page.goto(f"{server.url}/assets/index_levels?view=checks&checkDetail=rebalance_continuity")
    expect(latest("Partition")).to_have_text(re.compile(r"^\s*Partition\s*2020-03\s*$"))
    page.get_by_text("Execution history", exact=True).click()
    expect(page.locator("tbody tr")).to_have_count(len(BUILT_REVIEWS))  # one run, one per review
    assert column("Partition") == BUILT_REVIEWS[::-1]
    assert set(column("Evaluation result")) == {"Passed"}

    documents = [str(y) for y in range(2019, 2025)]
    page.goto(f"{server.url}/assets/constituent_changes?view=checks&checkDetail=additions_deletions_disjoint")
    expect(latest("Partition")).to_have_text(re.compile(r"^\s*Partition\s*2024\s*$"))  # the run's last
    page.get_by_text("Execution history", exact=True).click()
    expect(page.locator("tbody tr")).to_have_count(len(documents))  # one run, one per year
    assert column("Partition") == documents[::-1] and set(column("Evaluation result")) == {"Passed"}

    page.goto(f"{server.url}/assets/reconstitution_paths?view=checks&checkDetail=listed_symbols_priced")
    expect(latest("Partition")).to_have_text(re.compile(r"^\s*Partition\s*2020\s*$"))  # the run's one
    # the check's state: failed on 2020 (the text, and its tooltip's copy)
    expect(page.get_by_text("Failed", exact=True).first).to_be_visible()
    page.get_by_text("Execution history", exact=True).click()
    expect(page.locator("tbody td", has_text=re.compile(r"^2020$"))).to_be_visible()
    shown = dict(zip(column("Partition"), column("Evaluation result"), strict=True))
    assert shown == {"2020": "Failed"}, shown


def test_every_kind_shows_a_word_and_every_column_its_meaning(browser, server, page):
    from playwright.sync_api import expect

    for name, kinds in (
        ("raw_documents", ["PDFs"]),
        ("source_documents", ["PDFs", "DuckDB", "Parquet", "Polars"]),
    ):
        page.goto(f"{server.url}/assets/{name}")
        section = page.get_by_text("Kinds", exact=True).locator("xpath=..")
        tags = section.locator("[class*='opTagsContainer']")
        expect(tags).to_have_count(len(kinds))
        # Each kind tag says its name in words, none is an icon alone.
        assert sorted(t.inner_text().strip() for t in tags.all()) == sorted(kinds)
    column = page.locator("tr", has=page.get_by_text("doc_type", exact=True))
    expect(column).to_contain_text("membership_list")
    expect(page.locator("tr", has=page.get_by_text("sha256", exact=True))).to_contain_text(
        "every row traced to a document carries it"
    )


def test_the_run_ids_build_prints_open_in_the_ui(browser, server, page):
    from playwright.sync_api import expect

    printed = re.findall(r": ok in [0-9.]+s \(run ([^)]+)\)", server.build_output)
    # documents, calendar, market data, weights, levels, pro-forma, membership, reconstitution effect,
    # forecast
    assert len(printed) == 9, server.build_output
    for run_id in printed:
        found = server.graphql(
            f'{{ runOrError(runId: "{run_id}") {{ __typename ... on Run {{ status }} }} }}'
        )
        assert found["runOrError"] == {"__typename": "Run", "status": "SUCCESS"}, run_id
    page.goto(f"{server.url}/runs/{printed[-1]}")
    expect(page.get_by_text("Success", exact=True).first).to_be_visible()
    expect(page.get_by_text("No run found", exact=True)).to_have_count(0)


def test_the_pro_forma_partition_page_shows_its_facts(browser, server, page):
    from playwright.sync_api import expect

    rows = server.lake.tables.read("pro_forma_weights").filter(pl.col("review") == "2020-03")
    head = rows.row(0, named=True)
    page.goto(f"{server.url}/assets/pro_forma_weights?view=partitions&partition=2020-03")
    # The feed's five reviews and 2020-06, the upcoming one, which carries 2020-03's members
    expect(page.get_by_text("Materialized (6)", exact=True)).to_be_visible()
    for label, value in (
        ("partition_rows", rows.height),
        ("partition_as_of_date", head["as_of_date"]),
        ("partition_members", "2020-03's own"),
        ("partition_prices", f"cut-off closes of {head['cutoff_date']}"),
        ("partition_previous_review", "2019-12"),
        ("partition_names_out", (rows["move"] == "out").sum()),
    ):
        expect(page.locator("tr", has=page.get_by_text(label, exact=True))).to_have_text(
            re.compile(rf"^\s*{re.escape(label)}\s*{re.escape(str(value))}\s*$")
        )
    expect(page.locator("tr", has=page.get_by_text("partition_one_way_turnover", exact=True))).to_be_visible()


def test_the_reconstitution_chart_is_shown_at_its_size_not_behind_a_button(browser, server, page, tmp_path):
    """With closes imported for 2020's final deletions, the next build charts 2020: the partition's facts
    link to the chart in a line (not a [Show Markdown] button), and its event shows it at 720 x 300."""
    from playwright.sync_api import expect

    from russell_pipeline.lib.sessions import sessions

    deleted = server.lake.tables.read("constituent_changes").filter(
        pl.col("recon_year") == 2020, pl.col("stage") == "final"
    )
    symbols, days = deleted["symbol"].head(5).to_list(), sessions(date(2020, 3, 2), date(2020, 8, 31))
    prices = tmp_path / "prices.csv"
    pl.DataFrame(
        {
            "Date": [d for d in days for _ in symbols],
            "Ticker": symbols * len(days),
            "Close": [10.0 + i % 7 for i in range(len(symbols) * len(days))],
        }
    ).write_csv(prices)
    for args in (["import-prices", str(prices)], ["build"]):  # in this process, as `_build_with` builds
        done = server.folder.run(*args)
        assert done.returncode == 0, done.stdout + done.stderr
    page.goto(f"{server.url}/assets/reconstitution_effect?view=partitions&partition=2020")
    row = page.locator("tr", has=page.get_by_text("partition_chart", exact=True))
    expect(row.get_by_role("link")).to_have_attribute(
        "href", "/assets/reconstitution_effect?view=events&partition=2020"
    )
    expect(row).not_to_contain_text("Show Markdown")
    page.goto(f"{server.url}/assets/reconstitution_effect?view=events&partition=2020")
    chart = page.get_by_role("img", name="reconstitution 2020")
    expect(chart).to_be_visible()
    assert chart.evaluate("e => [e.naturalWidth, e.naturalHeight, e.width, e.height]") == [720, 300, 720, 300]


def _build_with(server: Server, name: str, content: bytes) -> subprocess.CompletedProcess:
    """`russell-pipeline build` on the server's lake and instance, in this process (the UI reads what it
    records), with `raw/<name>` holding `content` (taken away again after the build)."""
    bad = server.lake.root / "raw" / name
    bad.write_bytes(content)
    try:
        return server.folder.build()
    finally:
        bad.unlink()


def test_a_refused_document_says_where_on_its_failed_partition(browser, server, page):
    """Near the end of the module (it breaks year 2023): a list with a row the parser cannot read fails its
    year; the build's summary, the failed check and the failed partition's page name file and line."""
    from playwright.sync_api import expect

    done = _build_with(
        server,
        "2023/zz-adds.txt",
        (
            b"Russell 2000 Index - Additions\n\nCompany\tSymbol\tSector\nACME CORP\tACME\tTechnology\n"
            b"BETA INDUSTRIES\tBE TA\tTechnology\nGAMMA HOLDINGS\tGAMM\tEnergy\n"
        ),
    )
    where = (
        "raw/2023/zz-adds.txt: 1 line(s) hold data no row was read from (not company, symbol and sector in "
        "their columns): page 1 line 5: 'BETA INDUSTRIES BE TA Technology'"
    )
    assert done.returncode == 1 and where in done.stdout + done.stderr, done.stdout + done.stderr
    assert (
        "zz-adds.txt,1,5,not_a_row,,," in done.stdout.splitlines()
    )  # the entry that settles it, ready to paste
    # Through GraphQL: the partition's latest observation says why it failed.
    data = server.graphql(
        '{ assetOrError(assetKey: {path: ["source_documents"]}) { ... on Asset { '
        'assetObservations(partitions: ["2023"], limit: 1) { metadataEntries { label '
        "... on TextMetadataEntry { text } } } } } }"
    )
    [observation] = data["assetOrError"]["assetObservations"]
    status = {e["label"]: e.get("text") for e in observation["metadataEntries"]}["status"]
    assert status == f"failed: {where}"
    # In the browser: the failed partition's page shows the reason beside the failure.
    page.goto(f"{server.url}/assets/source_documents?view=partitions&partition=2023")
    expect(page.get_by_text(re.compile(r"raw/2023/zz-adds\.txt: 1 line\(s\) hold data")).first).to_be_visible(
        timeout=WAIT_MS
    )


def test_a_refused_document_leaves_the_checks_of_the_data_the_lake_holds(browser, server, page):
    """Last in the module (it fails year 2024): an HTML page saved as `.pdf` is refused before any
    check runs. The run and the partition show failed; the checks do not: each is not evaluated,
    with the run's reason, and keeps its result on the rows the lake still holds (never Dagster's
    "Execution failed", the red of data that failed)."""
    from playwright.sync_api import expect

    done = _build_with(
        server,
        "2024/ru3000-additions.pdf",
        b"<!DOCTYPE html><html><head><title>Access denied</title></head><body>Access denied</body></html>",
    )
    reason = "raw/2024/ru3000-additions.pdf: is an HTML page, not a PDF (a failed download saved as .pdf?)"
    assert done.returncode == 1 and f"documents 2024: FAILED: documents: {reason}" in done.stderr, done.stderr
    failed_run = server.asset("source_documents", 'latestRunForPartition(partition: "2024") { id status }')[
        "latestRunForPartition"
    ]
    assert failed_run["status"] == "FAILURE"
    # Through GraphQL: the partition is failed, its observation says why ...
    ranges = server.asset(
        "source_documents",
        "assetPartitionStatuses { ... on TimePartitionStatuses { ranges { startKey endKey status } } }",
    )["assetPartitionStatuses"]["ranges"]
    # (2023 too: the test before refused its list, and its documents were not run again since)
    assert any(r["startKey"] <= "2024" <= r["endKey"] and r["status"] == "FAILED" for r in ranges), ranges
    seen = server.asset("source_documents", OBSERVATIONS.format(keys='"2024"'))["assetObservations"]
    assert _metadata(seen[0]["metadataEntries"])["status"] == f"failed: {reason}"
    # ... and every check of the three tables keeps its verdict, not evaluated by the failed run.
    for asset in ("source_documents", "constituents", "constituent_changes"):
        checks = server.asset(
            asset,
            "assetChecksOrError { ... on AssetChecks { checks { name "
            "executionForLatestMaterialization { status runId evaluation { description } } } } }",
        )
        for check in checks["assetChecksOrError"]["checks"]:
            latest = check["executionForLatestMaterialization"]
            assert (latest["status"], latest["runId"]) == ("SUCCEEDED", failed_run["id"]), (asset, check)
            assert latest["evaluation"]["description"].startswith(
                f"not evaluated: its run failed ({reason}); the result on the rows the lake holds"
            ), check
    # In the browser: the checks read succeeded with the reason they were not evaluated, none failed ...
    page.goto(f"{server.url}/assets/source_documents?view=checks")
    expect(page.get_by_text("Checks (2)", exact=True)).to_be_visible()
    expect(page.get_by_text("Succeeded", exact=True)).to_have_count(2)  # rows_match_pages, no_skipped_files
    expect(page.get_by_text("Failed", exact=True)).to_have_count(0)
    expect(page.get_by_text(re.compile(r"^not evaluated: its run failed \(")).first).to_be_visible()
    # ... and the partition's page shows the failed run and why, above the facts of the data it holds.
    page.goto(f"{server.url}/assets/source_documents?view=partitions&partition=2024")
    expect(page.get_by_text("failed, and did not materialize this asset.")).to_be_visible()
    expect(page.get_by_text(f"failed: {reason}", exact=True)).to_be_visible()
