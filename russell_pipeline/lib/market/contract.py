"""Market data for the 90/10 index: the folder contract (`RUSSELL_MARKET_DATA`), validated on load.

Validation streams: each source file is read once into typed Parquet and checked there by lazy
queries, so a feed of any size is validated in bounded memory (bench/hostile_inputs.py). A CSV file's
lines are checked first by the rule of every CSV (lib/csv_rows.py, a block at a time): a line with
fewer or more fields than the header is refused naming it, never read with empty cells.
"""

from __future__ import annotations

import errno
import os
import tempfile
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from russell_pipeline.lib.calendar.projection import FIRST_DATED_REVIEW
from russell_pipeline.lib.csv_rows import check_file
from russell_pipeline.lib.documents.symbols import lists_form
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.sessions import FIRST_DAY, LAST_DAY, sessions
from russell_pipeline.lib.text_rules import SYMBOL_RULE, symbol_ok, symbol_problem

SCC = "RUSSELL_SMALL_CAP_COMPLETENESS"
R2G = "RUSSELL_2000_GROWTH"
INDEXES = (SCC, R2G)

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "prices": {
        "date": pl.Date,
        "symbol": pl.String,
        "close": pl.Float64,
        "currency": pl.String,
        "volume": pl.Float64,
    },
    "shares": {"date": pl.Date, "symbol": pl.String, "shares": pl.Float64, "free_float": pl.Float64},
    "memberships": {"review": pl.String, "index": pl.String, "symbol": pl.String, "fraction": pl.Float64},
    "dividends": {"ex_date": pl.Date, "symbol": pl.String, "amount": pl.Float64},
    "splits": {"ex_date": pl.Date, "symbol": pl.String, "ratio": pl.Float64},
    "fx": {"date": pl.Date, "currency": pl.String, "usd_per_unit": pl.Float64},
}
REQUIRED_TABLES = ("prices", "shares", "memberships")
# Optional columns and the value an absent column or an empty cell means.
DEFAULTS: dict[tuple[str, str], object] = {("prices", "currency"): "USD", ("memberships", "fraction"): 1.0}
# Optional columns an absent column or an empty cell leaves unknown (null): a session's volume (shares
# traded) is not known to every feed, and nothing the index computes reads it.
UNKNOWN_WHEN_EMPTY = {("prices", "volume")}
# Two rows with the same key would make "the close / shares / member" ambiguous.
KEYS = {
    "prices": ("date", "symbol"),
    "shares": ("date", "symbol"),
    "memberships": ("review", "index", "symbol"),
    "fx": ("date", "currency"),
}
RULES: list[tuple[str, str, pl.Expr, str]] = [
    ("prices", "close", pl.col("close") > 0, "must be positive"),
    ("prices", "volume", pl.col("volume").is_null() | (pl.col("volume") >= 0), "must not be negative"),
    ("shares", "shares", pl.col("shares") > 0, "must be positive"),
    ("shares", "free_float", (pl.col("free_float") > 0) & (pl.col("free_float") <= 1), "must be in (0, 1]"),
    ("memberships", "fraction", (pl.col("fraction") > 0) & (pl.col("fraction") <= 1), "must be in (0, 1]"),
    # The 90/10 index is reviewed in March, June, September and December only.
    (
        "memberships",
        "review",
        pl.col("review").str.contains(r"^\d{4}-(03|06|09|12)$"),
        "must be YYYY-MM with month 03, 06, 09 or 12",
    ),
    # Members of any review the calendar dates; which one comes first is the data's to say.
    (
        "memberships",
        "review",
        pl.col("review") >= FIRST_DATED_REVIEW,
        (
            f"must be {FIRST_DATED_REVIEW} or later "
            "(the first review the calendar dates its cut-off and rebalance for)"
        ),
    ),
    ("memberships", "index", pl.col("index").is_in(INDEXES), f"must be one of {', '.join(INDEXES)}"),
    ("dividends", "amount", pl.col("amount") >= 0, "must not be negative"),
    ("splits", "ratio", pl.col("ratio") > 0, "must be positive"),
    ("fx", "usd_per_unit", pl.col("usd_per_unit") > 0, "must be positive"),
    # A symbol is ASCII by rule (lib/text_rules.py): a look-alike letter would be a second security.
    *((table, "symbol", symbol_ok("symbol"), SYMBOL_RULE) for table in SCHEMAS if "symbol" in SCHEMAS[table]),
]
# Dates that must be NYSE sessions. A close and an ex-date happen on a trading day by definition,
# and an off-calendar one would silently move the index (a Saturday close becomes Monday's last
# price). `shares` dates say "in force from" (a filing can be dated any day) and fx rates are
# fixed on days the NYSE is shut (Good Friday, Thanksgiving); both are read "latest on or before",
# so any calendar day is meaningful there.
SESSION_DATES = {"prices": "date", "dividends": "ex_date", "splits": "ex_date"}
# Other tables' dates, which may be any calendar day but not a day still to come.
DATED_COLUMNS = {"fx": "date", "shares": "date"}
# Key hashes held at once by the duplicate check (8 bytes each, twice while sorting).
HASHES_PER_PASS = 16_000_000


