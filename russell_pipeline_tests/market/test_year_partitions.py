"""The market tables by year: a night validates what its source added and replaces only the years that
changed."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from russell_pipeline.defs.market.assets import market_data
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.market_tables import MARKET_TABLES, stored_market_data
from russell_pipeline.lib.market import contract
from russell_pipeline.lib.market.contract import load_market_data
from russell_pipeline.lib.market.synthetic import synthetic_market_data
from russell_pipeline.lib.market.year_digests import market_days
from russell_pipeline.runner.runs import failure_lines
from russell_pipeline_tests.helpers import materialize
from russell_pipeline_tests.lakes import lake_folder

pytestmark = pytest.mark.slow
NOW = datetime.fromisoformat(
    "2021-03-01T12:00:00-05:00"
)  # the clock of the runs: every row of the feed is in the past


def feed(folder: Path) -> Path:
    """The synthetic feed (40 stocks, 2018-01-02 to 2021-01-14) as a user's CSV folder."""
    md = synthetic_market_data(date(2021, 1, 14), n_stocks=40)
    folder.mkdir(parents=True)
    for name in MARKET_TABLES:
        getattr(md, name).write_csv(folder / f"{name}.csv")
    return folder


def append(path: Path, lines: list[str]) -> None:
    """`lines` at the end of a contract CSV (prices: date, symbol, close, currency, volume)."""
    with open(path, "a") as f:
        f.write("".join(f"{line}\n" for line in lines))


def files(root: Path, table: str) -> dict[str, set[str]]:
    """year -> the data files of the table's current version."""
    adds = Lake(root).tables.delta(table).get_add_actions(flatten=True)
    out: dict[str, set[str]] = {}
    for path, year in zip(
        adds.column("path").to_pylist(), adds.column("partition.year").to_pylist(), strict=True
    ):
        out.setdefault(str(year), set()).add(path)
    return out


def run(root: Path, instance, **settings) -> dg.ExecuteInProcessResult:
    """The market_data run at the clock NOW, with these fields of the settings (market_data,
    synthetic_end...)."""
    return materialize([market_data], lake_folder(root).resources(now=NOW, **settings), instance)


def written(result) -> str:
    [mat] = result.asset_materializations_for_node("market_data")
    return mat.metadata["years_written"].value


def assert_stored_as_validated(root: Path, folder: Path) -> None:
    """The stored tables hold exactly what validating the whole folder gives, and `market_days` too."""
    lake, md = Lake(root), load_market_data(folder)
    stored = stored_market_data(lake)
    for name in MARKET_TABLES:
        assert_frame_equal(getattr(stored, name).sort(pl.all()), getattr(md, name).sort(pl.all()))
    assert (
        lake.tables.read("market_days")
        .sort("day")
        .equals(market_days({n: getattr(md, n) for n in ("prices", "shares", "dividends", "splits", "fx")}))
    )


@pytest.fixture
def built(tmp_path):
    folder, root = feed(tmp_path / "md"), tmp_path / "lake"
    root.mkdir()
    with dg.instance_for_test() as instance:
        result = run(root, instance, market_data=str(folder))
        assert result.success, failure_lines(result)
        assert written(result) == (
            "prices 2018..2021; shares 2018..2021; memberships 2019, 2020; dividends 2018..2020; "
            "splits 2018, 2020"
        )
        yield folder, root, instance


def test_one_new_day_rewrites_only_the_last_years_files(built):
    folder, root, instance = built
    before = {t: files(root, f"market_{t}") for t in ("prices", "shares")}
    append(folder / "prices.csv", ["2021-01-15,AAAA,12.5,USD,1000", "2021-01-15,AAAB,7.25,USD,2000"])
    result = run(root, instance, market_data=str(folder))
    assert result.success, failure_lines(result)
    assert written(result) == "prices 2021"
    after = files(root, "market_prices")
    assert {y: f for y, f in after.items() if y != "2021"} == {
        y: f for y, f in before["prices"].items() if y != "2021"
    }
    assert after["2021"].isdisjoint(before["prices"]["2021"])
    assert files(root, "market_shares") == before["shares"]
    assert_stored_as_validated(root, folder)
    assert Lake(root).tables.read("market_source")["last_price_date"][0] == date(2021, 1, 15)
    again = run(root, instance, market_data=str(folder))  # nothing new: nothing written
    assert written(again) == "nothing (no year changed)" and files(root, "market_prices") == after


