"""Market data loading, the synthetic feed and the 90/10 quarterly weights (DESIGN steps 1-5, 13)."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from russell_pipeline.defs.calendar.assets import recon_calendar
from russell_pipeline.defs.documents.assets import documents
from russell_pipeline.defs.index.assets import quarterly_weights
from russell_pipeline.defs.market.assets import market_data
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.market_tables import DATED, review_market_data, stored_market_data
from russell_pipeline.lib.calendar.reviews import rebalance_dates
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.index import recompute
from russell_pipeline.lib.index.weights import CONTRACT_COLUMNS, compute_weights
from russell_pipeline.lib.market.contract import (
    R2G,
    SCC,
    SCHEMAS,
    MarketData,
    load_market_data,
    source_files,
    write_market_data,
)
from russell_pipeline.lib.market.synthetic import synthetic_market_data
from russell_pipeline.lib.market.year_digests import YEAR, with_year
from russell_pipeline.lib.sessions import previous_session, sessions
from russell_pipeline_tests.helpers import materialize
from russell_pipeline_tests.lakes import LakeFolder

CUTOFF, EFFECTIVE = date(2024, 3, 6), date(2024, 3, 15)  # Wednesday after 1 March 2024; third Friday

# Small hand-checkable set. CCC has no close on 5 or 6 March (carried back 2 sessions); DDD is only in
# R2000 Growth; BBB is 60% growth; EEE is priced in CAD. Rows after the cut-off must be ignored.
TABLES = {
    "prices": "date,symbol,close,currency\n"
    "2024-03-06,AAA,10,USD\n2024-03-07,AAA,999,USD\n2024-03-06,BBB,20,\n2024-03-04,CCC,8,USD\n"
    "2024-03-01,CCC,7,USD\n2024-03-06,DDD,5,USD\n2024-03-06,EEE,40,CAD\n",
    "shares": "date,symbol,shares,free_float\n"
    "2024-01-02,AAA,1000,0.5\n2024-01-02,BBB,500,1\n2024-03-06,CCC,200,0.8\n2023-10-02,DDD,100,1\n"
    "2023-10-02,EEE,250,0.9\n2024-01-02,EEE,300,0.9\n2024-03-07,EEE,9999,0.1\n",
    "memberships": "review,index,symbol,fraction\n"
    f"2024-03,{SCC},AAA,1\n2024-03,{SCC},BBB,1\n2024-03,{SCC},CCC,\n2024-03,{SCC},EEE,1\n"
    f"2024-03,{R2G},BBB,0.6\n2024-03,{R2G},CCC,1\n2024-03,{R2G},DDD,1\n",
    "fx": "date,currency,usd_per_unit\n2024-03-05,CAD,0.75\n2024-03-07,CAD,5\n",
    "dividends": "ex_date,symbol,amount\n2024-03-04,AAA,0.1\n",
    "splits": "ex_date,symbol,ratio\n2024-02-01,BBB,2\n",
}


def write_tables(folder: Path, tables: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


@pytest.fixture
def md(tmp_path: Path) -> MarketData:
    return load_market_data(write_tables(tmp_path / "md", TABLES))


def weights_checks(df: pl.DataFrame) -> dict[str, tuple[bool, str]]:
    """What any review's weights satisfy by the method: name -> (holds, what was measured)."""
    assert not df.is_empty()
    total = math.fsum(df.get_column("weight"))
    base = df.select(pl.col("price") * pl.col("shares") * pl.col("free_float") * pl.col("fx")).to_series()
    cap_r2g = base * df.get_column("r2g_fraction")
    scaled = math.fsum(df.get_column("final_mcap") + cap_r2g)
    r2g = math.fsum(cap_r2g)
    rel = abs(scaled - 9 * r2g) / (9 * r2g) if r2g > 0 else math.inf
    dup = df.get_column("symbol").filter(df.get_column("symbol").is_duplicated()).unique().sort()
    nulls = df.get_column("symbol").null_count()
    c = df.get_column("weighting_factor")
    bad_c = df.filter(~c.is_finite().fill_null(False)).get_column("symbol")
    return {
        "weights_sum_to_one": (abs(total - 1.0) <= 1e-12, f"sum of weights = {total!r}"),
        "nine_to_one": (rel <= 1e-12, f"scaled SCC cap / R2000 Growth cap = 9 x (1 + {rel:.3g})"),
        "members_once": (
            dup.is_empty() and nulls == 0,
            f"{df.height} rows; duplicated: {dup.to_list()[:5]}; null symbols: {nulls}",
        ),
        "finite_factors": (bad_c.is_empty(), f"{bad_c.len()} non-finite: {bad_c.to_list()[:5]}"),
    }


