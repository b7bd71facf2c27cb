"""The one storage path: partitions replaced exactly, never half-written, visible in DuckDB."""

from __future__ import annotations

import polars as pl
import pytest

from russell_pipeline.storage import Lake


def _frame(year: int, names: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"recon_year": [year] * len(names), "name": names})


def test_rewrite_replaces_exactly_that_partition(tmp_path):
    lake = Lake(tmp_path)
    lake.write("t", pl.concat([_frame(2020, ["a", "b"]), _frame(2021, ["c"])]), "recon_year", [2020, 2021])
    lake.write("t", _frame(2021, ["z", "y"]), "recon_year", [2021])
    got = lake.query("SELECT recon_year, name FROM t ORDER BY recon_year, name")
    assert got.rows() == [(2020, "a"), (2020, "b"), (2021, "y"), (2021, "z")]


def test_empty_partition_clears_old_rows_and_keeps_schema(tmp_path):
    lake = Lake(tmp_path)
    lake.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    lake.write("t", _frame(2020, []).cast({"recon_year": pl.Int64}), "recon_year", [2020])
    assert lake.query("SELECT count(*) AS n FROM t")["n"][0] == 0
    assert lake.read("t").columns == ["recon_year", "name"]


def test_failed_write_leaves_previous_partitions_untouched(tmp_path):
    lake = Lake(tmp_path)
    lake.write("t", pl.concat([_frame(2020, ["a"]), _frame(2021, ["b"])]), "recon_year", [2020, 2021])
    # An object column cannot be written to Parquet: the write fails while staging.
    bad = pl.DataFrame({"recon_year": [2020, 2021], "name": [object(), object()]}, schema_overrides={
        "name": pl.Object})
    with pytest.raises(Exception, match="(?i)object"):
        lake.write("t", bad, "recon_year", [2020, 2021])
    assert sorted(lake.read("t")["name"].to_list()) == ["a", "b"]
    assert not [p for p in (tmp_path / "lake" / "t").iterdir() if p.name.startswith(".")]


def test_rows_outside_the_written_partitions_are_refused(tmp_path):
    lake = Lake(tmp_path)
    with pytest.raises(ValueError, match="outside the partitions"):
        lake.write("t", _frame(2022, ["a"]), "recon_year", [2021])
    assert lake.read("t") is None


def test_unpartitioned_table_and_query_parameters(tmp_path):
    lake = Lake(tmp_path)
    lake.write("u", pl.DataFrame({"review": ["2019-03", "2019-06"], "x": [1.5, 2.5]}))
    assert lake.query("SELECT x FROM u WHERE review = ?", ["2019-06"])["x"].to_list() == [2.5]


def test_locked_warehouse_is_one_clear_error_and_keeps_the_parquet(tmp_path):
    import subprocess
    import sys

    from russell_pipeline.storage import WarehouseBusy

    lake = Lake(tmp_path)
    lake.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    hold = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(lake.warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseBusy, match="warehouse.duckdb: cannot register view 't'"):
            lake.write("t", _frame(2020, ["b"]), "recon_year", [2020])
    finally:
        holder.kill()
        holder.wait()
    assert lake.read("t")["name"].to_list() == ["b"]
