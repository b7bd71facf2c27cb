"""The conftest hook that turns a skip for an absent ../shared document into a failure where
../shared/real holds the PDFs, and in CI any skip for something CI has into a failure, run on a
throw-away project with pytester; the order files are handed out in; and the suite's own options
ending a run whose worker crashes or hangs."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]
OPTIONS = ("-p", "no:cacheprovider", "-p", "russell_pipeline_tests.conftest")

TESTS = """
from pathlib import Path

import pytest

FACTS = Path(__file__).parent / "shared" / "CALENDAR_FACTS.md"


def test_reads_a_real_pdf(real_pdf):
    real_pdf("ru3000_membershiplist_20990101.pdf")


@pytest.mark.parametrize("row", [pytest.param(0, marks=pytest.mark.skip(reason=f"{FACTS} not present"))])
def test_calendar_facts(row):
    pass


@pytest.mark.skip(reason="needs a mount namespace (unshare -m)")
def test_skipped_for_another_reason():
    pass


def test_skipped_for_a_tool_ci_has():
    pytest.skip("uv (installed by `make setup`) is not in this environment")


def test_plain():
    pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch) -> pytest.Pytester:
    """A project whose ../shared is its own shared/ folder, its tests run with the suite's conftest.py."""
    monkeypatch.setenv("RUSSELL_TEST_SHARED", str(pytester.path / "shared"))
    monkeypatch.delenv("RUSSELL_CI", raising=False)
    pytester.makepyfile(test_docs=TESTS)
    (pytester.path / "shared" / "real").mkdir(parents=True)
    return pytester