def test_hand_computed_weights(md: MarketData) -> None:
    base = {
        "AAA": 10 * 1000 * 0.5,
        "BBB": 20 * 500 * 1.0,
        "CCC": 8 * 200 * 0.8,
        "DDD": 5 * 100 * 1.0,
        "EEE": 40 * 300 * 0.9 * 0.75,
    }
    scc = {"AAA": 1.0, "BBB": 1.0, "CCC": 1.0, "DDD": 0.0, "EEE": 1.0}
    r2g = {"AAA": 0.0, "BBB": 0.6, "CCC": 1.0, "DDD": 1.0, "EEE": 0.0}
    k = 9 * (6000 + 1280 + 500) / (5000 + 10000 + 1280 + 8100)
    final = {s: base[s] * scc[s] * k - base[s] * r2g[s] for s in base}
    total = math.fsum(final.values())

    w = compute_weights(md, "2024-03", CUTOFF, EFFECTIVE)

    assert w.columns[:13] == CONTRACT_COLUMNS
    assert w.columns[13:] == ["price_date", "stale_sessions", "shares_date", "currency"]
    assert w["symbol"].to_list() == sorted(base)
    rows = {r["symbol"]: r for r in w.iter_rows(named=True)}
    for s, cap in base.items():
        assert rows[s]["final_mcap"] == pytest.approx(final[s], rel=1e-12, abs=1e-9)
        assert abs(rows[s]["weight"] - final[s] / total) <= 1e-12
        assert rows[s]["weighting_factor"] == pytest.approx(final[s] / cap, rel=1e-12)
        assert (rows[s]["scc_fraction"], rows[s]["r2g_fraction"]) == (scc[s], r2g[s])
    assert (rows["CCC"]["price"], rows["CCC"]["price_date"], rows["CCC"]["stale_sessions"]) == (
        8.0,
        date(2024, 3, 4),
        2,
    )
    assert (rows["EEE"]["fx"], rows["EEE"]["shares"], rows["EEE"]["currency"]) == (0.75, 300.0, "CAD")
    assert (rows["AAA"]["price"], rows["BBB"]["currency"]) == (10.0, "USD")
    assert rows["DDD"]["final_mcap"] == -500.0  # only in R2000 Growth: subtracted, nothing added
    assert all(ok for ok, _ in weights_checks(w).values())


def _with_closes(md: MarketData, scale: dict[str, float]) -> MarketData:
    """md with some closes multiplied in memory (past load_market_data's checks, as a frame built in code)."""
    factor = pl.col("symbol").replace_strict(scale, default=1.0, return_dtype=pl.Float64)
    return dataclasses.replace(md, prices=md.prices.with_columns(pl.col("close") * factor))


def test_weights_are_scale_free_and_zero_component_caps_are_refused(md: MarketData) -> None:
    # Every close times 1e-6: both component caps fall below 1 USD (SCC 0.02438, Growth 0.00778),
    # and the weights are those of test_hand_computed_weights.
    tiny = _with_closes(md, {s: 1e-6 for s in ("AAA", "BBB", "CCC", "DDD", "EEE")})
    w = compute_weights(tiny, "2024-03", CUTOFF, EFFECTIVE)
    k = 9 * (6000 + 1280 + 500) / (5000 + 10000 + 1280 + 8100)
    final = {"AAA": 5000 * k, "BBB": 10000 * k - 6000, "CCC": 1280 * k - 1280, "DDD": -500.0, "EEE": 8100 * k}
    total = sum(final.values())
    assert w.select("review", "cutoff_date", "effective_date").unique().rows() == [
        ("2024-03", date(2024, 3, 6), date(2024, 3, 15))
    ]
    for row in w.iter_rows(named=True):
        assert row["weight"] == pytest.approx(final[row["symbol"]] / total, rel=1e-12)
    # No growth cap (BBB, CCC, DDD at 0) or no completeness cap (AAA, BBB, CCC, EEE at 0): no ratio.
    no_growth = _with_closes(md, {"BBB": 0.0, "CCC": 0.0, "DDD": 0.0})
    with pytest.raises(
        ValueError, match=r"^review 2024-03: component caps must be positive \(SCC 13100.0, R2G 0.0\)$"
    ):
        compute_weights(no_growth, "2024-03", CUTOFF, EFFECTIVE)
    no_scc = _with_closes(md, {"AAA": 0.0, "BBB": 0.0, "CCC": 0.0, "EEE": 0.0})
    with pytest.raises(
        ValueError, match=r"^review 2024-03: component caps must be positive \(SCC 0.0, R2G 500.0\)$"
    ):
        compute_weights(no_scc, "2024-03", CUTOFF, EFFECTIVE)


