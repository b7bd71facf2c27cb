"""The one storage path: partitions replaced exactly and atomically, one writer, a read-only query surface."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from deltalake.exceptions import DeltaError

from russell_pipeline.lake.delta import CHECKPOINT_EVERY, Tables
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.errors import LakeError
from russell_pipeline_tests.helpers import COMMAND, cli
from russell_pipeline_tests.lakes import lake_folder


def _frame(year: int, names: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"recon_year": [year] * len(names), "name": names}, schema={"recon_year": pl.Int64, "name": pl.String}
    )


def _names(lake: Lake, table: str = "t") -> list[tuple]:
    return lake.warehouse.read(f'SELECT recon_year, name FROM "{table}" ORDER BY recon_year, name').rows()


def _data_files(lake: Lake, table: str = "t") -> set[str]:
    return {
        p.relative_to(lake.tables.folder).as_posix() for p in (lake.tables.folder / table).rglob("*.parquet")
    }


def test_rewrite_replaces_exactly_that_partition(tmp_path):
    lake = Lake(tmp_path)
    lake.tables.write(
        "t", pl.concat([_frame(2020, ["a", "b"]), _frame(2021, ["c"])]), "recon_year", [2020, 2021]
    )
    lake.tables.write("t", _frame(2021, ["z", "y"]), "recon_year", [2021])
    assert _names(lake) == [(2020, "a"), (2020, "b"), (2021, "y"), (2021, "z")]
    assert lake.tables.read("t", "recon_year", [2021]).sort("name").rows() == [(2021, "y"), (2021, "z")]
    # Files are hive-style Parquet; the partition column comes back with its type.
    assert all(f.startswith(("t/recon_year=", "t/_delta_log")) for f in _data_files(lake))
    assert lake.tables.read("t").schema == pl.Schema({"recon_year": pl.Int64, "name": pl.String})


@pytest.mark.parametrize(
    "column, keys",
    [
        ("recon_year", [2018, 2019, 2020, 2021, 2022]),
        ("review", ["2019-09", "2019-12", "2020-03", "2020-06", "2020-09"]),
    ],
)
def test_replacing_a_middle_partition_keeps_its_neighbours_row_for_row(tmp_path, column, keys):
    """A predicate that reached past the written keys (a range, a prefix, a type cast) would drop a
    neighbour."""
    lake = Lake(tmp_path)
    dtype = pl.Int64 if column == "recon_year" else pl.String
    every = pl.DataFrame(
        {column: [k for k in keys for _ in range(3)], "name": [f"{k}-{i}" for k in keys for i in range(3)]},
        schema={column: dtype, "name": pl.String},
    )
    lake.tables.write("t", every, column, keys)
    middle = keys[2]
    lake.tables.write(
        "t", pl.DataFrame({column: [middle], "name": ["new"]}, schema=every.schema), column, [middle]
    )
    after = lake.tables.read("t").sort(column, "name")
    assert after.filter(pl.col(column) != middle).equals(
        every.filter(pl.col(column) != middle).sort(column, "name")
    )
    assert after.filter(pl.col(column) == middle)["name"].to_list() == ["new"]
    assert lake.warehouse.read(f'SELECT count(*) AS n FROM t WHERE "{column}" <> ?', [middle])["n"][0] == 12


def test_empty_partition_clears_old_rows_and_keeps_schema(tmp_path):
    lake = Lake(tmp_path)
    lake.tables.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    lake.tables.write("t", _frame(2020, []), "recon_year", [2020])
    assert lake.warehouse.read("SELECT count(*) AS n FROM t")["n"][0] == 0
    assert lake.warehouse.read("SELECT * FROM t").columns == ["recon_year", "name"]
    assert lake.tables.read("t").columns == ["recon_year", "name"]


def test_failed_write_leaves_previous_partitions_untouched(tmp_path):
    lake = Lake(tmp_path)
    lake.tables.write("t", pl.concat([_frame(2020, ["a"]), _frame(2021, ["b"])]), "recon_year", [2020, 2021])
    before = _data_files(lake)
    bad = pl.DataFrame(
        {"recon_year": [2020, 2021], "name": [object(), object()]}, schema_overrides={"name": pl.Object}
    )
    # polars refuses the Object column while delta-rs streams it in; delta-rs reports it as its own error
    with pytest.raises(DeltaError, match="cannot cast 'Object' type"):
        lake.tables.write("t", bad, "recon_year", [2020, 2021])
    assert sorted(lake.tables.read("t")["name"].to_list()) == ["a", "b"]
    assert _data_files(lake) == before


def test_rows_outside_the_written_partitions_are_refused(tmp_path):
    lake = Lake(tmp_path)
    with pytest.raises(ValueError, match=r"t: rows outside the partitions being written: \(2022, 'a'\)"):
        lake.tables.write("t", _frame(2022, ["a"]), "recon_year", [2021])
    assert lake.tables.read("t") is None


def test_unpartitioned_table_and_query_parameters(tmp_path):
    lake = Lake(tmp_path)
    lake.tables.write("u", pl.DataFrame({"review": ["2019-03", "2019-06"], "x": [1.5, 2.5]}))
    assert lake.warehouse.read("SELECT x FROM u WHERE review = ?", ["2019-06"])["x"].to_list() == [2.5]
    lake.tables.write("u", pl.DataFrame({"review": ["2020-03"], "x": [9.0]}))
    assert lake.warehouse.read("SELECT review, x FROM u").rows() == [("2020-03", 9.0)]


def test_a_changed_schema_rewrites_the_table_in_one_commit(tmp_path):
    lake = Lake(tmp_path)
    lake.tables.write("t", pl.concat([_frame(2020, ["a"]), _frame(2021, ["b"])]), "recon_year", [2020, 2021])
    wider = _frame(2021, ["c"]).with_columns(extra=pl.lit(1.5))
    lake.tables.write("t", wider, "recon_year", [2021])
    got = lake.warehouse.read("SELECT recon_year, name, extra FROM t ORDER BY recon_year").rows()
    assert got == [(2020, "a", None), (2021, "c", 1.5)]


def test_earlier_versions_stay_readable(tmp_path):
    lake = Lake(tmp_path)
    lake.tables.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    lake.tables.write("t", _frame(2020, ["b"]), "recon_year", [2020])
    assert lake.tables.scan("t", version=0).collect()["name"].to_list() == ["a"]
    assert lake.tables.read("t")["name"].to_list() == ["b"]


def test_views_are_relative_so_a_copied_lake_reads_its_own_files(tmp_path):
    lake = Lake(tmp_path / "a")
    (tmp_path / "a").mkdir()
    lake.tables.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    lake.tables.write("t", _frame(2020, ["changed"]), "recon_year", [2020])
    shutil.rmtree(tmp_path / "a" / "lake")  # the original's files are gone: the copy must not need them
    assert _names(Lake(tmp_path / "b")) == [(2020, "a")]
    # A user's own DuckDB session: from inside the lake folder, or with the lake_root variable set.
    with duckdb.connect(str(tmp_path / "b" / "warehouse.duckdb"), read_only=True) as con:
        con.execute("SET VARIABLE lake_root = ?", [str(tmp_path / "b")])
        assert con.sql("SELECT name FROM t").fetchall() == [("a",)]


def test_a_reader_holding_the_warehouse_never_blocks_a_write(tmp_path):
    lake = Lake(tmp_path)
    lake.tables.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    # A user's session that opened the warehouse read-write (the DuckDB default), holding its lock.
    hold = textwrap.dedent("""
        import duckdb, sys
        con = duckdb.connect(sys.argv[1])
        con.execute("SET VARIABLE lake_root = ?", [sys.argv[2]])
        print(con.sql("SELECT name FROM t").fetchall(), flush=True)
        sys.stdin.readline()
        print(con.sql("SELECT name FROM t").fetchall(), flush=True)
    """)
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(lake.warehouse.file), str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "[('a',)]"
        lake.tables.write("t", _frame(2020, ["b"]), "recon_year", [2020])
        assert _names(lake) == [(2020, "b")]
        holder.stdin.write("\n")
        holder.stdin.flush()
        # The holder keeps the snapshot it opened: old catalog, old files (kept for the retention).
        assert holder.stdout.readline().strip() == "[('a',)]"
    finally:
        holder.kill()
        holder.wait()


WRITER = textwrap.dedent("""
    import sys, polars as pl
    from russell_pipeline.lake.lake_root import Lake
    lake = Lake(sys.argv[1])
    rows = int(sys.argv[2])
    frame = pl.DataFrame({"recon_year": [2021] * rows, "name": [f"new{i}" for i in range(rows)]})
    lake.tables.write("t", frame, "recon_year", [2021])
    # A write and its publish never import pandas (pyarrow's pa.table probes for it: a second's import).
    sys.exit("the write imported pandas" if "pandas" in sys.modules else 0)
