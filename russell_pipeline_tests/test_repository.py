"""The repository as a user's checkout: what they drop in or make stays out of `git status`."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from russell_pipeline_tests.helpers import REPO

DROPPED = [
    "data_lake/raw/2023/ru3000_membershiplist_20230623.pdf",  # a real list dropped in
    "data_lake/raw/2024/RU2000_Additions_Final.PDF",  # fetched, upper-case name
    "ru3000-additions-final-20230623.pdf",  # left at the top of the checkout
    "data_lake/raw/2023/nasdaq_screener_2023-04-28.csv",  # a universe file
    "report/report.html",  # `report --out report/`
    "report/index_levels.svg",
    "report/summary.csv",
    "reports/2024/report.html",
    "out-2025/report.html",  # `report --out out-2025/`
    "out-2025/index_levels.svg",
]


def test_dropped_documents_and_report_folders_stay_out_of_git_status(tmp_path):
    """Before, `git status` listed every one of them but report/ as untracked, ready to be committed."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copy(REPO / ".gitignore", tmp_path / ".gitignore")
    (tmp_path / "data_lake" / "raw" / "2023").mkdir(parents=True)
    kept = tmp_path / "data_lake" / "raw" / "2023" / "001_sample.txt"  # a committed sample stays visible
    kept.write_text("Company Symbol Industry\n")
    for name in DROPPED:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"%PDF-1.7\n")
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert sorted(status) == ["?? .gitignore", "?? data_lake/raw/2023/001_sample.txt"]


LINE_WIDTH = 300  # characters: a table that needs more is a list or sections
LONGEST = {"README.md": 200, "docs/testing.md": 300}  # lines


def test_the_docs_stay_references_a_reader_can_scan():
    """No line of README.md or docs/*.md is over 300 characters, the README holds at most 200 lines and
    docs/testing.md at most 300. Before, reliability.md had table lines of up to 1,954 characters and
    testing.md 1,941 lines, most of them a log of mutation runs."""
    docs = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    assert len(docs) > 5
    wide = [
        f"{doc.relative_to(REPO)}:{n}: {len(line)} characters"
        for doc in docs
        for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1)
        if len(line) > LINE_WIDTH
    ]
    assert wide == []
    lines = {name: len((REPO / name).read_text(encoding="utf-8").splitlines()) for name in LONGEST}
    assert {name: n for name, n in lines.items() if n > LONGEST[name]} == {}
