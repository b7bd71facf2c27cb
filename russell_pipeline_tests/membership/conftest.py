"""The membership tests' fixture: the real FTSE Russell lists parsed once per module."""

from __future__ import annotations

import pytest

from russell_pipeline.lib.documents import ingest
from russell_pipeline_tests import lakes


@pytest.fixture(scope="module")
def real_lists(tmp_path_factory):
    """The real 2016 and 2022 Russell 3000 lists and 2023 final changes (lakes.REAL_LISTS), parsed."""
    raw = lakes.real_lists(tmp_path_factory.mktemp("real")).root / "raw"
    return [ingest.ingest_year(raw, y) for y in lakes.REAL_LISTS]
