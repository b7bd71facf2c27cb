"""Data-quality checks that bad inputs fail: the pure functions on hand-made frames, then the real assets
on a temporary lake fed a mislabelled list, a price jump, a split the levels code would have to honour,
and (in-process) a weights or levels bug."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from russell_pipeline.defs.calendar.assets import recon_calendar
from russell_pipeline.defs.documents.assets import documents
from russell_pipeline.defs.index import assets as index_assets
from russell_pipeline.defs.index.assets import index_levels, quarterly_weights
from russell_pipeline.defs.market.assets import market_data
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib import table_checks
from russell_pipeline.lib.documents import ingest, list_checks
from russell_pipeline.lib.documents.reading import CONSTITUENT_COLUMNS
from russell_pipeline.lib.index import levels as lv
from russell_pipeline.lib.index import recompute
from russell_pipeline.lib.market.contract import R2G, SCC, SCHEMAS
from russell_pipeline.lib.sessions import next_session
from russell_pipeline.runner.runs import failure_lines
from russell_pipeline_tests.helpers import materialize
from russell_pipeline_tests.lakes import lake_folder, sample_lake

YEAR_ASSETS, REVIEW_ASSETS = [documents, recon_calendar], [market_data, quarterly_weights, index_levels]
YEARS, REVIEWS = ("2016", "2030"), ("2019-03", "2020-03")  # the sample lists' years; the small feed's reviews
SPLIT_SYMBOL_MID, SPLIT_SYMBOL_CUTOFF = "ASGV", "BDZK"


# ------------------------------------------------------------------ pure functions, exact values
def test_null_contract_cells_names_each_column_and_count():
    frame = pl.DataFrame(
        {
            "date": [date(2020, 1, 2), None],
            "price_return": [1.0, None],
            "total_return": [1.0, 2.0],
            "divisor": [1.0, 1.0],
            "review": ["2019-12", None],
        }
    )
    assert table_checks.null_contract_cells(frame, "index_levels").rows() == [
        ("date", 1),
        ("price_return", 1),
        ("review", 1),
        ("constituents", 2),
    ]  # constituents: column missing
    assert (
        table_checks.null_contract_cells(
            frame.head(1).with_columns(constituents=pl.lit(3)), "index_levels"
        ).height
        == 0
    )


def _constituents(*lists: tuple[str, str, int]) -> pl.DataFrame:
    rows = [
        {
            "recon_year": 2022,
            "as_of_date": date(2022, 6, 24),
            "index_name": index,
            "company": f"C{i}",
            "symbol": f"S{i}",
            "source_sha256": sha,
            "source_page": 1,
            "source_line": i,
        }
        for sha, index, n in lists
        for i in range(n)
    ]
    return pl.DataFrame(rows, schema=CONSTITUENT_COLUMNS)


def test_list_sizes_bound_each_list_by_its_index():
    cons = _constituents(
        ("a", "Russell 3000", 2550),
        ("b", "Russell 3000", 2549),
        ("c", "Russell 2000", 2301),
        ("d", "Russell 2000 Growth", 7),
    )
    docs = pl.DataFrame(
        {"sha256": ["a", "b", "c", "d"], "path": ["2022/a.pdf", "2022/b.pdf", "2022/c.pdf", "2022/d.pdf"]}
    )
    assert list_checks.list_sizes(cons, docs).rows() == [
        ("2022/a.pdf", "Russell 3000", date(2022, 6, 24), 2550, 3000, 2550, 3450, True),
        ("2022/b.pdf", "Russell 3000", date(2022, 6, 24), 2549, 3000, 2550, 3450, False),
        ("2022/c.pdf", "Russell 2000", date(2022, 6, 24), 2301, 2000, 1700, 2300, False),
        ("2022/d.pdf", "Russell 2000 Growth", date(2022, 6, 24), 7, None, None, None, None),
    ]


def test_member_count_changes_name_both_reviews():
    counts = pl.DataFrame(
        {"review": ["2019-06", "2019-03", "2019-09", "2019-12"], "members": [129, 100, 91, 60]}
    )
    assert table_checks.member_count_changes(counts).rows() == [("2019-09", 91, "2019-12", 60, 60 / 91 - 1)]
    assert table_checks.member_count_changes(counts.head(3)).height == 0  # +29%, then -29.5%
    lists = pl.DataFrame(
        {
            "index_name": ["R2", "R3", "R3", "R2"],
            "review": ["2021 a", "2021 b", "2022 c", "2022 d"],
            "members": [2000, 3000, 2000, 1900],
        }
    )
    assert table_checks.member_count_changes(lists, over="index_name").rows() == [
        ("R3", "2021 b", 3000, "2022 c", 2000, 2000 / 3000 - 1)
    ]  # R2: -5%, and never R2000 vs R3000


def _tiny_market() -> dict[str, pl.DataFrame]:
    """Three stocks: A and B in SCC (B half), B and C in R2000 Growth; C priced in EUR."""
    prices = pl.DataFrame(
        {
            "date": [
                date(2020, 3, 10),
                date(2020, 3, 11),
                date(2020, 3, 11),
                date(2020, 3, 11),
                date(2020, 3, 12),
            ],
            "symbol": ["A", "A", "B", "C", "A"],
            "close": [9.0, 10.0, 20.0, 5.0, 99.0],
            "currency": ["USD", "USD", "USD", "EUR", "USD"],
        }
    )
    shares = pl.DataFrame(
        {
            "date": [date(2020, 1, 1), date(2020, 1, 1), date(2020, 1, 1), date(2020, 3, 12)],
            "symbol": ["A", "B", "C", "A"],
            "shares": [100.0, 50.0, 40.0, 999.0],
            "free_float": [1.0, 0.5, 1.0, 1.0],
        }
    )
    memberships = pl.DataFrame(
        {
            "review": ["2020-03"] * 4,
            "index": [SCC, SCC, R2G, R2G],
            "symbol": ["A", "B", "B", "C"],
            "fraction": [1.0, 0.5, 1.0, 1.0],
        }
    )
    fx = pl.DataFrame({"date": [date(2020, 3, 11)], "currency": ["EUR"], "usd_per_unit": [1.2]})
    return {"prices": prices, "shares": shares, "memberships": memberships, "fx": fx}


def test_sql_weights_follow_the_methodology_by_hand():
    # base p s f e: A 1000, B 500, C 240 (EUR 5 x 1.2); SCC caps A 1000, B 250 (sum 1250);
    # R2G B 500, C 240 (740).
    # scaled = cap_scc x 9 x 740 / 1250: A 5328, B 1332; final: A 5328, B 832, C -240 (sum 5920).
    got = recompute.sql_weights(recompute.market_connection(_tiny_market()), "2020-03", date(2020, 3, 11))
    assert got["symbol"].to_list() == ["A", "B", "C"]
    assert got["weight"].to_list() == pytest.approx([5328 / 5920, 832 / 5920, -240 / 5920], rel=1e-15)
    assert got["weighting_factor"].to_list() == pytest.approx([5.328, 832 / 500, -1.0], rel=1e-15)


def test_market_connections_open_at_once_each_see_their_own_tables():
    # They share one in-memory database: the tables are views of each connection's frames, not tables in it.
    tiny = _tiny_market()
    doubled = {**tiny, "prices": tiny["prices"].with_columns(pl.col("close") * 2)}
    with recompute.market_connection(tiny) as first, recompute.market_connection(doubled) as second:
        assert first.execute("SELECT sum(close) FROM prices").fetchone()[0] == 143.0
        assert second.execute("SELECT sum(close) FROM prices").fetchone()[0] == 286.0
        assert first.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0] == 0


def _weights_frame(**changes) -> pl.DataFrame:
    w = pl.DataFrame(
        {
            "review": ["2020-03"] * 3,
            "cutoff_date": [date(2020, 3, 11)] * 3,
            "symbol": ["A", "B", "C"],
            "weight": [5328 / 5920, 832 / 5920, -240 / 5920],
            "weighting_factor": [5.328, 832 / 500, -1.0],
        }
    )
    return w.with_columns(**changes)


def test_weight_mismatches_flag_a_swapped_weight_and_a_missing_symbol():
    tables = _tiny_market()
    assert recompute.weight_mismatches(_weights_frame(), tables).height == 0
    swapped = _weights_frame(weight=pl.Series([832 / 5920, 5328 / 5920, -240 / 5920]))
    assert recompute.weight_mismatches(swapped, tables)["symbol"].to_list() == ["A", "B"]
    assert recompute.weight_mismatches(_weights_frame().head(2), tables)["symbol"].to_list() == ["C"]


def _levels(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        orient="row",
        schema={"date": pl.Date, "price_return": pl.Float64, "divisor": pl.Float64, "review": pl.String},
    )


def _two_reviews() -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """Review R1 (cut-off 01-02) holds A; R2 (cut-off 01-06, T 01-08) holds B. A splits 2:1 on 01-07."""
    weights = pl.DataFrame(
        {
            "review": ["R1", "R2"],
            "cutoff_date": [date(2020, 1, 2), date(2020, 1, 6)],
            "symbol": ["A", "B"],
            "weight": [1.0, 1.0],
            "shares": [10.0, 4.0],
            "free_float": [1.0, 0.5],
            "weighting_factor": [1.0, 2.0],
        }
    )
    prices = pl.DataFrame(
        {
            "date": [
                date(2020, 1, 6),
                date(2020, 1, 7),
                date(2020, 1, 8),
                date(2020, 1, 8),
                date(2020, 1, 9),
            ],
            "symbol": ["A", "A", "A", "B", "B"],
            "close": [10.0, 5.0, 6.0, 25.0, 40.0],
            "currency": ["USD"] * 5,
        }
    )
    splits = pl.DataFrame({"ex_date": [date(2020, 1, 7)], "symbol": ["A"], "ratio": [2.0]})
    return weights, {"prices": prices, "splits": splits, "fx": pl.DataFrame(schema=SCHEMAS["fx"])}


def test_rebalance_levels_adjust_shares_for_splits():
    weights, md = _two_reviews()
    # I_T = 6 x 10 x 2 x 1 x 1 / d_old(1.2) = 100; new: 25 x 4 x 0.5 x 2 / d_new(1) = 100.
    levels = _levels(
        [
            (date(2020, 1, 7), 100.0, 1.0, "R1"),
            (date(2020, 1, 8), 100.0, 1.2, "R1"),
            (date(2020, 1, 9), 160.0, 1.0, "R2"),
        ]
    )
    got = recompute.rebalance_levels(levels, weights, md["prices"], md["splits"], md["fx"])
    assert got.rows() == [(date(2020, 1, 8), "R1", "R2", 100.0, 100.0, 100.0, 0.0)]
    unsplit = recompute.rebalance_levels(levels, weights, md["prices"], md["splits"].clear(), md["fx"])
    assert unsplit["level_old"].to_list() == [50.0] and recompute.continuity_breaks(unsplit).height == 1


def test_rebalance_checks_read_only_the_closes_near_the_period_in_any_row_order():
    weights, md = _two_reviews()
    levels = _levels(
        [
            (date(2020, 1, 7), 100.0, 1.0, "R1"),
            (date(2020, 1, 8), 100.0, 1.2, "R1"),
            (date(2020, 1, 9), 160.0, 1.0, "R2"),
        ]
    )
    expected = recompute.rebalance_levels(levels, weights, md["prices"], md["splits"], md["fx"])
    # Years of closes far before the cut-offs (wrong values, other currency), rows in reverse date order.
    old = pl.DataFrame(
        {
            "date": [date(2015, 1, 2 + i) for i in range(5)],
            "symbol": ["A", "B"] * 2 + ["A"],
            "close": [1e6] * 5,
            "currency": ["EUR"] * 5,
        }
    )
    history = pl.concat([old, md["prices"]]).reverse()
    assert recompute.rebalance_levels(levels, weights, history, md["splits"], md["fx"]).equals(expected)
    assert expected["rel_diff"].to_list() == [0.0]


def test_large_moves_name_the_day_the_move_and_the_contributors():
    weights, md = _two_reviews()
    levels = _levels(
        [
            (date(2020, 1, 8), 100.0, 1.2, "R1"),
            (date(2020, 1, 9), 160.0, 1.0, "R2"),
            (date(2020, 1, 10), 176.0, 1.0, "R2"),
        ]
    )
    # 01-09: +60%, B 25 -> 40 with weight 1; 01-10: +10%, within the bound.
    assert recompute.large_moves(levels, weights, md["prices"], md["splits"], md["fx"]).rows() == [
        (date(2020, 1, 9), "R2", pytest.approx(0.6, rel=1e-15), "B +60.0000%")
    ]


# ------------------------------------------------------------------ the assets on a real lake
def _market(folder: Path, base: Path, edit=None) -> Path:
    """A copy of the `base` market folder, its tables changed by `edit(tables) -> tables`."""
    tables = {name: pl.read_parquet(base / f"{name}.parquet") for name in SCHEMAS}
    tables = edit(tables) if edit else tables
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        frame.write_parquet(folder / f"{name}.parquet")
    return folder


def _with_splits(tables: dict) -> dict:
    """Two 2:1 splits: one mid-period (2019-11-01), one between the 2019-12 cut-off (12-11) and T (12-20)."""
    splits = pl.DataFrame(
        {
            "ex_date": [date(2019, 11, 1), date(2019, 12, 16)],
            "symbol": [SPLIT_SYMBOL_MID, SPLIT_SYMBOL_CUTOFF],
            "ratio": [2.0, 2.0],
        }
    )
    halved = pl.any_horizontal(
        (pl.col("symbol") == s) & (pl.col("date") >= d) for d, s, _ in splits.iter_rows()
    )
    prices = tables["prices"].with_columns(
        pl.when(halved).then(pl.col("close") / 2).otherwise("close").alias("close")
    )
    return tables | {"prices": prices, "splits": splits}


def _checks(*results) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    """Each check's evaluation in the runs: a check of a partitioned asset is recorded on each partition
    of its run (failed on those its offending rows are in), so the one that failed, if one did."""
    found: dict[tuple[str, str], dg.AssetCheckEvaluation] = {}
    for result in results:
        for e in result.all_events:
            if e.event_type_value == "ASSET_CHECK_EVALUATION":
                data = e.asset_check_evaluation_data
                key = (data.asset_key.to_user_string(), data.check_name)
                if key not in found or found[key].passed:
                    found[key] = data
    return found


NEW_CHECKS = [
    ("constituents", "list_size"),
    ("constituents", "no_null_contract_columns"),
    ("constituent_changes", "no_null_contract_columns"),
    ("quarterly_weights", "no_null_contract_columns"),
    ("quarterly_weights", "weights_match_sql"),
    ("quarterly_weights", "member_count_change"),
    ("index_levels", "no_null_contract_columns"),
    ("index_levels", "rebalance_continuity"),
    ("index_levels", "daily_move_bound"),
    ("index_levels", "total_return_matches_dividends"),
]


@pytest.fixture(scope="module")
def good(tmp_path_factory, small_market):
    """The seeds and the small feed with two splits, built as one years run and one reviews run."""
    tmp = tmp_path_factory.mktemp("quality")
    market = _market(tmp / "market", small_market, _with_splits)
    root = sample_lake(tmp / "lake", market).root
    resources = lake_folder(root).resources(market_data=str(market))
    with dg.instance_for_test() as instance:
        runs = [
            materialize(YEAR_ASSETS, resources, instance, YEARS),
            materialize(REVIEW_ASSETS, resources, instance, REVIEWS, publish=True),
        ]
        yield root, market, instance, runs


def test_every_new_check_passes_on_the_good_build(good):
    _, _, _, runs = good
    assert all(r.success for r in runs), [failure_lines(r) for r in runs]
    checks = _checks(*runs)
    assert {key: checks[key].passed for key in NEW_CHECKS} == dict.fromkeys(NEW_CHECKS, True)
    sizes = checks["constituents", "list_size"].metadata
    assert sizes["lists_checked"].value == 0
    assert sizes["lists"].value == "0 lists checked: no full membership list in these years"
    assert checks["quarterly_weights", "weights_match_sql"].metadata["reviews_compared"].value == 5
    # 2019-06, 2019-09, 2019-12 and 2020-03 each start at a rebalance; the 2019-12 one follows a split.
    assert checks["index_levels", "rebalance_continuity"].metadata["rebalances_checked"].value == 4


def _membership_list(root: Path, year: int, as_of: str, rows: int) -> Path:
    path = root / "raw" / str(year) / f"ru3000_membershiplist_{year}0624.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        f"Russell 3000® Index - Membership list\n{as_of}\n\nCompany\tTicker\n"
        + "".join(f"COMPANY {i:04d} INC\tS{i:04d}\n" for i in range(rows)),
        encoding="utf-8",
    )
    return path


def test_a_300_row_list_labelled_russell_3000_warns_naming_the_file(good, tmp_path):
    root = sample_lake(tmp_path / "lake").root
    _membership_list(root, 2022, "June 24, 2022", 300)
    with dg.instance_for_test() as instance:
        run = materialize(
            YEAR_ASSETS,
            lake_folder(root).resources(market_data=str(good[1])),
            instance,
            ("2022", "2022"),
            publish=True,
        )
        assert run.success  # WARN: the list is stored, the check is red
        check = _checks(run)["constituents", "list_size"]
        assert (check.passed, check.severity) == (False, dg.AssetCheckSeverity.WARN)
        assert check.metadata["failures"].value == 1 and check.metadata["lists_checked"].value == 1
        assert check.metadata["lists"].value == (
            "- `raw/2022/ru3000_membershiplist_20220624.txt`: Russell 3000, "
            "300 rows (nominal 3000, bound 2550..3450)"
        )
        assert check.metadata["examples"].value.splitlines()[6].split("┆") == [
            "│ raw/2022/ru3000_membershiplist_20220624.txt ",
            " Russell 3000 ",
            " 2022-06-24 ",
            " 300  ",
            " 3000    ",
            " 2550 ",
            " 3450 │",
        ]
        assert Lake(root).warehouse.read("SELECT count(*) AS n FROM constituents")["n"][0] == 300
        assert _checks(run)["constituents", "member_count_change"].passed  # one list: nothing to compare
        # A 2,900-row list the year before: 2,900 -> 300 (-90%), named by both lists, from the 2021 run.
        _membership_list(root, 2021, "June 24, 2021", 2900)
        run = materialize(
            YEAR_ASSETS,
            lake_folder(root).resources(market_data=str(good[1])),
            instance,
            ("2021", "2021"),
            publish=True,
        )
    checks = _checks(run)
    assert (
        checks["constituents", "list_size"].passed
        and checks["constituents", "list_size"].metadata["lists_checked"].value == 1
    )
    change = checks["constituents", "member_count_change"]
    assert (change.passed, change.severity, change.metadata["failures"].value) == (
        False,
        dg.AssetCheckSeverity.WARN,
        1,
    )
    assert change.metadata["partitions"].value == "2022"  # the year of the list whose count fell
    row = change.metadata["examples"].value.splitlines()[6]
    for text in (
        "Russell 3000",
        "2021-06-24 raw/2021/ru3000_membershiplist_20210624.txt",
        "2900",
        "2022-06-24 raw/2022/ru3000_membershiplist_20220624.txt",
        "300",
        f"{300 / 2900 - 1:.6f}",
    ):
        assert text in row


def test_half_the_members_gone_warns_naming_both_reviews(good, tmp_path):
    root, _, _, _ = good

    def drop(tables):
        m = tables["memberships"]
        gone = (
            m.filter((pl.col("review") == "2019-12") & (pl.col("index") == SCC)).head(50)["symbol"].to_list()
        )
        return tables | {
            "memberships": m.filter(~((pl.col("review") == "2019-12") & pl.col("symbol").is_in(gone)))
        }

    market = _market(tmp_path / "market", good[1], drop)
    copy_root = _good_copy(good, tmp_path)
    with dg.instance_for_test() as instance:
        run = materialize(
            [market_data, quarterly_weights],
            lake_folder(copy_root).resources(market_data=str(market)),
            instance,
            ("2019-12", "2019-12"),
            publish=True,
        )
    assert run.success, failure_lines(run)
    check = _checks(run)["quarterly_weights", "member_count_change"]
    assert (check.passed, check.severity, check.metadata["failures"].value) == (
        False,
        dg.AssetCheckSeverity.WARN,
        2,
    )
    before = Lake(root).warehouse.read(
        "SELECT review, count(*) AS n FROM quarterly_weights GROUP BY 1 ORDER BY 1"
    )
    counts = dict(before.rows())
    after = Lake(copy_root).warehouse.read(
        "SELECT count(*) AS n FROM quarterly_weights WHERE review = '2019-12'"
    )["n"][0]
    assert after < counts["2019-12"] * 0.7
    examples = check.metadata["examples"].value
    for text in ("2019-09", "2019-12", "2020-03", str(counts["2019-09"]), str(after)):
        assert text in examples


def test_a_25_percent_jump_warns_with_the_day_and_the_top_contributors(good, tmp_path):
    day = date(2019, 10, 15)

    def jump(tables):
        return tables | {
            "prices": tables["prices"].with_columns(
                pl.when(pl.col("date") >= day).then(pl.col("close") * 1.25).otherwise("close").alias("close")
            )
        }

    market = _market(tmp_path / "market", good[1], jump)
    # The good build's years (the jump is in the market data only), its reviews rebuilt over the jump.
    root = _good_copy(good, tmp_path)
    with dg.instance_for_test() as instance:
        run = materialize(
            REVIEW_ASSETS,
            lake_folder(root).resources(market_data=str(market)),
            instance,
            REVIEWS,
            publish=True,
        )
    assert run.success, failure_lines(run)
    checks = _checks(run)
    check = checks["index_levels", "daily_move_bound"]
    assert (check.passed, check.severity, check.metadata["failures"].value) == (
        False,
        dg.AssetCheckSeverity.WARN,
        1,
    )
    # By hand from the stored tables: the day's move, and weight x (close / previous close - 1) of 2019-09's
    # members.
    lake_ = Lake(root)
    move = lake_.warehouse.read(
        "SELECT price_return / lag(price_return) OVER (ORDER BY date) - 1 AS m, date "
        "FROM index_levels QUALIFY date = DATE '2019-10-15'"
    )["m"][0]
    top = lake_.warehouse.read("""
        SELECT w.symbol, w.weight * (p.close / b.close - 1) AS c FROM quarterly_weights w
        JOIN market_prices p ON p.symbol = w.symbol AND p.date = DATE '2019-10-15'
        JOIN market_prices b ON b.symbol = w.symbol AND b.date = DATE '2019-10-14'
        WHERE w.review = '2019-09' ORDER BY abs(c) DESC LIMIT 5""")
    assert move > 0.2
    assert check.metadata["examples"].value.splitlines()[6].split("┆") == [
        "│ 2019-10-15 ",
        " 2019-09 ",
        f" {move:.6f} ",
        " " + ", ".join(f"{s} {c:+.4%}" for s, c in top.rows()) + " │",
    ]
    assert checks["index_levels", "rebalance_continuity"].passed


def test_a_weights_bug_is_stopped_by_the_sql_check_and_the_stored_weights_stay(good, monkeypatch):
    root, market, instance, _ = good
    before = Lake(root).tables.read("quarterly_weights", "review", ["2019-12"])
    real = index_assets.compute_weights

    def swapped(*args, **kwargs):  # a bug attaching the first two weights to each other's symbol
        w = real(*args, **kwargs)
        return w.with_columns(weight=pl.concat([w["weight"][1:2], w["weight"][0:1], w["weight"][2:]]))

    monkeypatch.setattr(index_assets, "compute_weights", swapped)
    run = materialize(
        [quarterly_weights],
        lake_folder(root).resources(market_data=str(market)),
        instance,
        ("2019-12", "2019-12"),
        publish=True,
    )
    assert not run.success
    (line,) = failure_lines(run)
    assert line.startswith(
        "quarterly_weights: blocking check failed, nothing written (the stored partitions stay): "
        "quarterly_weights.weights_match_sql (difference: review=2019-12, symbol="
    )
    check = _checks(run)["quarterly_weights", "weights_match_sql"]
    assert check.metadata["failures"].value == 2
    assert Lake(root).tables.read("quarterly_weights", "review", ["2019-12"]).equals(before)


def _good_copy(good, tmp_path: Path, leave: tuple[str, ...] = ()) -> Path:
    """A writable copy of the good build's lake (not its Dagster records), less the files `leave` names."""
    return lake_folder(good[0]).copy(tmp_path, leave=(".dagster", *leave)).root