def refusal(md: MarketData) -> str:
    """What compute_weights says when it refuses the hand-made review's weights (a ValueError)."""
    with pytest.raises(ValueError) as err:
        compute_weights(md, "2024-03", CUTOFF, EFFECTIVE)
    return str(err.value)


def test_a_zero_close_leaves_no_weighting_factor_and_the_weights_are_refused_naming_five_members(
    tmp_path: Path,
) -> None:
    # A frame built in code (load_market_data refuses a close <= 0): p s f e = 0 makes c = 0 / 0 while the
    # weight, 0 / total, is 0. Six such members of eight: the first five in symbol order are named.
    extra = ("FFF", "GGG", "HHH")
    tables = {
        **TABLES,
        "prices": TABLES["prices"] + "".join(f"2024-03-06,{s},30,USD\n" for s in extra),
        "shares": TABLES["shares"] + "".join(f"2024-01-02,{s},100,1\n" for s in extra),
        "memberships": TABLES["memberships"] + "".join(f"2024-03,{SCC},{s},1\n" for s in extra),
    }
    md = load_market_data(write_tables(tmp_path / "md", tables))
    assert compute_weights(md, "2024-03", CUTOFF, EFFECTIVE).height == 8
    one = _with_closes(md, {"BBB": 0.0})
    assert refusal(one) == "review 2024-03: non-finite weight for ['BBB']"
    six = _with_closes(md, {s: 0.0 for s in ("AAA", "BBB", "CCC", "EEE", "FFF", "GGG")})
    assert refusal(six) == "review 2024-03: non-finite weight for ['AAA', 'BBB', 'CCC', 'EEE', 'FFF']"


def test_weights_whose_sum_rounds_to_zero_are_refused_though_every_weighting_factor_is_finite(
    tmp_path: Path,
) -> None:
    # Valid closes (positive, finite): one R2000 Growth member GGG of cap G = 5e-324 (2^-1074, the least
    # positive double) and twelve completeness members of caps 1 and 11 x 0.5 (S = 6.5). 9 G / S rounds to
    # G, so the scaled caps are G and eleven times 0.5 G, which rounds to even, 0: the final caps G, 0 (11)
    # and -G sum to exactly 0 and every weight is x / 0, while the factors are G, 0 and -1.
    closes = {"S01": "1", **{f"S{i:02d}": "0.5" for i in range(2, 13)}, "GGG": "5e-324"}
    tables = {
        "prices": "date,symbol,close,currency\n"
        + "".join(f"2024-03-06,{s},{c},USD\n" for s, c in closes.items()),
        "shares": "date,symbol,shares,free_float\n" + "".join(f"2024-01-02,{s},1,1\n" for s in closes),
        "memberships": "review,index,symbol,fraction\n"
        + "".join(f"2024-03,{R2G if s == 'GGG' else SCC},{s},1\n" for s in closes),
    }
    md = load_market_data(write_tables(tmp_path / "md", tables))
    assert refusal(md) == "review 2024-03: non-finite weight for ['GGG', 'S01', 'S02', 'S03', 'S04']"


def replace(table: str, old: str, new: str) -> dict[str, str]:
    assert old in TABLES[table]
    return {**TABLES, table: TABLES[table].replace(old, new, 1)}