def test_an_appended_csv_is_read_from_its_previous_end(built, monkeypatch):
    """A rule the first rows break but the appended ones keep: read from its previous end, the file
    passes; once a value of its beginning changes, its year is validated again and the same rule
    refuses it (a byte that changes no value, 12.5 written 12.50, changes no year: nothing is written)."""
    folder, root, instance = built
    first = pl.read_csv(folder / "prices.csv", infer_schema=False).row(0, named=True)
    monkeypatch.setattr(
        contract,
        "RULES",
        [
            *contract.RULES,
            ("prices", "symbol", pl.col("symbol") != first["symbol"], "is the first row's symbol"),
        ],
    )
    append(folder / "prices.csv", ["2021-01-15,ZZZZ,3.5,USD,500"])
    result = run(root, instance, market_data=str(folder))
    assert result.success, failure_lines(result)
    assert written(result) == "prices 2021"
    reads = Lake(root).tables.read("market_reads").filter(pl.col("table_name") == "prices").row(0, named=True)
    assert reads["bytes"] == (folder / "prices.csv").stat().st_size
    assert reads["rows"] == pl.read_csv(folder / "prices.csv").height
    text = (folder / "prices.csv").read_text()
    (folder / "prices.csv").write_text(text.replace(f"{first['close']},", f"{first['close']}0,", 1))
    result = run(root, instance, market_data=str(folder))
    assert result.success and written(result) == "nothing (no year changed)"
    (folder / "prices.csv").write_text(text.replace(f"{first['close']},", f"{first['close']}1,", 1))
    [line] = failure_lines(run(root, instance, market_data=str(folder)))
    assert line.startswith(
        f"market_data: {folder}/prices.csv: column 'symbol' row 1 (line 2): is the first row's"
    )


def test_a_grown_csvs_first_bytes_hashed_early_prove_them_only_as_the_file_was_then(built):
    """`build` starts hashing a grown CSV's first bytes while it loads Dagster (`prove_early`); the market
    run takes that hash when the file is still as it was, and hashes the file afresh when it was written
    since: a value changed in those bytes after the early hash is still seen, and its year rewritten."""
    from russell_pipeline.planning import market_update
    from russell_pipeline.planning.digests import CODE_VERSIONS

    folder, root, instance = built
    code, prices = CODE_VERSIONS["market_data"], folder / "prices.csv"
    append(prices, ["2021-01-15,AAAA,12.5,USD,1000"])
    market_update.prove_early(Lake(root), str(folder), code)
    assert [key[0] for key in market_update._early] == [str(prices)]  # the one CSV that grew
    result = run(root, instance, market_data=str(folder))
    assert result.success and written(result) == "prices 2021", failure_lines(result)
    assert market_update._early == {}  # taken by the run
    assert_stored_as_validated(root, folder)
    append(prices, ["2021-01-19,AAAA,12.75,USD,1000"])
    market_update.prove_early(Lake(root), str(folder), code)
    close = pl.read_csv(prices, infer_schema=False)["close"][0]
    other = close[:-1] + ("1" if close[-1] != "1" else "2")  # as long: the file keeps its size
    text = prices.read_text()  # then a close of 2018 changed: the early hash is of bytes no longer there
    prices.write_text(text.replace(f"{close},", f"{other},", 1))
    result = run(root, instance, market_data=str(folder))
    assert result.success and written(result) == "prices 2018, 2021", failure_lines(result)
    assert_stored_as_validated(root, folder)
    market_update._early.clear()  # the early hash nobody took


def test_a_changed_row_in_an_old_year_rewrites_that_year_only(built):
    folder, root, instance = built
    before = files(root, "market_prices")
    prices = pl.read_csv(folder / "prices.csv", infer_schema=False)
    changed = prices.with_columns(
        pl.when((pl.col("date") == "2019-06-03") & (pl.col("symbol") == prices["symbol"][0]))
        .then(pl.lit("99.99"))
        .otherwise(pl.col("close"))
        .alias("close")
    )
    assert (changed["close"] == "99.99").sum() == 1
    changed.write_csv(folder / "prices.csv")
    result = run(root, instance, market_data=str(folder))
    assert result.success, failure_lines(result)
    assert written(result) == "prices 2019"
    after = files(root, "market_prices")
    assert after["2019"].isdisjoint(before["2019"]) and {y: after[y] for y in ("2018", "2020", "2021")} == {
        y: before[y] for y in ("2018", "2020", "2021")
    }
    assert_stored_as_validated(root, folder)


