"""The market run's plan, year by year: what a `market_data` run reads, validates and replaces.

Beside the six tables (partitioned by `year`, lib/market/year_digests.py) the lake keeps what the last
run read and stored (lake/market_tables.py `Previous`): `market_reads` (per source table: its file,
bytes, sha256, rows, the code that read it; for the synthetic feed its settings and end) and
`market_years` (per table and year: rows and digest). A run then validates only what is new: nothing for
an unchanged file, the appended rows of a CSV that only grew at its end (checked against the stored rows
for a repeated key), otherwise the years whose rows changed (the file's rows are digested by year first,
typed but unchecked); and it replaces only the years whose digest changed (`plan`, a `Night`).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import polars as pl

from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.market_tables import (
    READS,
    READS_SCHEMA,
    YEARS,
    Previous,
    stored_rows,
    stored_years,
)
from russell_pipeline.lake.staged import Staged
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.market.contract import (
    KEYS,
    SCHEMAS,
    require_rows,
    typed_rows,
    validate_table,
)
from russell_pipeline.lib.market.year_digests import (
    DATED,
    DIGESTS_SCHEMA,
    YEAR,
    add_digests,
    changed_years,
    csv_tail,
    extend_sha256,
    file_sha256,
    market_days,
    may_have_grown,
    with_year,
    year_digests,
    year_of,
)

WRITTEN_FACT = "years_written"  # the metadata of a run's materialization: `prices 2026; shares 2026`


@dataclass(frozen=True)
class Update:
    """One table after this read: `rows` (contract columns) are its rows of `years` (of every year
    when None), `digests` their year digests; `read` the `market_reads` row of its source now."""

    rows: pl.LazyFrame
    digests: pl.DataFrame
    years: set[int] | None
    read: dict | None


def _read_row(name: str, path: Path, size: int, sha256: str, rows: int, code: str) -> dict:
    return {
        "table_name": name,
        "file": path.name,
        "bytes": size,
        "sha256": sha256,
        "rows": rows,
        "code": code,
        "end_date": None,
    }


def unchanged(name: str, read: dict | None) -> Update:
    return Update(pl.LazyFrame(schema=SCHEMAS[name]), pl.DataFrame(schema=DIGESTS_SCHEMA), set(), read)


def read_file(
    lake: Lake,
    name: str,
    path: Path | None,
    before: Previous | None,
    tmp: Path,
    latest: date | None,
    code: str,
) -> Update:
    """Contract table `name` from its source file (None: an absent optional table), validating only
    what this run has not read before."""
    if path is None:
        return Update(pl.LazyFrame(schema=SCHEMAS[name]), pl.DataFrame(schema=DIGESTS_SCHEMA), None, None)
    size, last = path.stat().st_size, before.reads.get(name) if before else None
    if last is not None and last["file"] == path.name:
        if may_have_grown(path, last["bytes"]):
            added = _appended(lake, name, path, size, last, tmp, latest, before)
            if added is not None:
                return added
        elif (
            path.suffix != ".csv"
            and size == last["bytes"]
            and file_sha256(path).hexdigest() == last["sha256"]
        ):
            return unchanged(name, last)
    out = tmp / f"{name}.parquet"
    with ThreadPoolExecutor(1) as pool:  # hashlib runs outside the GIL, beside the reading
        sha256 = pool.submit(file_sha256, path)
        digests = _source_digests(name, path) if before is not None else None
        if digests is None:
            validate_table(name, path, out, latest)
            rows = pl.scan_parquet(out)
            digests, years = year_digests(name, rows), None
        else:  # only the years whose rows changed are validated (any row without a year among them)
            years = set(changed_years(before.digests(name), digests.drop_nulls(YEAR), None))
            validate_table(
                name, path, out, latest, keep=year_of(name).is_in(sorted(years)) | year_of(name).is_null()
            )
            rows = pl.scan_parquet(out)
        require_rows(name, path, int(digests["rows"].sum()))
        read = _read_row(name, path, size, sha256.result().hexdigest(), int(digests["rows"].sum()), code)
    return Update(rows, digests, years, read)


def _source_digests(name: str, path: Path) -> pl.DataFrame | None:
    """The year digests of the file's rows as typed, before any is checked; None when a row's year
    cannot be read (the whole file is then validated, and its error names the row)."""
    try:
        return year_digests(name, typed_rows(name, path))
    except (InputError, pl.exceptions.PolarsError):
        return None


def _appended(
    lake: Lake,
    name: str,
    path: Path,
    size: int,
    last: dict,
    tmp: Path,
    latest: date | None,
    before: Previous,
) -> Update | None:
    """The CSV read from its previous end, when its first bytes are still those read before (their
    sha256 is computed beside the validation of the appended rows: hashlib runs outside the GIL);
    None when they are not, or an appended row repeats a stored key: the file is then read whole."""
    with ThreadPoolExecutor(1) as pool:
        prefix = pool.submit(_first_bytes, path, last["bytes"])
        try:
            added = (
                _read_tail(lake, name, path, last, tmp, latest, before)
                if size > last["bytes"]
                else unchanged(name, last)
            )
        except InputError:
            if prefix.result().hexdigest() == last["sha256"]:
                raise  # a bad appended row (the whole file's row and line)
            added = None  # the beginning changed too: the whole file's validation says what is wrong
        running = prefix.result()
    if added is None or running.hexdigest() != last["sha256"]:
        return None
    return replace(added, read=added.read | {"sha256": extend_sha256(running, path, last["bytes"])})


# The hashes of market CSVs' first bytes that `prove_early` started, by the file as it was then.
_early: dict[tuple, Future] = {}


def prove_early(lake: Lake, folder: str, code: str) -> None:
    """Start hashing, each on a thread of its own, the bytes the last market run (`market_reads`, read by
    code `code`) read of each CSV under `folder` that has grown since: the proof `_appended` needs that
    they are unchanged, computed while the build starts up (importing Dagster, planning) on a core it
    leaves idle, instead of after (at 16 years of a 15,000-stock feed, `prices.csv` holds 1.7 GB: a
    second of SHA-256). A file changed after this started is hashed afresh (`_first_bytes`); what an
    earlier build of this process started and its run did not take is forgotten here."""
    _early.clear()
    reads = lake.tables.read(READS) if folder else None
    for r in [] if reads is None else reads.filter(pl.col("code") == code).iter_rows(named=True):
        path = Path(folder) / r["file"]
        if path.suffix == ".csv" and path.is_file() and path.stat().st_size > r["bytes"] > 0:
            key, done = _identity(path, r["bytes"]), Future()
            _early[key] = done
            threading.Thread(target=_hash_into, args=(done, path, r["bytes"]), daemon=True).start()


def _hash_into(done: Future, path: Path, size: int) -> None:
    try:
        done.set_result(file_sha256(path, size))
    except BaseException as err:  # noqa: BLE001 - any end is an answer: `_first_bytes` then hashes again
        done.set_exception(err)


def _identity(path: Path, size: int) -> tuple:
    """`path`'s first `size` bytes, as the file is now (a file written since has another size or time)."""
    st = path.stat()
    return (str(path), size, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _first_bytes(path: Path, size: int):
    """The running sha256 of `path`'s first `size` bytes (`file_sha256`): the one `prove_early` started
    when the file is as it was then, else computed here."""
    early = _early.pop(_identity(path, size), None)
    if early is not None and early.exception() is None:
        return early.result()
    return file_sha256(path, size)


def _read_tail(
    lake: Lake, name: str, path: Path, last: dict, tmp: Path, latest: date | None, before: Previous
) -> Update | None:
    """The rows appended to CSV `path` since `last` was read, joined to the stored rows of their years;
    None when one repeats a stored key (the whole file is then read, and its error names both rows)."""
    tail = csv_tail(path, last["bytes"], tmp / f"{name}.tail.csv")
    out = tmp / f"{name}.tail.parquet"
    validate_table(name, tail, out, latest, shown=path, offset=last["rows"])
    added = pl.scan_parquet(out)
    digests = year_digests(name, added)
    years = set(digests[YEAR].to_list())
    stored = stored_rows(lake, name, years)
    if name in KEYS and stored.join(added, on=list(KEYS[name]), how="semi").head(1).collect().height:
        return None
    read = _read_row(
        name, path, path.stat().st_size, "", last["rows"] + int(digests["rows"].sum()), last["code"]
    )
    return Update(pl.concat([stored, added]), add_digests(before.digests(name), digests), years, read)


def read_generated(
    folder: Path, tmp: Path, latest: date | None, years: set[int] | None, read: dict
) -> dict[str, Update]:
    """The synthetic feed's files (of `years` only when not None), validated like a user's folder."""
    updates = {}
    for name in SCHEMAS:
        out = tmp / f"{name}.parquet"
        validate_table(name, folder / f"{name}.parquet", out, latest)
        rows = pl.scan_parquet(out)
        # Memberships are generated whole (every review): their digests are compared year by year.
        updates[name] = Update(
            rows,
            year_digests(name, rows),
            None if name == "memberships" else years,
            read | {"table_name": name},
        )
    return updates


@dataclass(frozen=True)
class Night:
    """What a run writes: the staged tables, the years replaced per table, and the record after it."""

    staged: list[Staged]
    written: dict[str, list[int]]
    years: pl.DataFrame

    def rows(self, name: str) -> int:
        return int(self.years.filter(pl.col("table_name") == name)["rows"].sum())

    def held(self, name: str) -> set[int]:
        """The years table `name` holds rows of once this run is written."""
        return set(self.years.filter((pl.col("table_name") == name) & (pl.col("rows") > 0))[YEAR].to_list())


def plan(lake: Lake, updates: dict[str, Update], before: Previous | None) -> Night:
    """The years of each table to replace (those whose digest changed; every year when nothing before
    is trusted), staged with the record of what was read, and `market_days` for the changed years."""
    staged, written, kept = [], {}, []
    for name, update in updates.items():
        old = before.digests(name) if before else pl.DataFrame(schema=DIGESTS_SCHEMA)
        if before is None:  # nothing recorded is trusted: every year read or stored is written
            years = sorted(set(update.digests[YEAR].to_list()) | stored_years(lake, name))
        else:
            years = changed_years(old, update.digests, update.years)
        written[name] = years
        rows = with_year(name, update.rows).filter(pl.col(YEAR).is_in(years))
        staged.append(
            Staged(f"market_{name}", _date_ordered(rows, DATED[name]) if name in DATED else rows, YEAR, years)
        )
        after = (
            update.digests
            if update.years is None
            else pl.concat(
                [
                    old.filter(~pl.col(YEAR).is_in(sorted(update.years))),
                    update.digests.filter(pl.col(YEAR).is_in(sorted(update.years))),
                ]
            )
        )
        kept.append(after)
    days = _days(lake, updates, written, before)
    reads = pl.DataFrame(
        [u.read for u in updates.values() if u.read is not None], schema=READS_SCHEMA, orient="row"
    )
    digests = pl.concat(kept).cast(DIGESTS_SCHEMA).sort("table_name", YEAR)
    return Night(
        [*staged, Staged("market_days", days), Staged(READS, reads), Staged(YEARS, digests)], written, digests
    )


def _days(lake: Lake, updates: dict[str, Update], written: dict[str, list[int]], before: Previous | None):
    """`market_days` after this run: from every row when nothing before is trusted, else the stored
    table with the days of the changed years summed again (new rows where a table changed, stored ones
    where it did not)."""
    stored = lake.tables.read("market_days")
    if before is None or stored is None:
        return market_days({n: updates[n].rows for n in DATED})
    years = set().union(*(written[n] for n in DATED))
    return market_days(
        {name: after(lake, name, updates[name], written[name], years) for name in DATED}, stored, years
    )


def after(lake: Lake, name: str, update: Update, written: list[int], years: set[int]) -> pl.LazyFrame:
    """Table `name`'s rows of `years` once this run is written: read now where it replaces the year,
    stored where it does not."""
    mine = sorted(set(written) & years)
    return pl.concat(
        [update.rows.filter(year_of(name).is_in(mine)), stored_rows(lake, name, years - set(mine))]
    )


def facts(lake: Lake, updates: dict[str, Update], night: Night) -> tuple[list[str], date | None]:
    """(the reviews, the last price date) of the market data once this run is written."""
    reviews = after(
        lake, "memberships", updates["memberships"], night.written["memberships"], night.held("memberships")
    )
    prices = night.held("prices")
    last = after(
        lake, "prices", updates["prices"], night.written["prices"], {max(prices)} if prices else set()
    )
    return (
        reviews.select(pl.col("review").unique().sort()).collect()["review"].to_list(),
        last.select(pl.col("date").max()).collect().item(),
    )


def _date_ordered(rows: pl.LazyFrame, column: str) -> pl.LazyFrame:
    """The rows in date order (row groups then skip by date): as they are when the feed already is
    (no sort, no memory), else sorted."""
    ordered = rows.select((pl.col(column).diff().drop_nulls() >= 0).all()).collect(engine="streaming").item()
    return rows if ordered else rows.sort(column, maintain_order=True)