""")


@pytest.mark.parametrize("point", ["t:data_written", "t:committed", "warehouse.duckdb:staged"])
def test_sigkill_inside_a_write_leaves_every_view_readable_and_the_next_write_clean(tmp_path, point):
    lake = Lake(tmp_path)
    lake.tables.write("t", pl.concat([_frame(2020, ["a"]), _frame(2021, ["b"])]), "recon_year", [2020, 2021])
    env = os.environ | {"RUSSELL_FAULT": point}
    killed = subprocess.run([sys.executable, "-c", WRITER, str(tmp_path), "50000"], check=False, env=env)
    assert killed.returncode == -signal.SIGKILL
    # Readers see the old partition or the new one, whole: never a mix, never a broken view.
    seen = lake.warehouse.read(
        "SELECT recon_year, count(*) AS n, min(name) AS first FROM t GROUP BY 1 ORDER BY 1"
    ).rows()
    if point == "t:data_written":  # killed before the commit: the previous rows, in the view and the table
        assert seen == [(2020, 1, "a"), (2021, 1, "b")]
        assert lake.tables.read("t").height == 2
    else:  # killed after the commit: the table has the new rows; the view shows one whole version
        assert seen in ([(2020, 1, "a"), (2021, 1, "b")], [(2020, 1, "a"), (2021, 50000, "new0")])
        assert lake.tables.read("t").height == 50001
    assert not list((tmp_path / ".scratch").glob("*")) or point == "warehouse.duckdb:staged"
    # The next write is clean and publishes a consistent warehouse; the killed run's leftovers go.
    subprocess.run([sys.executable, "-c", WRITER, str(tmp_path), "3"], check=True)
    assert lake.warehouse.read("SELECT count(*) AS n FROM t WHERE recon_year = 2021")["n"][0] == 3
    assert not list((tmp_path / ".scratch").glob("*"))
    assert Lake(tmp_path).vacuum(retention_hours=0) >= 1  # the replaced and the orphaned files
    assert len([f for f in _data_files(lake) if "_delta_log" not in f]) == 2  # one file per live partition
    assert lake.warehouse.read("SELECT count(*) AS n FROM t")["n"][0] == 4


def test_a_vacuum_is_not_a_change_outside_a_build_but_a_real_one_still_is(tmp_path):
    lake = Lake(tmp_path)
    for year, names in ((2020, ["a"]), (2020, ["b"])):  # the second write replaces the first's file
        lake.tables.write("t", _frame(year, names), "recon_year", [year], publish=False)
        lake.tables.write("u", _frame(year, names), "recon_year", [year], publish=False)
    lake.lineage.record_written("owner_t", ["t"])
    lake.lineage.record_written("owner_u", ["u"])
    lake.tables.write(
        "u", _frame(2021, ["c"]), "recon_year", [2021], publish=False
    )  # u changed behind its owner
    versions = {name: lake.tables.version(name) for name in ("t", "u")}
    assert lake.vacuum(retention_hours=0) >= 2
    assert {
        name: lake.tables.version(name) for name in ("t", "u")
    } != versions  # the vacuum committed to both
    assert [line.split(":")[0] for line in lake.lineage.changed_outside()] == ["u"]
    assert lake.tables.read("t")["name"].to_list() == ["b"]


def test_a_table_committed_to_night_after_night_keeps_a_recent_checkpoint(tmp_path):
    """Opening a table replays its commits since the last checkpoint: writes and vacuums keep that
    under CHECKPOINT_EVERY + 1 commits, and every version stays readable."""
    lake = Lake(tmp_path)
    log = lake.tables.folder / "t" / "_delta_log"
    behind = []
    for night in range(3 * CHECKPOINT_EVERY + 4):
        lake.tables.write("t", _frame(2020, [f"n{night}"]), "recon_year", [2020], publish=night % 7 == 0)
        if night % 9 == 8:
            lake.vacuum(retention_hours=0)  # two commits of its own
        checkpoint = (
            json.loads((log / "_last_checkpoint").read_text())["version"] if night >= CHECKPOINT_EVERY else 0
        )
        behind.append(lake.tables.version("t") - checkpoint)
    assert max(behind) <= CHECKPOINT_EVERY + 1, behind
    assert len(list(log.glob("*.checkpoint.parquet"))) >= 3
    assert lake.tables.read("t")["name"].to_list() == [f"n{3 * CHECKPOINT_EVERY + 3}"]
    lake.warehouse.publish()
    assert _names(lake) == [(2020, f"n{3 * CHECKPOINT_EVERY + 3}")]
    assert lake.tables.scan("t", version=lake.tables.version("t") - 1).collect()["name"].to_list() == [
        f"n{3 * CHECKPOINT_EVERY + 2}"
    ]


def test_a_pinned_lake_opens_each_table_once_and_sees_its_own_commits(tmp_path, monkeypatch):
    """Inside `pinned` a table's log is read once however often it is asked for, and the table names are
    listed once; a commit through the lake (a write, a vacuum) is seen at once, and only the tables it
    committed to are read again; outside it every question reads the log again (its listing:
    `Tables._current`)."""
    lake = Lake(tmp_path)
    for year, names in ((2020, ["a"]), (2020, ["b"]), (2021, ["c"])):
        lake.tables.write("t", _frame(year, names), "recon_year", [year], publish=False)
    lake.tables.write("u", _frame(2020, ["x"]), "recon_year", [2020], publish=False)
    opened = []
    real_current = Tables._current
    monkeypatch.setattr(
        Tables, "_current", lambda self, table: opened.append(table) or real_current(self, table)
    )
    with lake.tables.pinned():
        for _ in range(3):
            assert lake.tables.version("t") == 2 and sorted(lake.tables.read("t")["name"]) == ["b", "c"]
            assert set(lake.tables.readable()) == {"t", "u"} and lake.tables.version("missing") is None
        assert sorted(opened) == ["missing", "t", "u"]
        lake.tables.write("t", _frame(2021, ["d"]), "recon_year", [2021], publish=False)
        assert lake.tables.version("t") == 3 and sorted(lake.tables.read("t")["name"]) == ["b", "d"]
        assert set(lake.tables.readable()) == {"t", "u"} and opened.count("u") == 1  # only what it wrote
        assert lake.vacuum(retention_hours=0) >= 2
        assert lake.tables.version("t") == 5 and sorted(lake.tables.read("t")["name"]) == ["b", "d"]
        assert lake.warehouse.publish() and _names(lake) == [(2020, "b"), (2021, "d")]
        behind = tmp_path / "lake" / "behind"  # a table folder made behind the pin: not listed again
        (behind / "_delta_log").mkdir(parents=True)
        assert lake.tables.names() == ["t", "u"]
        lake.tables.write("v", _frame(2020, ["z"]), "recon_year", [2020], publish=False)
        assert lake.tables.names() == ["behind", "t", "u", "v"]  # a commit of its own lists them afresh
        shutil.rmtree(behind)
    other = Lake(tmp_path)  # another writer, once the pin is gone
    other.tables.write("u", _frame(2020, ["y"]), "recon_year", [2020], publish=False)
    opened.clear()
    assert lake.tables.read("u")["name"].to_list() == ["y"] and lake.tables.read("u")["name"].to_list() == [
        "y"
    ]
    assert opened.count("u") == 2
    assert not lake.lock.held()


def test_a_tables_files_are_listed_once_per_version_and_read_as_polars_delta_reader_reads_them(
    tmp_path, monkeypatch
):
    """A table's scan lists its version's data files once (`delta._files_scan`) and answers what polars'
    Delta reader answers: columns in the table's order, partition values from their folders (one that
    needs escaping too), an empty table with its schema. Another writer's commit, a rewrite in a new
    shape, or an earlier version is read afresh, never the kept listing."""
    from deltalake import DeltaTable

    lake = Lake(tmp_path)
    odd = pl.DataFrame({"name": ["a", "b"], "review": ["2020-06", "a b/c%"]})
    lake.tables.write("t", odd, "review", ["2020-06", "a b/c%"], publish=False)
    lake.tables.write("empty", _frame(2020, []), "recon_year", [], publish=False)
    expected = {table: pl.scan_delta(str(tmp_path / "lake" / table)).collect() for table in ("t", "empty")}
    listed = []
    real = DeltaTable.file_uris
    monkeypatch.setattr(DeltaTable, "file_uris", lambda self, *a: listed.append(1) or real(self, *a))
    for table, frame in expected.items():
        for _ in range(3):
            got = lake.tables.scan(table).collect()
            assert got.columns == frame.columns and got.sort(pl.all()).equals(frame.sort(pl.all()))
    assert len(listed) == 2  # each table once
    Lake(tmp_path).tables.write("t", odd.head(1).with_columns(name=pl.lit("z")), "review", ["2020-06"])
    before = len(listed)
    assert sorted(lake.tables.read("t")["name"]) == ["b", "z"] and len(listed) == before + 1  # new version
    wider = pl.DataFrame({"name": ["w"], "review": ["2021-06"], "extra": [1]})
    lake.tables.write("t", wider, "review", ["2021-06"], publish=False)
    assert lake.tables.scan("t").collect().columns == ["name", "review", "extra"]
    assert lake.tables.scan("t", version=0).collect().columns == ["name", "review"]


def test_a_second_writer_waits_for_the_lock_and_gives_up_with_one_line(tmp_path):
    lake = Lake(tmp_path)
    hold = (
        "import sys, time; from russell_pipeline.lake.lake_root import Lake\n"
        "with Lake(sys.argv[1]).lock.hold():\n    print('held', flush=True); time.sleep(30)"
    )
    holder = subprocess.Popen([sys.executable, "-c", hold, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        busy = rf"{tmp_path}/.lake.lock: the lake is being written by process {holder.pid}; gave up after 1 s"
        with pytest.raises(LakeError, match=busy), lake.lock.hold(timeout=1):
            pass
        assert 1 <= time.monotonic() - started < 5
        holder.kill()  # the OS releases the lock of a dead process
        holder.wait()
        with lake.lock.hold(timeout=5):
            lake.tables.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    finally:
        holder.kill()
        holder.wait()
    assert _names(lake) == [(2020, "a")]


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("COPY (SELECT 1) TO 'lake/t/x.parquet'", "is allowed (got COPY)"),
        ("ATTACH 'other.duckdb' (READ_ONLY false)", "is allowed (got ATTACH)"),
        ("INSTALL httpfs", "is allowed (got LOAD)"),
        ("SELECT 1; DROP VIEW t", "is allowed (got SELECT, DROP)"),
        ("SET enable_external_access = true", "is allowed (got SET)"),
        # EXPLAIN ANALYZE runs what it explains: refused however it is spelled.
        ("EXPLAIN ANALYZE COPY (SELECT 1) TO '{root}/lake/t/x.parquet'", "(got EXPLAIN ANALYZE of COPY)"),
        ("EXPLAIN ANALYZE SELECT 1", "(got EXPLAIN ANALYZE of SELECT)"),
        ("explain /* c */ analyse select 1", "(got EXPLAIN ANALYZE of SELECT)"),
        ("EXPLAIN (FORMAT json, ANALYZE) SELECT 1", "(got EXPLAIN ANALYZE of SELECT)"),
        ("/* x */ EXPLAIN COPY (SELECT 1) TO '{root}/lake/t/x.parquet'", "(got EXPLAIN of COPY)"),
        ("SELECT * FROM read_text('{root}/lake/../../etc/passwd')", "Cannot access file"),
        ("SELECT * FROM read_text('/etc/passwd')", 'Cannot access file "/etc/passwd"'),
        ("SELECT * FROM read_csv('/etc/passwd')", 'Cannot access file "/etc/passwd"'),
        ("SELECT * FROM glob('/root/*')", 'Cannot access file "/root/*"'),
        ("SELECT * FROM read_text('lake/../warehouse.duckdb')", "Cannot access file"),
        ("SELECT getenv('HOME')", "getenv"),
        ("SELEKT 1", "syntax error"),
    ],
)
def test_query_cannot_write_or_read_outside_the_lake(tmp_path, sql, error):
    lake = Lake(tmp_path)
    lake.tables.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    with pytest.raises((LakeError, duckdb.Error), match=f"(?i){__import__('re').escape(error)}"):
        lake.warehouse.query(sql.format(root=tmp_path))
    assert _names(lake) == [(2020, "a")] and not (tmp_path / "lake" / "t" / "x.parquet").exists()


@pytest.mark.parametrize(
    "target",
    ["lake/t/x.csv", "lake/t/_delta_log/00000000000000000001.json", "lake/t/recon_year=2020/part-0.parquet"],
)
def test_the_query_process_cannot_write_the_lake_even_past_the_statement_filter(
    tmp_path, monkeypatch, target
):
    """By construction, not by the filter: with the filter made to let everything through, a COPY into
    the lake (a new file, a Delta log entry, a data file) fails in the query's process and the lake is
    as it was. The same COPY on a connection outside that process writes, so the test can fail."""
    from russell_pipeline.lake import query
    from russell_pipeline.lib.sandbox import landlock_abi

    if not landlock_abi():
        pytest.skip("needs a kernel with Landlock enabled (Linux 5.13 or later) to sandbox the query process")
    lake = Lake(tmp_path)
    lake.tables.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    monkeypatch.setattr(query, "_reads_only", lambda statement: True)  # a hole in the statement filter
    copy = f"COPY (SELECT 'x' AS name, 2020 AS recon_year) TO '{tmp_path / target}' (FORMAT csv)"
    with pytest.raises(LakeError, match="(?i)permission denied"):
        lake.warehouse.query(copy)
    assert not (tmp_path / target).exists() and _names(lake) == [(2020, "a")]
    with (
        lake.warehouse.connect() as con
    ):  # the same connection, in this process: only the kernel rule was missing
        con.execute(copy)
    assert (tmp_path / target).exists()


@pytest.mark.parametrize(
    "sql",
    [
        "EXPLAIN SELECT * FROM t",
        "explain (format json) select * from t",
        "/* plan */ EXPLAIN SELECT count(*) FROM t",
    ],
)
def test_explain_of_a_select_shows_its_plan(tmp_path, sql):
    lake = Lake(tmp_path)
    lake.tables.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    plan = lake.warehouse.query(sql)
    assert plan.columns == ["explain_key", "explain_value"] and plan.height == 1


def _registry(lake: Lake) -> dict[str, tuple]:
    with duckdb.connect(str(lake.warehouse.file), read_only=True) as con:
        return {
            r[0]: r[1:] for r in con.sql("SELECT table_name, version, definition FROM lake_tables").fetchall()
        }


def _add_probe(lake: Lake) -> None:
    """An object only a copy of the published warehouse holds (a file made anew has none)."""
    with duckdb.connect(str(lake.warehouse.file)) as con:
        con.execute("CREATE VIEW probe AS SELECT 1 AS one")


def _has_probe(lake: Lake) -> bool:
    with duckdb.connect(str(lake.warehouse.file), read_only=True) as con:
        return bool(con.sql("SELECT count(*) FROM duckdb_views() WHERE view_name = 'probe'").fetchall()[0][0])


def test_counts_come_from_the_tables_logs_without_reading_a_file(tmp_path):
    """The build's summary of rows per table: the registry holds each table's rows as its log records
    them when published, so counting opens no data file (on an object store, a request per file); a
    warehouse from before the registry kept them counts through the views."""
    lake = Lake(tmp_path)
    lake.tables.write(
        "t", pl.concat([_frame(2020, ["a", "b"]), _frame(2021, ["c"])]), "recon_year", [2020, 2021]
    )
    lake.tables.write("u", pl.DataFrame({"x": [1, 2, 3, 4]}))
    lake.tables.write("empty", pl.DataFrame(schema={"x": pl.Int64}))
    with lake.warehouse.connect() as con:
        through_views = {
            t: con.sql(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in ("t", "u", "empty")
        }
    assert through_views == {"t": 3, "u": 4, "empty": 0}
    assert lake.warehouse.counts() == through_views
    # With t's files gone, a count through its view fails; the logged count still answers.
    for file in (tmp_path / "lake" / "t").rglob("*.parquet"):
        file.rename(file.with_suffix(".moved"))
    with pytest.raises(duckdb.Error), lake.warehouse.connect() as con:
        con.sql('SELECT count(*) FROM "t"').fetchall()
    assert lake.warehouse.counts() == through_views
    for file in (tmp_path / "lake" / "t").rglob("*.moved"):
        file.rename(file.with_suffix(".parquet"))
    # An older warehouse without the column: every table counted through its view.
    with duckdb.connect(str(lake.warehouse.file)) as con:
        con.execute("ALTER TABLE lake_tables DROP COLUMN rows")
    assert lake.warehouse.counts() == through_views


def test_publish_makes_again_only_the_views_whose_tables_changed(tmp_path):
    lake = Lake(tmp_path)
    lake.tables.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    lake.tables.write("u", pl.DataFrame({"x": [1]}))
    before = _registry(lake)
    _add_probe(lake)
    lake.tables.write("u", pl.DataFrame({"x": [2]}))
    after = _registry(lake)
    # t's view is kept from the published file (a copy: the probe is still there), u's is made again.
    assert _has_probe(lake) and after["t"] == before["t"]
    assert after["u"][0] == before["u"][0] + 1 and after["u"][1] != before["u"][1]
    assert _names(lake) == [(2020, "a")] and lake.warehouse.read("SELECT x FROM u").rows() == [(2,)]
    # A new table: every view is made in a new file.
    lake.tables.write("v", pl.DataFrame({"y": [3]}))
    assert not _has_probe(lake) and _registry(lake)["t"] == before["t"]
    assert _names(lake) == [(2020, "a")] and lake.warehouse.read("SELECT y FROM v").rows() == [(3,)]
    # A warehouse from before the registry kept view digests: every view is made again.
    _add_probe(lake)
    with duckdb.connect(str(lake.warehouse.file)) as con:
        con.execute("ALTER TABLE lake_tables DROP COLUMN definition")
    assert lake.warehouse.published_versions() == {"t": 0, "u": 1, "v": 0}
    lake.tables.write("t", _frame(2021, ["b"]), "recon_year", [2021])
    assert not _has_probe(lake) and _names(lake) == [(2020, "a"), (2021, "b")]
    assert set(_registry(lake)) == {"t", "u", "v"}


def test_the_published_versions_are_read_once_per_warehouse_file_and_never_stale(tmp_path, monkeypatch):
    """Opening a DuckDB file costs 20-30 ms: a process reads the registry of each published file once,
    and again as soon as the file is another (a publish by any process) or was changed in place."""
    lake = Lake(tmp_path)
    lake.tables.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    opened = []
    real_connect = duckdb.connect

    def connect(*args, **kwargs):
        opened.append(args[0] if args else None)
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", connect)
    assert [lake.warehouse.published_versions() for _ in range(3)] == [{"t": 0}] * 3
    assert lake.warehouse.counts() == {"t": 1} and len(opened) == 1
    # Another writer (its own Lake on the folder, as another process) publishes a new file.
    Lake(tmp_path).tables.write("t", _frame(2021, ["b"]), "recon_year", [2021])
    before = len(opened)
    assert lake.warehouse.published_versions() == {"t": 1} and lake.warehouse.counts() == {"t": 2}
    assert len(opened) == before + 1
    # A change in place (a user's read-write session on the file) is seen too.
    with real_connect(str(lake.warehouse.file)) as con:
        con.execute("UPDATE lake_tables SET version = 7 WHERE table_name = 't'")
    assert lake.warehouse.published_versions() == {"t": 7}
    lake.warehouse.file.unlink()
    assert lake.warehouse.published_versions() == {}


# A statement that runs for minutes: 10^10 rows joined, on the lake's query surface.
ENDLESS = "SELECT sum(a.range * b.range) AS s FROM range(100000) a, range(100000) b"


def _spills(folder: Path) -> list[Path]:
    return sorted(folder.glob("russell-query-*"))


def test_a_query_has_a_time_limit_and_leaves_no_spill_folder(tmp_path):
    """Before: no limit (the statement ran until killed by hand). Now: `query` stops it after its
    `--timeout` (default 300 s) with one line, and removes its spill folder."""
    from russell_pipeline.cli import _parser

    assert _parser().parse_args(["query", "SELECT 1"]).timeout == 300
    Lake(tmp_path).tables.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    spills = tmp_path / "tmp"
    spills.mkdir()
    started = time.monotonic()
    done = lake_folder(tmp_path).cli(
        "query", ENDLESS, "--timeout", "2", env={"TMPDIR": str(spills)}, timeout=120
    )
    assert done.returncode == 1 and time.monotonic() - started < 30
    assert done.stderr == "error: query: stopped after 2 s, its time limit (--timeout); nothing was changed\n"
    assert _spills(spills) == []


def test_a_killed_query_leaves_no_spill_folder_and_no_process(tmp_path):
    """Before: a query killed (SIGTERM) left its spill folder behind. Now: a SIGTERM ends it as Ctrl-C
    does (its child killed, its folder removed, exit 143, one line); a query killed outright (SIGKILL),
    where nothing can run, has its folder removed by the next query; so does one that crashes in native
    code (SIGSEGV), which first prints where each of its Python threads was."""
    Lake(tmp_path).tables.write("t", _frame(2020, ["a"]), "recon_year", [2020])
    spills = tmp_path / "tmp"
    spills.mkdir()
    env = os.environ | lake_folder(tmp_path).env(TMPDIR=str(spills))
    for signum in (signal.SIGTERM, signal.SIGKILL, signal.SIGSEGV):
        query = subprocess.Popen(
            [*COMMAND, "query", ENDLESS],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        resource.prlimit(query.pid, resource.RLIMIT_CORE, (0, 0))  # crashed on purpose: no core file of it
        deadline = time.monotonic() + 60
        while not (_spills(spills) and descendants(query.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        children = descendants(query.pid)
        assert _spills(spills) and children
        query.send_signal(signum)
        _, err = query.communicate(timeout=60)
        if signum == signal.SIGTERM:
            assert query.returncode == 128 + signal.SIGTERM
            assert err == "error: query: stopped by SIGTERM\n"
            assert _spills(spills) == []
        else:
            assert query.returncode == -signum and len(_spills(spills)) == 1
            if signum == signal.SIGSEGV:  # the faulthandler's traceback, of the main thread among them
                assert err.startswith("Fatal Python error: Segmentation fault") and "cmd_query" in err, err
            assert cli("query", "SELECT 1 AS one", env=env, text=True).returncode == 0
            assert _spills(spills) == []
        deadline = time.monotonic() + 10  # its child does not outlive it, however it ended
        while [c for c in children if _running(c)] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [c for c in children if _running(c)]


def test_a_stop_signal_that_lands_inside_the_fork_still_stops_the_query(monkeypatch):
    """Before: a SIGTERM that arrived while the query's child was being forked ran its handler inside
    fork's hooks, where its KeyboardInterrupt was printed and dropped: the query ran on to its end
    (seen once as a query that ignored SIGTERM). Now the stop is held across the fork and raised after."""
    from russell_pipeline.lib.sandbox import run_in_child, terminate_as_interrupt

    armed = [True]

    def stop_inside_the_fork() -> None:
        if armed:
            armed.pop()
            os.kill(os.getpid(), signal.SIGTERM)

    dropped = []  # what Python drops in fork's hooks: the stop, raised where nothing can catch it
    monkeypatch.setattr(sys, "unraisablehook", lambda raised: dropped.append(raised.exc_type))
    os.register_at_fork(before=stop_inside_the_fork)  # fires once: `armed` empties
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), terminate_as_interrupt():
        run_in_child(time.sleep, 5)
    assert dropped == [KeyboardInterrupt] and time.monotonic() - started < 4


def test_a_fresh_child_holds_nothing_of_its_callers_memory_and_a_fork_holds_a_copy():
    """What the caller set in its memory (here its recursion limit) a fork of it holds and a fresh child
    does not; both are children of the caller."""
    from russell_pipeline.lib.sandbox import Outcome, run_in_child

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + 7)
    try:
        fresh, forked = (run_in_child(sys.getrecursionlimit, fresh=f) for f in (True, False))
    finally:
        sys.setrecursionlimit(limit)
    assert forked == Outcome("ok", limit + 7) and fresh.kind == "ok" and fresh.value != limit + 7
    assert run_in_child(os.getppid, fresh=True) == Outcome("ok", os.getpid())


def test_a_stop_while_a_fresh_child_is_given_its_request_ends_the_child_with_no_traceback(monkeypatch):
    """A stop signal landing while the caller writes a fresh child its request (a query stopped at its
    start) printed the child's `EOFError` traceback under the query's one line, and left the child to end
    on its own. Now the caller kills and reaps the child before the stop goes on, and a child whose
    request was cut short ends quietly (exit 70, nothing on stderr)."""
    import pickle

    from russell_pipeline.lib import sandbox

    request = pickle.dumps((os.getpid(), None, os.getpid, (), (Exception,)))
    for given in (request[: len(request) // 2], b""):
        child = subprocess.run(
            [sys.executable, "-c", sandbox._FRESH_CHILD], input=given, capture_output=True, check=False
        )
        assert (child.returncode, child.stderr) == (70, b"")
    spawned = []
    real_spawn, real_fdopen = os.posix_spawn, os.fdopen
    monkeypatch.setattr(os, "posix_spawn", lambda *a, **k: spawned.append(real_spawn(*a, **k)) or spawned[-1])

    def interrupted(fd, *args, **kwargs):
        if spawned and args[:1] == ("wb",):
            os.close(fd)
            raise KeyboardInterrupt("SIGTERM")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", interrupted)
    fds = len(os.listdir("/proc/self/fd"))
    with pytest.raises(KeyboardInterrupt):
        sandbox.run_in_child(os.getpid, fresh=True)
    with pytest.raises(ChildProcessError):  # reaped: no child of this process is left
        os.waitpid(spawned[0], os.WNOHANG)
    assert len(os.listdir("/proc/self/fd")) == fds  # and none of its pipes stays open


def test_a_query_is_answered_by_a_process_that_copies_nothing_of_the_callers(tmp_path, monkeypatch):
    """Before: the child answering a query was a fork of the caller, holding a copy of whatever the
    caller's libraries held (DuckDB's databases without the threads that run them): a suite run saw a
    query die of SIGSEGV. Now it is a fresh interpreter: a caller whose copy of the view-opening code
    is broken in memory still gets its answer, where a fork would fail with it."""
    from russell_pipeline.lake import query

    lake = Lake(tmp_path)
    lake.tables.write("t", _frame(2020, ["a"]), "recon_year", [2020])

    def broken(*_args, **_kwargs):
        raise RuntimeError("the caller's copy")

    monkeypatch.setattr(query, "open_views", broken)
    assert lake.warehouse.query("SELECT recon_year, name FROM t").rows() == [(2020, "a")]
    with pytest.raises(RuntimeError, match="the caller's copy"):
        lake.warehouse.read("SELECT 1")


def test_the_process_answering_a_query_imports_duckdb_and_pyarrow_not_polars_or_dagster():
    """The query's child is a new interpreter that unpickles `query.rows`: what that module imports is paid
    on every query (polars alone about 0.15 s); it answers with DuckDB and hands pyarrow back."""
    code = (
        "import sys; from russell_pipeline.lake import query; "
        "print(sorted(m for m in ('duckdb', 'pyarrow', 'polars', 'pandas', 'dagster') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['duckdb', 'pyarrow']", done.stdout


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"  # a zombie has ended
    except OSError:
        return False


def descendants(pid: int) -> list[int]:
    """The processes `pid` started (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_bytes().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out