BAD = [
    ("prices", "2024-03-06,AAA,10,", "2024-03-06,AAA,-10,", "close", "row 1 (line 2)", "must be positive"),
    ("prices", "2024-03-06,BBB,20,", "2024-03-06,BBB,abc,", "close", "row 3 (line 4)", "cannot read 'abc'"),
    ("prices", "2024-03-06,BBB,20,", "2024-03-06,BBB,nan,", "close", "row 3", "finite"),
    ("prices", "2024-03-04,CCC", "2024-02-30,CCC", "date", "row 4", "cannot read '2024-02-30'"),
    ("prices", "2024-03-04,CCC", "2024-03-04,", "symbol", "row 4", "empty value"),
    ("prices", "2024-03-04,CCC", "2024-03-06,BBB", "date, symbol", "row 3 (line 4) and row 4", "duplicate"),
    ("prices", "date,symbol,close", "date,ticker,close", "symbol", "", "missing column"),
    ("shares", "AAA,1000,0.5", "AAA,1000,1.5", "free_float", "row 1", "(0, 1]"),
    ("shares", "AAA,1000,0.5", "AAA,1000,0", "free_float", "row 1", "(0, 1]"),
    ("shares", "DDD,100,1", "DDD,0,1", "shares", "row 4", "must be positive"),
    ("shares", "2024-01-02,EEE", "2023-10-02,EEE", "date, symbol", "row 5 (line 6) and row 6", "duplicate"),
    ("memberships", f"{R2G},DDD,1", f"{R2G},DDD,1.2", "fraction", "row 7", "(0, 1]"),
    ("memberships", f"{R2G},DDD,1", f"{R2G},DDD,0", "fraction", "row 7", "(0, 1]"),
    (
        "memberships",
        "2024-03,RUSSELL_2000_GROWTH,DDD",
        "2024-04,RUSSELL_2000_GROWTH,DDD",
        "review",
        "row 7",
        "YYYY-MM",
    ),
    (
        "memberships",
        "2024-03,RUSSELL_2000_GROWTH,DDD",
        "24-03,RUSSELL_2000_GROWTH,DDD",
        "review",
        "row 7",
        "YYYY-MM",
    ),
    ("memberships", f"{R2G},DDD", "RUSSELL_2000,DDD", "index", "row 7", "must be one of"),
    # Before the first review the calendar dates there is no cut-off, rebalance or partition (§2.5).
    (
        "memberships",
        "2024-03,RUSSELL_2000_GROWTH,DDD",
        "1988-12,RUSSELL_2000_GROWTH,DDD",
        "review",
        "row 7",
        "must be 1989-03 or later (the first review the calendar dates",
    ),
    (
        "memberships",
        f"{R2G},DDD",
        f"{R2G},CCC",
        "review, index, symbol",
        "row 6 (line 7) and row 7",
        "duplicate",
    ),
    ("dividends", "AAA,0.1", "AAA,-0.1", "amount", "row 1", "must not be negative"),
    ("splits", "BBB,2", "BBB,0", "ratio", "row 1", "must be positive"),
    ("fx", "CAD,0.75", "CAD,-0.75", "usd_per_unit", "row 1", "must be positive"),
    ("fx", "2024-03-07,CAD", "2024-03-05,CAD", "date, currency", "row 1 (line 2) and row 2", "duplicate"),
]


@pytest.mark.parametrize(("table", "old", "new", "column", "row", "problem"), BAD)
def test_validation_names_file_column_row(tmp_path, table, old, new, column, row, problem) -> None:
    folder = write_tables(tmp_path / "md", replace(table, old, new))
    with pytest.raises(InputError) as err:
        load_market_data(folder)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{folder / table}.csv: ")
    assert column in msg and row in msg and problem in msg, msg


def test_validation_of_parquet_and_folder_layout(tmp_path: Path, md: MarketData) -> None:
    folder = tmp_path / "pq"
    write_market_data(md, folder)
    assert_frame_equal(load_market_data(folder).shares, md.shares)
    md.shares.with_columns(pl.col("free_float") * 2).write_parquet(folder / "shares.parquet")
    with pytest.raises(InputError, match=r"shares\.parquet: column 'free_float' row 2: must be in \(0, 1\]"):
        load_market_data(folder)
    (folder / "prices.csv").write_text(TABLES["prices"])
    with pytest.raises(InputError, match="both prices.parquet and prices.csv exist"):
        load_market_data(folder)
    only_required = write_tables(
        tmp_path / "req", {k: TABLES[k] for k in ("prices", "shares", "memberships")}
    )
    loaded = load_market_data(only_required)
    assert loaded.fx.is_empty() and loaded.fx.schema == pl.Schema(SCHEMAS["fx"])
    assert loaded.reviews == ["2024-03"]
    (only_required / "shares.csv").unlink()
    with pytest.raises(InputError, match="required table 'shares' is missing"):
        load_market_data(only_required)


def test_defaults_for_currency_and_fraction(md: MarketData) -> None:
    assert md.prices.filter(pl.col("symbol") == "BBB")["currency"].to_list() == ["USD"]
    assert md.memberships.filter(pl.col("symbol") == "CCC")["fraction"].to_list() == [1.0, 1.0]