def empty_table(name: str) -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMAS[name])


@dataclass(frozen=True, eq=False)
class MarketData:
    """The six contract tables; optional ones are empty when absent. `files` maps table -> source file."""

    prices: pl.DataFrame
    shares: pl.DataFrame
    memberships: pl.DataFrame
    dividends: pl.DataFrame = field(default_factory=lambda: empty_table("dividends"))
    splits: pl.DataFrame = field(default_factory=lambda: empty_table("splits"))
    fx: pl.DataFrame = field(default_factory=lambda: empty_table("fx"))
    source: str = "market_data"
    files: Mapping[str, str] = field(default_factory=dict)

    @property
    def reviews(self) -> list[str]:
        return sorted(self.memberships.get_column("review").unique().to_list())

    def label(self, table: str) -> str:
        """Path-like name for errors about `table`: its file when loaded from one."""
        return self.files.get(table, f"{self.source}/{table}")


def require_rows(name: str, path: Path, rows: int) -> None:
    """A required table (prices, shares, memberships) whose file holds no row breaks the contract: the
    index needs them, and a header alone would pass every other check."""
    if rows == 0 and name in REQUIRED_TABLES:
        raise InputError(
            path, f"required table '{name}' holds no rows (a header alone): the market data needs its {name}"
        )


def unique_temp(path: Path) -> Path:
    """A temporary name beside `path`, unique per process and call: concurrent writers never share one."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")


def source_files(folder: str | Path) -> dict[str, Path]:
    """Table -> its file under `folder` (`<name>.parquet` or `<name>.csv`); absent optional tables left
    out."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "market data folder does not exist")
    files = {}
    for name in SCHEMAS:
        found = [p for p in (folder / f"{name}.parquet", folder / f"{name}.csv") if p.is_file()]
        if len(found) > 1:
            raise InputError(found[1], f"both {found[0].name} and {found[1].name} exist; keep one")
        if not found and name in REQUIRED_TABLES:
            raise InputError(
                folder / f"{name}.parquet",
                f"required table '{name}' is missing (expected {name}.parquet or {name}.csv)",
            )
        if found:
            files[name] = found[0]
    return files


def validate_market_data(folder: str | Path, out: str | Path, latest: date | None = None) -> dict[str, Path]:
    """Validate every contract table under `folder` into `out/<name>.parquet`: typed, in source order.

    All six tables are written, optional ones empty when absent. Any violation raises InputError
    naming the file, row and problem, and then nothing under `out` changes. `latest`: the last
    session completed when the data are read (`last_completed_session`); a price, ex-date or fx
    rate dated after it is refused (it cannot be a fact yet, and would move the index into the future).
    """
    sources = source_files(folder)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staged: dict[str, Path] = {}
    try:
        for name in SCHEMAS:
            staged[name] = unique_temp(out / f"{name}.parquet")
            if name in sources:
                _validate(name, sources[name], staged[name], latest)
            else:
                empty_table(name).write_parquet(staged[name])
        for name, tmp in staged.items():
            os.replace(tmp, out / f"{name}.parquet")
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
    return {name: out / f"{name}.parquet" for name in SCHEMAS}


def load_market_data(folder: str | Path) -> MarketData:
    """Validated market data in memory, for feeds that fit; `validate_market_data` streams any size."""
    files = {name: str(path) for name, path in source_files(folder).items()}
    with tempfile.TemporaryDirectory(prefix="market_data.") as tmp:
        tables = {name: pl.read_parquet(path) for name, path in validate_market_data(folder, tmp).items()}
    return MarketData(**tables, source=str(folder), files=files)


