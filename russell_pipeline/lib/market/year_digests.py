"""Year partitions of the stored market tables, and what a night needs to read only what changed.

The market tables are stored partitioned by the year of their date (`year`; memberships: the year
of the review), so a night replaces only the years whose rows changed, and a date filter opens
only the years it reaches. Each year's
rows have a digest: the count and the wrapping sum of their row hashes (contract columns only), so
a year's digest does not depend on row order, and rows appended to a year add their own sum.

A CSV source that only grew at its end is read from its previous end: the bytes read before are
checked against their recorded sha256, and only the appended rows are validated (`csv_tail`).

`market_days` keeps a running digest of the dated rows by day: what a period reads up to its end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from pathlib import Path

import polars as pl

from russell_pipeline.lib.market.contract import SCHEMAS

YEAR = "year"
# Contract table -> the column its year partition is taken from (memberships: the year of the review).
PARTITIONED = {
    "prices": "date",
    "shares": "date",
    "memberships": "review",
    "dividends": "ex_date",
    "splits": "ex_date",
    "fx": "date",
}
DATED = {name: column for name, column in PARTITIONED.items() if name != "memberships"}
DIGESTS_SCHEMA = {"table_name": pl.String, YEAR: pl.Int32, "rows": pl.Int64, "digest": pl.Int64}
DAYS_SCHEMA = {"day": pl.Date, "digest": pl.Int64, "volume_digest": pl.Int64}  # `market_days`
# Columns no period's weights, levels or closes read (a session's volume): left out of `market_days`'s
# `digest`, so a revised volume rebuilds none of them; its `volume_digest` follows them alone.
NOT_READ_BY_PERIODS = ("volume",)
_BLOCK = 1 << 20


def year_of(name: str) -> pl.Expr:
    """The partition a row of contract table `name` belongs to."""
    column = pl.col(PARTITIONED[name])
    return (
        (column.dt.year() if name in DATED else column.str.slice(0, 4).cast(pl.Int32))
        .cast(pl.Int32)
        .alias(YEAR)
    )


def with_year(name: str, rows: pl.LazyFrame) -> pl.LazyFrame:
    """The contract columns and `year`: the stored shape."""
    return rows.select([*SCHEMAS[name], year_of(name)])


def row_hash(name: str) -> pl.Expr:
    """One row's hash over its contract columns (never `year`, so stored and source rows agree)."""
    return pl.struct(*SCHEMAS[name], pl.lit(name)).hash(seed=0)


def year_digests(name: str, rows: pl.LazyFrame) -> pl.DataFrame:
    """table_name, year, rows, digest of every year holding rows of `rows` (contract table `name`)."""
    return (
        rows.group_by(year_of(name))
        .agg(
            pl.len().cast(pl.Int64).alias("rows"),
            row_hash(name).sum().reinterpret(signed=True).alias("digest"),
        )
        .with_columns(pl.lit(name).alias("table_name"))
        .select(list(DIGESTS_SCHEMA))
        .collect(engine="streaming")
        .cast(DIGESTS_SCHEMA)
        .sort(YEAR)
    )


def add_digests(before: pl.DataFrame, added: pl.DataFrame) -> pl.DataFrame:
    """The digests of each year of `added` once its rows join that year's rows of `before` (same table)."""
    joined = added.join(
        before.select(YEAR, pl.col("rows").alias("r0"), pl.col("digest").alias("d0")), on=YEAR, how="left"
    ).with_columns(pl.col("r0", "d0").fill_null(0))
    digest = pl.col("digest").reinterpret(signed=False) + pl.col("d0").reinterpret(signed=False)
    return joined.select(
        "table_name", YEAR, pl.col("rows") + pl.col("r0"), digest.reinterpret(signed=True).alias("digest")
    ).cast(DIGESTS_SCHEMA)


def changed_years(before: pl.DataFrame, after: pl.DataFrame, years: set[int] | None) -> list[int]:
    """The years among `years` (None: every year of either) whose rows differ between the two digests."""
    old = {y: (r, d) for y, r, d in before.select(YEAR, "rows", "digest").iter_rows()}
    new = {y: (r, d) for y, r, d in after.select(YEAR, "rows", "digest").iter_rows()}
    candidates = set(old) | set(new) if years is None else years
    return sorted(y for y in candidates if old.get(y) != new.get(y))


