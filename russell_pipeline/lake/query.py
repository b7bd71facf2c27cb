"""The untrusted query surface (`russell-pipeline query`, `Warehouse.query`): one read-only statement
against the warehouse views, checked by DuckDB's parse, then answered in a child process that cannot
write."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from russell_pipeline.lake import remote
from russell_pipeline.lib.errors import LakeError
from russell_pipeline.lib.sandbox import Outcome, forbid_writes, running


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
        explained = duckdb.extract_statements(inner)
    except duckdb.Error:
        return False
    return len(explained) == 1 and explained[0].type == duckdb.StatementType.SELECT


def _kind(statement) -> str:
    if statement.type == duckdb.StatementType.EXPLAIN:
        inner, analyze = _explained(statement)
        try:
            kinds = ", ".join(s.type.name for s in duckdb.extract_statements(inner)) if inner else "nothing"
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
        statements = duckdb.extract_statements(sql)
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


def sandbox(spill: Path) -> None:
    """In the query's child: no file but `spill` can change; an object store's client is made anew
    (the parent's belongs to its own process)."""
    remote.forget_clients()
    forbid_writes([spill])


def answer(outcome: Outcome, timeout: float | None) -> pl.DataFrame:
    """The rows of the child's `outcome`, or one LakeError saying how it ended."""
    if outcome.kind == "killed":
        raise LakeError(
            f"query: stopped after {timeout:g} s, its time limit (--timeout); nothing was changed"
        )
    if outcome.kind == "ok":
        return pl.from_arrow(outcome.value)
    if outcome.kind == "error" and isinstance(outcome.value, LakeError):
        raise outcome.value
    if outcome.kind == "error":
        raise LakeError(f"query: {' '.join(str(outcome.value).split())}")
    raise LakeError(f"query: the process answering it died (signal {outcome.value})")
