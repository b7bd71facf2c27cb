"""The conftest hook that turns a skip for an absent ../shared document into a failure where
../shared/real holds the PDFs, and any other skip into a failure where RUSSELL_REQUIRE_ALL is set (CI),
run on a throw-away project with pytester."""

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


def test_plain():
    pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch) -> pytest.Pytester:
    """A project whose ../shared is its own shared/ folder, its tests run with the suite's conftest.py."""
    monkeypatch.setenv("RUSSELL_TEST_SHARED", str(pytester.path / "shared"))
    monkeypatch.delenv("RUSSELL_REQUIRE_ALL", raising=False)  # CI sets it for the suite itself
    pytester.makepyfile(test_docs=TESTS)
    (pytester.path / "shared" / "real").mkdir(parents=True)
    return pytester


def test_skips_for_absent_shared_documents_fail_where_the_real_pdfs_are(project):
    real = project.path / "shared" / "real"
    (real / "ru3000-additions-final-20230623.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    result = project.runpytest_subprocess("-rA", *OPTIONS)
    # The real-PDF skip (in the call) fails, the mark skip naming ../shared (in setup) errors,
    # the unrelated skip stays a skip.
    result.assert_outcomes(passed=1, failed=1, errors=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [  # the ERRORS section (setup) comes before FAILURES
            (
                f"skipped although {real} holds the real documents: "
                f"{project.path}/shared/CALENDAR_FACTS.md not present"
            ),
            (
                f"skipped although {real} holds the real documents: "
                f"{real}/ru3000_membershiplist_20990101.pdf not present (the real FTSE Russell PDFs, "
                "never committed: docs/testing.md)"
            ),
            "SKIPPED [[]1[]] test_docs.py:17: needs a mount namespace (unshare -m)",
            "ERROR test_docs.py::test_calendar_facts[[]0[]] - skipped although *",
            "FAILED test_docs.py::test_reads_a_real_pdf - skipped although *",
        ]
    )


def test_the_same_skips_pass_where_shared_has_no_pdfs(project):
    result = project.runpytest_subprocess("-rA", *OPTIONS)
    result.assert_outcomes(passed=1, skipped=3)
    assert result.ret == pytest.ExitCode.OK


def test_with_require_all_every_other_skip_fails_and_an_absent_shared_stays_a_skip(project, monkeypatch):
    monkeypatch.setenv("RUSSELL_REQUIRE_ALL", "1")
    result = project.runpytest_subprocess("-rA", *OPTIONS)
    # The mark skip (in setup) errors; the skips for the absent ../shared stay skips.
    result.assert_outcomes(passed=1, errors=1, skipped=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            (
                "skipped although RUSSELL_REQUIRE_ALL is set (CI has what each test needs): needs a mount "
                "namespace (unshare -m)"
            ),
            "ERROR test_docs.py::test_skipped_for_another_reason - skipped although *",
        ]
    )