def market_days(
    tables: dict[str, pl.DataFrame | pl.LazyFrame | None],
    before: pl.DataFrame | None = None,
    years: Collection[int] = (),
) -> pl.DataFrame:
    """day -> a running digest of every dated market-data row up to that day (prices, shares,
    dividends, splits, fx; a row's hash covers its contract columns but `NOT_READ_BY_PERIODS`, not the
    stored `year`), and `volume_digest`, a running digest of the prices' volumes alone (what the forecast's
    passive demand reads). A period that ends on day D depends on the value at D only, so extending the
    data to later days leaves the digests of earlier periods unchanged.

    With `before` (the stored table), `tables` hold only the rows of `years`: the days of those
    years are summed again, every other day keeps its own sum from `before` (a night reads one year)."""
    daily = []
    for name, col in DATED.items():
        if (table := tables.get(name)) is None:
            continue
        table = table.lazy()
        volume = name == "prices" and "volume" in table.collect_schema().names()
        read = pl.all().exclude("year", *NOT_READ_BY_PERIODS)
        daily.append(
            table.select(
                pl.col(col).alias("day"),
                pl.struct(read, pl.lit(name)).hash(seed=0).alias("h"),
                (pl.struct("symbol", "volume").hash(seed=1) if volume else pl.lit(0, pl.UInt64)).alias("v"),
            )
            .group_by("day")
            .agg(pl.col("h", "v").sum())
        )
    sums = pl.concat(daily).group_by("day").agg(pl.col("h", "v").sum()).collect(engine="streaming")
    if before is not None and before.height:
        before = before.sort("day")
        kept = before.select(
            "day",
            *(
                (running - running.shift(1).fill_null(0)).alias(h)  # wraps, as the sum did
                for h, running in (
                    ("h", pl.col("digest").reinterpret(signed=False)),
                    ("v", pl.col("volume_digest").reinterpret(signed=False)),
                )
            ),
        )
        sums = pl.concat([kept.filter(~pl.col("day").dt.year().is_in(list(years))), sums])
    return (
        sums.group_by("day")
        .agg(pl.col("h", "v").sum())
        .sort("day")
        .select(  # Delta has no u64
            "day",
            pl.col("h").cum_sum().reinterpret(signed=True).alias("digest"),
            pl.col("v").cum_sum().reinterpret(signed=True).alias("volume_digest"),
        )
        .cast(DAYS_SCHEMA)
    )


# ------------------------------------------------------------------ appended CSV files
def file_sha256(path: Path, size: int | None = None) -> hashlib._Hash:
    """The running sha256 of the first `size` bytes of `path` (all when None): it can go on hashing."""
    h, left = hashlib.sha256(), size
    with open(path, "rb") as f:
        while left is None or left > 0:
            block = f.read(_BLOCK if left is None else min(_BLOCK, left))
            if not block:
                break
            h.update(block)
            left = None if left is None else left - len(block)
    return h


def may_have_grown(path: Path, size: int) -> bool:
    """Whether CSV `path` can be the `size` bytes read before with rows appended: at least that long,
    and those bytes end a line (whether they are the same bytes is `file_sha256`'s to say)."""
    if path.suffix != ".csv" or size <= 0 or path.stat().st_size < size:
        return False
    with open(path, "rb") as f:
        f.seek(size - 1)
        return f.read(1) == b"\n"


def extend_sha256(running: hashlib._Hash, path: Path, start: int) -> str:
    """The sha256 of the whole file, from the running hash of its first `start` bytes."""
    with open(path, "rb") as f:
        f.seek(start)
        while block := f.read(_BLOCK):
            running.update(block)
    return running.hexdigest()


def csv_tail(path: Path, start: int, out: Path) -> Path:
    """`out`: the header line of CSV `path` and its bytes from `start` on, a CSV of the appended rows."""
    with open(path, "rb") as src, open(out, "wb") as dst:
        dst.write(src.readline())
        src.seek(start)
        while block := src.read(_BLOCK):
            dst.write(block)
    return out
