"""The lake under stress, as a user meets it: a build killed mid-write, two builds at once, damaged files,
bad settings."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import pytest

from russell_pipeline.lake.lake_root import Lake
from russell_pipeline_tests.helpers import COMMAND, flip_bytes
from russell_pipeline_tests.lakes import EXTENDED_END, SMALL_END, lake_folder, market_folder, sample_lake

pytestmark = pytest.mark.cpu(59)

TABLES = (
    "source_documents",
    "constituent_changes",
    "recon_calendar",
    "market_prices",
    "quarterly_weights",
    "index_levels",
)


def _contents(root: Path) -> dict[str, list]:
    """Every table's rows as the warehouse shows them, in a stable order."""
    with Lake(root).warehouse.connect() as con:  # one connection for every table, as a user's session
        return {t: sorted(con.sql(f'SELECT * FROM "{t}"').pl().rows(), key=repr) for t in TABLES}


@pytest.mark.slow
def test_a_build_killed_inside_a_write_keeps_the_lake_readable_and_the_next_build_clean(tmp_path, lakes):
    built = lakes.copy(tmp_path)  # a first build of the samples and the small feed
    before = _contents(built.root)
    market_folder(built.market, EXTENDED_END)
    killed = built.cli("build", env={"RUSSELL_FAULT": "index_levels:data_written"})
    assert killed.returncode == -signal.SIGKILL
    assert "index_levels 2020-03: ok" not in killed.stdout  # it died inside that run
    # Every view still answers, with the previous levels (the new market data was already published).
    after_kill = _contents(built.root)
    assert after_kill["index_levels"] == before["index_levels"]
    assert after_kill["recon_calendar"] == before["recon_calendar"]
    with dg.DagsterInstance.from_config(str(built.home)) as instance:
        (stuck,) = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    # The next build marks the killed run failed and ends with the tables a fresh build gives.
    again = built.build()
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"marked run {stuck.run_id} failed:" in again.stdout  # the id /runs/<id> opens
    with dg.DagsterInstance.from_config(str(built.home)) as instance:
        assert instance.get_run_by_id(stuck.run_id).status == dg.DagsterRunStatus.FAILURE
    assert _contents(built.root) == _contents(lakes.built(EXTENDED_END).root)


@pytest.mark.slow
def test_a_write_killed_between_two_tables_then_the_input_restored_is_rebuilt_not_up_to_date(tmp_path, lakes):
    """Killed as `market_prices` committed (the other market tables not yet), then the market files put
    back as they were (same bytes, same times): the inputs match the record, the tables do not. The
    next build names the table and rebuilds market data; the lake equals a fresh build's."""
    built = lakes.copy(tmp_path)
    folder = built.market
    saved = tmp_path / "saved_market"
    shutil.copytree(folder, saved)  # copy2: sizes and times kept, so the input digest comes back
    market_folder(folder, EXTENDED_END)
    killed = built.cli("build", env={"RUSSELL_FAULT": "market_prices:committed"})
    assert killed.returncode == -signal.SIGKILL
    shutil.rmtree(folder)
    shutil.copytree(saved, folder)
    again = built.build()
    assert again.returncode == 0, again.stderr[-2000:]
    assert (
        "market_prices: at version" in again.stdout
        and "changed outside a build; market_data is rebuilt" in again.stdout
    ), again.stdout
    assert "market_data: up to date" not in again.stdout
    assert _contents(built.root) == _contents(lakes.built(SMALL_END).root)
    assert built.build().stdout.count("changed outside") == 0  # and then it is up to date