def _levels_stopped(good, tmp_path: Path):
    """The good build's lake without its levels (years, market data and weights kept), whose levels run
    over every review fails: (lake, that run, its one failure line)."""
    root = _good_copy(good, tmp_path, leave=("index_levels", "*.duckdb"))
    with dg.instance_for_test() as instance:
        reviews = materialize(
            [index_levels],
            lake_folder(root).resources(market_data=str(good[1])),
            instance,
            REVIEWS,
            publish=True,
        )
    assert not reviews.success
    (line,) = failure_lines(reviews)
    return root, reviews, line


def test_a_dividend_applied_a_session_late_is_stopped_before_the_write(good, tmp_path, monkeypatch):
    real = lv.all_levels

    def late(
        weights, end, prices, dividends, splits, fx, days, *args
    ):  # a bug: ex-date read as the next session
        shifted = dividends.with_columns(
            ex_date=pl.col("ex_date").map_elements(next_session, return_dtype=pl.Date)
        )
        return real(weights, end, prices, shifted, splits, fx, days, *args)

    monkeypatch.setattr(lv, "all_levels", late)
    lake, reviews, line = _levels_stopped(good, tmp_path)
    assert line.startswith(
        "index_levels: blocking check failed, nothing written (the stored partitions stay): "
        "index_levels.total_return_matches_dividends (session whose total return disagrees"
    )
    checks = _checks(reviews)
    assert checks["index_levels", "rebalance_continuity"].passed  # price levels are right; only TR is wrong
    dividends = pl.read_parquet(good[1] / "dividends.parquet")
    assert (
        dividends.height
        and checks["index_levels", "total_return_matches_dividends"].metadata["failures"].value >= 2
    )
    assert (
        Lake(lake).tables.read("index_levels") is None or Lake(lake).tables.read("index_levels").height == 0
    )


