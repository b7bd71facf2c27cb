"""Shared fixtures: the repository, ../shared, and a fresh lake per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REAL = SHARED / "real"
RAW = REPO / "data_lake" / "raw"


def real_pdf(name: str) -> Path:
    """A real FTSE Russell PDF from ../shared/real; the test skips where it is absent."""
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return path


@pytest.fixture
def tmp_lake(tmp_path: Path) -> Path:
    """A lake folder holding a copy of the committed sample documents."""
    root = tmp_path / "lake_root"
    shutil.copytree(RAW, root / "raw")
    return root
