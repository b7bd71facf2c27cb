"""A build's Dagster events on SQLite: no checkpoint and no sync per event while the build runs, every
event stored when it ends (runner/sqlite_events.py)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from russell_pipeline.runner import sqlite_events
from russell_pipeline.runner.sqlite_events import fewer_syncs


def _store(db: Path, value: int) -> int:
    """One row the way Dagster's SQLite storage stores an event: a new engine and connection, one
    commit, closed; the connection's `synchronous` setting."""
    engine = sa.create_engine(f"sqlite:///{db}", poolclass=NullPool)
    with engine.connect() as connection, connection.begin():
        connection.execute(sa.text("INSERT INTO events VALUES (:v)"), {"v": value})
        synchronous = connection.execute(sa.text("PRAGMA synchronous")).scalar()
    engine.dispose()
    return synchronous


def _wal_database(tmp_path: Path) -> Path:
    db = tmp_path / "index.db"
    engine = sa.create_engine(f"sqlite:///{db}", poolclass=NullPool)
    with engine.connect() as connection, connection.begin():
        connection.execute(sa.text("PRAGMA journal_mode=WAL"))
        connection.execute(sa.text("CREATE TABLE events (value INTEGER)"))
    engine.dispose()
    return db


def test_inside_a_build_the_log_is_kept_and_synced_less_and_every_row_is_stored(tmp_path):
    db = _wal_database(tmp_path)
    wal = db.with_name(db.name + "-wal")
    # Outside: each close of the only connection checkpoints the log into the database and deletes it.
    assert _store(db, 0) == 2  # FULL: a sync at every commit
    assert not wal.exists()
    with fewer_syncs():
        synchronous = {_store(db, value) for value in range(1, 21)}
        assert synchronous == {1}  # NORMAL: no sync at a commit in WAL mode
        assert wal.exists()  # held open: no close was the last one, nothing checkpointed
    assert not wal.exists()  # the held connection's close checkpointed it once
    assert _store(db, 21) == 2  # after the block, connections are left as SQLite opens them
    engine = sa.create_engine(f"sqlite:///{db}", poolclass=NullPool)
    with engine.connect() as connection:
        stored = [row[0] for row in connection.execute(sa.text("SELECT value FROM events ORDER BY value"))]
    engine.dispose()
    assert stored == list(range(22))


def test_a_dagster_instance_stores_every_event_written_inside(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        with fewer_syncs():
            for key in ("2019", "2020", "2021"):
                instance.report_runless_asset_event(dg.AssetMaterialization(asset_key="a", partition=key))
        records = instance.fetch_materializations(dg.AssetKey("a"), limit=10).records
        assert sorted(r.partition_key for r in records) == ["2019", "2020", "2021"]
    assert not list(tmp_path.rglob("*.db-wal"))  # every log checkpointed and removed


def test_inside_a_build_the_event_log_reuses_one_connection_per_database(tmp_path):
    """Dagster's SQLite event log makes an engine and a connection per event; inside, each database
    it writes is connected once, and the log goes back to its own connections after."""
    opened: list[str] = []

    def count(connection, _record) -> None:
        opened.append(connection.execute("PRAGMA database_list").fetchone()[2])

    sa.event.listen(sa.engine.Engine, "connect", count)
    try:
        with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:

            def report(keys: list[str]) -> int:
                before = len(opened)
                for key in keys:
                    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key="a", partition=key))
                return len(opened) - before

            report(["2018"])  # the databases exist before the counts
            assert report(["2019", "2020", "2021"]) >= 3  # outside: at least one connection per event
            with fewer_syncs(instance):
                inside = report([str(year) for year in range(2022, 2042)])
            assert 0 < inside <= len(set(opened))  # one per database, not one per event
            assert report(["2042"]) >= 1  # after: the log's own engine per connection again
            records = instance.fetch_materializations(dg.AssetKey("a"), limit=100).records
            assert sorted(int(r.partition_key) for r in records) == list(range(2018, 2043))
    finally:
        sa.event.remove(sa.engine.Engine, "connect", count)