def test_a_bad_row_in_the_appended_tail_is_refused_and_nothing_changes(built):
    folder, root, instance = built
    lake = Lake(root)
    versions = {t: lake.tables.version(t) for t in lake.tables.names()}
    rows = pl.read_csv(folder / "prices.csv").height
    append(folder / "prices.csv", ["2021-01-15,AAAA,12.5,USD,1000", "2021-01-16,AAAB,7.25,USD,2000"])
    result = run(root, instance, market_data=str(folder))
    assert failure_lines(result) == [
        (
            f"market_data: {folder}/prices.csv: column 'date' row {rows + 2} (line {rows + 3}): 2021-01-16 "
            "is a Saturday, not an NYSE session: date=2021-01-16, symbol=AAAB, close=7.25, currency=USD, "
            "volume=2000.0"
        )
    ]
    assert {t: lake.tables.version(t) for t in lake.tables.names()} == versions


def test_a_duplicate_of_a_stored_row_in_the_tail_names_both_rows(built):
    folder, root, instance = built
    last = pl.read_csv(folder / "prices.csv", infer_schema=False).row(-1)
    rows = pl.read_csv(folder / "prices.csv").height
    append(folder / "prices.csv", [",".join([last[0], last[1], "1.5", "USD", "100"])])
    [line] = failure_lines(run(root, instance, market_data=str(folder)))
    assert f"duplicate key in row {rows} (line {rows + 1}) and row {rows + 1} (line {rows + 2})" in line


def test_a_date_filter_opens_only_the_years_it_reaches(built):
    """A 2018 data file removed behind the lake's back: a read from 2020 never opens it, a whole read does."""
    _, root, _ = built
    lake = Lake(root)
    [old] = files(root, "market_prices")["2018"]
    (lake.tables.folder / "market_prices" / old).unlink()
    since = stored_market_data(lake, since=date(2020, 1, 2))
    assert since.prices["date"].min() == date(2020, 1, 2)
    assert since.prices.columns == list(contract.SCHEMAS["prices"])
    with pytest.raises(Exception, match="No such file|not found|os error 2"):
        stored_market_data(lake)


def test_the_synthetic_feed_generates_and_writes_only_the_new_days_year(tmp_path):
    root = tmp_path / "lake"
    root.mkdir()
    with dg.instance_for_test() as instance:
        assert run(root, instance, synthetic_end=date(2020, 12, 31), synthetic_stocks=60).success
        before = files(root, "market_prices")
        result = run(root, instance, synthetic_end=date(2021, 1, 5), synthetic_stocks=60)
        assert result.success, failure_lines(result)
        assert written(result).startswith("prices 2021; shares 2021")
        assert {y: f for y, f in files(root, "market_prices").items() if y != "2021"} == before
        whole = synthetic_market_data(date(2021, 1, 5), n_stocks=60)
        stored = stored_market_data(Lake(root))
        for name in MARKET_TABLES:
            assert_frame_equal(
                getattr(stored, name).sort(pl.all()), getattr(whole, name).sort(pl.all()), check_dtypes=False
            )


def test_a_damaged_market_file_makes_market_data_rewrite_every_year(built):
    """A year's file changed after its commit: its partition is no market_data partition, so the whole
    asset is out of date, and the next run trusts no record: every year is written again, the file dropped."""
    from russell_pipeline.lake import checksums
    from russell_pipeline.planning.stale import MARKET_KEY

    folder, root, instance = built
    lake = Lake(root)
    [old] = files(root, "market_prices")["2019"]
    path = lake.tables.folder / "market_prices" / old
    data = bytearray(path.read_bytes())
    data[100:164] = bytes(b ^ 0xFF for b in data[100:164])
    path.write_bytes(bytes(data))
    with lake.lock.hold():
        damage, _, _ = checksums.check(lake, every_byte=True)
        [line] = checksums.forget(lake, damage)
    assert line.endswith("market_data 2019 is rebuilt from its inputs")
    assert MARKET_KEY not in lake.lineage.digests("market_data")
    result = run(root, instance, market_data=str(folder))
    assert result.success, failure_lines(result)
    assert written(result).startswith("prices 2018..2021; shares 2018..2021")
    assert old not in files(root, "market_prices")["2019"]
    assert_stored_as_validated(root, folder)


