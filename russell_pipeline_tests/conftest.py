"""Shared fixtures and hooks: the lakes built once per run, a fresh lake and its resources per test, the
small market feed, the real PDFs of ../shared, a browser; skips for absent real PDFs fail where they are
present, and in CI every skip for something CI has fails. The lakes are made in lakes.py; constants and
plain helpers live in helpers.py."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from russell_pipeline.lib import collector
from russell_pipeline_tests.helpers import REAL, SHARED, WAIT_MS
from russell_pipeline_tests.lakes import LakeFolder, SharedLakes, real_document, sample_lake


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


# The tests' folders (lakes, Dagster homes, market data: about 1 GB a run) go to a file system in memory
# where the machine has one with room: every build syncs its commits and its SQLite events to disk
# hundreds of times, and on a shared virtual disk a build then waits a third of its time on those syncs
# (docs/testing.md). `--basetemp DIR` chooses the folder; RUSSELL_TEST_TMP=disk keeps pytest's default.
RAM = Path("/dev/shm")
RAM_ROOM = 4 * 2**30  # bytes free it needs


def _ram_folder() -> Path | None:
    """This run's folder in memory (`/dev/shm/russell-tests-<uid>/<pid>`), after removing those of runs
    that are over (a run that failed leaves its folder for a look); None where there is no room."""
    from russell_pipeline.lib.sandbox import running

    try:
        room = os.statvfs(RAM)
    except OSError:
        return None
    if room.f_bavail * room.f_frsize < RAM_ROOM or not os.access(RAM, os.W_OK):
        return None
    root = RAM / f"russell-tests-{os.getuid()}"
    root.mkdir(exist_ok=True)
    for earlier in root.iterdir():
        if not (earlier.name.isdecimal() and running(int(earlier.name))):
            shutil.rmtree(earlier, ignore_errors=True)
    return root / str(os.getpid())


@pytest.hookimpl(tryfirst=True)  # before pytest reads the option to make its temporary folders
def pytest_configure(config: pytest.Config) -> None:
    worker = hasattr(config, "workerinput")  # an xdist worker takes its folder inside the controller's
    if config.option.basetemp is None and not worker and os.environ.get("RUSSELL_TEST_TMP") != "disk":
        folder = _ram_folder()
        if folder is not None:
            config.option.basetemp = str(folder)
            config.stash[_IN_RAM] = folder
    # The Dagster instances the tests open read Dagster's migration scripts once per process, as a build's
    # do (runner/migrations.py).
    from russell_pipeline.runner.migrations import keep_migration_scripts

    keep_migration_scripts()
    # The imports so far live as long as the process; and a build the tests run in this process freezes
    # nothing of theirs (lib/collector.py: `freeze_survivors` is once per process).
    collector.freeze_now()


_IN_RAM = pytest.StashKey[Path]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After a test file's last test and its fixtures' teardown, what the process still holds lives on
    (modules, definitions, the session's fixtures): frozen, so that later full collections look only at
    what the next files make (lib/collector.py)."""
    done = yield
    if nextitem is None or nextitem.path != item.path:
        collector.freeze_now()
    return done