@pytest.mark.slow
def test_a_corrupt_delta_log_is_one_line_and_moving_the_table_aside_rebuilds_it(tmp_path, lakes):
    built = lakes.copy(tmp_path)
    root = built.root
    before = _contents(root)
    # The newest commit, and its checkpoint when it has one (a reader opens a checkpointed version from it).
    log = max((root / "lake" / "index_levels" / "_delta_log").glob("*.json"))
    log.write_text('{"add": garbage')
    checkpoint = log.with_name(f"{log.stem}.checkpoint.parquet")
    if checkpoint.exists():
        checkpoint.write_bytes(b"PAR1 garbage")
    broken = built.build()
    assert broken.returncode == 1 and "Traceback" not in broken.stdout + broken.stderr
    lines = [ln for ln in broken.stderr.splitlines() if "its Delta log cannot be read" in ln]
    assert lines and all(
        f"{root}/lake/index_levels: its Delta log cannot be read (" in ln
        and "move the folder out" in ln
        and "Error:" not in ln
        for ln in lines
    ), broken.stderr
    shutil.move(root / "lake" / "index_levels", tmp_path / "index_levels.corrupt")
    repaired = built.build()
    assert repaired.returncode == 0, repaired.stderr[-2000:]
    assert "index_levels: gone or unreadable" in repaired.stdout
    assert _contents(root) == before


def test_a_log_changed_after_this_process_read_it_is_read_again(tmp_path):
    """A process keeps a table it opened while the table's log lists the same files (delta.py `_OPENED`):
    another writer's commit is read at the next question, and an entry damaged in place (its size and
    time kept) is named as a log that cannot be read, as on a first read."""
    import polars as pl

    from russell_pipeline.lib.errors import LakeError

    def names(*values: str) -> pl.DataFrame:
        return pl.DataFrame({"recon_year": [2020] * len(values), "name": list(values)})

    lake = Lake(tmp_path)
    lake.tables.write("t", names("a"), "recon_year", [2020], publish=False)
    assert lake.tables.delta("t") is lake.tables.delta("t")  # the log unchanged: not read again
    Lake(tmp_path).tables.write("t", names("b"), "recon_year", [2020], publish=False)  # another writer
    assert lake.tables.version("t") == 1 and lake.tables.read("t")["name"].to_list() == ["b"]
    flip_bytes(tmp_path / "lake" / "t" / "_delta_log" / f"{1:020}.json", restore_time=True)
    with pytest.raises(LakeError, match=r"/lake/t: its Delta log cannot be read \("):
        lake.tables.read("t")
    assert lake.tables.version("t") is None


def test_inside_one_hold_of_the_lock_a_log_is_listed_once_and_every_commit_of_the_process_is_seen(
    tmp_path, monkeypatch
):
    """While this process holds the writer lock no other process commits: a table read in that hold is
    handed out again without listing its log (a request each on an object store), and what this process
    commits meanwhile (a write through another object, a vacuum's two versions) is what the next read
    sees. Out of the hold, the log is listed again."""
    import polars as pl
    from deltalake import DeltaTable

    from russell_pipeline.lake import delta

    def names(*values: str) -> pl.DataFrame:
        return pl.DataFrame({"recon_year": [2020] * len(values), "name": list(values)})

    lake = Lake(tmp_path)
    lake.tables.write("t", names("a"), "recon_year", [2020], publish=False)
    listed: list[str] = []
    real = delta.Tables._log_listing

    def listing(self, table: str):
        listed.append(table)
        return real(self, table)

    monkeypatch.setattr(delta.Tables, "_log_listing", listing)
    with lake.lock.hold():
        first = lake.tables.delta("t")
        assert lake.tables.delta("t") is first and Lake(tmp_path).tables.delta("t") is first
        assert listed == ["t"]  # the first question of the hold: the table was read in another one
        Lake(tmp_path).tables.write("t", names("b"), "recon_year", [2020], publish=False)
        assert lake.tables.read("t")["name"].to_list() == ["b"] and lake.tables.version("t") == 1
        assert len(listed) == 2  # the write's, after its commit (kept for questions after the hold)
        lake.tables.vacuum(["t"], 0)  # two commits: Delta's VACUUM START and END
        assert lake.tables.version("t") == DeltaTable(tmp_path / "lake" / "t").version() == 3
    assert lake.tables.version("t") == 3 and len(listed) == 4  # out of the hold: listed again


