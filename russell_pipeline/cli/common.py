"""What the verbs share: the lake, rows in the format asked, and each error as one line.

Each verb imports what it uses when it runs (its own module, by `HANDLERS` in cli/__init__.py; the lake,
DuckDB, Dagster, the calendar, polars): `parse` of a PDF has its pages read while polars loads."""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING

from russell_pipeline.lib.errors import LakeError
from russell_pipeline.settings import Settings

if TYPE_CHECKING:
    import polars as pl

    from russell_pipeline.lake.lake_root import Lake


class UsageError(ValueError):
    """A request the command cannot answer as asked; str() is the one line shown."""


class ArgumentsError(UsageError):
    """Command-line values the verb cannot use together (or a value it needs and was not given): exit 2, as
    argparse gives for a bad value, before anything is written."""

    exit_code = 2


def open_lake(settings: Settings) -> Lake:
    from russell_pipeline.lake.lake_root import Lake

    return Lake.from_settings(settings)


def emit(df: pl.DataFrame, fmt: str) -> None:
    if fmt == "parquet" and sys.stdout.isatty():
        raise UsageError(
            "--format parquet writes binary: redirect it to a file (... --format parquet > rows.parquet)"
        )
    if fmt == "parquet":
        buf = io.BytesIO()
        df.write_parquet(buf)
        write_out(buf.getvalue())
    elif fmt == "json":
        write_out((df.write_json() + "\n").encode())
    else:
        write_out(df.write_csv().encode())


def write_out(data: bytes) -> None:
    """All of `data` on stdout. Python 3.11's buffered stdout writes a large block to a pipe with one
    write(2): when a stop signal interrupts it (Ctrl-Z then `fg`, a debugger or profiler attaching), the
    call returns the part written and `print` and `TextIOWrapper` drop the rest, exit status 0."""
    sys.stdout.flush()  # what was printed before comes first
    out, view = getattr(sys.stdout, "buffer", None), memoryview(data)
    if out is None:  # a text stream of its own (a notebook's): text only, as `print` writes it
        sys.stdout.write(data.decode())
        return
    while view:
        view = view[out.write(view) :]
    out.flush()


def stored(lake: Lake, table: str) -> None:
    """The table must be in the published snapshot (what the views and `Lake.warehouse.published` read)."""
    if table not in lake.warehouse.published_versions():
        raise LakeError(f"{lake.tables.folder / table}: not built yet: run `russell-pipeline build` first")


def say_synthetic(labels: pl.Series, what: str) -> None:
    """One line on stderr when any of `labels` (a `price_source` column) is the synthetic feed."""
    from russell_pipeline.lib.market import provenance

    if labels.eq(provenance.SYNTHETIC).any():
        print(provenance.synthetic_note(what), file=sys.stderr)


def not_built(lake: Lake, year: int, answered: bool, stage=None) -> str | None:
    """Why the year's stored tables are not those of its files (planning/stale.py), or, with `stage`
    (planning/forecast_years.py, planning/research_years.py), why the stage's rows of the year are not
    those of its inputs; None when they are. When the verb still answers (from the tables an earlier
    build left), a warning says so."""
    from russell_pipeline.planning.stale import stage_not_built, year_not_built

    why = year_not_built(lake, year) or (stage_not_built(lake, stage, year) if stage is not None else None)
    if why and answered:
        warn_not_current(why, f"the tables an earlier build of {year} left")
    return why


def warn_not_current(why: str, rests_on: str) -> None:
    """The warning of an answer that rests on stored tables its inputs have since changed from."""
    print(f"warning: {why}; this answer rests on {rests_on}", file=sys.stderr)


def duckdb_error(err: Exception) -> bool:
    """A DuckDB error (DuckDB is imported only by the verbs that use it)."""
    duckdb = sys.modules.get("duckdb")
    return duckdb is not None and isinstance(err, duckdb.Error)


def one_line(err: Exception) -> str:
    """The error as the user's one line: no exception class names."""
    if isinstance(err, OSError) and err.strerror:
        text = f"{err.filename}: {err.strerror}" if err.filename else err.strerror
    elif duckdb_error(err):
        text = f"query: {err}"
    else:
        text = str(err)
    return " ".join(text.split())
