"""The membership tests' fixture: the real FTSE Russell lists parsed once per module."""

from __future__ import annotations

import shutil

import pytest

from russell_pipeline.lib.documents import ingest


@pytest.fixture(scope="module")
def real_lists(tmp_path_factory, real_pdf):
    """The real 2016 and 2022 Russell 3000 lists and 2023 final changes, copied into a raw/ folder."""
    raw = tmp_path_factory.mktemp("real") / "raw"
    files = {
        2016: ["ru3000_membershiplist_20160627.pdf"],
        2022: ["ru3000_membershiplist_20220624_0.pdf"],
        2023: ["ru3000-additions-final-20230623.pdf", "ru3000-deletions-final-20230623.pdf"],
    }
    for year, names in files.items():
        (raw / str(year)).mkdir(parents=True)
        for name in names:
            shutil.copyfile(real_pdf(name), raw / str(year) / name)
    return [ingest.ingest_year(raw, y) for y in files]
