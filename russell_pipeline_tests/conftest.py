"""Shared fixtures: the repository, ../shared, and a fresh lake per test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# ../shared next to the checkout; RUSSELL_TEST_SHARED points elsewhere (`make mutate` runs the tests
# from a copy of the project in mutants/, whose parent has no shared/).
SHARED = Path(os.environ.get("RUSSELL_TEST_SHARED") or REPO.parent / "shared")
REAL = SHARED / "real"
RAW = REPO / "data_lake" / "raw"


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A test that skips because ../shared or a real PDF in it is absent fails where ../shared/real
    holds the PDFs: there the skip means the test lost track of the documents, and CI must not pass
    it silently. (Skips for other reasons, and all skips on machines without ../shared, stay skips.)"""
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and any(REAL.glob("*.pdf")):
        reason = _skip_reason(report)
        if str(SHARED) in reason or "../shared" in reason:
            report.outcome = "failed"
            report.longrepr = f"skipped although {REAL} holds the real documents: {reason}"
    return report


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--layouts", type=int, default=500, metavar="N",
                     help="how many randomly drawn list layouts documents/test_generated_layouts.py reads "
                          "(seeds 0..N-1; default 500, what CI runs)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs the test files on every core (pytest-xdist, `--dist loadfile`): the `slow`
    tests come first, so that the files holding the long builds are handed out first and no worker
    is left with one at the end while the other idles."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: the order otherwise kept


def real_pdf(name: str) -> Path:
    """A real FTSE Russell PDF from ../shared/real; the test skips where it is absent."""
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return path


def resources_for(root: Path | str, **settings) -> dict:
    """The Dagster resources over the lake at `root`, built the way the pipeline builds them
    (`resources(settings)`); `settings` sets other fields of `Settings` (market_data, synthetic_end...)."""
    from dataclasses import replace

    from russell_pipeline.defs.resources import resources
    from russell_pipeline.settings import Settings

    return resources(replace(Settings().with_lake(root), **settings))


def documents_lake(root: Path, documents: dict[str, str]) -> Path:
    """A lake at `root` whose raw/ holds `documents` ({"<year>/<file name>": text})."""
    for name, text in documents.items():
        (root / "raw" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "raw" / name).write_text(text)
    return root


@pytest.fixture
def lake_resources(tmp_lake: Path) -> dict:
    """The resources over `tmp_lake`, with the built-in synthetic feed."""
    return resources_for(tmp_lake)


@pytest.fixture
def tmp_lake(tmp_path: Path) -> Path:
    """A lake folder holding a copy of the committed sample documents."""
    root = tmp_path / "lake_root"
    shutil.copytree(RAW, root / "raw")
    return root


@pytest.fixture(scope="session")
def small_market(tmp_path_factory) -> Path:
    """A small market-data folder (120 synthetic stocks to 2020-03-31): whole builds take seconds."""
    from datetime import date

    return market_folder(tmp_path_factory.mktemp("small_market"), date(2020, 3, 31))


def market_folder(folder: Path, end) -> Path:
    """The small synthetic feed (120 stocks, the same on every call) up to `end`, written to `folder`."""
    from russell_pipeline.lib.market.contract import write_market_data
    from russell_pipeline.lib.market.synthetic import synthetic_market_data

    write_market_data(synthetic_market_data(end, n_stocks=120), folder)
    return folder


def _shared_root(tmp_path_factory) -> Path:
    """This run's temporary folder that every xdist worker sees (each worker's own is inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def fresh_build(tmp_path_factory):
    """`fresh_build(end)`: the lake root of a first `russell-pipeline build` over the sample documents
    and the small feed up to `end` (2020-03-31 or later). Tests compare a lake that went through kills
    and rebuilds with it; they only read it. Built once per run, whichever worker asks first (the
    others wait on the lock and reuse it)."""
    import fcntl
    from datetime import date

    from russell_pipeline_tests.helpers import cli

    shared = _shared_root(tmp_path_factory) / "fresh_builds"
    shared.mkdir(exist_ok=True)

    def build(end: date) -> Path:
        folder = shared / end.isoformat()
        with (shared / f"{end.isoformat()}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (folder / "built").exists():
                shutil.rmtree(folder, ignore_errors=True)
                shutil.copytree(RAW, folder / "lake" / "raw")
                env = {"RUSSELL_DATA_LAKE": str(folder / "lake"),
                       "RUSSELL_MARKET_DATA": str(market_folder(folder / "market", end)),
                       "DAGSTER_HOME": str(folder / "home")}
                done = cli("build", env=env, text=True)
                assert done.returncode == 0, done.stderr[-2000:]
                (folder / "built").touch()
        return folder / "lake"

    return build


CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, never a downloaded one; nothing but a server on 127.0.0.1 (or a file) may be reached.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# CI sets this: a missing Chromium there is a failure, not a skip.
REQUIRE_CHROMIUM = "RUSSELL_REQUIRE_CHROMIUM"
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium. Tests name it before costly fixtures: when it skips, nothing is built."""
    if not CHROMIUM.is_file():
        reason = f"{CHROMIUM} not installed (apt-get install chromium; .ci/run does)"
        if os.environ.get(REQUIRE_CHROMIUM):
            pytest.fail(f"{reason}, and {REQUIRE_CHROMIUM} is set")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    # `expect` waits 5 s unless told otherwise (the context's timeout does not reach it): a busy
    # CI machine draws a node's check badge later than that.
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def publish_after_runs(instance, resources: dict) -> str:
    """What the `publish_warehouse` sensor does once the runs are done: runs outside `build` do not
    publish the warehouse themselves (lake/commit.py). Returns the sensor's message."""
    import dagster as dg

    from russell_pipeline.defs.publish import publish_warehouse

    context = dg.build_sensor_context(instance=instance, resources={"pipeline": resources["pipeline"]})
    return publish_warehouse(context).skip_message
