"""A failed build publishes one whole build, as a user meets it through the CLI: after each failed build
here, every table the warehouse shows equals the previous good build's or a complete new build's (row
count and a hash of its rows, per table), and the failure is one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from deltalake import DeltaTable

from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.planning.digests import frame_digest
from russell_pipeline.runner.build import TABLES
from russell_pipeline_tests.lakes import EXTENDED_END, LakeFolder, market_folder, sample_lake

PANIC = "panicked at"  # what the Rust runtime under the Delta writer printed on a failed write


def published(root: Path) -> dict[str, tuple[int, str]]:
    """Every table the warehouse shows: (rows, a hash of its rows in any order), read as readers read it."""
    lake = Lake(root)
    with lake.warehouse.connect() as con:
        return {
            table: (frame.height, frame_digest(frame))
            for table in sorted(lake.warehouse.published_versions())
            if (frame := con.sql(f'SELECT * FROM "{table}"').pl()) is not None
        }


def _good_build(tmp_path: Path, lakes) -> tuple[Path, LakeFolder, dict]:
    """A lake after one good build, its market data then a month longer (the input the next build reads)."""
    built = lakes.copy(tmp_path)
    before = published(built.root)
    assert len(before) >= 20 and before["index_levels"][0] > 0
    market_folder(built.market, EXTENDED_END)
    return built.root, built, before


NO_NAMESPACE = "needs a mount namespace (unshare -m) to make a full or read-only folder (as root)"


def _namespaces() -> bool:
    """Whether this machine gives a process a mount namespace of its own."""
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], check=False).returncode == 0


def _in_namespace(setup: str, folder: LakeFolder) -> subprocess.CompletedProcess:
    """`build` in a mount namespace of its own, after `setup` (mounts) there; never raises."""
    if not _namespaces():
        pytest.skip(NO_NAMESPACE)
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", f"{setup} && exec {sys.executable} -m russell_pipeline.cli build"],
        capture_output=True,
        text=True,
        env=os.environ | folder.env(),
        check=False,
        timeout=600,
    )


@pytest.mark.slow
def test_a_truncated_checkpoint_leaves_the_last_good_build_published(tmp_path, lakes):
    """Before: `build` exited 1 and afterwards the table no longer existed for `query`. Now: the damage is
    named once before any run, nothing is published, and `query` still answers from the last good build."""
    root, built, before = _good_build(tmp_path, lakes)
    # A table gets its first checkpoint at its tenth commit (lake/delta.py): made here, as on an older table.
    weights = DeltaTable(root / "lake" / "quarterly_weights")
    weights.create_checkpoint()
    checkpoint = (
        root / "lake" / "quarterly_weights" / "_delta_log" / f"{weights.version():020d}.checkpoint.parquet"
    )
    with open(checkpoint, "r+b") as f:
        f.truncate(100)
    done = built.build()
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""  # no year, no run: the failure is not about one
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"error: {root}/lake/quarterly_weights: its Delta log cannot be read (")
    assert lines[1].startswith(
        "build: nothing was run: 1 table(s) of the lake cannot be used; the warehouse still shows the "
        "previous build's tables (published "
    )
    assert published(root) == before
    answer = built.run("query", "SELECT count(*) AS n FROM quarterly_weights", "--format", "csv")
    assert answer.returncode == 0 and answer.stdout == f"n\n{before['quarterly_weights'][0]}\n", answer.stderr
    verify = built.run("verify")
    assert (
        verify.returncode == 1
        and f"{root}/lake/quarterly_weights: its Delta log cannot be read" in verify.stderr
    )


@pytest.mark.slow
def test_a_read_only_table_folder_and_a_changed_input_publish_nothing_new(tmp_path, lakes):
    """Before: exit 1 with Rust panic traces, and readers got the new weights with the old levels. Now:
    the read-only table is named once before any run, and the warehouse is the last good build."""
    root, built, before = _good_build(tmp_path, lakes)
    folder = root / "lake" / "index_levels"
    done = _in_namespace(f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder}", built)
    assert done.returncode == 1 and PANIC not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0] == (
        f"error: {folder}: the table index_levels cannot be written (Read-only file system); make it writable"
    ), done.stderr
    assert published(root) == before


@dataclass(frozen=True)
class Rebuilt:
    """A lake after one good build, then the next (its market data a month longer), which, where a mount
    namespace can be had, was first tried with `market_prices` on a full tmpfs."""

    folder: LakeFolder
    before: dict  # what the good build published
    full: subprocess.CompletedProcess | None  # the build on the full disk (None: no mount namespace)
    after_full: dict | None  # what was published after it
    again: subprocess.CompletedProcess  # the build with room again


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory, lakes) -> Rebuilt:
    """The full-disk test's builds, once: the deleted-log test starts from a copy of where they end."""
    folder = tmp_path_factory.mktemp("rebuilt")
    root, built, before = _good_build(folder, lakes)
    full = after_full = None
    if _namespaces():
        table = root / "lake" / "market_prices"
        copy = folder / "market_prices"
        shutil.copytree(table, copy)
        size = sum(p.stat().st_size for p in copy.rglob("*") if p.is_file()) + 48 * 1024
        full = _in_namespace(f"mount -t tmpfs -o size={size} tmpfs {table} && cp -a {copy}/. {table}/", built)
        after_full = published(root)
    again = built.build()  # the disk has room again (outside the namespace)
    return Rebuilt(built, before, full, after_full, again)