def test_a_rewritten_parquet_file_is_validated_only_in_the_years_whose_rows_changed(tmp_path, monkeypatch):
    """A vendor's Parquet file written again each night: its rows are digested by year first, and only
    the years that changed are validated and written. A rule every 2018 row breaks (added after the
    first run) is not asked of 2018 while 2018 is unchanged; once a 2018 row changes, it is, from the
    year's first row."""
    md = synthetic_market_data(date(2021, 1, 14), n_stocks=40)
    folder, root = tmp_path / "md", tmp_path / "lake"
    root.mkdir()
    contract.write_market_data(md, folder)
    prices = pl.read_parquet(folder / "prices.parquet")
    with dg.instance_for_test() as instance:
        assert run(root, instance, market_data=str(folder)).success
        monkeypatch.setattr(
            contract,
            "RULES",
            [*contract.RULES, ("prices", "date", pl.col("date").dt.year() > 2018, "is in 2018")],
        )
        new_day = pl.DataFrame(
            {
                "date": [date(2021, 1, 15)] * 2,
                "symbol": prices["symbol"][:2].to_list(),
                "close": [12.5, 7.25],
                "currency": ["USD", "USD"],
                "volume": [1200.0, 800.0],
            }
        ).cast(prices.schema)
        pl.concat([prices, new_day]).write_parquet(folder / "prices.parquet")
        result = run(root, instance, market_data=str(folder))
        assert result.success, failure_lines(result)
        assert written(result) == "prices 2021"
        monkeypatch.undo()
        assert_stored_as_validated(root, folder)

        monkeypatch.setattr(
            contract,
            "RULES",
            [*contract.RULES, ("prices", "date", pl.col("date").dt.year() > 2018, "is in 2018")],
        )
        at = prices.with_row_index().filter(pl.col("date") == date(2018, 5, 1))["index"][3]
        changed = prices.with_columns(
            pl.when(pl.int_range(pl.len()) == at)
            .then(pl.col("close") + 1)
            .otherwise(pl.col("close"))
            .alias("close")
        )
        pl.concat([changed, new_day]).write_parquet(folder / "prices.parquet")
        [line] = failure_lines(run(root, instance, market_data=str(folder)))
        assert line.startswith(
            f"market_data: {folder}/prices.parquet: column 'date' row 1: is in 2018: date=2018-01-02"
        )


@pytest.mark.parametrize(
    ("day", "column", "value", "problem"),
    [
        ("2020-03-02", "close", "-1.5", "must be positive: date=2020-03-02"),
        ("2019-07-01", "date", "2019-13-01", "cannot read '2019-13-01' as Date"),
    ],
)
def test_a_bad_row_of_a_rewritten_file_is_named_by_its_row_in_the_whole_file(
    built, day, column, value, problem
):
    """Rewritten in place (not appended): a close made negative, or a date that does not read (a row
    without a year); found though the unchanged years are not validated, by its row and line in the
    file, and nothing changes."""
    folder, root, instance = built
    lake = Lake(root)
    versions = {t: lake.tables.version(t) for t in lake.tables.names()}
    prices = pl.read_csv(folder / "prices.csv", infer_schema=False).with_row_index()
    at = prices.filter(pl.col("date") == day)["index"][5]
    prices.with_columns(
        pl.when(pl.col("index") == at).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    ).drop("index").write_csv(folder / "prices.csv")
    [line] = failure_lines(run(root, instance, market_data=str(folder)))
    assert line.startswith(
        f"market_data: {folder}/prices.csv: column '{column}' row {at + 1} (line {at + 2}): {problem}"
    )
    assert {t: lake.tables.version(t) for t in lake.tables.names()} == versions
