"""Definitions load with declared dependencies; the schedule, sensors and planner ask for the right runs."""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from russell_pipeline.defs.documents.sensors import new_documents
from russell_pipeline.defs.index.sensors import stale_reviews_sensor
from russell_pipeline.defs.market.jobs import nightly_market
from russell_pipeline.planning import digests
from russell_pipeline.planning.attempts import INPUTS_TAG
from russell_pipeline.planning.stale import year_attempt, year_digests
from russell_pipeline_tests.helpers import REPO


def test_definitions_load_with_every_table_job_schedule_and_sensor():
    from russell_pipeline.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {
        "raw_documents",
        "source_documents",
        "constituents",
        "constituent_changes",
        "recon_calendar",
        "market_data",
        "quarterly_weights",
        "index_levels",
    } <= keys
    for job in ("recon_year_job", "index_job", "market_job", "reviews_job", "freshness_job", "research_job"):
        assert defs.resolve_job_def(job)
    assert defs.resolve_schedule_def("nightly_market").execution_timezone == "America/New_York"
    assert defs.resolve_schedule_def("freshness").cron_schedule == "0 20 * * 1-5"
    assert defs.resolve_sensor_def("new_documents") and defs.resolve_sensor_def("stale_reviews")


def test_dependencies_and_partition_mappings_are_declared():
    from russell_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    levels = graph.get(dg.AssetKey("index_levels"))
    assert {k.to_user_string() for k in levels.parent_keys} == {
        "quarterly_weights",
        "index_levels",
        "market_data",
    }
    # index_levels 2024-06 starts from 2024-03 and ends where the 2024-09 weights take over.
    mapped = graph.get_parent_partition_keys_for_child(
        "2024-06", dg.AssetKey("quarterly_weights"), dg.AssetKey("index_levels")
    )
    assert sorted(mapped.partitions_subset.get_partition_keys()) == ["2024-06", "2024-09"]
    previous = graph.get_parent_partition_keys_for_child(
        "2024-06", dg.AssetKey("index_levels"), dg.AssetKey("index_levels")
    )
    assert list(previous.partitions_subset.get_partition_keys()) == ["2024-03"]
    years = graph.get_parent_partition_keys_for_child(
        "2024-06", dg.AssetKey("recon_calendar"), dg.AssetKey("quarterly_weights")
    )
    assert list(years.partitions_subset.get_partition_keys()) == ["2024"]
    calendar = graph.get(dg.AssetKey("recon_calendar"))
    # The year's files, and the documents read from them (the calendar skips those read as lists).
    assert {k.to_user_string() for k in calendar.parent_keys} == {"raw_documents", "source_documents"}


def test_table_assets_carry_the_standard_metadata():
    from russell_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    for name, first_column in (
        ("source_documents", "recon_year"),
        ("constituents", "recon_year"),
        ("recon_calendar", "recon_year"),
        ("quarterly_weights", "review"),
        ("index_levels", "date"),
    ):
        node = graph.get(dg.AssetKey(name))
        assert node.metadata["dagster/table_name"] == f"warehouse.main.{name}"
        assert node.metadata["dagster/column_schema"].columns[0].name == first_column
        assert {"polars", "parquet", "duckdb"} <= {t.removeprefix("dagster/kind/") for t in node.tags}
        assert node.owners == ["team:index-data"]
    for name, asset in (
        ("recon_calendar", "recon_calendar"),
        ("quarterly_weights", "quarterly_weights"),
        ("index_levels", "index_levels"),
    ):
        assert graph.get(dg.AssetKey(name)).code_version == digests.CODE_VERSIONS[asset]
    from russell_pipeline.defs.index.assets import index_levels, quarterly_weights

    for asset, hard in (
        (quarterly_weights, {"no_null_contract_columns", "weights_match_sql"}),
        (
            index_levels,
            {"no_null_contract_columns", "rebalance_continuity", "total_return_matches_dividends"},
        ),
    ):
        assert {spec.name for spec in asset.check_specs if spec.blocking} == hard


