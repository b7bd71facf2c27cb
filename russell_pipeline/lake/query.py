"""Reading the warehouse views: a connection that can read the lake's tables and nothing else
(`open_views`), and on it the untrusted query surface (`russell-pipeline query`, `Warehouse.query`):
one read-only statement, checked by DuckDB's parse, then answered (`rows`) in a fresh child process
that cannot write.

The statement is parsed on a connection of its own, closed at once: DuckDB's module-level functions
would open the process's default database, whose threads a later fork would copy broken."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from russell_pipeline.lake import remote
from russell_pipeline.lib.errors import LakeError
from russell_pipeline.lib.sandbox import Outcome, forbid_writes, running

if TYPE_CHECKING:  # polars is the parent's (`answer`): the child that answers a query never imports it
    import polars as pl


def _statements(sql: str) -> list:
    """DuckDB's parse of `sql` into statements, on an in-memory database closed before this returns."""
    with duckdb.connect() as con:
        return con.extract_statements(sql)


def _explained(statement) -> tuple[str | None, bool]:
    """(the statement an EXPLAIN explains, whether it asks to ANALYZE it), from DuckDB's own tokens."""
    sql = statement.query
    every = duckdb.tokenize(sql)
    spans = [
        (at, sql[at:nxt].strip().lower(), kind)
        for (at, kind), (nxt, _) in zip(every, [*every[1:], (len(sql), None)])
    ]
    tokens = [at for at, _, kind in spans if kind != duckdb.token_type.comment]
    words = [word for _, word, kind in spans if kind != duckdb.token_type.comment]
    if len(tokens) < 2 or words[0] != "explain":
        return None, False
    i = 1
    if words[1] == "(":  # EXPLAIN (option, ...) statement
        close = words.index(")", 1) if ")" in words[1:] else len(words) - 1
        options, i = words[2:close], close + 1
    else:
        options = []
        while i < len(words) and words[i] in ("analyze", "analyse"):
            options.append(words[i])
            i += 1
    inner = sql[tokens[i] :] if i < len(tokens) else None
    return inner, any(o in ("analyze", "analyse") for o in options)


def _reads_only(statement) -> bool:
    """A SELECT, or an EXPLAIN (never EXPLAIN ANALYZE, which runs what it explains) of one SELECT:
    decided by DuckDB's parse of the statement, not by its text."""
    if statement.type == duckdb.StatementType.SELECT:
        return True
    if statement.type != duckdb.StatementType.EXPLAIN:
        return False
    inner, analyze = _explained(statement)
    if analyze or inner is None:
        return False
    try:
        explained = _statements(inner)
    except duckdb.Error:
        return False
    return len(explained) == 1 and explained[0].type == duckdb.StatementType.SELECT


def _kind(statement) -> str:
    if statement.type == duckdb.StatementType.EXPLAIN:
        inner, analyze = _explained(statement)
        try:
            kinds = ", ".join(s.type.name for s in _statements(inner)) if inner else "nothing"
        except duckdb.Error:
            kinds = "a statement DuckDB cannot parse"
        return f"EXPLAIN{' ANALYZE' if analyze else ''} of {kinds}"
    return statement.type.name


SPILL_PREFIX = "russell-query-"  # <tmp>/russell-query-<pid>-<random>: a query's spill folder


def _remove_dead_spills() -> None:
    """The spill folders of queries whose process is gone (killed outright: nothing ran its cleanup)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}*-*"):
        pid = folder.name.removeprefix(SPILL_PREFIX).split("-", 1)[0]
        if pid.isdecimal() and not running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def check_read_only(sql: str) -> None:
    """A LakeError unless `sql` is one SELECT, or EXPLAIN of one (never EXPLAIN ANALYZE), by DuckDB's
    parse of it (parsing needs no catalog)."""
    try:
        statements = _statements(sql)
    except duckdb.Error as err:
        raise LakeError(f"query: {' '.join(str(err).split())}") from None
    if len(statements) != 1 or not _reads_only(statements[0]):
        kinds = ", ".join(_kind(s) for s in statements) or "nothing"
        raise LakeError(
            f"query: only one SELECT statement (or EXPLAIN of one, without ANALYZE) is "
            f"allowed (got {kinds}); the query surface is read-only"
        )


@contextmanager
def spill_folder() -> Iterator[Path]:
    """A query's spill folder, removed when the query ends however it ends; the folders of queries whose
    process was killed outright are removed first."""
    _remove_dead_spills()
    spill = Path(tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-"))
    try:
        yield spill
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def sandbox(spill: Path) -> Callable[[], None]:
    """What the query's child does first: forbid changing any file but `spill`."""
    return partial(forbid_writes, [spill])


def attach_store(con: duckdb.DuckDBPyConnection, lake_root: str, location: str | None) -> None:
    """Point `con`'s views at the lake: `lake_root`, and the object store's file system if remote."""
    if location:
        con.register_filesystem(remote.tables_fs_for(location))
    con.execute("SET VARIABLE lake_root = ?", [lake_root])


@contextmanager
def open_views(
    file: Path, lake_root: str, location: str | None, temp_directory: Path | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse `file` that can read the lake's tables and nothing else.

    No statement can write (the file is opened read-only), read or write a path outside the lake
    (external access off, the lake folder allowed), load an extension or change these settings (the
    configuration is locked). `temp_directory`: where DuckDB may spill."""
    con = duckdb.connect(str(file), read_only=True)
    try:
        attach_store(con, lake_root, location)
        if temp_directory is not None:
            con.execute("SET temp_directory = ?", [str(temp_directory)])
        con.execute("SET enable_progress_bar = false")  # stdout holds the answer (csv, json), nothing else
        con.execute("SET allowed_directories = ?", [[f"{lake_root}/lake/"]])
        con.execute("SET enable_external_access = false")
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        con.execute("SET lock_configuration = true")
        yield con
    finally:
        con.close()


def rows(
    file: Path, lake_root: str, location: str | None, sql: str, params: list | None, spill: Path
) -> pa.Table:
    """The statement's rows, in the query's child (the parent has fetched the warehouse already)."""
    with open_views(file, lake_root, location, spill) as con:
        return con.sql(sql, params=params).to_arrow_table()


def answer(outcome: Outcome, timeout: float | None) -> pl.DataFrame:
    """The rows of the child's `outcome`, or one LakeError saying how it ended."""
    if outcome.kind == "killed":
        raise LakeError(
            f"query: stopped after {timeout:g} s, its time limit (--timeout); nothing was changed"
        )
    if outcome.kind == "ok":
        import polars as pl

        return pl.from_arrow(outcome.value)
    if outcome.kind == "error" and isinstance(outcome.value, LakeError):
        raise outcome.value
    if outcome.kind == "error":
        raise LakeError(f"query: {' '.join(str(outcome.value).split())}")
    how = f"signal {outcome.value}" if outcome.value else "no answer"
    raise LakeError(f"query: the process answering it died ({how})")