def write_market_data(md: MarketData, folder: str | Path) -> list[Path]:
    """Write the six contract tables as `<name>.parquet`; each file appears whole or not at all."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in SCHEMAS.items():
        path = folder / f"{name}.parquet"
        tmp = unique_temp(path)
        try:
            frame = getattr(md, name)
            frame.select(contract_columns(name, frame.columns)).select(
                pl.col(c).cast(t) for c, t in schema.items()
            ).write_parquet(tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        written.append(path)
    return written


# ---------------------------------------------------------------- one table
def validate_table(
    name: str,
    path: Path,
    out: Path,
    latest: date | None = None,
    shown: Path | None = None,
    offset: int = 0,
    keep: pl.Expr | None = None,
) -> None:
    """Validate one contract table's file into `out` (typed Parquet, source order); InputError on the first
    bad row.

    `shown`, `offset`: the file an error names and the rows before `path`'s first (a CSV's appended
    tail is validated alone, its errors naming the whole file's row and line). `keep`: only the typed
    rows it holds for are validated and written (the years a run has not read before); an error still
    names the row of the whole file."""
    _validate(name, path, out, latest, _Where(shown or path, offset), keep)


def typed_rows(name: str, path: Path) -> pl.LazyFrame:
    """The rows of contract table `name`'s file as the contract types them, unchecked (a cell that does
    not read is null): what a run digests to tell which years changed before it validates any."""
    return _typed(name, _source(name, path))


_FILE_ROW = "_file_row"


@dataclass(frozen=True)
class _Where:
    """The file an error names, and how many of its rows come before the rows being read."""

    path: Path
    offset: int = 0
    # Another way to name row i, for files whose rows are not the typed table's (a wide price file).
    name: Callable[[int], str] | None = None

    def row(self, i: int) -> str:
        return self.name(i) if self.name else _row_ref(self.path, self.offset + i)


def _validate(
    name: str,
    path: Path,
    out: Path,
    latest: date | None = None,
    where: _Where | None = None,
    keep: pl.Expr | None = None,
) -> None:
    where = where or _Where(path)
    if path.suffix == ".csv":  # every line by the one CSV rule (lib/csv_rows.py), a block at a time
        check_file(path, where.path, line_offset=where.offset)
    source = _source(name, path, where.path)
    kept = out.with_name(f"{out.stem}.kept{out.suffix}")  # with each kept row's row in the file
    try:
        try:
            if keep is None:
                _typed(name, source).sink_parquet(out)
            else:
                source = source.with_row_index(_FILE_ROW)
                _typed(name, source).filter(keep).sink_parquet(kept)
                pl.scan_parquet(kept).drop(_FILE_ROW).sink_parquet(out)
        except Exception as exc:  # any reader failure means a bad file for the user ...
            if _disk_full(exc):  # ... but a full disk is where the validated copy goes, not the file
                raise InputError(
                    out.parent,
                    f"no space left on device while writing the validated copy of "
                    f"{where.path}: free space, then build again (nothing was changed)",
                ) from None
            raise _unreadable(where.path, exc) from exc
        if keep is not None:  # an error names the row of the file: looked up only then (memory: none)
            rows = pl.scan_parquet(kept).select(_FILE_ROW)
            source = source.join(rows, on=_FILE_ROW, how="semi", maintain_order="left").drop(_FILE_ROW)
            where = _Where(where.path, name=lambda i, at=where.row: at(rows.slice(i, 1).collect().item()))
        if keep is None:
            require_rows(name, where.path, pl.scan_parquet(out).select(pl.len()).collect().item())
        _check_rows(name, where, out, source, latest)
        if name in KEYS:
            _check_unique(name, where, out)
    finally:
        kept.unlink(missing_ok=True)


def _disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left on device" in str(exc)


def _unreadable(path: Path, exc: Exception) -> InputError:
    return InputError(path, f"cannot read: {type(exc).__name__}: {exc}")


def _source(name: str, path: Path, shown: Path | None = None) -> pl.LazyFrame:
    """The contract columns of `path` as stored (CSV: all text, so a bad cell is reported with its
    row rather than by the reader); an absent optional column holds its default."""
    scan = pl.scan_csv(path, infer_schema=False) if path.suffix == ".csv" else pl.scan_parquet(path)
    try:
        columns = scan.collect_schema()
    except Exception as exc:  # any reader failure means a bad file for the user
        raise _unreadable(shown or path, exc) from exc
    schema = SCHEMAS[name]
    missing = [c for c in schema if c not in columns and not _optional(name, c)]
    if missing:
        raise InputError(
            shown or path, f"missing column(s) {', '.join(missing)}; expected {', '.join(schema)}"
        )
    return scan.select(pl.col(c) if c in columns else _absent(name, c) for c in schema)


def _optional(name: str, col: str) -> bool:
    return (name, col) in DEFAULTS or (name, col) in UNKNOWN_WHEN_EMPTY


def _absent(name: str, col: str) -> pl.Expr:
    """What an absent optional column holds: its default, or unknown (null)."""
    return pl.lit(DEFAULTS.get((name, col)), SCHEMAS[name][col]).alias(col)


def contract_columns(name: str, present: Collection[str]) -> list[pl.Expr]:
    """The contract columns of table `name` from a frame holding the columns `present`: an optional one it
    lacks (a file without it, a table stored before it) holds its default, or unknown."""
    return [pl.col(c) if c in present or not _optional(name, c) else _absent(name, c) for c in SCHEMAS[name]]


def _cast(col: str, src: pl.DataType, dtype: pl.DataType) -> pl.Expr:
    expr = pl.col(col)
    if src == pl.String:
        expr = expr.str.strip_chars()
        expr = pl.when(expr != "").then(expr)  # a blank cell is an empty value
        if dtype == pl.Date:
            return expr.str.to_date("%Y-%m-%d", strict=False)
    if dtype == pl.Date and isinstance(src, pl.Datetime):
        return expr.dt.date()
    return expr.cast(dtype, strict=False)


def _typed(name: str, source: pl.LazyFrame) -> pl.LazyFrame:
    src = source.collect_schema()
    columns = []
    for col, dtype in SCHEMAS[name].items():
        if col not in src:  # an optional column the source does not have (a user's price file)
            columns.append(_absent(name, col))
            continue
        value = _cast(col, src[col], dtype)
        blank = pl.col(col).is_null() | (pl.col(col).cast(pl.String).str.strip_chars() == "")
        if (name, col) in DEFAULTS:
            # Only an empty cell takes the default; an unreadable one stays null and is reported.
            value = pl.when(blank).then(pl.lit(DEFAULTS[(name, col)], dtype)).otherwise(value)
        elif (name, col) in UNKNOWN_WHEN_EMPTY:
            # An empty cell is unknown (null); an unreadable one is marked NaN, so the check reports it.
            value = pl.when(blank).then(None).otherwise(value.fill_null(float("nan")))
        if col == "symbol":  # one form for a class whatever the source writes (`BRK-B`, `BRK/B`: `BRK.B`)
            value = lists_form(value)
        columns.append(value.alias(col))
    return source.select(*columns, *([pl.col(_FILE_ROW)] if _FILE_ROW in src else []))


@lru_cache(maxsize=1)
def _sessions() -> pl.Series:
    return pl.Series(sessions(FIRST_DAY, LAST_DAY), dtype=pl.Date)


def _checks(name: str, latest: date | None = None) -> list[tuple[str, pl.Expr, str | None]]:
    """(column, what a good row satisfies, problem) in the order a row's problems are reported.

    Problem None is a null: the source row tells an empty cell from an unreadable one.
    """
    checks: list[tuple[str, pl.Expr, str | None]] = []
    for col, dtype in SCHEMAS[name].items():
        if (name, col) in UNKNOWN_WHEN_EMPTY:  # null is unknown; NaN marks a cell that did not read
            checks.append((col, pl.col(col).is_null() | ~pl.col(col).is_nan(), None))
            checks.append((col, pl.col(col).is_null() | pl.col(col).is_finite(), "must be a finite number"))
            continue
        checks.append((col, pl.col(col).is_not_null(), None))
        if dtype == pl.Float64:
            checks.append((col, pl.col(col).is_finite(), "must be a finite number"))
    checks += [(col, ok, problem) for table, col, ok, problem in RULES if table == name]
    dated = SESSION_DATES.get(name) or DATED_COLUMNS.get(name)
    if latest is not None and dated:
        checks.append(
            (
                dated,
                pl.col(dated) <= latest,
                (
                    f"dated after {latest}, the last NYSE session completed when "
                    "the data were read (a fact from the future)"
                ),
            )
        )
    if name in SESSION_DATES:
        col = SESSION_DATES[name]
        checks.append((col, pl.col(col).is_in(_sessions().implode()), "session"))
    return checks


def _check_rows(
    name: str, where: _Where, typed: Path, source: pl.LazyFrame, latest: date | None = None
) -> None:
    """The first row breaking any check, in one streaming pass over the typed table."""
    checks = _checks(name, latest)
    failed = pl.coalesce(
        [pl.when(~ok.fill_null(False)).then(pl.lit(k)) for k, (_, ok, _) in enumerate(checks)]
    )
    hit = (
        pl.scan_parquet(typed)
        .with_row_index("_row")
        .with_columns(failed.alias("_check"))
        .filter(pl.col("_check").is_not_null())
        .head(1)
        .collect(engine="streaming")
    )
    if hit.is_empty():
        return
    row = hit.row(0, named=True)
    i, (col, _, problem) = row.pop("_row"), checks[row.pop("_check")]
    if problem is None:
        row = source.slice(i, 1).collect(engine="streaming").row(0, named=True)
        cell = row[col]
        empty = cell is None or (isinstance(cell, str) and not cell.strip())
        problem = (
            "empty value"
            if empty
            else "must be a finite number"
            if _a_number(cell)
            else f"cannot read {cell!r} as {SCHEMAS[name][col]}"
        )
    elif problem == "session":
        problem = _not_a_session(row[col])
    elif problem == SYMBOL_RULE:  # the character that breaks it, named
        problem = symbol_problem(row[col])
    raise InputError(where.path, f"column '{col}' {where.row(i)}: {problem}: {_show(row)}")


def _not_a_session(day: date) -> str:
    if not FIRST_DAY <= day <= LAST_DAY:
        return f"{day} is outside the NYSE calendar known here ({FIRST_DAY} to {LAST_DAY})"
    return f"{day} is a {day:%A}, not an NYSE session" if day.weekday() >= 5 else f"{day} is an NYSE holiday"


def _check_unique(name: str, where: _Where, typed: Path) -> None:
    """The earliest row whose key appears again, with the row repeating it."""
    key = KEYS[name]
    scan = pl.scan_parquet(typed).with_row_index("_row")
    # Rows are split in buckets by key hash, so memory stays bounded however long the file.
    buckets = -(-scan.select(pl.len()).collect().item() // HASHES_PER_PASS) or 1
    hashed = _key_hash(key)
    pairs = [
        pair for b in range(buckets) if (pair := _first_repeat(scan, key, hashed, hashed % buckets == b))
    ]
    if pairs:
        i, j, row = min(pairs, key=lambda pair: pair[0])
        raise InputError(
            where.path,
            f"column(s) {', '.join(key)}: duplicate key in {where.row(i)} and {where.row(j)}: {_show(row)}",
        )


def _key_hash(key: tuple[str, ...]) -> pl.Expr:
    return pl.struct(key).hash(seed=8)


def _first_repeat(
    scan: pl.LazyFrame, key: tuple[str, ...], hashed: pl.Expr, bucket: pl.Expr
) -> tuple[int, int, dict] | None:
    # Equal neighbours among the bucket's sorted 64-bit key hashes: a fifth of the memory of a
    # group-by over the keys (3.6 GB for 41M prices). Each candidate is then checked by value,
    # in row order, since two keys can share a hash.
    hashes = (
        scan.filter(bucket).select(hashed).collect(engine="streaming").to_series().to_numpy(writable=True)
    )
    hashes.sort()
    repeated = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
    del hashes
    if not repeated.size:
        return None
    candidates = scan.filter(bucket & hashed.is_in(pl.Series(repeated).implode()))
    start = 0
    while not (
        hit := candidates.filter(pl.col("_row") >= start).head(1).collect(engine="streaming")
    ).is_empty():
        i, row = int(hit["_row"][0]), hit.drop("_row").row(0, named=True)
        same = pl.all_horizontal(pl.col(c) == pl.lit(row[c]) for c in key)
        again = scan.filter(pl.col("_row") > i, same).head(1).collect(engine="streaming")
        if not again.is_empty():
            return i, int(again["_row"][0]), row
        start = i + 1
    return None


def _row_ref(path: Path, i: int) -> str:
    # CSV users look for a line in an editor; the header is line 1.
    return f"row {i + 1} (line {i + 2})" if path.suffix == ".csv" else f"row {i + 1}"


def _a_number(cell: object) -> bool:
    """Whether a cell reads as a number (a NaN among them: what an unknown-when-empty column marks)."""
    try:
        float(cell)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


_UNKNOWN_COLUMNS = {col for _, col in UNKNOWN_WHEN_EMPTY}


def _show(row: dict) -> str:
    """The row as `column=value, ...`; an unknown-when-empty column left unsaid where it is empty."""
    return ", ".join(f"{k}={v}" for k, v in row.items() if not (k in _UNKNOWN_COLUMNS and v is None))
