"""`build` decides "nothing to do" before importing Dagster, and exactly when the full planner would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from russell_pipeline.cli import main
from russell_pipeline.lake.checksums import data_files
from russell_pipeline.lake.document_tables import ingested_lists
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.planning import digests, keys, stale
from russell_pipeline.runner.build import build, nothing_to_do
from russell_pipeline.settings import Settings
from russell_pipeline_tests.helpers import flip_bytes, up_to_date_lines
from russell_pipeline_tests.lakes import sample_lake
from russell_pipeline_tests.planning.test_incremental import AMENDED_2019

MOMENTS = [
    "2025-12-31T23:59:59",
    "2026-01-01T00:00:00",
    "2026-02-28T12:00:00",
    "2026-03-01T00:00:00",
    "2026-05-31T23:59:59",
    "2026-06-01T00:00:00",
    "2026-09-15T08:00:00",
    "2026-12-01T00:00:00",
    "2027-11-30T23:59:59",
    "2030-07-04T00:00:00",
]


@pytest.mark.parametrize("moment", MOMENTS)
def test_the_partition_keys_without_dagster_are_dagsters(moment):
    from russell_pipeline.defs.partitions import recon_years, reviews

    now = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    assert keys.year_keys(now) == recon_years.get_partition_keys(current_time=now)
    assert keys.review_keys(now) == reviews.get_partition_keys(current_time=now)
    assert keys.year_keys(now)[0] == str(keys.FIRST_RECON_YEAR) and keys.year_keys(now)[-1] == str(
        now.year + 4
    )


@pytest.mark.parametrize(
    ("moment", "upcoming"),
    [
        ("2026-11-25T12:00:00", "2026-12"),
        ("2026-12-01T00:00:00", "2027-03"),
        ("2027-02-28T23:59:59", "2027-03"),
        ("2027-03-01T00:00:00", "2027-06"),
    ],
)
def test_review_partitions_run_from_1989_to_the_upcoming_review(moment, upcoming):
    # The upcoming review: the one after the review whose quarter holds now (March's quarter is March to May).
    got = keys.review_keys(datetime.fromisoformat(moment).replace(tzinfo=UTC))
    assert (got[0], got[-1]) == ("1989-03", upcoming) and len(got) == len(set(got))
    assert len(got) == (int(upcoming[:4]) - 1989) * 4 + int(upcoming[5:]) // 3


def test_the_first_partition_year_is_the_calendar_rules_first_year():
    from russell_pipeline.lib.calendar.projection import FIRST_YEAR

    assert keys.FIRST_RECON_YEAR == FIRST_YEAR == 1989


def test_the_market_fingerprint_follows_the_settings(tmp_lake, small_market):
    listed = ingested_lists(tmp_lake.lake)
    assert stale.market_fingerprint(Settings(market_data=str(small_market)), listed)[0] == "folder"
    friday_evening = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
    assert stale.market_fingerprint(Settings(now=friday_evening), listed)[:3] == [
        "synthetic",
        date(2026, 11, 20),
        1000,
    ]
    assert stale.market_fingerprint(Settings(synthetic_end=date(2020, 3, 31), synthetic_stocks=120), listed)[
        :3
    ] == ["synthetic", date(2020, 3, 31), 120]


def _launched(out: str) -> list[str]:
    """The run ids a build printed (one per run it launched)."""
    return re.findall(r"\(run ([0-9a-f-]{36})\)", out)


@pytest.mark.slow
def test_nothing_to_do_is_said_exactly_when_the_full_planner_launches_no_run(
    tmp_path, lakes, small_market, monkeypatch, capsys
):
    # A lake nothing has built: the fast path never says "nothing to do" (every other test's first build
    # shows what the full planner launches there).
    new = sample_lake(tmp_path / "new", small_market)
    assert nothing_to_do(new.lake, new.settings) is None
    built = lakes.copy(tmp_path / "built")  # the samples built over the small feed
    root = built.root
    # A final list of 2017 besides the samples' of 2020: two years apart that a price file reaches.
    (root / "raw" / "2017").mkdir()
    (root / "raw" / "2017" / "ru3000-additions-final-20170623.txt").write_text(
        "Russell 3000 Index - Additions\n\nCompany\tSymbol\tSector\nACME CORP\tACME\tTechnology\n"
    )
    for name, value in built.env().items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    lake = Lake.from_settings(settings)
    printed: list[str] = []  # what the last build printed

    def check(state: str) -> list[str] | None:
        """The fast path's answer on the lake as it is, then what the full build does with it."""
        fast = nothing_to_do(lake, settings)
        capsys.readouterr()
        assert build(settings) == 0, state
        out = capsys.readouterr().out
        printed[:] = out.splitlines()
        assert (fast is None) == bool(_launched(out)), f"{state}: fast path {fast}, build printed:\n{out}"
        if fast is not None:
            assert out.splitlines()[: len(fast)] == fast, state
        return fast

    assert check("a list of a year without documents") is None
    years = len(keys.year_keys())
    # A new list reruns what reads it only: its year's documents, not the calendar (the documents read it
    # as a list, so the calendar does not), not the market data (a folder), not a review.
    assert printed[0] == f"years: 1 of {years} out of date (2017)"
    assert f"recon_calendar: 0 of {years} years out of date" in printed
    assert "market_data: up to date" in printed and "reviews: 0 out of date" in printed
    assert check("nothing changed") == up_to_date_lines()
    # Only the research's inputs change: a price file imported (a new research_prices).
    prices = tmp_path / "prices.csv"
    prices.write_text("Date,Ticker,Close\n2019-06-03,AAA,10.0\n2019-06-04,AAA,10.5\n")
    assert main(["import-prices", str(prices)]) == 0
    assert check("a price file imported") is None
    # The years with final lists, named apart: not a range over 2018..2019.
    assert f"reconstitution_effect: 2 of {years} years out of date (2017, 2020)" in printed
    assert check("nothing changed after the import") is not None
    (root / "raw" / "2019" / "zz_amended_2019.txt").write_text(AMENDED_2019)
    assert check("a document added") is None
    market = next(p for p in sorted(built.market.iterdir()) if p.is_file())
    os.utime(market, ns=(market.stat().st_atime_ns, market.stat().st_mtime_ns + 10**9))
    assert check("market data changed") is None
    lake.tables.write("market_source", lake.tables.read("market_source"), publish=False)
    assert check("a table changed behind the build") is None
    flip_bytes(
        lake.tables.folder / "quarterly_weights" / min(data_files(lake.tables.delta("quarterly_weights")))
    )
    assert check("a data file damaged") is None
    monkeypatch.setitem(digests.CODE_VERSIONS, "index_levels", "edited")
    assert check("the code of index_levels changed") is None
    assert check("nothing changed after all that") is not None


