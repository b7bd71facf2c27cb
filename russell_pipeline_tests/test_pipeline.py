"""The assets for real: Dagster runs on a temporary lake, Parquet, DuckDB and the instance."""

from __future__ import annotations

import shutil
from datetime import date

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from russell_pipeline.defs.calendar.assets import recon_calendar
from russell_pipeline.defs.documents.assets import documents
from russell_pipeline.defs.index.assets import index_levels, quarterly_weights
from russell_pipeline.defs.market.assets import market_data
from russell_pipeline.defs.partitions import recon_years
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.index.levels import CHUNK_REVIEWS
from russell_pipeline.runner.runs import failure_lines
from russell_pipeline_tests.helpers import DOCUMENT_TABLES, RAW, materialize
from russell_pipeline_tests.lakes import EXTENDED_END, lake_folder, real_lists, sample_lake

pytestmark = pytest.mark.cpu(38)

YEAR_ASSETS = [documents, recon_calendar]
REVIEW_ASSETS = [market_data, quarterly_weights, index_levels]


def _resources(root, end=date(2020, 12, 31), stocks=150):
    return lake_folder(root).resources(synthetic_end=end, synthetic_stocks=stocks)


def _failed_checks(result) -> list[str]:
    return [
        e.asset_check_evaluation_data.check_name
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Seeds + a small synthetic feed to 2020-12-31, materialized as one run per partitioning."""
    root = sample_lake(tmp_path_factory.mktemp("built")).root
    with dg.instance_for_test() as instance:
        years = materialize(YEAR_ASSETS, _resources(root), instance, ("2016", "2030"), publish=True)
        # Every review partition the feed fills (2019-03, the first there is, to 2020-12).
        reviews = materialize(REVIEW_ASSETS, _resources(root), instance, ("2019-03", "2020-12"), publish=True)
        yield root, instance, years, reviews


ICB_INDUSTRIES = (
    "Basic Materials",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Real Estate",
    "Technology",
    "Telecommunications",
    "Utilities",
)


def _seed_list_rows() -> int:
    deletions = next(RAW.glob("*/000_*.txt")).read_text(encoding="utf-8").splitlines()
    additions = next(RAW.glob("*/001_*.txt")).read_text(encoding="utf-8").splitlines()
    return sum(len(line.split("\t")) == 3 and line != "Company\tSymbol\tSector" for line in deletions) + sum(
        line.rstrip().endswith(ICB_INDUSTRIES) for line in additions
    )


@pytest.mark.slow
def test_backfill_of_every_year_and_review_is_one_run_each_with_checks_green(built):
    root, instance, years, reviews = built
    assert years.success, failure_lines(years)
    assert reviews.success, failure_lines(reviews)
    assert _failed_checks(years) == [] and _failed_checks(reviews) == []
    assert len(instance.get_runs()) == 2
    lake = Lake(root)
    counts = {
        t: lake.warehouse.read(f'SELECT count(*) AS n FROM "{t}"')["n"][0]
        for t in (
            "source_documents",
            "constituent_changes",
            "recon_calendar",
            "quarterly_weights",
            "index_levels",
        )
    }
    assert counts["source_documents"] == 5
    # The two sample lists, counted line by line here: seed 000's tab rows less its repeated
    # headers (256) and seed 001's lines ending in an ICB industry (161).
    assert counts["constituent_changes"] == _seed_list_rows() == 256 + 161
    reviews_with_weights = lake.warehouse.read("SELECT DISTINCT review FROM quarterly_weights ORDER BY 1")[
        "review"
    ]
    assert reviews_with_weights.to_list()[0] == "2019-03" and reviews_with_weights.to_list()[-1] == "2020-12"
    # One materialization per partition, each with its own facts (not the run's totals).
    levels_meta = {m.partition: m.metadata for m in reviews.asset_materializations_for_node("index_levels")}
    assert len(levels_meta) == 8  # 2019-03..2020-12
    per_review = dict(lake.warehouse.read("SELECT review, count(*) AS n FROM index_levels GROUP BY 1").rows())
    for review, meta in levels_meta.items():
        assert meta["partition_rows"].value == per_review.get(review, 0), review
    assert levels_meta["2019-03"]["partition_first_date"].value == "2019-03-15"  # the base row at T
    assert levels_meta["2020-09"]["partition_last_date"].value == "2020-12-18"  # the next rebalance
    charts = [r for r, m in levels_meta.items() if "series_chart" in m]
    assert charts == ["2020-12"]  # the chart once per run, on its last partition
    meta = levels_meta["2020-12"]
    assert (
        meta["table_last_date"].value == "2020-12-31"
        and meta["dagster/row_count"].value
        == lake.warehouse.read("SELECT count(*) AS n FROM index_levels")["n"][0]
    )
    assert meta["series_chart"].value.startswith("![") and "base64," in meta["series_chart"].value
    assert "SYNTHETIC" in meta["partition_market_data_source"].value
    weights_meta = {
        m.partition: m.metadata for m in reviews.asset_materializations_for_node("quarterly_weights")
    }
    assert (
        weights_meta["2020-06"]["partition_rows"].value
        == lake.warehouse.read("SELECT count(*) AS n FROM quarterly_weights WHERE review = '2020-06'")["n"][0]
    )
    assert weights_meta["2020-06"]["partition_first_date"].value == "2020-06-17"  # the June cut-off
    docs_meta = {
        m.partition: m.metadata
        for m in years.asset_materializations_for_node("documents")
        if m.asset_key == dg.AssetKey("source_documents")
    }
    assert docs_meta["2016"]["partition_rows"].value == 0  # no documents (test_a_partition_without_rows_...)
    assert docs_meta["2023"]["partition_rows"].value == 1
    levels = lake.warehouse.read("SELECT * FROM index_levels ORDER BY date")
    assert levels["price_return"][0] == 1000.0 and levels["date"].is_unique().all()
    assert str(levels["date"][-1]) == "2020-12-31"


TABLES = {
    "source_documents": "recon_year",
    "constituent_changes": "recon_year",
    "recon_calendar": "recon_year",
    "quarterly_weights": "review",
    "index_levels": "review",
}


def _stored_partitions(lake: Lake, table: str) -> dict[str, int]:
    column = TABLES[table]
    return dict(
        lake.warehouse.read(
            f'SELECT CAST("{column}" AS VARCHAR) AS p, count(*) AS n FROM "{table}" GROUP BY 1'
        ).rows()
    )


def _materializations(result, table: str) -> list[dg.AssetMaterialization]:
    return [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(table)
    ]


@pytest.mark.slow
def test_a_materialization_labels_its_partition_and_carries_the_whole_table(built):
    """The asset's overview shows its latest materialization: whichever partition that is, its headline
    row count is the table's, and the partition's own facts are named as the partition's."""
    root, instance, years, reviews = built
    lake = Lake(root)
    assert years.success and reviews.success, failure_lines(years) + failure_lines(reviews)
    _check_facts(lake, years, reviews)
    # One year rebuilt alone: its materialization is now the latest, and still reads as the whole table.
    result = materialize(YEAR_ASSETS, _resources(root), instance, ("2023", "2023"), publish=True)
    assert result.success, failure_lines(result)
    stored = _stored_partitions(lake, "constituent_changes")
    [event] = _materializations(result, "constituent_changes")
    meta = event.metadata
    assert (meta["partition"].value, meta["partition_rows"].value) == ("2023", stored["2023"])
    assert meta["dagster/row_count"].value == sum(stored.values()) > stored["2023"]
    assert meta["table_partitions_with_rows"].value == len(stored) == 2


def _check_facts(lake: Lake, years, reviews) -> None:
    for table, column in TABLES.items():
        stored = _stored_partitions(lake, table)
        events = _materializations(years if column == "recon_year" else reviews, table)
        assert events, table
        for event in events:
            meta = event.metadata
            assert next(iter(meta)) == "partition" and meta["partition"].value == event.partition, table
            assert meta["partition_rows"].value == stored.get(event.partition, 0), (table, event.partition)
            assert meta["dagster/row_count"].value == sum(stored.values()), table
            assert meta["table_partitions_with_rows"].value == len(stored), table
            assert meta["table_partition_range"].value == f"{min(stored)}..{max(stored)}", table
            # Every other fact is the partition's (`partition_*`) or says why it is empty (`status`).
            assert {k for k in meta if not k.startswith(("partition", "table_", "dagster/"))} <= {
                "status",
                "series_chart",
            }, table


def _materialized(result, asset: str) -> dict[str, dict]:
    """{partition: metadata} of the run's materializations of `asset`."""
    return {m.partition: m.metadata for m in _materializations(result, asset)}


@pytest.mark.slow
def test_a_partition_without_rows_is_materialized_with_0_rows_and_says_why(built):
    """One run over the years 2016..2030: every partition is materialized, those without rows with 0
    rows and why (`status`), none failed; the checks ran, and what reads the tables (market data,
    weights, levels) still ran."""
    root, instance, years, reviews = built
    lake, keys = Lake(root), [str(y) for y in range(2016, 2031)]
    for table in ("source_documents", "constituents", "constituent_changes", "recon_calendar"):
        rows = lake.tables.read(table)
        filled = set() if rows is None else {str(y) for y in rows["recon_year"].unique()}
        status = instance.get_status_by_partition(dg.AssetKey(table), keys, recon_years)
        assert {k for k, v in status.items() if v is not None and v.value == "MATERIALIZED"} == set(keys), (
            table
        )
        shown = _materialized(years, table)
        assert {k for k, meta in shown.items() if meta["partition_rows"].value == 0} == set(keys) - filled, (
            table
        )
        # Only an empty partition carries a status, and it starts with its row count.
        assert {k for k, meta in shown.items() if "status" in meta} == set(keys) - filled, table
    assert lake.tables.read("constituents").is_empty()  # the samples hold no membership list
    assert {y for y in keys if y in {"2019", "2020", "2022", "2023", "2024"}} == {
        str(y) for y in lake.tables.read("source_documents")["recon_year"].unique()
    }
    why = _materialized(years, "constituents")
    assert why["2016"]["status"].value == "0 rows: no documents under raw/2016/"
    assert why["2020"]["status"].value == "0 rows: no membership list among this year's documents"
    assert not [e for e in years.all_events if e.event_type_value == "ASSET_OBSERVATION"]  # nothing failed
    # The run's log says it too: one entry per asset (not one per partition: each is a stored event).
    logged = [
        r.user_message
        for r in instance.all_logs(years.run_id)
        if r.dagster_event is None and ": 0 rows: " in r.user_message
    ]
    # source_documents, constituents, constituent_changes, universe_securities, sec_tickers, fund_holdings;
    # the calendar fills every year
    assert len(logged) == 6
    assert "constituent_changes 2021: 0 rows: no documents under raw/2021/" in "\n".join(logged).splitlines()
    # Their checks still ran (over the run's rows) and passed; the blocking ones gate the write as before.
    checked = {
        (e.asset_check_evaluation_data.asset_key.to_user_string(), e.asset_check_evaluation_data.check_name)
        for e in years.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert ("constituents", "no_null_contract_columns") in checked and _failed_checks(years) == []
    # Downstream: the market data (tickers from the lists) and every review still ran and materialized.
    assert reviews.success and [
        m.asset_key.to_user_string() for m in reviews.asset_materializations_for_node("market_data")
    ] == ["market_data"]
    assert len(reviews.asset_materializations_for_node("index_levels")) == 8


@pytest.mark.slow
def test_rematerializing_a_year_replaces_exactly_that_year(built, tmp_path):
    """2020's documents taken away from a copy of the built lake and 2020 materialized again: that year's
    rows are gone and every other year's stay as they were. (On a copy, with an instance of its own, so
    neither the module's lake nor its instance's records change, and no run is needed to put 2020 back.)"""
    root, *_ = built
    copy = lake_folder(root).copy(tmp_path).root
    before = Lake(root).tables.read("constituent_changes").sort("recon_year", "source_sha256", "source_line")
    shutil.rmtree(copy / "raw" / "2020")
    with dg.instance_for_test() as instance:
        assert materialize(YEAR_ASSETS, _resources(copy), instance, ("2020", "2020"), publish=True).success
    after = Lake(copy).tables.read("constituent_changes")
    assert 2020 not in after["recon_year"].to_list()
    assert_frame_equal(
        after.sort("recon_year", "source_sha256", "source_line"),
        before.filter(pl.col("recon_year") != 2020),
    )


@pytest.mark.slow
def test_bad_document_fails_the_run_and_keeps_the_previous_partition(built):
    root, instance, *_ = built
    lake = Lake(root)
    before = lake.tables.read("constituent_changes", "recon_year", [2023])
    bad = root / "raw" / "2023" / "broken.pdf"
    bad.write_bytes(b"<html><body>404 Not Found</body></html>")
    try:
        result = materialize(YEAR_ASSETS, _resources(root), instance, ("2023", "2023"), publish=True)
        assert not result.success
        message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
        assert "broken.pdf" in message and "\n" not in message.strip()
        assert_frame_equal(lake.tables.read("constituent_changes", "recon_year", [2023]), before)
    finally:
        bad.unlink()


@pytest.mark.slow
def test_a_failed_run_reports_its_checks_not_evaluated_never_failed(built):
    """A run that fails writes nothing, so the lake still holds the rows its checks were last evaluated
    on in a run that succeeded: each check of the failed step is reported not evaluated, with the
    run's reason, restating that result; never "Execution failed" (Dagster's red for a check without a
    result in a failed run), never the result of an earlier failed run, whose rows were refused."""
    root, instance, *_ = built
    year = root / "raw" / "2023"
    checks = {dg.AssetCheckKey(s.asset_key, s.name) for s in documents.check_specs}
    # The latest run that wrote 2023's rows.
    wrote = materialize(YEAR_ASSETS, _resources(root), instance, ("2023", "2023"), publish=True)
    assert wrote.success
    # First a blocking check fails on a line no row was read from: the rows are refused, the check is red.
    (year / "zz-adds.txt").write_text(
        "Russell 2000 Index - Additions\n\nCompany\tSymbol\tSector\n"
        "ACME CORP\tACME\tTechnology\nBETA INDUSTRIES\tBE TA\tTechnology\n"
    )
    try:
        blocked = materialize(YEAR_ASSETS, _resources(root), instance, ("2023", "2023"), publish=True)
    finally:
        (year / "zz-adds.txt").unlink()
    assert not blocked.success and "rows_match_pages" in _failed_checks(blocked)
    # Then a document is refused before any check could run.
    (year / "broken.pdf").write_bytes(b"<html><body>404 Not Found</body></html>")
    try:
        refused = materialize(YEAR_ASSETS, _resources(root), instance, ("2023", "2023"), publish=True)
    finally:
        (year / "broken.pdf").unlink()
    assert not refused.success
    [line] = failure_lines(refused)
    reason = line.removeprefix("documents: ")
    assert "broken.pdf" in reason
    reported = {
        dg.AssetCheckKey(
            e.asset_check_evaluation_data.asset_key, e.asset_check_evaluation_data.check_name
        ): e.asset_check_evaluation_data
        for e in refused.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks <= set(reported)  # every check of the failed step, none left to Dagster
    reported = {key: found for key, found in reported.items() if key in checks}  # (the calendar's step ran)
    succeeded = {
        dg.AssetCheckKey(
            e.asset_check_evaluation_data.asset_key, e.asset_check_evaluation_data.check_name
        ): e.asset_check_evaluation_data
        for e in wrote.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    for key, found in reported.items():
        assert found.description == (
            f"not evaluated: its run failed ({reason}); the result on the rows the "
            f"lake holds, of run {wrote.run_id}, stands"
        ), key
        assert found.metadata["status"].value == found.description
        # The verdict of the run that wrote the rows, not of the blocked run (rows_match_pages failed there).
        assert (found.passed, found.severity) == (succeeded[key].passed, succeeded[key].severity), key
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(checks))
    assert {r.status.value for r in latest.values()} == {"SUCCEEDED"}
    # Each table's partition of the failed run is observed with the reason.
    observed = {
        (
            e.asset_key.to_user_string(),
            e.partition,
            e.asset_observation_data.asset_observation.metadata["status"].value,
        )
        for e in refused.all_events
        if e.event_type_value == "ASSET_OBSERVATION"
    }
    assert observed == {(t, "2023", f"failed: {reason}") for t in DOCUMENT_TABLES}


@pytest.mark.slow
def test_index_levels_backfill_equals_review_by_review_runs(built, tmp_path):
    root, *_ = built
    lake = Lake(root)
    full = lake.tables.read("index_levels").sort("date")
    # Replay: copy the lake, drop the levels, and materialize one review partition per run. (Not
    # published after each run: a run reads the stored tables, never the warehouse, and so does `read`.)
    copy = lake_folder(root).copy(tmp_path, leave=("index_levels", "*.duckdb")).root
    reviews = ["2019-03", "2019-06", "2019-09", "2019-12", "2020-03", "2020-06", "2020-09", "2020-12"]
    with dg.instance_for_test() as fresh:
        for review in reviews:
            assert materialize([index_levels], _resources(copy), fresh, (review, review)).success
    replay = Lake(copy).tables.read("index_levels").sort("date")
    # The ranged run computed its reviews a chunk at a time, each chunk from the one before's last
    # row: the same rows, bit for bit, as one run per review from the stored row before it.
    assert len(reviews) > CHUNK_REVIEWS and full["review"].n_unique() == len(reviews)
    assert_frame_equal(replay, full, check_exact=True)


@pytest.mark.slow
def test_market_folder_weights_match_a_hand_computation(tmp_lake, tmp_path):
    folder = tmp_path / "market"
    folder.mkdir()
    # Cut-off of the 2023-06 review: Wednesday after the second Friday of June = 2023-06-14.
    pl.DataFrame(
        {
            "date": ["2023-06-14", "2023-06-14", "2023-06-13", "2023-06-23", "2023-06-23", "2023-06-23"],
            "symbol": ["AAA", "BBB", "CCC", "AAA", "BBB", "CCC"],
            "close": [10.0, 20.0, 5.0, 11.0, 19.0, 5.5],
        }
    ).write_csv(folder / "prices.csv")
    pl.DataFrame(
        {
            "date": ["2023-01-03"] * 3,
            "symbol": ["AAA", "BBB", "CCC"],
            "shares": [1000.0, 500.0, 2000.0],
            "free_float": [1.0, 0.5, 0.8],
        }
    ).write_csv(folder / "shares.csv")
    # 2023-09 memberships are known before its cut-off: its weights wait, nothing fails.
    pl.DataFrame(
        {
            "review": ["2023-06"] * 4 + ["2023-09"] * 2,
            "index": [
                "RUSSELL_SMALL_CAP_COMPLETENESS",
                "RUSSELL_SMALL_CAP_COMPLETENESS",
                "RUSSELL_2000_GROWTH",
                "RUSSELL_2000_GROWTH",
            ]
            + ["RUSSELL_SMALL_CAP_COMPLETENESS", "RUSSELL_2000_GROWTH"],
            "symbol": ["AAA", "BBB", "BBB", "CCC", "AAA", "CCC"],
            "fraction": [1.0, 1.0, 0.6, 1.0, 1.0, 1.0],
        }
    ).write_csv(folder / "memberships.csv")
    resources = tmp_lake.resources(market_data=str(folder))
    with dg.instance_for_test() as instance:
        assert materialize(YEAR_ASSETS, resources, instance, ("2023", "2023"), publish=True).success
        result = materialize(REVIEW_ASSETS, resources, instance, ("2023-06", "2023-09"), publish=True)
        assert result.success, failure_lines(result)
    meta = {m.partition: m.metadata for m in result.asset_materializations_for_node("quarterly_weights")}
    # The pending review holds no rows: materialized with 0 rows and its reason.
    assert sorted(meta) == ["2023-06", "2023-09"] and meta["2023-09"]["partition_rows"].value == 0
    assert meta["2023-09"]["status"].value.startswith(
        "0 rows: pending: cut-off 2023-09-06 is after the last close"
    )
    assert meta["2023-06"]["partition_rows"].value == 3
    got = tmp_lake.lake.warehouse.read(
        "SELECT symbol, weight, final_mcap, cutoff_date, effective_date "
        "FROM quarterly_weights ORDER BY symbol"
    )
    cap = {"AAA": 10.0 * 1000, "BBB": 20.0 * 500 * 0.5, "CCC": 5.0 * 2000 * 0.8}  # CCC carried back a day
    scc = cap["AAA"] + cap["BBB"]
    r2g = {"BBB": 0.6 * cap["BBB"], "CCC": cap["CCC"]}
    scale = 9 * sum(r2g.values()) / scc
    final = {"AAA": cap["AAA"] * scale, "BBB": cap["BBB"] * scale - r2g["BBB"], "CCC": -r2g["CCC"]}
    total = sum(final.values())
    assert got["symbol"].to_list() == ["AAA", "BBB", "CCC"]
    for symbol, weight, mcap in zip(got["symbol"], got["weight"], got["final_mcap"]):
        assert mcap == pytest.approx(final[symbol], rel=1e-12)
        assert weight == pytest.approx(final[symbol] / total, rel=1e-12)
    assert str(got["cutoff_date"][0]) == "2023-06-14" and str(got["effective_date"][0]) == "2023-06-23"


@pytest.mark.slow
def test_real_pdfs_through_the_documents_asset(tmp_path):
    real_lists(tmp_path)  # the 2016 and 2022 Russell 3000 lists, the 2023 final changes
    with dg.instance_for_test() as instance:
        result = materialize(YEAR_ASSETS, _resources(tmp_path), instance, ("2016", "2023"), publish=True)
    assert result.success, failure_lines(result)
    assert _failed_checks(result) == []
    lake = Lake(tmp_path)
    members = lake.warehouse.read(
        "SELECT recon_year, count(*) AS n, min(as_of_date) AS d FROM constituents GROUP BY 1 ORDER BY 1"
    )
    assert members.rows() == [(2016, 3005, date(2016, 6, 27)), (2022, 3010, date(2022, 6, 24))]
    changes = lake.warehouse.read(
        "SELECT change, stage, index_name, count(*) AS n FROM constituent_changes GROUP BY ALL ORDER BY 1"
    )
    assert changes.rows() == [
        ("addition", "final", "Russell 3000", 281),
        ("deletion", "final", "Russell 3000", 173),
    ]


@pytest.mark.slow
def test_bad_schedule_fails_its_check_and_the_projection_stands(tmp_lake):
    good = next((tmp_lake.root / "raw" / "2019").glob("002_*.txt")).read_text()
    (tmp_lake.root / "raw" / "2021").mkdir()
    bad = tmp_lake.root / "raw" / "2021" / "announcement.txt"
    bad.write_text(good.replace("2019", "2021").replace("Friday 10 May 2021", "Friday 31 June 2021"))
    with dg.instance_for_test() as instance:
        result = materialize(YEAR_ASSETS, _resources(tmp_lake.root), instance, ("2021", "2021"), publish=True)
    assert result.success, failure_lines(result)
    failed = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed
    ]
    assert [f.check_name for f in failed] == ["published_schedules_parse"]
    message = failed[0].metadata["errors"].value
    assert "announcement.txt" in message and "line" in message
    calendar = tmp_lake.lake.tables.read("recon_calendar", "recon_year", [2021])
    assert set(calendar["source"]) == {"projected"}
    assert calendar.filter((pl.col("review") == "2021-06") & (pl.col("event") == "recon_close"))["date"][
        0
    ] == date(2021, 6, 25)


@pytest.mark.slow
def test_bad_market_folder_fails_with_file_column_and_row(tmp_lake, tmp_path):
    folder = tmp_path / "market"
    folder.mkdir()
    pl.DataFrame({"date": ["2023-06-14"], "symbol": ["AAA"], "close": [10.0]}).write_csv(
        folder / "prices.csv"
    )
    pl.DataFrame(
        {"date": ["2023-01-03"], "symbol": ["AAA"], "shares": [1000.0], "free_float": [1.5]}
    ).write_csv(folder / "shares.csv")
    pl.DataFrame({"review": ["2023-06"], "index": ["RUSSELL_2000_GROWTH"], "symbol": ["AAA"]}).write_csv(
        folder / "memberships.csv"
    )
    resources = tmp_lake.resources(market_data=str(folder))
    with dg.instance_for_test() as instance:
        result = materialize([market_data], resources, instance)
    assert not result.success
    (line,) = failure_lines(result)
    assert "shares.csv" in line and "free_float" in line and "AAA" in line
    assert tmp_lake.lake.tables.read("market_prices") is None


def _table_hashes(root) -> dict[str, tuple[str, str | None]]:
    """Per table: the sha256 of its rows sorted by every column, and of its rows in stored order within each
    partition (None for the tables written as a stream, whose files' row order the Delta writer does not
    keep). Both hash the rows as CSV, text quoted and nulls as \\N: a float is written as the shortest text
    that reads back to it, so two floats differing in their last bit differ here."""
    import hashlib

    def digest(frame: pl.DataFrame) -> str:
        text = frame.write_csv(quote_style="non_numeric", null_value="\\N")
        return hashlib.sha256(text.encode()).hexdigest()

    lake, out = Lake(root), {}
    for table in lake.tables.names():
        if table == "file_checksums":  # the lake's record of its own data files, which have random names
            continue
        rows = lake.tables.read(table)
        canonical = digest(rows.sort(rows.columns, nulls_last=True))
        column = (lake.tables.delta(table).metadata().partition_columns or [None])[0]
        if (
            table.startswith("market_") and column is not None
        ):  # streamed in batches (planning/market_update.py)
            out[table] = (canonical, None)
            continue
        parts = (
            [rows]
            if column is None
            else [rows.filter(pl.col(column) == k) for k in sorted(rows[column].unique())]
        )
        out[table] = (canonical, digest(pl.concat(parts)) if parts else "")
    return out


@pytest.mark.slow
def test_two_fresh_builds_of_the_same_inputs_are_byte_identical(tmp_path, lakes):
    """The same documents and market data, built from scratch into two lakes by `russell-pipeline build`:
    every table holds the same rows, bit for bit (the levels, weights and reconstitution effect included), and
    every table written from memory holds them in the same order within each partition. The first is the
    run's shared build of the samples over the extended small feed (a new lake and Dagster home; five
    reviews and the start of 2020's reconstitution window), the second a build here of the same documents
    and the same market-data folder (which a build only reads, and names in market_source and lineage), in
    a process of its own with polars on one thread (the first on one per core): the rows do not depend on
    how many threads computed them."""
    shared = lakes.built(EXTENDED_END)
    first_root = shared.root
    done = sample_lake(tmp_path / "second", shared.market).cli("build", env={"POLARS_MAX_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    first, second = _table_hashes(first_root), _table_hashes(tmp_path / "second")
    assert {"quarterly_weights", "index_levels", "pro_forma_weights", "reconstitution_effect"} <= set(first)
    assert Lake(first_root).tables.read("reconstitution_effect").height > 0
    assert (
        Lake(first_root).tables.read("index_levels")["review"].n_unique() > CHUNK_REVIEWS
    )  # more than a chunk
    assert {t: h for t, h in first.items() if second.get(t) != h} == {}
    assert set(first) == set(second)


@pytest.mark.slow
def test_a_rerun_of_every_stage_on_unchanged_inputs_writes_bit_identical_tables(
    tmp_path, lakes, monkeypatch, capsys
):
    """Every stage run again on the inputs it was built from (the lake's record of what each partition was
    built from forgotten, so every stage is out of date): every table holds the same rows, bit for bit
    (the market tables rewritten, the weights and levels recomputed from them), in the same order within
    each partition where it is written from memory. The build runs in this process, as `build` does."""
    from russell_pipeline.lake import checksums
    from russell_pipeline.lake.lineage import LINEAGE
    from russell_pipeline.runner.build import build
    from russell_pipeline.settings import Settings

    built = lakes.copy(tmp_path, EXTENDED_END)
    before = _table_hashes(built.root)
    lake = built.lake
    recorded = lake.tables.read(LINEAGE)
    with lake.lock.hold():  # what each partition was built from, forgotten: every stage is out of date
        lake.tables.write(LINEAGE, recorded.clear(), "asset", sorted(set(recorded["asset"])), publish=False)
        checksums.record(lake, [LINEAGE])
    for name, value in built.env().items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    assert build(Settings.from_env()) == 0
    ran = capsys.readouterr().out
    runs = {line.split(": ok in ")[0] for line in ran.splitlines() if ": ok in " in line}
    assert {
        "market_data",
        "membership",
        "quarterly_weights 2019-03..2020-03",
        "index_levels 2019-03..2020-03",
    } <= runs
    assert {r.split()[0] for r in runs} >= {
        "documents",
        "recon_calendar",
        "research_job",
        "pro_forma_weights",
    }
    after = _table_hashes(built.root)
    # The table versions written, and where the copy's market folder lives (`market_source.source`, a
    # path: not part of the data), aside: every other table, and what each partition was built from
    # (`lineage`), is as it was.
    bookkeeping = {"written_versions", "market_reads", "market_source"}
    assert {t for t in before if t not in bookkeeping and before[t] != after[t]} == set()
    assert set(before) == set(after)
    source = [
        Lake(r).tables.read("market_source").drop("source")
        for r in (lakes.built(EXTENDED_END).root, built.root)
    ]
    assert source[0].equals(source[1])