def test_every_check_has_the_level_the_methodology_lists():
    """Each check's level as the UI shows it (blocking; `(WARN)` in its description; else error, which
    fails `build`) is the one the methodology's table lists, and the table lists every check."""
    import re

    from russell_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    declared = set()
    for key in graph.asset_check_keys:
        node = graph.get(key)
        level = (
            "block" if node.blocking else "warn" if (node.description or "").endswith("(WARN)") else "error"
        )
        declared.add((key.asset_key.to_user_string(), key.name, level))
    text = (REPO / "docs" / "methodology.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| (\w+) \| (\w+) \| (block|error|warn) \|$", text, flags=re.MULTILINE))
    assert listed == declared
    assert ("constituent_changes", "no_duplicate_symbols", "error") in declared  # wrong data fails the build
    assert ("market_data", "market_current", "warn") in declared  # late data does not


def test_every_column_of_every_table_asset_says_what_it_holds():
    from russell_pipeline.definitions import defs
    from russell_pipeline.defs.columns import COLUMNS

    tables = {}
    for spec in defs.resolve_all_asset_specs():
        if "dagster/table_name" in spec.metadata:
            tables[spec.key.to_user_string()] = spec.metadata["dagster/column_schema"].columns
    assert len(tables) == 25, sorted(tables)
    missing = [
        f"{t}.{c.name}" for t, columns in tables.items() for c in columns if not (c.description or "").strip()
    ]
    assert missing == []
    # One line each, and no description left behind for a column the table no longer has.
    assert [f"{t}.{c.name}" for t, columns in tables.items() for c in columns if "\n" in c.description] == []
    assert {
        t: sorted(set(COLUMNS.get(t, {})) - {c.name for c in columns}) for t, columns in tables.items()
    } == {t: [] for t in tables}
    assert set(COLUMNS) == set(tables)


def _methodology_column_tables() -> dict[str, dict[str, str]]:
    """Each `| column | type | null | meaning |` table of docs/methodology.md, by the table its paragraph
    names first (`` `constituents`: one row per ... ``): column -> meaning."""
    tables: dict[str, dict[str, str]] = {}
    named = None
    lines = (REPO / "docs" / "methodology.md").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        if (opening := re.match(r"`(\w+)`", line)) and (n == 0 or not lines[n - 1].strip()):
            named = opening[1]
        if line == "| column | type | null | meaning |":
            assert named not in tables, f"methodology.md:{n + 1}: a second column table of {named}"
            rows = itertools.takewhile(lambda row: row.startswith("|"), lines[n + 2 :])
            cells = [row.strip().strip("|").split(" | ", 3) for row in rows]
            tables[named] = {c[0].strip(): c[3].strip() for c in cells}
    return tables


def test_each_column_means_in_the_methodology_what_the_ui_says():
    """Column meanings have one text: each row of methodology.md's column tables says what the table
    asset's column schema in the UI says (defs/columns.py). Before, the two were written apart and
    differed (`bytes`: `size` here, `File size in bytes.` in the UI), which only a reader saw."""
    from russell_pipeline.definitions import defs

    ui = {
        spec.key.to_user_string(): {
            c.name: c.description for c in spec.metadata["dagster/column_schema"].columns
        }
        for spec in defs.resolve_all_asset_specs()
        if "dagster/table_name" in spec.metadata
    }
    documented = _methodology_column_tables()
    assert len(documented) == 10 and set(documented) <= set(ui), sorted(documented)
    differ = [
        f"{table}.{column}: methodology.md says {meaning!r}, the UI {ui[table].get(column)!r}"
        for table, columns in documented.items()
        for column, meaning in columns.items()
        if meaning != ui[table].get(column)
    ]
    assert differ == []


def test_no_column_of_any_table_is_an_sql_reserved_word():
    """A user's `SELECT list_group, session_offset FROM reconstitution_effect` needs no quoting: no column
    of any table (the table assets' and the bookkeeping ones shown in docs) is a word DuckDB reserves."""
    import duckdb

    from russell_pipeline.definitions import defs

    reserved = {
        k
        for (k,) in duckdb.sql(
            "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'"
        ).fetchall()
    }
    assert {"group", "offset", "order"} <= reserved  # the words a column could easily take
    columns = [
        f"{spec.key.to_user_string()}.{c.name}"
        for spec in defs.resolve_all_asset_specs()
        if "dagster/column_schema" in spec.metadata
        for c in spec.metadata["dagster/column_schema"].columns
    ]
    assert len(columns) > 100
    assert [c for c in columns if c.split(".")[1].lower() in reserved] == []