def test_inside_a_build_the_run_storage_reuses_one_connection(tmp_path):
    """Dagster's SQLite run storage makes an engine and a connection per statement (a run reads and writes
    its record at each step); inside, the runs database is connected once for every run, and the storage
    goes back to its own connections after."""
    opened: list[str] = []

    def count(connection, _record) -> None:
        opened.append(Path(connection.execute("PRAGMA database_list").fetchone()[2]).name)

    @dg.asset
    def one() -> int:
        return 1

    sa.event.listen(sa.engine.Engine, "connect", count)
    try:
        with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:

            def runs(n: int) -> int:
                """Connections to runs.db made while `n` runs of `one` ran."""
                before = len(opened)
                for _ in range(n):
                    assert dg.materialize([one], instance=instance).success
                return opened[before:].count("runs.db")

            runs(1)  # the databases exist before the counts
            assert runs(1) >= 10  # outside: a connection per statement
            with fewer_syncs(instance):
                assert runs(3) == 1  # one for all three runs
            assert runs(1) >= 10  # after: the storage's own engine per statement again
            recorded = instance.get_runs()
            assert len(recorded) == 6 and all(r.is_success for r in recorded)
    finally:
        sa.event.remove(sa.engine.Engine, "connect", count)


def test_inside_a_build_a_tagged_asset_event_asks_for_its_tables_once(tmp_path):
    """Dagster asks whether the tags table exists (through a new engine) and reads the asset table's
    columns at every asset event carrying tags; inside, once found, they are not asked again."""
    opened: list[str] = []

    def count(connection, _record) -> None:
        opened.append(connection.execute("PRAGMA database_list").fetchone()[2])

    def report(instance, keys: list[str]) -> int:
        before = len(opened)
        for key in keys:
            instance.report_runless_asset_event(
                dg.AssetMaterialization(asset_key="a", partition=key, tags={"dagster/data_version": key})
            )
        return len(opened) - before

    sa.event.listen(sa.engine.Engine, "connect", count)
    try:
        with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
            report(instance, ["2018"])
            assert report(instance, ["2019", "2020", "2021"]) >= 6  # the event's and has_table's, each time
            with fewer_syncs(instance):
                inside = report(instance, [str(year) for year in range(2022, 2042)])
            assert 0 < inside <= 3  # the index database's engine, and has_table's first answer
            tagged = instance.event_log_storage.get_latest_tags_by_partition(
                dg.AssetKey("a"), dg.DagsterEventType.ASSET_MATERIALIZATION, ["dagster/data_version"]
            )
            assert sorted(tagged) == [str(year) for year in range(2018, 2042)]
    finally:
        sa.event.remove(sa.engine.Engine, "connect", count)


@dg.asset
def _one() -> int:
    return 1


def _schema(db: Path) -> tuple:
    """What a run's database holds before its events: tables and indexes, alembic stamp, journal mode."""
    with closing(sqlite3.connect(db)) as connection:
        return (
            sorted(connection.execute("SELECT type, name, sql FROM sqlite_master")),
            connection.execute("SELECT version_num FROM alembic_version").fetchall(),
            connection.execute("PRAGMA journal_mode").fetchone(),
        )


def test_inside_a_build_each_new_run_database_is_a_copy_of_the_first_as_dagster_made_it(
    tmp_path, monkeypatch
):
    """The first run database made inside a build in this process is made by Dagster's code; every later
    one, in that build or a later one of the same process, is a copy of it."""
    monkeypatch.setattr(sqlite_events, "_template", [])  # as in a new process
    job = dg.define_asset_job("one").resolve(asset_graph=dg.Definitions(assets=[_one]).resolve_asset_graph())
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        storage = instance.event_log_storage
        made = []
        own = storage._initdb
        storage._initdb = lambda engine, **kw: (made.append(str(engine.url)), own(engine, **kw))[1]
        outside = job.execute_in_process(instance=instance).run_id
        with fewer_syncs(instance):
            inside = [job.execute_in_process(instance=instance).run_id for _ in range(2)]
        with fewer_syncs(instance):  # the next build of the process
            inside.append(job.execute_in_process(instance=instance).run_id)
        del storage._initdb
        assert [url.rsplit("/", 1)[-1] for url in made] == [
            f"{outside}.db",
            f"{inside[0]}.db",
        ]  # alembic twice
        runs = Path(storage._base_dir)
        assert {_schema(runs / f"{run_id}.db") == _schema(runs / f"{outside}.db") for run_id in inside} == {
            True
        }
        for run_id in [outside, *inside]:  # every run's events are in its database, readable as Dagster's
            assert instance.get_run_by_id(run_id).is_success
            types = [e.dagster_event.event_type for e in instance.all_logs(run_id) if e.dagster_event]
            assert types.count(dg.DagsterEventType.ASSET_MATERIALIZATION) == 1
        assert not list(runs.glob("*.new"))