def test_a_table_written_behind_its_asset_makes_the_asset_out_of_date(tmp_path):
    import polars as pl

    lake = Lake(tmp_path)
    lake.tables.write("t", pl.DataFrame({"recon_year": [2020], "name": ["a"]}), "recon_year", [2020])
    lake.lineage.record_written("a", ["t"])
    lake.lineage.record("a", {"2020": "digest"})
    assert lake.lineage.digests("a") == {"2020": "digest"} and lake.lineage.changed_outside() == []
    lake.tables.write(
        "t", pl.DataFrame({"recon_year": [2020], "name": ["stray"]}), "recon_year", [2020]
    )  # not via commit
    assert lake.lineage.digests("a") == {}
    assert lake.lineage.changed_outside() == [
        (
            "t: at version 1, but a last left it at version 0: changed outside a build; "
            "a is rebuilt from its inputs"
        )
    ]
    shutil.rmtree(tmp_path / "lake" / "t")
    assert lake.lineage.changed_outside("a") == [
        (
            "t: gone or unreadable, but a last left it at version 0: changed outside a build; "
            "a is rebuilt from its inputs"
        )
    ]


@pytest.mark.slow
def test_readers_see_all_tables_of_one_build_or_all_of_the_previous_one(tmp_path, lakes):
    """The 2019 schedule taken away, and the build killed after 2019's document tables and its calendar
    committed: the views (and the CLI) still show the previous build whole, not the documents without it
    beside the old calendar; the next build publishes all of its tables at once."""
    built = lakes.copy(tmp_path)
    root, lake = built.root, built.lake
    before, versions = _contents(root), lake.warehouse.published_versions()
    (document,) = (root / "raw" / "2019").iterdir()
    document.unlink()
    killed = built.cli("build", env={"RUSSELL_FAULT": "recon_calendar:committed"})
    assert killed.returncode == -signal.SIGKILL
    assert (
        lake.tables.version("source_documents") > versions["source_documents"]
    )  # the new tables are in the lake
    assert lake.tables.version("recon_calendar") > versions["recon_calendar"]
    assert lake.warehouse.published_versions() == versions and _contents(root) == before
    assert lake.warehouse.published("source_documents").height == len(before["source_documents"])
    again = built.build()
    assert again.returncode == 0, again.stderr[-2000:]
    after = _contents(root)
    assert len(after["source_documents"]) == len(before["source_documents"]) - 1
    assert after["recon_calendar"] != before["recon_calendar"]  # without the schedule, 2019's dates moved


@pytest.mark.slow
def test_flipped_bytes_are_named_in_one_line_and_their_partition_is_rebuilt(tmp_path, lakes):
    """64 bytes flipped in a data file: `build` finds it (its stamp changed) and rebuilds that review;
    flipped with the file's time put back, `verify` (every byte) finds it, exits 1, and the next
    build rebuilds it. The lake ends equal to before, and `verify` passes."""
    built = lakes.copy(tmp_path)
    root = built.root
    before = _contents(root)
    (damaged,) = (root / "lake" / "index_levels" / "review=2019-09").glob("*.parquet")
    flip_bytes(damaged)
    rebuilt = built.build()
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    assert (
        f"{damaged}: its content differs from what its commit wrote (sha256 mismatch): index_levels 2019-09 "
        "is rebuilt from its inputs"
    ) in rebuilt.stdout, rebuilt.stdout
    assert "index_levels 2019-09: ok" in rebuilt.stdout and "reviews: 1 out of date" in rebuilt.stdout
    assert _contents(root) == before

    (quiet,) = (root / "lake" / "quarterly_weights" / "review=2020-03").glob("*.parquet")
    flip_bytes(quiet, restore_time=True)
    found = built.run("verify")
    assert found.returncode == 1 and "Traceback" not in found.stderr
    assert found.stderr.startswith(
        f"{quiet}: its content differs from what its commit wrote (sha256 mismatch): "
        "quarterly_weights 2020-03 is rebuilt from its inputs by the next"
    ), found.stderr
    assert found.stdout.endswith(", 1 damaged\n")
    again = built.build()
    assert again.returncode == 0 and "quarterly_weights 2020-03: ok" in again.stdout, again.stdout
    assert _contents(root) == before
    clean = built.run("verify")
    assert clean.returncode == 0 and clean.stdout.endswith(", 0 damaged\n"), clean.stdout + clean.stderr