def test_stale_price_limit(tmp_path: Path) -> None:
    # 2024-02-21 is exactly 10 sessions before 2024-03-06 (19 Feb was Presidents' Day); 2024-02-20 is 11.
    no_march = TABLES["prices"].replace("2024-03-01,CCC,7,USD\n", "")
    ok = load_market_data(
        write_tables(tmp_path / "ok", {**TABLES, "prices": no_march.replace("03-04,CCC", "02-21,CCC")})
    )
    assert (
        compute_weights(ok, "2024-03", CUTOFF, EFFECTIVE)
        .filter(pl.col("symbol") == "CCC")["stale_sessions"]
        .item()
        == 10
    )
    tables = {**TABLES, "prices": no_march.replace("03-04,CCC", "02-20,CCC")}
    stale = load_market_data(write_tables(tmp_path / "stale", tables))
    with pytest.raises(
        InputError,
        match=r"prices\.csv: review 2024-03: member CCC last close 2024-02-20 is 11 "
        r"sessions before cut-off 2024-03-06 \(limit 10\)",
    ):
        compute_weights(stale, "2024-03", CUTOFF, EFFECTIVE)
    assert compute_weights(stale, "2024-03", CUTOFF, EFFECTIVE, max_stale_sessions=11).height == 5


@pytest.mark.parametrize(
    ("table", "old", "new", "match"),
    [
        (
            "prices",
            "2024-03-06,DDD",
            "2024-03-08,DDD",
            r"prices\.csv: .*DDD has no close on or before cut-off 2024-03-06",
        ),
        ("shares", "2024-03-06,CCC", "2024-03-07,CCC", r"shares\.csv: .*member CCC has no shares row"),
        (
            "fx",
            "2024-03-05,CAD",
            "2024-03-08,CAD",
            r"fx\.csv: .*EEE is priced in CAD but there is no CAD rate",
        ),
        ("memberships", f"2024-03,{R2G}", f"2024-06,{R2G}", rf"memberships\.csv: .*{R2G} has no members"),
    ],
)
def test_compute_weights_rejects_missing_inputs(tmp_path, table, old, new, match) -> None:
    md = load_market_data(write_tables(tmp_path / "md", {**TABLES, table: TABLES[table].replace(old, new)}))
    with pytest.raises(InputError, match=match):
        compute_weights(md, "2024-03", CUTOFF, EFFECTIVE)


def test_missing_and_ambiguous_inputs_name_the_first_member_and_count_the_rest(tmp_path) -> None:
    folder = tmp_path / "md"
    one = replace("prices", "2024-03-06,DDD", "2024-03-08,DDD")
    md = load_market_data(write_tables(folder, one))
    with pytest.raises(
        InputError,
        match=rf"^{folder}/prices\.csv: review 2024-03: member DDD has no close on or "
        r"before cut-off 2024-03-06$",
    ):
        compute_weights(md, "2024-03", CUTOFF, EFFECTIVE)
    two = {**one, "prices": one["prices"].replace("2024-03-06,AAA", "2024-03-08,AAA")}
    md = load_market_data(write_tables(folder, two))
    with pytest.raises(
        InputError,
        match=rf"^{folder}/prices\.csv: review 2024-03: member AAA has no close on or "
        r"before cut-off 2024-03-06 \(and 1 more\)$",
    ):
        compute_weights(md, "2024-03", CUTOFF, EFFECTIVE)
    # A frame built in code (not through load_market_data) with two closes for AAA on one day: both
    # rows are offending, so one is named and the other counted.
    md = load_market_data(write_tables(folder, TABLES))
    doubled = dataclasses.replace(md, prices=pl.concat([md.prices, md.prices.head(1)]))
    with pytest.raises(
        InputError,
        match=rf"^{folder}/prices\.csv: two rows for symbol AAA on 2024-03-06; which "
        r"one applies is ambiguous \(and 1 more\)$",
    ):
        compute_weights(doubled, "2024-03", CUTOFF, EFFECTIVE)


def test_unknown_review_is_named(md: MarketData) -> None:
    with pytest.raises(
        InputError, match=r"memberships\.csv: review 2024-06 has no members \(reviews present: 2024-03\)"
    ):
        compute_weights(md, "2024-06", date(2024, 6, 12), date(2024, 6, 28))


