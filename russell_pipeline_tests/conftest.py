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


def real_pdf(name: str) -> Path:
    """A real FTSE Russell PDF from ../shared/real; the test skips where it is absent."""
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return path


def resources_for(root: Path | str, **market) -> dict:
    """The Dagster resources over the lake at `root`, built the way the pipeline builds them
    (`resources(settings)`); `market` sets the market source (folder, synthetic_end, synthetic_stocks...)."""
    from russell_pipeline.defs.resources import MarketSource, resources
    from russell_pipeline.settings import Settings

    built = resources(Settings().with_lake(root))
    if market:
        built["market"] = MarketSource(**market)
    return built


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

    from russell_pipeline.lib.market.contract import write_market_data
    from russell_pipeline.lib.market.synthetic import synthetic_market_data

    folder = tmp_path_factory.mktemp("small_market")
    write_market_data(synthetic_market_data(date(2020, 3, 31), n_stocks=120), folder)
    return folder


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

    context = dg.build_sensor_context(instance=instance, resources={"lake": resources["lake"]})
    return publish_warehouse(context).skip_message