def test_skips_for_absent_shared_documents_fail_where_the_real_pdfs_are(project):
    real = project.path / "shared" / "real"
    (real / "ru3000-additions-final-20230623.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    result = project.runpytest_subprocess("-rA", *OPTIONS)
    # The real-PDF skip (in the call) fails, the mark skip naming ../shared (in setup) errors,
    # the unrelated skip stays a skip.
    result.assert_outcomes(passed=1, failed=1, errors=1, skipped=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [  # the ERRORS section (setup) comes before FAILURES
            (
                f"skipped although {real} holds the real documents: "
                f"{project.path}/shared/CALENDAR_FACTS.md not present"
            ),
            (
                f"skipped although {real} holds the real documents: "
                f"{real}/ru3000_membershiplist_20990101.pdf not present (the real FTSE Russell PDFs*"
            ),
            "SKIPPED [[]1[]] test_docs.py:17: needs a mount namespace (unshare -m)",
            "ERROR test_docs.py::test_calendar_facts[[]0[]] - skipped although *",
            "FAILED test_docs.py::test_reads_a_real_pdf - skipped although *",
        ]
    )


def test_the_same_skips_pass_where_shared_has_no_pdfs(project):
    result = project.runpytest_subprocess("-rA", *OPTIONS)
    result.assert_outcomes(passed=1, skipped=4)
    assert result.ret == pytest.ExitCode.OK


def test_in_ci_a_skip_for_something_ci_has_fails_and_one_for_what_it_may_lack_stays(project, monkeypatch):
    monkeypatch.setenv("RUSSELL_CI", "1")
    result = project.runpytest_subprocess("-rA", *OPTIONS)
    # Without the real PDFs the ../shared skips stay skips; the mount namespace CI may lack.
    result.assert_outcomes(passed=1, failed=1, skipped=3)
    result.stdout.fnmatch_lines(
        [
            "skipped in CI (RUSSELL_CI is set), which has what the test waits for: uv (installed by *",
            "FAILED test_docs.py::test_skipped_for_a_tool_ci_has - skipped in CI *",
        ]
    )


SIGNAL_TESTS = """
import signal

import dagster as dg
import pytest


def _run():
    @dg.op
    def one():
        return 1

    @dg.job
    def job():
        one()

    assert job.execute_in_process().success


@pytest.fixture(scope="module")
def module_run():
    _run()  # before any test's own fixture


def test_a_dagster_run_in_the_test_process():
    _run()


def test_the_next_test_finds_sigterm_as_the_suite_began():
    assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_a_test_after_a_dagster_run_in_a_module_fixture_finds_it_so_too(module_run):
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
"""


def test_a_suite_started_with_sigint_ignored_keeps_sigterm_after_a_dagster_run(pytester):
    """Started in the background (`make test &`), a suite ignores SIGINT; a Dagster run in a test, or in a
    module's fixture, then set SIGTERM to be ignored too, for the rest of the worker and every program it
    started."""
    import signal

    pytester.makepyfile(test_signals=SIGNAL_TESTS)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # what the suite's process inherits
    try:
        result = pytester.runpytest_subprocess("-rA", *OPTIONS)
    finally:
        signal.signal(signal.SIGINT, previous)
    result.assert_outcomes(passed=3)


FREEZE_TESTS = {
    "test_first": """
import builtins
import gc

KEPT = [[i] for i in range(20_000)]  # lives as long as the process (the module stays imported)


def test_the_first_file_finds_the_start_up_frozen():
    builtins.frozen_in_first_file = gc.get_freeze_count()
    assert builtins.frozen_in_first_file > 10_000
""",
    "test_second": """
import builtins
import gc


def test_the_next_file_finds_what_the_first_left_frozen_too():
    assert gc.get_freeze_count() >= builtins.frozen_in_first_file + 20_000
""",
}


def test_between_two_test_files_what_the_process_holds_is_frozen(pytester):
    """At its start, and between two test files (their fixtures torn down), the test process freezes what
    it still holds (lib/collector.py `freeze_now`): later full collections look only at what the next
    files make."""
    pytester.makepyfile(**FREEZE_TESTS)
    result = pytester.runpytest_subprocess("-rA", "-n", "0", *OPTIONS)
    result.assert_outcomes(passed=2)


def test_the_slow_files_are_handed_out_first_the_costliest_of_them_first(pytester: pytest.Pytester):
    """The order the workers are handed the files in (`--dist loadfile` takes them as collected): the files
    holding `slow` tests, those marked costlier first, then the others, each kept in its own order."""
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n    cpu(seconds): cost\n")
    slow, unit = "@pytest.mark.slow\ndef test_build():\n    pass\n", "def test_unit():\n    pass\n"
    pytester.makepyfile(
        test_a_unit="def test_one():\n    pass\n\ndef test_two():\n    pass\n",
        test_b_slow=f"import pytest\n\n{slow}\n{unit}",
        test_c_costly=f"import pytest\n\npytestmark = pytest.mark.cpu(40)\n\n{slow}\n{unit}",
        test_d_costliest="import pytest\n\npytestmark = [pytest.mark.slow, pytest.mark.cpu(80)]\n\n" + unit,
    )
    result = pytester.runpytest_subprocess("--collect-only", "-q", *OPTIONS)
    assert [line for line in result.outlines if "::" in line] == [
        "test_d_costliest.py::test_unit",
        "test_c_costly.py::test_build",
        "test_b_slow.py::test_build",
        "test_c_costly.py::test_unit",
        "test_a_unit.py::test_one",
        "test_a_unit.py::test_two",
        "test_b_slow.py::test_unit",
    ]


# A test that kills its worker (no core file of it), and one stuck in a wait; then two files of quick tests.
STOPS = {
    "crash": "import os\nimport resource\nimport signal\n\n\ndef test_stop():\n"
    "    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "    os.kill(os.getpid(), signal.SIGSEGV)\n",
    "hang": "import threading\n\n\ndef test_stop():\n    threading.Event().wait()\n",
}
LATER = "import time\n\n\n" + "".join(f"def test_{i}():\n    time.sleep(0.2)\n\n\n" for i in range(3))


@pytest.mark.parametrize(
    ("stop", "options", "said"),
    [
        ("crash", (), "Fatal Python error: Segmentation fault"),
        ("hang", ("-o", "faulthandler_timeout=2"), "Timeout (0:00:02)!"),
    ],
)
def test_a_worker_that_crashes_or_hangs_ends_the_run_at_once_naming_its_test(pytester, stop, options, said):
    """The suite's own options (pyproject.toml, here one worker running whole files): a worker killed by a
    segmentation fault, or stuck in a test past `faulthandler_timeout` (which then prints every thread's
    traceback and exits its process), ends the run with its test failed by name, the other files not handed
    to a replacement worker: pytest-xdist 3.8 waits forever on one under `--dist loadfile` (this run does so
    without `--max-worker-restart 0`), and a stuck test would hold CI to its 90 minutes."""
    import tomllib

    from russell_pipeline_tests.helpers import REPO

    ini = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert (
        ini["faulthandler_timeout"] >= 600 and ini["faulthandler_exit_on_timeout"] is True
    )  # the slowest: 3 min
    pytester.makepyfile(test_a_stop=STOPS[stop], test_b_later=LATER, test_c_later=LATER)
    result = pytester.runpytest_subprocess(
        "-c",
        str(REPO / "pyproject.toml"),
        "--rootdir",
        str(pytester.path),
        "-n",
        "1",
        "-p",
        "no:cacheprovider",
        *options,
        timeout=120,
    )
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    assert "crashed while running 'test_a_stop.py::test_stop'" in output, output
    assert "crashed and worker restarting disabled" in output, output
    assert "replacing crashed worker" not in output, output
    assert said in result.stderr.str() + output  # the faulthandler's traceback of every thread