def test_membership_problems_name_the_file_and_review(tmp_path) -> None:
    folder = tmp_path / "md"
    md = load_market_data(write_tables(folder, TABLES))
    # Two reviews in the data (in memory): the error lists both; with none it says so.
    extra = pl.DataFrame({"review": ["2023-12"], "index": [SCC], "symbol": ["AAA"], "fraction": [1.0]})
    two = dataclasses.replace(md, memberships=pl.concat([md.memberships, extra.cast(md.memberships.schema)]))
    with pytest.raises(
        InputError,
        match=rf"^{folder}/memberships\.csv: review 2024-06 has no members \(reviews "
        r"present: 2023-12, 2024-03\)$",
    ):
        compute_weights(two, "2024-06", date(2024, 6, 12), date(2024, 6, 28))
    none = dataclasses.replace(md, memberships=md.memberships.clear())
    with pytest.raises(
        InputError,
        match=rf"^{folder}/memberships\.csv: review 2024-03 has no members \(reviews "
        r"present: none\)$",
    ):
        compute_weights(none, "2024-03", CUTOFF, EFFECTIVE)
    twice = dataclasses.replace(md, memberships=pl.concat([md.memberships, md.memberships.tail(1)]))
    with pytest.raises(
        InputError, match=rf"^{folder}/memberships\.csv: review 2024-03: {R2G} lists a symbol twice$"
    ):
        compute_weights(twice, "2024-03", CUTOFF, EFFECTIVE)
    stale = compute_weights(md, "2024-03", CUTOFF, EFFECTIVE).select("symbol", "stale_sessions")
    assert stale.schema["stale_sessions"] == pl.Int64 and stale.rows() == [
        ("AAA", 0),
        ("BBB", 0),
        ("CCC", 2),
        ("DDD", 0),
        ("EEE", 0),
    ]


# --- one review's window of the stored tables ------------------------------------------------------

# Years of history around the hand-made review: closes every session of 2021-2024 for AAA (some after
# the cut-off), DDD's only shares row from 2019, EEE's only CAD rate from 2020 (and one after the cut-off).
HISTORY = {
    **TABLES,
    "prices": TABLES["prices"]
    + "".join(
        f"{d},AAA,{10 + i % 7},USD\n"
        for i, d in enumerate(sessions(date(2021, 1, 4), date(2024, 4, 30)))
        if d not in (CUTOFF, date(2024, 3, 7))
    ),
    "shares": TABLES["shares"].replace("2023-10-02,DDD", "2019-10-02,DDD"),
    "fx": "date,currency,usd_per_unit\n2020-03-05,CAD,0.75\n2024-03-07,CAD,5\n",
}


def stored_lake(root: Path, tables: dict[str, str]) -> Lake:
    """A lake whose market tables hold `tables` as `market_data` stores them (validated, date order)."""
    md = load_market_data(write_tables(root / "feed", tables))
    root.mkdir(exist_ok=True)
    lake = Lake(root)
    for name in SCHEMAS:
        frame = with_year(name, getattr(md, name).lazy()).collect()
        frame = frame.sort(DATED[name], maintain_order=True) if name in DATED else frame
        lake.tables.write(f"market_{name}", frame, YEAR, sorted(set(frame[YEAR].to_list())), publish=False)
    return lake


def weights_or_error(md: MarketData) -> pl.DataFrame | str:
    try:
        return compute_weights(md, "2024-03", CUTOFF, EFFECTIVE)
    except InputError as err:
        return str(err)


