"""The one way tests make lakes: a folder, the market data its builds read and the Dagster home they
record runs in, handed to a `russell-pipeline` subprocess by `Settings.environ`.

- Every lake a test is handed is a `LakeFolder`: `.root` its folder (a Path), `.lake` the `Lake` over
  it, `.resources()` the Dagster resources over it, `.cli()` the command on it, `.run()`/`.build()` the
  same in this process. A test names a LakeFolder `folder` (or for what it holds: `built`, `tmp_lake`),
  a `Lake` `lake`, a folder's Path `root`.
- `sample_lake` (a copy of the committed sample documents), `documents_lake` (documents given as text)
  and `real_lists` (PDFs of ../shared/real) make a lake nothing has built yet;
  `market_folder` writes the small synthetic feed a build reads in seconds.
- `SharedLakes` (the `lakes` fixture) builds the sample documents over the small feed once per run,
  as `russell-pipeline build` builds (in-process), whichever xdist worker asks first: `lakes.built(end)`
  is read-only, `lakes.copy(folder, end)` a writable copy, instance and market data included (with
  `feed=`, over another feed).
- `LakeFolder.run()` (and `.build()`) runs a verb in the test's own process, as the command does: what a
  test of a verb's answer or the pipeline's results uses; `LakeFolder.cli()` starts the command, for what
  only a process shows.

The project and Dagster are imported inside the functions, as in helpers.py."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from russell_pipeline_tests.helpers import RAW, REAL, cli, run_main

if TYPE_CHECKING:
    from collections.abc import Callable

    from russell_pipeline.lake.lake_root import Lake
    from russell_pipeline.settings import Settings

# The small feed: 120 synthetic stocks, the same on every call, to 2020-03-31 (reviews 2019-03..2020-03);
# extended, a month later (only the last review period can change).
SMALL_END = date(2020, 3, 31)
EXTENDED_END = date(2020, 4, 30)
SMALL_STOCKS = 120
# The real FTSE Russell PDFs of ../shared/real: the Russell 3000 lists of 2016 and 2022 and the 2023 final
# additions and deletions.
REAL_LISTS = {
    2016: ["ru3000_membershiplist_20160627.pdf"],
    2022: ["ru3000_membershiplist_20220624_0.pdf"],
    2023: ["ru3000-additions-final-20230623.pdf", "ru3000-deletions-final-20230623.pdf"],
}


@dataclass(frozen=True)
class LakeFolder:
    """A test's lake: its settings (the lake folder, the market-data folder or "" for the built-in
    synthetic feed) and the Dagster home its `russell-pipeline` subprocesses record runs in."""

    settings: Settings
    home: Path

    @property
    def root(self) -> Path:
        return Path(self.settings.data_lake)

    @property
    def market(self) -> Path:
        assert self.settings.market_data, "this lake reads the built-in synthetic feed"
        return Path(self.settings.market_data)

    @property
    def lake(self) -> Lake:
        from russell_pipeline.lake.lake_root import Lake

        return Lake.from_settings(self.settings)

    def env(self, **variables: str) -> dict[str, str]:
        """The environment of a `russell-pipeline` subprocess on this lake, with `variables` added
        (`RUSSELL_FAULT`, `AWS_*`)."""
        return self.settings.environ(self.home) | variables

    def cli(self, *args: str, text: bool = True, **kwargs) -> subprocess.CompletedProcess:
        """`russell-pipeline ARGS` on this lake (`helpers.cli`; text output unless asked otherwise)."""
        env = self.env(**kwargs.pop("env", {}))
        return cli(*args, env=env, text=text, **kwargs)

    def run(self, *args: str, env: dict | None = None, text: bool = True) -> subprocess.CompletedProcess:
        """`russell-pipeline ARGS` on this lake run in this process (`helpers.run_main`): what a test of a
        verb's answer or of the pipeline's results asks for (a build costs about 3 CPU-seconds so, a read
        verb a fraction of one). What only a process shows (a kill, a stop signal, builds side by side, the
        lock between them, the command line itself) runs `cli`."""
        return run_main(*args, env=self.env(**(env or {})), text=text)

    def build(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        """`russell-pipeline build ARGS` on this lake, in this process (`run`)."""
        return self.run("build", *args, env=env)

    def resources(self, **fields) -> dict:
        """The Dagster resources over this lake, built the way the pipeline builds them
        (`resources(settings)`); `fields` sets other fields of its `Settings` (market_data,
        synthetic_end...)."""
        from russell_pipeline.defs.resources import resources

        return resources(replace(self.settings, **fields))

    def with_settings(self, **fields) -> LakeFolder:
        return replace(self, settings=replace(self.settings, **fields))

    def copy(self, folder: Path, leave: tuple[str, ...] = ()) -> LakeFolder:
        """A writable copy under `folder`: the lake (documents, tables, warehouse), its market data and its
        Dagster home, every file's time kept (the input digests compare sizes and times); the lake's files
        and folders named by the patterns `leave` are left out."""
        folder.mkdir(parents=True, exist_ok=True)
        root = folder / "lake"
        shutil.copytree(self.root, root, symlinks=True, ignore=shutil.ignore_patterns(*leave))
        copied = lake_folder(root, home=folder / "home")
        if self.home.exists():
            shutil.copytree(self.home, copied.home, symlinks=True)
        if self.settings.market_data:
            shutil.copytree(self.market, folder / "market")
            copied = copied.with_settings(market_data=str(folder / "market"))
        return copied


def lake_folder(root: Path, market: Path | None = None, home: Path | None = None) -> LakeFolder:
    """The lake at `root` (nothing is created), reading `market` (None: the built-in synthetic feed),
    its runs recorded in `home` (default: beside it, `<root>_home`)."""
    from russell_pipeline.settings import Settings

    settings = Settings(market_data=str(market or "")).with_lake(root)
    return LakeFolder(settings, home or root.with_name(f"{root.name}_home"))


def sample_lake(root: Path, market: Path | None = None, home: Path | None = None) -> LakeFolder:
    """A lake holding a copy of the committed sample documents under raw/ (times kept)."""
    shutil.copytree(RAW, root / "raw")
    return lake_folder(root, market, home)


def documents_lake(
    root: Path, documents: dict[str, str], market: Path | None = None, home: Path | None = None
) -> LakeFolder:
    """A lake whose raw/ holds `documents` ({"<year>/<file name>": text})."""
    for name, text in documents.items():
        (root / "raw" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "raw" / name).write_text(text)
    return lake_folder(root, market, home)


def real_document(name: str) -> Path:
    """A real FTSE Russell PDF of ../shared/real; the test skips where it is absent (conftest.py turns
    that skip into a failure where ../shared/real holds the PDFs)."""
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"{path} not present (the real FTSE Russell PDFs, never committed: docs/testing.md)")
    return path


def real_lists(root: Path, names: dict[int, list[str]] | None = None) -> LakeFolder:
    """A lake whose raw/<year>/ holds copies of the real FTSE Russell PDFs `names` ({year: [file name]},
    default `REAL_LISTS`): copies, since a symbolic link under raw/ is refused."""
    for year, files in (names or REAL_LISTS).items():
        (root / "raw" / str(year)).mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copyfile(real_document(name), root / "raw" / str(year) / name)
    return lake_folder(root)


def market_folder(folder: Path, end: date = SMALL_END, stocks: int = SMALL_STOCKS) -> Path:
    """The small synthetic feed (`stocks` stocks, the same on every call) up to `end`, written to `folder`."""
    from russell_pipeline.lib.market.contract import write_market_data
    from russell_pipeline.lib.market.synthetic import synthetic_market_data

    write_market_data(synthetic_market_data(end, n_stocks=stocks), folder)
    return folder


@dataclass(frozen=True)
class SharedBuild:
    """A lake built once per run: the lake and what its `russell-pipeline build` printed."""

    folder: LakeFolder
    stdout: str
    stderr: str


class SharedLakes:
    """The lakes built once per run (the `lakes` fixture), under `shared`, a folder every xdist worker
    sees: the first worker to ask builds, the others wait on its lock and reuse what it made. Tests
    only read them; `copy` gives a test its own."""

    def __init__(self, shared: Path):
        self.shared = shared

    def _once(self, name: str, make) -> Path:
        """The folder `shared/name`, filled by `make(folder)` the first time any worker asks."""
        folder = self.shared / name
        self.shared.mkdir(parents=True, exist_ok=True)
        with (self.shared / f"{name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (folder / "done").exists():
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                make(folder)
                (folder / "done").touch()
        return folder

    def small_market(self, end: date = SMALL_END) -> Path:
        """The small feed up to `end` (read-only)."""
        return self._once(f"market-{end}", lambda folder: market_folder(folder / "market", end)) / "market"

    def build(self, end: date = SMALL_END) -> SharedBuild:
        """The sample documents over the small feed up to `end`, built as `russell-pipeline build` builds
        (`LakeFolder.build`) on a new lake and Dagster home (read-only), and what the build printed."""

        def make(folder: Path) -> None:
            market = market_folder(folder / "market", end)
            built = sample_lake(folder / "lake", market, folder / "home").build()
            assert built.returncode == 0, built.stderr[-3000:]
            (folder / "stdout").write_text(built.stdout)
            (folder / "stderr").write_text(built.stderr)

        folder = self._once(f"built-{end}", make)
        return SharedBuild(
            lake_folder(folder / "lake", folder / "market", folder / "home"),
            (folder / "stdout").read_text(),
            (folder / "stderr").read_text(),
        )

    def built(self, end: date = SMALL_END) -> LakeFolder:
        """The built sample lake over the small feed up to `end` (read-only)."""
        return self.build(end).folder

    def copy(
        self, folder: Path, end: date = SMALL_END, feed: Callable[[Path], object] | None = None
    ) -> LakeFolder:
        """A writable copy of `built(end)` under `folder`; with `feed`, its market-data folder is written anew
        by `feed(folder)` in place of the small feed. Its next build is then not a first one: it runs again
        only what the new feed changes (the engine gives the same tables as a fresh build), and the reviews
        of the small feed the new one holds no members for are emptied."""
        copied = self.built(end).copy(folder)
        if feed is not None:
            shutil.rmtree(copied.market)
            feed(copied.market)
        return copied