# Kinds Dagster 1.13's UI draws as a bare icon with no text (`content: ' '` in KNOWN_TAGS of
# ui-core/src/graph/OpTags.tsx), compared as it compares them: lower case, without ' ', '_', '.', '-'.
ICON_ONLY_KINDS = {"csv", "pdf", "yaml", "x", "r"}


def test_every_kind_shows_a_label_in_the_ui():
    from russell_pipeline.definitions import defs
    from russell_pipeline.defs.metadata import PDF

    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    unlabelled = {
        (name, kind)
        for name, spec in specs.items()
        for kind in spec.kinds
        if re.sub(r"[ _.-]", "", kind).lower() in ICON_ONLY_KINDS
    }
    assert unlabelled == set()
    # The published documents and the tables read from them share one kind: one filter finds them all.
    assert {name for name, spec in specs.items() if PDF in spec.kinds} == {
        "raw_documents",
        "source_documents",
        "constituents",
        "constituent_changes",
    }


def test_nightly_schedule_refreshes_market_data_after_the_close():
    with dg.instance_for_test() as instance:
        when = datetime(2026, 11, 20, 18, 30, tzinfo=ZoneInfo("America/New_York"))
        request = nightly_market(dg.build_schedule_context(instance=instance, scheduled_execution_time=when))
        assert isinstance(request, dg.RunRequest)
        assert request.run_key == "nightly-2026-11-20"


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["2024-03", "2024-06", "2024-12"], [("2024-03", "2024-06"), ("2024-12", "2024-12")]),
        (["2024-12", "2024-03"], [("2024-03", "2024-03"), ("2024-12", "2024-12")]),
        ([], []),
    ],
)
def test_ranges_group_consecutive_partitions(keys, expected):
    all_keys = ["2024-03", "2024-06", "2024-09", "2024-12"]
    assert digests.ranges(keys, all_keys) == expected


def test_document_sensor_asks_for_changed_years_once_per_content(tmp_lake, lake_resources):
    with dg.instance_for_test() as instance:
        first = new_documents(dg.build_sensor_context(instance=instance, resources=lake_resources))
        # Nothing is built yet: the documents of every year with files, and every year's calendar, are
        # asked for, keyed by the digest of its files (a year without files has no documents to build).
        documents = [r for r in first.run_requests if r.run_key.startswith("documents:")]
        assert [r.partition_key for r in documents] == ["2019", "2020", "2022", "2023", "2024"]
        calendars = {r.partition_key for r in first.run_requests if r.run_key.startswith("recon_calendar:")}
        assert calendars >= {"1989", "2019", "2023", "2030"}
        year_2023 = next(r for r in documents if r.partition_key == "2023")
        # Keyed by the attempt (planning/attempts.py): the year's documents digest, which covers its files.
        attempt = year_attempt(year_digests(tmp_lake.lake, ["2023"]), ["2023"])
        assert year_2023.run_key == f"documents:2023:{attempt}" and year_2023.tags == {INPUTS_TAG: attempt}
        assert {e.partition for e in first.asset_events} == {r.partition_key for r in documents}
        # The same files give the same attempt; other files another one.
        again = new_documents(dg.build_sensor_context(instance=instance, resources=lake_resources))
        assert year_2023.run_key in {r.run_key for r in again.run_requests}
        (tmp_lake.root / "raw" / "2023" / "extra.txt").write_text("Russell 2000 Index - Additions\n")
        changed = new_documents(dg.build_sensor_context(instance=instance, resources=lake_resources))
        assert year_2023.run_key not in {r.run_key for r in changed.run_requests}


def test_review_sensor_skips_when_nothing_is_stored(tmp_lake, lake_resources):
    with dg.instance_for_test() as instance:
        result = stale_reviews_sensor(dg.build_sensor_context(instance=instance, resources=lake_resources))
    assert isinstance(result, dg.SkipReason)