def test_the_window_holds_what_the_weights_read(tmp_path: Path) -> None:
    lake = stored_lake(tmp_path / "lake", HISTORY)
    window, whole = review_market_data(lake, "2024-03", CUTOFF, 10), stored_market_data(lake)
    # Only the closes the stale limit allows (from 2024-02-21, 10 sessions back), the latest shares row
    # per member and rate per currency on or before the cut-off: years of history are not read.
    assert window.prices["date"].min() == date(2024, 2, 21) and window.prices["date"].max() == CUTOFF
    assert window.prices.height == 11 + 5 and whole.prices.height > 800  # AAA's 11 sessions, 5 other closes
    assert sorted(window.shares.rows()) == [
        (date(2019, 10, 2), "DDD", 100.0, 1.0),
        (date(2024, 1, 2), "AAA", 1000.0, 0.5),
        (date(2024, 1, 2), "BBB", 500.0, 1.0),
        (date(2024, 1, 2), "EEE", 300.0, 0.9),
        (date(2024, 3, 6), "CCC", 200.0, 0.8),
    ]
    assert window.fx.rows() == [(date(2020, 3, 5), "CAD", 0.75)]
    assert window.reviews == ["2024-03"] and window.splits.is_empty()
    expected = compute_weights(whole, "2024-03", CUTOFF, EFFECTIVE)
    assert_frame_equal(compute_weights(window, "2024-03", CUTOFF, EFFECTIVE), expected)
    assert (
        expected.filter(pl.col("symbol") == "DDD")["shares_date"].item(),
        expected.filter(pl.col("symbol") == "EEE")["fx"].item(),
    ) == (date(2019, 10, 2), 0.75)
    # The SQL recomputation agrees on the window as on the whole history, to the last bit.
    assert_frame_equal(
        recompute.sql_weights(recompute.market_connection(window), "2024-03", CUTOFF),
        recompute.sql_weights(recompute.market_connection(whole), "2024-03", CUTOFF),
    )


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        # CCC's last close years before the cut-off: stale, not "no close" (its row before the window is
        # read).
        (
            "2024-03-04,CCC",
            "2022-06-01,CCC",
            "member CCC last close 2022-06-01 is 442 sessions before cut-off 2024-03-06",
        ),
        (
            "2024-03-04,CCC",
            "2024-02-20,CCC",
            "member CCC last close 2024-02-20 is 11 sessions before cut-off 2024-03-06",
        ),
        ("2024-03-06,DDD", "2024-03-08,DDD", "member DDD has no close on or before cut-off 2024-03-06"),
    ],
)
def test_the_window_refuses_a_stale_or_missing_close_as_the_whole_history_does(
    tmp_path, old, new, error
) -> None:
    tables = {**HISTORY, "prices": HISTORY["prices"].replace("2024-03-01,CCC,7,USD\n", "").replace(old, new)}
    lake = stored_lake(tmp_path / "lake", tables)
    got = weights_or_error(review_market_data(lake, "2024-03", CUTOFF, 10))
    limit = " (limit 10)" if "last close" in error else ""
    assert (
        got
        == weights_or_error(stored_market_data(lake))
        == f"market_data/prices: review 2024-03: {error}{limit}"
    )


def test_the_weights_asset_stores_what_the_whole_history_gives(
    tmp_lake: LakeFolder, small_market: Path
) -> None:
    resources = tmp_lake.resources(market_data=str(small_market))
    with dg.instance_for_test() as instance:
        for assets, first, last in (
            ([documents, recon_calendar], "2019", "2020"),
            ([market_data, quarterly_weights], "2019-03", "2020-03"),
        ):
            assert materialize(assets, resources, instance, (first, last)).success
    lake = tmp_lake.lake
    whole, stored = stored_market_data(lake), lake.tables.read("quarterly_weights")
    dates = rebalance_dates(lake.tables.read("recon_calendar")).filter(pl.col("review").is_in(whole.reviews))
    assert dates["review"].to_list() == ["2019-03", "2019-06", "2019-09", "2019-12", "2020-03"]
    # Each row says which prices it rests on: the market-data folder's prices file.
    assert set(stored["price_source"]) == {f"market file {source_files(small_market)['prices'].name}"}
    for review, cutoff, effective in dates.iter_rows():
        assert_frame_equal(
            stored.filter(pl.col("review") == review).sort("symbol").drop("price_source"),
            compute_weights(whole, review, cutoff, effective),
            check_exact=True,
        )


# --- synthetic feed -------------------------------------------------------------------------------


def nth_friday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 7 * (n - 1))


def review_cutoff_effective(review: str) -> tuple[date, date]:
    """DESIGN step 1; June's rebalance is the annual reconstitution Friday (the fourth Friday of June)."""
    year, month = (int(x) for x in review.split("-"))
    cutoff = nth_friday(year, month, 2 if month == 6 else 1) + timedelta(days=5)
    effective = nth_friday(year, month, 4 if month == 6 else 3)
    return previous_session(cutoff), previous_session(effective)


END = date(2026, 11, 20)


@pytest.fixture(scope="module")
def synthetic() -> MarketData:
    listed = pl.DataFrame(
        {
            "recon_year": [2020, 2020, 2021, 2021],
            "symbol": ["AAPL", "ZZZZ", "AAPL", " "],
            "index_name": ["Russell 1000", "Russell Microcap", "Russell 3000", "Russell 2000"],
        }
    )
    return synthetic_market_data(END, listed, n_stocks=300)