def test_levels_that_ignore_splits_are_stopped_by_rebalance_continuity(good, tmp_path, monkeypatch):
    real = lv.all_levels

    def no_splits(weights, end, prices, dividends, splits, *args):  # a bug: the split ratio is never applied
        return real(weights, end, prices, dividends, splits.clear(), *args)

    monkeypatch.setattr(lv, "all_levels", no_splits)
    lake, reviews, line = _levels_stopped(good, tmp_path)
    # The unsplit shares also misvalue a dividend paid after the split: the total return disagrees with it.
    assert line.startswith(
        "index_levels: blocking check failed, nothing written (the stored partitions stay): "
        "index_levels.rebalance_continuity (break: date=2019-12-20, old_review=2019-09, "
    )
    assert "; index_levels.total_return_matches_dividends (session whose total return disagrees" in line
    check = _checks(reviews)["index_levels", "rebalance_continuity"]
    # The mid-period split breaks the 2019-12 rebalance (old side), the split between its cut-off and T that
    # one (new side) and the 2020-03 one (old side: 2019-12 shares are dated before it).
    examples = check.metadata["examples"].value
    assert check.metadata["failures"].value == 2 and "2019-12-20" in examples and "2020-03-20" in examples
    assert (
        Lake(lake).tables.read("index_levels") is None or Lake(lake).tables.read("index_levels").height == 0
    )