def pytest_unconfigure(config: pytest.Config) -> None:
    """A run in memory that passed takes its folders with it; one that failed leaves them, and says where."""
    folder = config.stash.get(_IN_RAM, None)
    if folder is None:
        return
    if getattr(config, "_russell_failed", True):
        print(f"\nthe failed run's test folders are in memory, at {folder} (the next run removes them)")
    else:
        shutil.rmtree(folder, ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._russell_failed = exitstatus != 0


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """The workers of `-n logical` (pyproject.toml): one per core this process may run on, and two more.
    A worker waits part of its time even with its folders in memory (Dagster's runs starting their log
    watchers, servers and the browser answering, a worker waiting for a shared lake another builds): on
    2 cores, 3 workers kept the cores 88% busy (175%CPU) and 4 kept them 98% busy; 5 kept them as busy
    and took 10% more CPU and wall time (docs/performance.md, the test suite).
    PYTEST_XDIST_AUTO_NUM_WORKERS, when set, decides."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs the test files on every core (pytest-xdist, `--dist loadfile`): the `slow`
    tests come first, the costliest files first of all (their `cpu` marker, as `bench/suite_cpu.py`
    measured them), so that the files holding the long builds, servers and browser are handed out first
    and no worker is left with one at the end while the others idle (the UI's file, handed out last of
    the slow ones, ran alone for the suite's last 20 s)."""

    def cost(item: pytest.Item) -> float:
        marker = item.get_closest_marker("cpu")
        return marker.args[0] if marker else 0

    # stable: the order otherwise kept
    items.sort(key=lambda item: (item.get_closest_marker("slow") is None, -cost(item)))


@pytest.fixture(scope="session", autouse=True)
def _temporary_files_beside_the_folders(tmp_path_factory) -> Iterator[None]:
    """Where the tests' folders are in memory, so are the temporary files of each test process and of the
    processes it starts (`tempfile`, TMPDIR): Dagster's test instances (`instance_for_test`) keep their
    SQLite event logs there, and on the disk every event's commit waited on a sync (a test of one in-process
    build: 47 s of wall time for 12 s of CPU, `git log -p docs/testing.md`)."""
    base = tmp_path_factory.getbasetemp()
    if not base.resolve().is_relative_to(RAM):
        yield
        return
    folder = base / "tmp"
    folder.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(folder))
        patch.setenv("TMPDIR", str(folder))
        yield


_SIGTERM = signal.getsignal(signal.SIGTERM)  # as this process (the suite, or its xdist worker) began


@pytest.fixture(autouse=True)
def _sigterm_as_the_suite_began() -> Iterator[None]:
    """Each test starts and ends with SIGTERM's handler as the suite began. A Dagster run inside a test
    process sets SIGTERM to whatever SIGINT does and leaves it so: in a suite started with SIGINT ignored
    (`make test &`, nohup), SIGTERM was then ignored too, by the worker and by every program a later test
    of it started (the `make` that test_ui.py stops with SIGTERM ran on). A run in a module's fixture
    comes before a test's own fixtures, so the handler is set back before each test too, not only after."""
    signal.signal(signal.SIGTERM, _SIGTERM)
    yield
    signal.signal(signal.SIGTERM, _SIGTERM)


@pytest.fixture(scope="session")
def real_pdf() -> Callable[[str], Path]:
    """`real_pdf(name)`: a real FTSE Russell PDF from ../shared/real; the test skips where it is absent."""

    return real_document


@pytest.fixture(scope="session")
def lakes(tmp_path_factory) -> SharedLakes:
    """The lakes built once per run and shared by every worker (lakes.py): `lakes.built(end)` to read,
    `lakes.copy(folder, end)` to change."""
    base = tmp_path_factory.getbasetemp()
    # This run's temporary folder, which every xdist worker sees (each worker's own is inside it).
    return SharedLakes((base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared_lakes")


@pytest.fixture
def tmp_lake(tmp_path: Path) -> LakeFolder:
    """A lake holding a copy of the committed sample documents (lakes.py `sample_lake`)."""
    return sample_lake(tmp_path / "lake_root")


@pytest.fixture
def lake_resources(tmp_lake: LakeFolder) -> dict:
    """The resources over `tmp_lake`, with the built-in synthetic feed."""
    return tmp_lake.resources()


@pytest.fixture(scope="session")
def small_market(lakes: SharedLakes) -> Path:
    """The small market-data folder (120 synthetic stocks to 2020-03-31; read-only): whole builds take
    seconds."""
    return lakes.small_market()


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


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium. Tests name it before costly fixtures: when it skips, nothing is built."""
    if not CHROMIUM.is_file():
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    from playwright.sync_api import expect, sync_playwright

    # `expect` waits 5 s unless told otherwise (the context's timeout does not reach it): a busy
    # CI machine draws a node's check badge later than that.
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
