"""Dagster's migration scripts are read once per process (runner/migrations.py), and a database's own
revision is still read from it at every check."""

from __future__ import annotations

import dagster as dg
import sqlalchemy
from alembic.script import ScriptDirectory

from russell_pipeline.runner import migrations


def test_a_second_instance_reads_no_migration_script_and_an_old_database_is_still_seen_old(
    tmp_path, monkeypatch
):
    loads = []
    real = ScriptDirectory._load_revisions
    monkeypatch.setattr(ScriptDirectory, "_load_revisions", lambda self: loads.append(1) or real(self))
    monkeypatch.setattr(migrations, "_MAPS", {})  # as in a new process
    migrations.keep_migration_scripts()
    counts = []
    for home in (tmp_path / "one", tmp_path / "two"):
        home.mkdir()
        with dg.instance_for_test(temp_dir=str(home)):
            counts.append(len(loads))
    assert counts[0] > 0 and counts[1] == counts[0]  # the first instance read them, the second none

    # A run database taken back to Dagster's first revision: the check reads it, not the kept scripts.
    (tmp_path / "old").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "old")) as instance:
        head = instance.run_storage.alembic_version()[1]
        runs = next((tmp_path / "old").rglob("runs.db"))
        with sqlalchemy.create_engine(f"sqlite:///{runs}").begin() as connection:
            connection.execute(sqlalchemy.text("UPDATE alembic_version SET version_num = '567bc23fd1ac'"))
        assert instance.run_storage.alembic_version() == ("567bc23fd1ac", head) and head != "567bc23fd1ac"