def test_a_null_symbol_from_the_parser_is_stopped_before_the_write(good, tmp_path, monkeypatch):
    """2020's documents read again, on a copy of the good build (whose 2020 rows a good parser wrote), by a
    parser that loses a symbol: the blocking check stops the write and the stored rows stay."""
    root = _good_copy(good, tmp_path)
    resources = lake_folder(root).resources(market_data=str(good[1]))
    with dg.instance_for_test() as instance:
        before = Lake(root).tables.read("constituent_changes", "recon_year", [2020])
        real = ingest.read_year

        def null_symbol(*args, **kwargs):  # a parser bug losing the first row's symbol
            year = real(*args, **kwargs)
            changes = (
                year.constituent_changes.with_row_index()
                .with_columns(symbol=pl.when(pl.col("index") == 0).then(None).otherwise("symbol"))
                .drop("index")
            )
            return dataclasses.replace(year, constituent_changes=changes)

        monkeypatch.setattr(ingest, "read_year", null_symbol)
        run = materialize([documents], resources, instance, "2020")
    assert failure_lines(run) == [
        (
            "documents: blocking check failed, nothing written (the stored partitions stay): "
            "constituent_changes.no_null_contract_columns (nulls: column=symbol, nulls=1)"
        )
    ]
    checks = _checks(run)
    assert checks["constituents", "no_null_contract_columns"].passed
    bad = checks["constituent_changes", "no_null_contract_columns"]
    assert (bad.passed, bad.metadata["failures"].value) == (False, 1)
    assert bad.metadata["examples"].value.splitlines()[6] == "│ symbol ┆ 1     │"
    assert Lake(root).tables.read("constituent_changes", "recon_year", [2020]).equals(before)
    assert before.height == 256 and before["symbol"].null_count() == 0