def test_a_damaged_lineage_file_makes_its_asset_out_of_date(tmp_path):
    """The lake's own records are checked too: a flipped lineage file forgets that asset's lineage
    (rebuilt whole), never a Parquet error at planning."""
    import polars as pl

    from russell_pipeline.lake import checksums

    lake = Lake(tmp_path)
    lake.tables.write(
        "t", pl.DataFrame({"recon_year": [2020, 2021], "name": ["a", "b"]}), "recon_year", [2020, 2021]
    )
    lake.lineage.record_written("a", ["t"])
    lake.lineage.record("a", {"2020": "d0", "2021": "d1"})
    lake.lineage.record("b", {"all": "d2"})
    checksums.record(lake, ["t", "lineage", "written_versions"])
    assert checksums.check(lake, every_byte=True)[0] == []
    (flipped,) = (tmp_path / "lake" / "lineage" / "asset=a").glob("*.parquet")
    flip_bytes(flipped)
    (one,) = (tmp_path / "lake" / "t" / "recon_year=2021").glob("*.parquet")
    flip_bytes(one, restore_time=True)
    assert [d.path.split("/")[0] for d in checksums.check(lake)[0]] == ["asset=a"]  # the stamp shows one
    damage, _, count = checksums.check(lake, every_byte=True)
    assert count == 5 and sorted(d.partition.get("asset") or d.partition["recon_year"] for d in damage) == [
        "2021",
        "a",
    ]
    lines = checksums.forget(lake, damage)
    assert any(
        line.startswith(f"{flipped}: ") and line.endswith(": a is rebuilt from its inputs") for line in lines
    )
    assert lake.lineage.digests("a") == {} and lake.lineage.digests("b") == {"all": "d2"}


# Until the first build publishes index_levels, a read finds no warehouse, or no such view: those are
# no errors then. Once one read has succeeded, every failed read is one.
READER = textwrap.dedent("""
    import os, sys, time
    from russell_pipeline.lake.lake_root import Lake
    from russell_pipeline.lib.errors import LakeError
    lake, stop, reads, errors = Lake(sys.argv[1]), sys.argv[2], 0, []
    while not os.path.exists(stop):
        try:
            lake.warehouse.read("SELECT count(*) FROM index_levels")
            reads += 1
        except Exception as err:
            expected = "no warehouse yet" if isinstance(err, LakeError) else "does not exist"
            if reads or expected not in str(err):  # after the first read, no error is expected
                errors.append(f"{type(err).__name__}: {err}")
        time.sleep(0.05)
    print(reads, len(errors), errors[:3], flush=True)
""")