@pytest.mark.slow
def test_a_build_with_nothing_to_do_does_not_import_dagster(tmp_path, lakes):
    built = lakes.copy(tmp_path)
    env = built.env()
    code = (
        "import gc, sys; from russell_pipeline.cli import main; rc = main(['build']); "
        "print('frozen', gc.get_freeze_count()); "
        "print('dagster imported' if 'dagster' in sys.modules else 'no dagster'); sys.exit(rc)"
    )
    # Something to do (a damaged data file: its review is rebuilt): Dagster runs it.
    flip_bytes(next((built.root / "lake" / "index_levels" / "review=2019-09").glob("*.parquet")))
    first = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    assert first.returncode == 0 and first.stdout.splitlines()[-1] == "dagster imported", first.stderr[-2000:]
    # The build's process froze what its start-up left (lib/collector.py): Dagster's objects, some 200,000.
    assert int(first.stdout.splitlines()[-2].split()[1]) > 100_000, first.stdout[-500:]
    again = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.splitlines()[0] == f"years: 0 of {len(keys.year_keys())} out of date"
    assert again.stdout.splitlines()[-1] == "no dagster"


def test_a_build_with_nothing_to_do_opens_each_table_once_for_its_questions_vacuum_and_warehouse(
    tmp_path, lakes, monkeypatch, capsys
):
    """With no run between them, the questions, the vacuum and the warehouse's publish share one pinned
    stretch: each table's log is listed and the table opened once (on an object store, a request each)."""
    from russell_pipeline.lake.delta import Tables

    built = lakes.copy(tmp_path)
    for name, value in built.env().items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    opened: dict[str, int] = {}
    current = Tables._current

    def counted(self, table):
        if self._pinned is not None:  # inside a pinned stretch of the build
            opened[table] = opened.get(table, 0) + 1
        return current(self, table)

    monkeypatch.setattr(Tables, "_current", counted)
    assert build(settings) == 0
    assert capsys.readouterr().out.splitlines()[: len(up_to_date_lines())] == up_to_date_lines()
    # (and the tables the planner asks for that the lake does not hold, `research_prices` here)
    assert set(opened) >= set(Lake.from_settings(settings).tables.names()), opened
    assert set(opened.values()) == {1}, opened
