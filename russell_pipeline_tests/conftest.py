"""Shared fixtures and hooks: a fresh lake and its resources per test, the small market feed, first
builds to compare with, the real PDFs of ../shared, a browser; skips for absent real PDFs fail where
they are present, and in CI every skip for something CI has fails. Constants and plain helpers live in
helpers.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from russell_pipeline_tests.helpers import RAW, REAL, SHARED, WAIT_MS, cli, market_folder, resources_for


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


# CI sets this (.ci/run): there a skip is a failure unless what it waits for is something CI may lack.
IN_CI = "RUSSELL_CI"
# What CI may lack, as skips name it: kernel features of the machine it runs on. (The real documents of
# ../shared, which may not be redistributed, are judged by where ../shared/real holds them.)
CI_MAY_LACK = ("needs a mount namespace (unshare -m)", "this kernel has no Landlock")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A skip that means a test lost track of what it needs fails:

    - a test that skips because ../shared or a real PDF in it is absent fails where ../shared/real holds
      the PDFs (skips naming ../shared on machines without the PDFs stay skips);
    - in CI (`RUSSELL_CI` set), every other skip fails unless it waits for something CI may lack
      (`CI_MAY_LACK`): CI has the locks' packages, uv and Chromium, so a skip for one of them there
      would pass a test that never ran."""
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = _skip_reason(report)
        if str(SHARED) in reason or "../shared" in reason:
            if any(REAL.glob("*.pdf")):
                report.outcome = "failed"
                report.longrepr = f"skipped although {REAL} holds the real documents: {reason}"
        elif os.environ.get(IN_CI) and not reason.startswith(CI_MAY_LACK):
            report.outcome = "failed"
            report.longrepr = f"skipped in CI ({IN_CI} is set), which has what the test waits for: {reason}"
    return report


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--layouts",
        type=int,
        default=16,
        metavar="N",
        help="how many randomly drawn list layouts documents/test_generated_layouts.py reads "
        "(seeds 0..N-1; default 16, what CI runs, a few seconds; bench/layouts_bench.py reads thousands)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs the test files on every core (pytest-xdist, `--dist loadfile`): the `slow`
    tests come first, so that the files holding the long builds are handed out first and no worker
    is left with one at the end while the other idles."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: the order otherwise kept


@pytest.fixture(scope="session")
def real_pdf() -> Callable[[str], Path]:
    """`real_pdf(name)`: a real FTSE Russell PDF from ../shared/real; the test skips where it is absent."""

    def find(name: str) -> Path:
        path = REAL / name
        if not path.is_file():
            pytest.skip(f"{path} not present")
        return path

    return find


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

    shared = _shared_root(tmp_path_factory) / "fresh_builds"
    shared.mkdir(exist_ok=True)

    def build(end: date) -> Path:
        folder = shared / end.isoformat()
        with (shared / f"{end.isoformat()}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (folder / "built").exists():
                shutil.rmtree(folder, ignore_errors=True)
                shutil.copytree(RAW, folder / "lake" / "raw")
                env = {
                    "RUSSELL_DATA_LAKE": str(folder / "lake"),
                    "RUSSELL_MARKET_DATA": str(market_folder(folder / "market", end)),
                    "DAGSTER_HOME": str(folder / "home"),
                }
                done = cli("build", env=env, text=True)
                assert done.returncode == 0, done.stderr[-2000:]
                (folder / "built").touch()
        return folder / "lake"

    return build


CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, never a downloaded one; nothing but a server on 127.0.0.1 (or a file) may be reached.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# CI sets this: a missing Chromium there is a failure, not a skip.
REQUIRE_CHROMIUM = "RUSSELL_REQUIRE_CHROMIUM"


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