@pytest.mark.slow
def test_three_builds_at_once_and_a_reader_all_succeed_with_the_tables_of_one_build(
    tmp_path, small_market, lakes
):
    """One build takes the lake; the others each say they wait, then plan on what it left: nothing to do."""
    new = sample_lake(tmp_path / "lake", small_market)
    root, env = new.root, new.env()
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(root), str(stop)], stdout=subprocess.PIPE, text=True
    )
    builds = [
        subprocess.Popen(
            [*COMMAND, "build"],
            env=os.environ | env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    try:
        outcomes = [b.communicate(timeout=600) for b in builds]
    finally:
        stop.touch()
    reads, errors, examples = reader.communicate(timeout=60)[0].split(" ", 2)
    for build, (out, err) in zip(builds, outcomes, strict=True):
        assert build.returncode == 0, err[-2000:]
    working = [out for out, _ in outcomes if " ok in " in out]
    waited = [out for out, _ in outcomes if "waiting for the lake lock" in out]
    assert len(working) == 1 and len(waited) == 2, [out for out, _ in outcomes]
    for out in waited:  # re-planned once the lock was theirs: the first build had done everything
        assert (
            "years: 0 of" in out and "market_data: up to date" in out and "reviews: 0 out of date" in out
        ), out
    assert int(errors) == 0, examples
    assert int(reads) > 0
    assert _contents(root) == _contents(lakes.built(SMALL_END).root)


# One process imports the project once, then per trial forks STARTS processes on a new home: each waits
# until all are ready, then all open the home together. Each trial's exit codes as one line of JSON.
STARTS = 4
OPEN_INSTANCE = textwrap.dedent("""
    import json, os, sys, time, traceback
    from pathlib import Path
    from russell_pipeline.runner.runs import instance_for
    from russell_pipeline.lake.lake_root import Lake
    lake, starts = sys.argv[1], int(sys.argv[2])
    for trial in map(Path, sys.argv[3:]):
        go, pids = trial / "go", []
        for i in range(starts):
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # a process of its own, opening the home as a build or the UI would
                code = 1
                try:
                    os.environ["DAGSTER_HOME"] = str(trial / "home")
                    (trial / f"ready{i}").touch()
                    while not go.exists():
                        time.sleep(0.001)
                    instance_for(Lake(lake))
                    code = 0
                except BaseException:
                    traceback.print_exc()
                finally:
                    sys.stderr.flush()
                    os._exit(code)
            pids.append(pid)
        deadline = time.monotonic() + 120
        while len(list(trial.glob("ready*"))) < starts and time.monotonic() < deadline:
            time.sleep(0.001)
        go.touch()
        print(json.dumps([os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]), flush=True)
""")


@pytest.mark.slow
def test_processes_opening_a_new_instance_at_once_all_succeed(tmp_path):
    """Two builds (or a build and the UI) on a new DAGSTER_HOME both create its SQLite tables;
    unserialized, 7 of 8 such starts had a process fail ("table snapshots already exists") or left
    the home with two alembic heads. Two trials of four processes (forked from one that imported the
    project, so the imports are paid once) opening a new home at the same moment."""
    trials = [tmp_path / f"trial{trial}" for trial in range(2)]
    for trial in trials:
        trial.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", OPEN_INSTANCE, str(tmp_path), str(STARTS), *map(str, trials)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert [json.loads(line) for line in done.stdout.splitlines()] == [[0] * STARTS] * len(trials), (
        done.stderr[-2000:]
    )
    for trial in trials:
        with dg.DagsterInstance.from_config(str(trial / "home")) as instance:
            assert instance.get_runs() == []


@pytest.mark.slow
def test_a_missing_lake_folder_is_one_line_unless_asked_to_create_it(tmp_path):
    missing = tmp_path / "no_such_lake"
    done = lake_folder(missing, home=tmp_path / "home").cli("build")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        (
            f"error: {missing}: the lake folder (RUSSELL_DATA_LAKE) does not exist; create it, or run "
            "`russell-pipeline build --init` to start a new lake there"
        )
    ]
    assert not missing.exists()


@pytest.mark.slow
def test_a_read_only_lake_or_instance_is_one_line(tmp_path, small_market):
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "true"], check=False).returncode:
        pytest.skip("needs a mount namespace (unshare -m) to make a read-only folder as root")
    new = sample_lake(tmp_path / "lake", small_market, tmp_path / "home")
    root = new.root
    (tmp_path / "home").mkdir()

    def read_only(folder: Path, *args: str) -> subprocess.CompletedProcess:
        script = (
            f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
            f"exec {sys.executable} -m russell_pipeline.cli {' '.join(args)}"
        )
        return subprocess.run(
            ["unshare", "-m", "sh", "-c", script],
            capture_output=True,
            text=True,
            env=os.environ | new.env(),
            check=False,
        )

    lake = read_only(root, "build")
    assert lake.returncode == 1
    assert lake.stderr.splitlines() == [
        f"error: {root}/.lake.lock: the lake cannot be written (Read-only file system)"
    ]
    home = read_only(tmp_path / "home", "build")
    assert home.returncode == 1
    (line,) = home.stderr.splitlines()
    assert line.startswith(f"error: {tmp_path / 'home'}: the Dagster instance (DAGSTER_HOME) cannot be used:")
    assert not (root / "lake").exists()  # nothing was written