def test_synthetic_weights_for_every_review(synthetic: MarketData) -> None:
    reviews = synthetic.reviews
    quarters = [f"{y}-{m:02d}" for y in range(2019, 2027) for m in (3, 6, 9, 12)]
    assert reviews == [r for r in quarters if review_cutoff_effective(r)[0] <= END]
    assert reviews[0] == "2019-03" and reviews[-1] == "2026-09"
    for review in reviews:
        cutoff, effective = review_cutoff_effective(review)
        w = compute_weights(synthetic, review, cutoff, effective)
        members = synthetic.memberships.filter(pl.col("review") == review)
        assert w.height == members["symbol"].n_unique()
        checks = weights_checks(w)
        assert all(ok for ok, _ in checks.values()), (review, checks)
        assert w["weight"].min() > 0, review  # R2000 Growth is big enough that no weight turns negative
        assert w["stale_sessions"].max() <= 10 and w["shares_date"].max() <= cutoff
        assert 0 < members.filter(pl.col("index") == R2G)["fraction"].min() < 1


def test_synthetic_tables_satisfy_the_contract(synthetic: MarketData, tmp_path: Path) -> None:
    write_market_data(synthetic, tmp_path)
    loaded = load_market_data(tmp_path)
    for name in SCHEMAS:
        assert_frame_equal(getattr(loaded, name), getattr(synthetic, name))
    named = set(synthetic.prices["symbol"].unique()) | set(synthetic.shares["symbol"])
    assert "ZZZZ" in named and "AAPL" not in named  # names of small-cap lists only
    assert synthetic.dividends.height > 0 and synthetic.splits.height > 0
    # Splits: the unadjusted close drops by about the ratio on the ex-date.
    for ex, sym, ratio in synthetic.splits.rows():
        p = synthetic.prices.filter(pl.col("symbol") == sym).sort("date")
        before = p.filter(pl.col("date") < ex)["close"].tail(1)
        after = p.filter(pl.col("date") >= ex)["close"].head(1)
        if before.len() and after.len():
            assert 0.4 < after[0] * ratio / before[0] < 2.5, (sym, ex)


def test_synthetic_is_deterministic_and_past_values_never_change() -> None:
    short = synthetic_market_data(date(2020, 7, 15), n_stocks=150)
    again = synthetic_market_data(date(2020, 7, 15), n_stocks=150)
    longer = synthetic_market_data(date(2021, 4, 20), n_stocks=150)
    other_seed = synthetic_market_data(date(2020, 7, 15), n_stocks=150, seed=7)
    assert short.reviews == ["2019-03", "2019-06", "2019-09", "2019-12", "2020-03", "2020-06"]
    assert longer.reviews[-1] == "2021-03"
    for name, cols in SCHEMAS.items():
        assert_frame_equal(getattr(short, name), getattr(again, name))
        when = (
            pl.col("review").is_in(short.reviews)
            if name == "memberships"
            else (pl.col(next(iter(cols))) <= date(2020, 7, 15))
        )
        assert_frame_equal(getattr(longer, name).filter(when), getattr(short, name))
    assert not short.prices.equals(other_seed.prices)


def test_a_review_is_due_with_members_and_its_cut_off_closed_else_its_status_says_why() -> None:
    from russell_pipeline.lib.errors import LakeError
    from russell_pipeline.lib.index.weights import weights_due

    cutoff, effective = date(2024, 5, 31), date(2024, 6, 28)
    dates = pl.DataFrame({"review": ["2024-06"], "cutoff_date": [cutoff], "effective_date": [effective]})
    members = ["2024-06", "2024-09", "2024-12"]  # three: the first and the last are named, not the second
    assert weights_due("2024-06", members, dates, date(2024, 6, 3)) == (cutoff, effective)
    assert weights_due("2024-06", members, dates, cutoff) == (cutoff, effective)  # closed on the cut-off
    assert weights_due("2024-06", members, dates, date(2024, 5, 30)) == (
        "pending: cut-off 2024-05-31 is after the last close 2024-05-30"
    )
    # No members: said before the calendar is asked (a backfill over the years before the data).
    assert weights_due("2023-06", members, dates, None) == (
        "the market data has no members for 2023-06 (its reviews with members: 2024-06..2024-12)"
    )
    assert weights_due("2023-06", [], dates, None) == (
        "the market data has no members for 2023-06 (its reviews with members: none)"
    )
    missing = r"^recon_calendar: no price cut-off/effective date for review 2024-12$"
    with pytest.raises(LakeError, match=missing):
        weights_due("2024-12", members, dates, date(2025, 1, 2))
