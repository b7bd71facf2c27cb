"""One settings object, read once: `build` plans and writes on the lake it is given."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.documents.limits import Limits
from russell_pipeline.settings import Settings, SettingsError


def test_settings_read_every_variable_once():
    env = {
        "RUSSELL_DATA_LAKE": "s3://bucket/lake",
        "RUSSELL_MARKET_DATA": "/data/market",
        "RUSSELL_MIRROR": "http://127.0.0.1:9/",
        "RUSSELL_LAKE_CACHE": "/tmp/cache",
        "RUSSELL_LOCK_TIMEOUT": "5",
        "RUSSELL_LAKE_RETENTION_HOURS": "2",
        "RUSSELL_MAX_PAGES": "9",
    }
    s = Settings.from_env(env)
    assert (
        s.data_lake,
        s.data_lake_named,
        s.market_data,
        s.mirror,
        s.lake_cache,
        s.lock_timeout,
        s.retention_hours,
        s.limits,
    ) == (
        "s3://bucket/lake",
        True,
        "/data/market",
        "http://127.0.0.1:9/",
        Path("/tmp/cache"),
        5.0,
        2,
        Limits(pages=9),
    )
    assert Settings.from_env({}) == Settings()
    lake = Lake.from_settings(s)
    assert (lake.location, lake.lock.timeout, lake.retention_hours) == ("s3://bucket/lake", 5.0, 2)
    assert lake.root.parent == Path("/tmp/cache")
    pipeline = Pipeline.from_settings(s)
    assert pipeline.lake().location == "s3://bucket/lake" and pipeline.settings.limits == Limits(pages=9)
    assert pipeline.client().mirror == "http://127.0.0.1:9/"
    with pytest.raises(SettingsError, match=r"^RUSSELL_LOCK_TIMEOUT='soon': expected a positive number$"):
        Settings.from_env({"RUSSELL_LOCK_TIMEOUT": "soon"})


def test_the_resource_config_is_every_setting_without_a_default_and_gives_the_settings_back_equal():
    s = replace(
        Settings().with_lake("/tmp/lake"),
        market_data="/data/market",
        lake_cache=Path("/tmp/cache"),
        tracked_assets=(("Russell 2000", 1e12), ("Russell 1000", 2e12)),
        limits=Limits(pdf_bytes=7, pages=9),
        synthetic_end=date(2020, 1, 2),
        synthetic_stocks=12,
        now=datetime(2020, 1, 3, 4, 5, tzinfo=UTC),
        max_stale_sessions=3,
        sources="/tmp/registry.csv",
        timeout=5.0,
    )
    assert list(Pipeline.model_fields) == [f.name for f in fields(Settings)]
    assert all(field.is_required() for field in Pipeline.model_fields.values())  # Settings' defaults only
    assert Pipeline.from_settings(s).settings == s
    assert Pipeline.from_settings(Settings()).settings == Settings()


def test_the_tracked_assets_are_read_and_a_bad_value_is_one_line_naming_the_variable():
    assert Settings.from_env(
        {"RUSSELL_TRACKED_ASSETS": " russell 2000=1e12, Russell  3000=$5e11 "}
    ).tracked_assets == (
        ("Russell 2000", 1e12),
        ("Russell 3000", 5e11),
    )
    assert Settings.from_env({}).tracked_assets == ()  # no hidden default
    for value, problem in [
        (
            "Russell 5000=1e12",
            "'Russell 5000' is not an index whose trackers are sized: one of Russell 1000, ",
        ),
        ("Russell 2000=0", "Russell 2000='0': expected a positive number of US dollars"),
        ("Russell 2000=lots", "Russell 2000='lots': expected a positive number of US dollars"),
        ("Russell 2000=1e12,Russell 2000=2e12", "Russell 2000 is given twice"),
        ("Russell 2000", "'Russell 2000': expected INDEX=DOLLARS"),
    ]:
        with pytest.raises(SettingsError) as err:
            Settings.from_env({"RUSSELL_TRACKED_ASSETS": value})
        assert str(err.value).startswith(f"RUSSELL_TRACKED_ASSETS={value!r}: {problem}"), str(err.value)


@pytest.mark.parametrize(
    "settings",
    [
        Settings(),
        Settings().with_lake("/tmp/lake"),
        Settings(
            market_data="/data/market",
            mirror="http://127.0.0.1:9/",
            lake_cache=Path("/tmp/cache"),
            lock_timeout=0.25,
            retention_hours=2,
            tracked_assets=(("Russell 2000", 1e12), ("Russell 1000", 1.25e13)),
            limits=Limits(pdf_bytes=1_234_567, text_chars=3, pages=9),
        ).with_lake("s3://bucket/lake"),
    ],
    ids=["defaults", "a folder", "every variable"],
)
def test_the_environment_of_settings_reads_back_as_the_same_settings(settings):
    env = settings.environ(dagster_home="/tmp/home")
    assert Settings.from_env(env) == settings
    # Every variable is set, so the environment of the process that hands them over shows through none.
    assert set(env) == {
        "RUSSELL_DATA_LAKE",
        "RUSSELL_MARKET_DATA",
        "RUSSELL_MIRROR",
        "RUSSELL_LAKE_CACHE",
        "RUSSELL_LOCK_TIMEOUT",
        "RUSSELL_LAKE_RETENTION_HOURS",
        "RUSSELL_TRACKED_ASSETS",
        "RUSSELL_SEC_CONTACT",
        "RUSSELL_MAX_PDF_MB",
        "RUSSELL_MAX_TEXT_MB",
        "RUSSELL_MAX_PAGES",
        "DAGSTER_HOME",
    }
    assert env["DAGSTER_HOME"] == "/tmp/home" and "DAGSTER_HOME" not in settings.environ()
    outside = {"RUSSELL_MARKET_DATA": "/elsewhere", "RUSSELL_MAX_PAGES": "1"}
    assert Settings.from_env(outside | settings.environ()) == settings


def test_settings_no_variable_can_carry_are_refused_for_a_process():
    from datetime import date

    with pytest.raises(SettingsError, match=r"^synthetic_end, synthetic_stocks: no environment variable"):
        Settings(synthetic_end=date(2020, 3, 31), synthetic_stocks=120).environ()


def test_no_module_but_settings_reads_a_russell_variable():
    package = Path(__file__).resolve().parents[1] / "russell_pipeline"
    readers = sorted(
        p.relative_to(package).as_posix()
        for p in package.rglob("*.py")
        if "os.environ" in p.read_text()
        and p.name != "settings.py"
        and "RUSSELL_" in "".join(line for line in p.read_text().splitlines() if "environ" in line)
    )
    assert readers == []


@pytest.mark.slow
def test_build_writes_the_lake_it_is_given_not_the_one_the_environment_names(tmp_path, lakes, monkeypatch):
    """A copy of the shared built lake with a new list under raw/2017/: the build it is given writes it (its
    documents' table gets a new version), and nothing lands in the lake the environment names."""
    given_lake, elsewhere = lakes.copy(tmp_path / "given"), tmp_path / "elsewhere"
    given = given_lake.root
    (given / "raw" / "2017").mkdir()
    (given / "raw" / "2017" / "ru3000-additions-final-20170623.txt").write_text(
        "Russell 3000 Index - Additions\n\nCompany\tSymbol\tSector\nACME CORP\tACME\tTechnology\n"
    )
    before = Lake(given).tables.version("source_documents")
    elsewhere.mkdir()
    monkeypatch.setenv("RUSSELL_DATA_LAKE", str(elsewhere))
    monkeypatch.setenv("DAGSTER_HOME", str(given_lake.home))
    from russell_pipeline.runner.build import build

    assert build(given_lake.settings) == 0
    assert Lake(given).tables.version("source_documents") > before
    assert {
        "source_documents",
        "recon_calendar",
        "market_prices",
        "quarterly_weights",
        "index_levels",
    } <= set(Lake(given).tables.names())
    assert Lake(given).tables.read("index_levels").height > 0
    assert sorted(p.name for p in elsewhere.iterdir()) == []
