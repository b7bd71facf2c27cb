"""Untrusted market data: each row that breaks the contract is one line naming file, row and date, and
nothing is written (the 1.2 GB prices CSV of bench/hostile_inputs.py runs the same path)."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from russell_pipeline.defs.market.assets import market_data
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.market import contract as market_data_lib
from russell_pipeline.lib.market.contract import (
    load_market_data,
    source_files,
    validate_market_data,
    write_market_data,
)
from russell_pipeline.runner.runs import failure_lines
from russell_pipeline_tests.helpers import materialize
from russell_pipeline_tests.index.test_weights import TABLES, write_tables
from russell_pipeline_tests.lakes import lake_folder


def market(tmp_path: Path, table: str, old: str, new: str) -> Path:
    assert old in TABLES[table]
    return write_tables(tmp_path / "md", {**TABLES, table: TABLES[table].replace(old, new, 1)})


def rejected(folder: Path) -> str:
    with pytest.raises(InputError) as err:
        load_market_data(folder)
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("table", "old", "new", "line"),
    [
        (
            "prices",
            "2024-03-04,CCC,8",
            "2024-03-02,CCC,8",
            (
                "prices.csv: column 'date' row 4 (line 5): 2024-03-02 is a Saturday, not an NYSE session: "
                "date=2024-03-02, symbol=CCC, close=8.0, currency=USD"
            ),
        ),
        (
            "prices",
            "2024-03-01,CCC,7",
            "2024-01-15,CCC,7",  # Martin Luther King Jr. Day
            (
                "prices.csv: column 'date' row 5 (line 6): 2024-01-15 is an NYSE holiday: "
                "date=2024-01-15, symbol=CCC, close=7.0, currency=USD"
            ),
        ),
        (
            "prices",
            "2024-03-01,CCC,7",
            "1988-12-30,CCC,7",  # a Friday, before the calendar's first year
            (
                "prices.csv: column 'date' row 5 (line 6): 1988-12-30 is outside the NYSE calendar known "
                "here (1989-01-01 to 2035-12-31): date=1988-12-30, symbol=CCC, close=7.0, currency=USD"
            ),
        ),
        (
            "dividends",
            "2024-03-04,AAA",
            "2024-03-03,AAA",
            (
                "dividends.csv: column 'ex_date' row 1 (line 2): 2024-03-03 is a Sunday, not an NYSE "
                "session: ex_date=2024-03-03, symbol=AAA, amount=0.1"
            ),
        ),
        (
            "splits",
            "2024-02-01,BBB",
            "2024-02-19,BBB",  # Washington's Birthday
            (
                "splits.csv: column 'ex_date' row 1 (line 2): 2024-02-19 is an NYSE holiday: "
                "ex_date=2024-02-19, symbol=BBB, ratio=2.0"
            ),
        ),
    ],
)
def test_rows_off_the_nyse_calendar_are_rejected(tmp_path, table, old, new, line):
    folder = market(tmp_path, table, old, new)
    assert rejected(folder) == f"{folder}/{line}"


def test_shares_and_fx_may_be_dated_any_day(tmp_path):
    # Shares rows are "in force from" dates; fx is fixed on days the NYSE is shut (Good Friday).
    tables = {
        **TABLES,
        "shares": TABLES["shares"].replace("2024-01-02,AAA", "2023-12-30,AAA"),
        "fx": TABLES["fx"].replace("2024-03-07,CAD", "2024-03-29,CAD"),
    }
    md = load_market_data(write_tables(tmp_path / "md", tables))
    assert md.shares.filter(pl.col("symbol") == "AAA")["date"].to_list() == [date(2023, 12, 30)]
    assert md.fx["date"].to_list() == [date(2024, 3, 5), date(2024, 3, 29)]


def test_the_first_bad_row_is_reported_whatever_the_check(tmp_path):
    tables = {
        **TABLES,
        "prices": TABLES["prices"]
        .replace("2024-03-07,AAA", "2024-03-09,AAA")
        .replace("2024-03-06,EEE,40", "2024-03-06,EEE,-40"),
    }
    assert rejected(write_tables(tmp_path / "md", tables)).endswith(
        "prices.csv: column 'date' row 2 (line 3): 2024-03-09 is a Saturday, not an NYSE session: "
        "date=2024-03-09, symbol=AAA, close=999.0, currency=USD"
    )


def test_an_unreadable_optional_cell_is_not_defaulted(tmp_path):
    folder = market(
        tmp_path,
        "memberships",
        f"{TABLES['memberships'].splitlines()[3]}",
        TABLES["memberships"].splitlines()[3] + "abc",
    )
    assert rejected(folder) == (
        f"{folder}/memberships.csv: column 'fraction' row 3 (line 4): cannot read 'abc' "
        "as Float64: review=2024-03, index=RUSSELL_SMALL_CAP_COMPLETENESS, symbol=CCC, "
        "fraction=abc"
    )


def test_duplicate_keys_are_found_across_hash_buckets(tmp_path, monkeypatch):
    # Big feeds hash their keys in several passes; a pair must be caught whichever bucket it is in.
    monkeypatch.setattr(market_data_lib, "HASHES_PER_PASS", 2)
    folder = market(tmp_path, "prices", "2024-03-01,CCC", "2024-03-06,EEE")
    assert rejected(folder) == (
        f"{folder}/prices.csv: column(s) date, symbol: duplicate key in row 5 (line 6) and "
        "row 7 (line 8): date=2024-03-06, symbol=EEE, close=7.0, currency=USD"
    )


def test_keys_sharing_a_hash_are_told_apart(tmp_path, monkeypatch):
    # Every key hashed alike: only the values decide what is a duplicate.
    monkeypatch.setattr(market_data_lib, "_key_hash", lambda key: pl.col(key[0]).is_null().cast(pl.UInt64))
    assert load_market_data(write_tables(tmp_path / "ok", TABLES)).prices.height == 7
    folder = market(tmp_path, "prices", "2024-03-01,CCC", "2024-03-06,EEE")
    assert rejected(folder) == (
        f"{folder}/prices.csv: column(s) date, symbol: duplicate key in row 5 (line 6) and "
        "row 7 (line 8): date=2024-03-06, symbol=EEE, close=7.0, currency=USD"
    )


def test_failed_validation_leaves_the_destination_as_it_was(tmp_path):
    good = write_tables(tmp_path / "good", TABLES)
    out = tmp_path / "validated"
    validated = validate_market_data(good, out)
    before = {name: pl.read_parquet(path) for name, path in validated.items()}
    bad = market(tmp_path, "prices", "2024-03-04,CCC", "2024-03-02,CCC")
    with pytest.raises(InputError):
        validate_market_data(bad, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.parquet" for name in before)
    for name, frame in before.items():
        assert_frame_equal(pl.read_parquet(out / f"{name}.parquet"), frame)
    assert list(source_files(good)) == ["prices", "shares", "memberships", "dividends", "splits", "fx"]


def test_concurrent_writers_never_share_a_temp_file(tmp_path):
    # With one fixed temp name per table, one writer's rename takes the other's file away.
    md = load_market_data(write_tables(tmp_path / "md", TABLES))
    out, errors = tmp_path / "feed", []

    def write() -> None:
        try:
            for _ in range(15):
                write_market_data(md, out)
        except OSError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.parquet" for n in md.files)
    assert_frame_equal(load_market_data(out).prices, md.prices)


@pytest.mark.slow
def test_saturday_price_fails_market_data_and_writes_nothing(tmp_path):
    folder = market(tmp_path, "prices", "2024-03-04,CCC", "2024-03-02,CCC")
    root = tmp_path / "lake"
    root.mkdir()
    resources = lake_folder(root).resources(market_data=str(folder))
    with dg.instance_for_test() as instance:
        result = materialize([market_data], resources, instance)
    assert failure_lines(result) == [
        (
            f"market_data: {folder}/prices.csv: column 'date' row 4 (line 5): 2024-03-02 is a Saturday, "
            "not an NYSE session: date=2024-03-02, symbol=CCC, close=8.0, currency=USD"
        )
    ]
    assert Lake(root).tables.read("market_prices") is None
    assert list((root / ".scratch").iterdir()) == []  # the validation folder is gone too
    assert not (root / "lake").exists()


@pytest.mark.parametrize(
    ("table", "old", "new", "line"),
    [
        (
            "prices",
            "2024-03-01,CCC,7",
            "2035-12-31,CCC,7",
            (
                "prices.csv: column 'date' row 5 (line 6): dated after 2024-03-07, the last NYSE session "
                "completed when the data were read (a fact from the future): date=2035-12-31, symbol=CCC, "
                "close=7.0, currency=USD"
            ),
        ),
        (
            "dividends",
            "2024-03-04,AAA",
            "2024-03-08,AAA",
            (
                "dividends.csv: column 'ex_date' row 1 (line 2): dated after 2024-03-07, the last NYSE "
                "session completed when the data were read (a fact from the future): ex_date=2024-03-08, "
                "symbol=AAA, amount=0.1"
            ),
        ),
        (
            "fx",
            "2024-03-07,CAD",
            "2024-03-09,CAD",
            (
                "fx.csv: column 'date' row 2 (line 3): dated after 2024-03-07, the last NYSE session "
                "completed when the data were read (a fact from the future): date=2024-03-09, currency=CAD, "
                "usd_per_unit=5.0"
            ),
        ),
    ],
)
def test_rows_dated_after_the_last_completed_session_are_refused(tmp_path, table, old, new, line):
    """`latest` is the last session whose close has happened
    (2024-03-08 before its 16:00 close in New York)."""
    from datetime import datetime

    from russell_pipeline.lib.sessions import NEW_YORK, last_completed_session

    latest = last_completed_session(datetime(2024, 3, 8, 15, 59, tzinfo=NEW_YORK))
    assert latest == date(2024, 3, 7) and last_completed_session(
        datetime(2024, 3, 8, 16, 0, tzinfo=NEW_YORK)
    ) == date(2024, 3, 8)
    folder = market(tmp_path, table, old, new)
    with pytest.raises(InputError) as err:
        validate_market_data(folder, tmp_path / "out", latest)
    assert str(err.value) == f"{folder}/{line}"
    assert not (tmp_path / "out" / f"{table}.parquet").exists()
    validate_market_data(
        market(tmp_path / "ok", table, old, old), tmp_path / "out", latest
    )  # the same data, today's


@pytest.mark.slow
def test_a_price_from_the_future_fails_market_data_at_build_time_with_the_clock_it_runs_on(tmp_path):
    folder = market(tmp_path, "prices", "2024-03-01,CCC,7", "2035-12-31,CCC,7")
    root = tmp_path / "lake"
    root.mkdir()
    resources = lake_folder(root).resources(
        market_data=str(folder)
    )  # the system clock: 2035 is still to come
    with dg.instance_for_test() as instance:
        result = materialize([market_data], resources, instance)
    [line] = failure_lines(result)
    assert line.startswith(f"market_data: {folder}/prices.csv: column 'date' row 5 (line 6): dated after ")
    assert line.endswith("(a fact from the future): date=2035-12-31, symbol=CCC, close=7.0, currency=USD")
    assert Lake(root).tables.read("market_prices") is None and Lake(root).tables.read("market_source") is None


def test_a_full_disk_while_validating_is_named_as_such_not_as_an_unreadable_file(tmp_path, small_market):
    """The validated copy goes to a 64 KB tmpfs (a mount namespace of its own): the one line says the
    disk is full where the copy goes, not that the market file cannot be read."""
    import os
    import shutil
    import subprocess
    import sys

    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "true"], check=False).returncode:
        pytest.skip("needs a mount namespace (unshare -m) to mount a small tmpfs as root")
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    code = (
        "import sys\nfrom russell_pipeline.lib.errors import InputError\n"
        "from russell_pipeline.lib.market.contract import validate_market_data\n"
        f"try:\n    validate_market_data({str(small_market)!r}, {str(tiny / 'out')!r})\n"
        "except InputError as err:\n    print(err)\n    sys.exit(1)\n"
    )
    script = f'mount -t tmpfs -o size=64k tmpfs {tiny} && exec {sys.executable} -c "$CODE"'
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"CODE": code},
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        (
            f"{tiny / 'out'}: no space left on device while writing the validated copy of "
            f"{small_market}/prices.parquet: free space, then build again (nothing was changed)"
        )
    ]


# ---------------------------------------------------------------- every line by the one CSV rule
@pytest.mark.parametrize("table", ["prices", "shares", "memberships", "fx", "dividends", "splits"])
@pytest.mark.parametrize("fields", range(7))
def test_a_contract_csv_line_with_any_other_field_count_is_refused_naming_it(tmp_path, table, fields):
    """A line short of a field was read with that cell empty: a price line without its currency took the
    default USD, and a short `shares` line became a row of empty cells named by the wrong problem."""
    header, *lines = TABLES[table].splitlines()
    width = header.count(",") + 1
    lines[0] = ",".join((lines[0].split(",") + ["x"] * 6)[:fields])
    folder = write_tables(tmp_path / "md", {**TABLES, table: "\n".join([header, *lines]) + "\n"})
    if fields == width:  # the line as it was
        assert getattr(load_market_data(folder), table).height == len(lines)
        return
    said = "an empty line" if fields == 0 else f"{fields} fields"
    assert rejected(folder) == f"{folder}/{table}.csv: line 2: {said}, the header has {width}" + (
        " fields (every line holds one per column)"
        if fields == 0
        else " (a line cut short, or a field left out)"
        if fields < width
        else " (a field too many)"
    )


@pytest.mark.parametrize(
    ("symbol", "char"),
    [
        ("\u0410AA", "U+0410 CYRILLIC CAPITAL LETTER A"),
        ("AA\u200b", "U+200B ZERO WIDTH SPACE"),
        ("\uff21AA", "U+FF21 FULLWIDTH LATIN CAPITAL LETTER A"),
        ("A A", "U+0020 SPACE"),
    ],
)
def test_a_symbol_beyond_ascii_is_refused_naming_its_row_and_character(tmp_path, symbol, char):
    folder = market(tmp_path, "prices", "2024-03-06,DDD,5", f"2024-03-06,{symbol},5")
    assert rejected(folder) == (
        f"{folder}/prices.csv: column 'symbol' row 6 (line 7): symbol {symbol!r} holds {char}: a symbol is "
        f"ASCII letters and digits, then also . / - ^: date=2024-03-06, symbol={symbol}, close=5.0, "
        "currency=USD"
    )