@pytest.mark.slow
def test_a_full_disk_during_market_data_publishes_nothing_then_the_next_build_is_whole(rebuilt, lakes):
    """`market_prices` on a full tmpfs: before, the membership and research tables were published anyway
    and `reconstitution_effect` matched neither build. Now: one line naming the table and the full disk,
    no later stage, the last good build published; with room again, the next build is a fresh build's."""
    done, root = rebuilt.full, rebuilt.folder.root
    if done is None:
        pytest.skip(NO_NAMESPACE)
    table = root / "lake" / "market_prices"
    assert done.returncode == 1 and PANIC not in done.stderr and "Traceback" not in done.stderr
    failed = (
        f"market_data: FAILED: market_data: {table}: the write of market_prices failed: No space left on "
        "device; nothing of it was committed"
    )
    assert failed in done.stderr.splitlines(), done.stderr
    assert not [
        ln for ln in done.stdout.splitlines() if ln.startswith(("reviews:", "membership"))
    ]  # none ran
    assert done.stderr.splitlines()[-1].startswith(
        "build halted: market_data failed on something other than its input, so no later stage ran and "
        "nothing of this build is published; the warehouse still shows the previous build's tables"
    )
    assert rebuilt.after_full == rebuilt.before
    again = rebuilt.again
    assert again.returncode == 0, again.stderr[-2000:]
    fresh = published(lakes.built(EXTENDED_END).root)
    # Every table of the build's summary (market_source names its folder, the lake's own records their
    # paths and times: those differ between two lakes by construction).
    data, now = [t for t in TABLES if t != "market_source" and t in fresh], published(root)
    assert len(data) >= 20 and {t: now.get(t) for t in data} == {t: fresh[t] for t in data}


@pytest.mark.slow
def test_a_prices_file_with_only_a_header_is_a_contract_error(tmp_path, lakes):
    """Before: market_data passed with 0 rows and the weights failed with a Python type error. Now:
    market_data fails on its input, naming the file, and the last good build stays published; the lake's
    record of what market_data was built from says it was refused (so it is built again when a good
    file comes back, the one it was built from too)."""
    root, built, before = _good_build(tmp_path, lakes)
    market = built.market
    (market / "prices.parquet").unlink()
    (market / "prices.csv").write_text("date,symbol,close,currency\n")
    done = built.build()
    assert done.returncode == 1 and "TypeError" not in done.stderr and "Traceback" not in done.stderr
    assert (
        f"market_data: FAILED: market_data: {market}/prices.csv: required table 'prices' holds no rows (a "
        "header alone): the market data needs its prices"
    ) in done.stderr.splitlines(), done.stderr
    assert "quarterly_weights" not in done.stderr
    now = published(root)
    assert {t: v for t, v in now.items() if t != "lineage"} == {
        t: v for t, v in before.items() if t != "lineage"
    }
    assert Lake(root).lineage.digests("market_data") == {"all": "refused"}


