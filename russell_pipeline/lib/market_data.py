"""Market data for the 90/10 index: the folder contract (`RUSSELL_MARKET_DATA`), validated on load."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from russell_pipeline.lib.errors import InputError

SCC = "RUSSELL_SMALL_CAP_COMPLETENESS"
R2G = "RUSSELL_2000_GROWTH"
INDEXES = (SCC, R2G)

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "prices": {"date": pl.Date, "symbol": pl.String, "close": pl.Float64, "currency": pl.String},
    "shares": {"date": pl.Date, "symbol": pl.String, "shares": pl.Float64, "free_float": pl.Float64},
    "memberships": {"review": pl.String, "index": pl.String, "symbol": pl.String, "fraction": pl.Float64},
    "dividends": {"ex_date": pl.Date, "symbol": pl.String, "amount": pl.Float64},
    "splits": {"ex_date": pl.Date, "symbol": pl.String, "ratio": pl.Float64},
    "fx": {"date": pl.Date, "currency": pl.String, "usd_per_unit": pl.Float64},
}
REQUIRED_TABLES = ("prices", "shares", "memberships")
# Optional columns and the value an absent column or an empty cell means.
DEFAULTS: dict[tuple[str, str], object] = {("prices", "currency"): "USD", ("memberships", "fraction"): 1.0}
# Two rows with the same key would make "the close / shares / member" ambiguous.
KEYS = {
    "prices": ("date", "symbol"),
    "shares": ("date", "symbol"),
    "memberships": ("review", "index", "symbol"),
    "fx": ("date", "currency"),
}
RULES: list[tuple[str, str, pl.Expr, str]] = [
    ("prices", "close", pl.col("close") > 0, "must be positive"),
    ("shares", "shares", pl.col("shares") > 0, "must be positive"),
    ("shares", "free_float", (pl.col("free_float") > 0) & (pl.col("free_float") <= 1), "must be in (0, 1]"),
    ("memberships", "fraction", (pl.col("fraction") > 0) & (pl.col("fraction") <= 1), "must be in (0, 1]"),
    # The 90/10 index is reviewed in March, June, September and December only.
    ("memberships", "review", pl.col("review").str.contains(r"^\d{4}-(03|06|09|12)$"),
     "must be YYYY-MM with month 03, 06, 09 or 12"),
    ("memberships", "index", pl.col("index").is_in(INDEXES), f"must be one of {', '.join(INDEXES)}"),
    ("dividends", "amount", pl.col("amount") >= 0, "must not be negative"),
    ("splits", "ratio", pl.col("ratio") > 0, "must be positive"),
    ("fx", "usd_per_unit", pl.col("usd_per_unit") > 0, "must be positive"),
]


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


def _row_ref(path: Path, i: int) -> str:
    # CSV users look for a line in an editor; the header is line 1.
    return f"row {i + 1} (line {i + 2})" if path.suffix == ".csv" else f"row {i + 1}"


def _show(df: pl.DataFrame, i: int) -> str:
    return ", ".join(f"{k}={v}" for k, v in df.row(i, named=True).items())


def _first_bad(df: pl.DataFrame, ok: pl.Expr) -> int | None:
    bad = df.with_row_index("_i").filter(~ok.fill_null(False)).get_column("_i")
    return None if bad.is_empty() else int(bad[0])


def _cast(col: str, src: pl.DataType, dtype: pl.DataType) -> pl.Expr:
    expr = pl.col(col)
    if src == pl.String:
        expr = expr.str.strip_chars()
        if dtype == pl.Date:
            return expr.str.to_date("%Y-%m-%d", strict=False)
    if dtype == pl.Date and isinstance(src, pl.Datetime):
        return expr.dt.date()
    return expr.cast(dtype, strict=False)


def conform(name: str, raw: pl.DataFrame, path: Path) -> pl.DataFrame:
    """Cast `raw` to the contract schema of table `name`; any violation raises InputError(path)."""
    schema = SCHEMAS[name]
    missing = [c for c in schema if c not in raw.columns and (name, c) not in DEFAULTS]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}; expected {', '.join(schema)}")
    for (table, col), default in DEFAULTS.items():
        if table == name and col not in raw.columns:
            raw = raw.with_columns(pl.lit(default).alias(col))
    raw = raw.select(list(schema))
    df = raw.select(_cast(c, raw.schema[c], t).alias(c) for c, t in schema.items())
    for col, dtype in schema.items():
        default = DEFAULTS.get((name, col))
        if default is not None:
            df = df.with_columns(pl.col(col).fill_null(default))
        raw_blank = raw.get_column(col).is_null()
        if raw.schema[col] == pl.String:
            raw_blank = raw_blank | (raw.get_column(col).str.strip_chars() == "")
        unreadable = df.get_column(col).is_null() & ~raw_blank
        if unreadable.any():
            i = int(unreadable.arg_true()[0])
            raise InputError(path, f"column '{col}' {_row_ref(path, i)}: cannot read "
                                   f"{raw.get_column(col)[i]!r} as {dtype}: {_show(raw, i)}")
        i = _first_bad(df, pl.col(col).is_not_null())
        if i is not None:
            raise InputError(path, f"column '{col}' {_row_ref(path, i)}: empty value: {_show(raw, i)}")
        if dtype == pl.Float64:
            i = _first_bad(df, pl.col(col).is_finite())
            if i is not None:
                raise InputError(path, f"column '{col}' {_row_ref(path, i)}: must be a finite number: "
                                       f"{_show(df, i)}")
    for table, col, ok, problem in RULES:
        i = _first_bad(df, ok) if table == name else None
        if i is not None:
            raise InputError(path, f"column '{col}' {_row_ref(path, i)}: {problem}: {_show(df, i)}")
    if name in KEYS:
        _check_unique(df, KEYS[name], path)
    return df


def _check_unique(df: pl.DataFrame, key: tuple[str, ...], path: Path) -> None:
    dup = df.with_row_index("_i").filter(pl.len().over(key) > 1)
    if not dup.is_empty():
        first = dup.filter(pl.struct(key) == pl.struct(key).first())
        i, j = (int(x) for x in first.get_column("_i")[:2])
        raise InputError(path, f"column(s) {', '.join(key)}: duplicate key in {_row_ref(path, i)} and "
                               f"{_row_ref(path, j)}: {_show(df, i)}")


def _table_file(folder: Path, name: str) -> Path | None:
    found = [p for p in (folder / f"{name}.parquet", folder / f"{name}.csv") if p.is_file()]
    if len(found) > 1:
        raise InputError(found[1], f"both {found[0].name} and {found[1].name} exist; keep one")
    if not found and name in REQUIRED_TABLES:
        raise InputError(folder / f"{name}.parquet", f"required table '{name}' is missing "
                                                     f"(expected {name}.parquet or {name}.csv)")
    return found[0] if found else None


def _read(path: Path) -> pl.DataFrame:
    try:
        if path.suffix == ".csv":
            # All text first, so a bad cell is reported by conform() with its row, not by the reader.
            return pl.read_csv(path, infer_schema=False)
        return pl.read_parquet(path)
    except Exception as exc:  # any reader failure means a bad file for the user
        raise InputError(path, f"cannot read: {type(exc).__name__}: {exc}") from exc


def load_market_data(folder: str | Path) -> MarketData:
    """Read and validate every contract table under `folder`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "market data folder does not exist")
    tables: dict[str, pl.DataFrame] = {}
    files: dict[str, str] = {}
    for name in SCHEMAS:
        path = _table_file(folder, name)
        if path is None:
            tables[name] = empty_table(name)
        else:
            tables[name] = conform(name, _read(path), path)
            files[name] = str(path)
    return MarketData(**tables, source=str(folder), files=files)


def write_market_data(md: MarketData, folder: str | Path) -> list[Path]:
    """Write the six contract tables as `<name>.parquet`; each file appears whole or not at all."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in SCHEMAS.items():
        path = folder / f"{name}.parquet"
        tmp = folder / f".{name}.parquet.tmp"
        getattr(md, name).select(pl.col(c).cast(t) for c, t in schema.items()).write_parquet(tmp)
        os.replace(tmp, path)
        written.append(path)
    return written