@pytest.mark.slow
def test_a_deleted_log_entry_is_named_once_before_any_run_and_by_verify(tmp_path, rebuilt):
    """One Delta log entry deleted between the last checkpoint and the latest commit: before, `build`
    split all 42 years into separate failing runs (20 minutes on the real history); now one line, no
    run, nothing published. The latest entry deleted: before, `query` printed its answer, then a 40-line
    traceback and exit 1, while `verify` passed; now `query` answers from the published files and
    `verify` names the table whose log lacks the version readers are shown."""
    # After a good build and a second (a month more): the logs have grown past their first checkpoint.
    assert rebuilt.again.returncode == 0, rebuilt.again.stderr[-2000:]
    folder = rebuilt.folder.copy(tmp_path)
    root = folder.root
    before = published(root)
    lineage = root / "lake" / "lineage" / "_delta_log"
    shutil.copytree(lineage, tmp_path / "lineage_log")
    commits = sorted(lineage.glob("*.json"))
    checkpoint = max(int(p.name.split(".")[0]) for p in lineage.glob("*.checkpoint.parquet"))
    middle = [p for p in commits if checkpoint < int(p.stem) < int(commits[-1].stem)]
    assert middle, [p.name for p in commits]
    middle[0].unlink()
    done = folder.cli("build", timeout=120)
    assert done.returncode == 1 and done.stdout == "", done.stdout  # no year tried, no run
    (line, state) = done.stderr.splitlines()
    assert line.startswith(f"error: {root}/lake/lineage: its Delta log cannot be read (") and "Gap" in line
    assert state.startswith(
        "build: nothing was run: 1 table(s) of the lake cannot be used; the warehouse still"
    )
    assert published(root) == before
    shutil.rmtree(lineage)
    shutil.copytree(tmp_path / "lineage_log", lineage)

    log = root / "lake" / "market_source" / "_delta_log"
    latest = max(log.glob("*.json"))
    assert latest.stem != "00000000000000000000"
    latest.unlink()
    answer = folder.run("query", "SELECT count(*) AS n FROM index_levels", "--format", "csv")
    assert answer.returncode == 0 and answer.stderr == "", answer.stderr
    assert answer.stdout == f"n\n{before['index_levels'][0]}\n"
    verify = folder.run("verify")
    assert verify.returncode == 1 and "Traceback" not in verify.stderr
    assert (
        f"{root}/lake/market_source: the version {int(latest.stem)} the warehouse shows cannot be read from "
        "its Delta log ("
    ) in verify.stderr, verify.stderr
    assert verify.stdout.rstrip().endswith("table log problem(s)")


@pytest.mark.slow
def test_a_full_disk_under_the_dagster_instance_is_one_line_naming_it(tmp_path, small_market):
    """DAGSTER_HOME on a 1 MB tmpfs that fills during the first run. Before: 100 lines of SQLite
    traceback. Now: one line naming the instance and the full disk, and nothing published."""
    folder = sample_lake(tmp_path / "lake", small_market, tmp_path / "home")
    root, home = folder.root, folder.home
    home.mkdir()
    done = _in_namespace(f"mount -t tmpfs -o size=1m tmpfs {home}", folder)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.stderr.splitlines() == [
        (
            f"build halted: {home}: the Dagster instance (DAGSTER_HOME) cannot record the runs: the disk "
            f"holding it ({home}) is full; free space there, then build again; nothing of this build is "
            "published; no warehouse is published yet"
        )
    ]
    assert not (root / "warehouse.duckdb").exists()
