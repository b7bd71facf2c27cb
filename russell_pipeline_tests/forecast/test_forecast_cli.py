"""`forecast` as a user runs it: the real 2022 list, the 2023 lists and the 2023 rank-day universe in a
lake, `build`, then `forecast 2023` (rows, `--summary`, `--score`); a universe file dated on no rank
day fails its year with one line naming the nearest rank day."""

from __future__ import annotations

import csv
import io
import shutil

import polars as pl
import pytest

from russell_pipeline_tests.helpers import REAL, run_main
from russell_pipeline_tests.lakes import SharedLakes

pytestmark = pytest.mark.slow
FILES = {
    "2022": ["ru3000_membershiplist_20220624_0.pdf", "sec/company_tickers_exchange_2022-06-24.json"],
    "2023": [
        "ru3000-additions-final-20230623.pdf",
        "ru3000-deletions-final-20230623.pdf",
        "universe/nasdaq_screener_2023-04-28.csv",
        "sec/company_tickers_exchange_2023-04-28.json",
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory, lakes: SharedLakes):
    """These documents over the small feed: a copy of the sample lake built over it, its documents replaced
    by these, built again. Only the years whose documents changed are run again (the engine gives the same
    tables as a fresh build); the tests read what `forecast` prints, not what the build did."""
    missing = [str(REAL / f) for files in FILES.values() for f in files if not (REAL / f).is_file()]
    if missing:
        pytest.skip(f"{', '.join(missing)} not present")
    folder = lakes.copy(tmp_path_factory.mktemp("forecast_lake"))
    shutil.rmtree(folder.root / "raw")
    for year, files in FILES.items():
        (folder.root / "raw" / year).mkdir(parents=True)
        for name in files:
            shutil.copy(REAL / name, folder.root / "raw" / year / name.split("/")[-1])
    done = folder.build()
    assert done.returncode == 0, done.stderr[-3000:]
    return folder, folder.env(), done.stdout


def test_forecast_prints_each_security_with_its_action_and_reason(built):
    _, env, _ = built
    done = run_main("forecast", "2023", env=env)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {
        "symbol",
        "company",
        "total_market_cap",
        "rank",
        "cumulative_cap_pct",
        "index_before",
        "index_after",
        "action",
        "reason",
    } <= set(rows[0])
    by = {r["symbol"]: r for r in rows}
    assert by["AAPL"]["action"] == "stay" and by["AAPL"]["rank"] == "1"
    # Said on stderr: what the forecast could not know (the IPO lists, the segments before).
    assert "not known: the quarterly IPO addition lists of 2022-09, 2022-12, 2023-03" in done.stderr
    actions = {r["action"] for r in rows}
    assert {"add", "delete", "stay", "out", "absent"} <= actions


def test_forecast_score_prints_precision_recall_f1_and_every_miss(built):
    _, env, _ = built
    done = run_main("forecast", "2023", "--score", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    add = next(ln for ln in lines if ln.startswith("2023-06 additions: precision"))
    delete = next(ln for ln in lines if ln.startswith("2023-06 deletions: precision"))
    assert "281 on the published final list of 2023-06-23" in add
    # With the two SEC maps (docs/methodology.md section 4.6): a change that loses ground fails here.
    assert float(add.split("F1 ")[1].split()[0]) >= 0.86, add
    assert float(delete.split("F1 ")[1].split()[0]) >= 0.88, delete
    assert any(ln.startswith("2023-06 deletions forecast, not published (") for ln in lines)
    assert any(ln.startswith("2023-06 additions published, not forecast (") for ln in lines)
    # The closing note: each kind of miss by the rule its row rests on, the counts adding up to the list's.
    for kind in ("additions published, not forecast", "deletions forecast, not published"):
        listed = next(ln for ln in lines if ln.startswith(f"2023-06 {kind} ("))
        note = next(ln for ln in lines if ln.startswith(f"2023-06 {kind}, by the forecast's rule: "))
        counts = [int(part.rsplit(" ", 1)[1]) for part in note.split(": ", 1)[1].split(", ")]
        assert sum(counts) == int(listed.split("(")[1].rstrip("):")), (listed, note)
        assert note.split(": ", 1)[1].split(", ")[0].split()[0] in ("us_company", "min_price_member"), note
    as_csv = list(
        csv.DictReader(
            io.StringIO(run_main("forecast", "2023", "--score", "--format", "csv", env=env).stdout)
        )
    )
    assert {r["kind"] for r in as_csv} == {"miss", "false_alarm"} and all(r["reason"] for r in as_csv)


def test_forecast_summary_gives_the_counts_and_the_breaks(built):
    _, env, _ = built
    done = run_main("forecast", "2023", "--summary", "--format", "csv", env=env)
    row = next(csv.DictReader(io.StringIO(done.stdout)))
    assert row["review"] == "2023-06" and int(row["add"]) > 200 and int(row["delete"]) > 100
    assert 1.4e8 < float(row["russell_3000_break_cap"]) < 1.8e8
    table = run_main("forecast", "2023", "--summary", env=env).stdout.splitlines()
    assert table[0] == (
        f"2023-06: add {int(row['add']):,}, delete {int(row['delete']):,}, stay {int(row['stay']):,}, "
        f"move_up {row['move_up']}, move_down {row['move_down']}, out {int(row['out']):,}, "
        f"absent {row['absent']}"
    )
    assert table[1].startswith("  market cap at the break: Russell 1000 $") and "Russell 3000 $1" in table[1]


def test_a_year_without_a_universe_says_what_it_needs(built):
    _, env, _ = built
    done = run_main("forecast", "2021", env=env)
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "no forecast of 2021: it needs a universe file dated on a rank day under raw/2021/" in done.stderr


def test_a_universe_file_dated_on_no_rank_day_fails_its_year_and_the_old_forecast_says_so(built, tmp_path):
    folder = built[0].copy(tmp_path)  # the built lake: only the year whose universe file changed is run again
    (folder.root / "raw" / "2023" / "nasdaq_screener_2023-04-28.csv").rename(
        folder.root / "raw" / "2023" / "screener_2023-05-12.csv"
    )
    done = folder.build()
    assert done.returncode == 1
    refused = (
        "raw/2023/screener_2023-05-12.csv: a universe file dated 2023-05-12, which is not a rank day of the "
        "calendar nor within the 30 days before one: the nearest rank day is 2023-04-28 (review 2023-06)"
    )
    assert refused in done.stderr
    # The forecast an earlier build left still answers, saying it is not that of the files now (before:
    # exit 0 and the old counts, without a word, citing a file no longer under raw/).
    old = folder.run("forecast", "2023", "--summary")
    assert old.returncode == 0 and old.stdout.startswith("2023-06: add ")
    warning = old.stderr.splitlines()[0]
    assert warning.startswith("warning: the build of reconstitution_forecast 2023 failed on its inputs (run ")
    assert warning.endswith(f"{refused}; this answer rests on the tables an earlier build of 2023 left")
    # Dated the day before the rank day, it is read for the member price rule only: the build says which
    # universe each forecast rests on, and that this one rests on none of the file's rows (before: the
    # year's forecast fell back to the market data without a word).
    (folder.root / "raw" / "2023" / "screener_2023-05-12.csv").rename(
        folder.root / "raw" / "2023" / "nasdaq_screener_2023-04-27.csv"
    )
    done = folder.build()
    assert done.returncode == 0, done.stderr[-3000:]
    assert (
        "raw/2023/nasdaq_screener_2023-04-27.csv: dated 2023-04-27, not 2023-06's rank day 2023-04-28: "
        "2023-06 has no forecast (no market-data close on its rank day either); the file gives only the "
        "closes before rank day"
    ) in done.stdout
    assert "forecasts by universe: 2018-06..2019-06 on market file prices.parquet" in done.stdout


def test_the_summary_names_each_forecasts_universe_and_a_file_a_day_off_its_rank_day():
    """The issue's sample on the default feed: a universe dated a day before 2023's rank day, the year
    forecast from the synthetic feed (add 679) without a word."""
    from datetime import date

    import polars as pl

    from russell_pipeline.runner.build import FILES, forecast_lines

    rows = pl.DataFrame(
        {
            "review": ["2021-06", "2022-06", "2023-06", "2023-06", "2024-06"],
            "action": ["add", "add", "add", "delete", "stay"],
            "price_source": [
                "synthetic",
                "synthetic",
                "synthetic",
                "synthetic",
                "universe file raw/2024/u.csv",
            ],
            "rank_day": [date(2021, 5, 7), date(2022, 5, 6), date(2023, 4, 28), date(2023, 4, 28), None],
        }
    )
    files = pl.DataFrame(
        [
            (
                "raw/2023/nasdaq_screener_2023-04-27.csv",
                date(2023, 4, 27),
                "history",
                "2023-06",
                date(2023, 4, 28),
            ),
            ("raw/2024/u.csv", date(2024, 4, 30), "universe", "2024-06", date(2024, 4, 30)),
            ("raw/2024/u_before.csv", date(2024, 4, 29), "history", "2024-06", date(2024, 4, 30)),
        ],
        schema=FILES,
        orient="row",
    )
    lines = forecast_lines(rows, files)
    synthetic = "the market data, SYNTHETIC (the built-in feed, not market data)"
    assert lines[1] == (
        f"forecasts by universe: 2021-06..2023-06 on {synthetic}; 2024-06 on universe file raw/2024/u.csv"
    )
    # The 2023 file is named; 2024's earlier file is history beside the rank day's own, and not named.
    assert lines[2:] == [
        (
            "raw/2023/nasdaq_screener_2023-04-27.csv: dated 2023-04-27, not 2023-06's rank day 2023-04-28: "
            f"2023-06's forecast rests on {synthetic} instead; the file gives only the closes before rank "
            "day (a member's average price). A file's date is the close it holds: a universe of the "
            "2023-04-28 close is dated 2023-04-28"
        )
    ]


def test_demand_without_volume_history_takes_the_universe_files_one_day_and_says_so(built):
    lake, env, _ = built
    done = run_main("forecast", "2023", "--demand", "--tracked", "Russell 3000=5e10", env=env)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    universe = lake.lake.tables.read("universe_securities")
    volume = {s: v for s, v in universe.select("symbol", "volume").iter_rows() if v}
    # The small feed prices none of these names: every known volume is the universe file's one day.
    assert {r["adv_source"] for r in rows} <= {"universe file, one day", ""}
    for r in rows:
        if r["symbol"] in volume and r["shares_per_billion"]:
            assert float(r["adv_shares"]) == volume[r["symbol"]] and r["adv_sessions"] == "1"
        elif not r["adv_source"]:
            assert r["adv_shares"] == "unknown" and r["days_of_volume"] == "unknown"
    # Only the Russell 3000 list is in force: a deletion's segment is unknown, so only its Russell 3000 trade
    # is sized, and the row says so.
    deleted = [r for r in rows if r["action"] == "delete"]
    assert deleted and {r["index_name"] for r in deleted} == {"Russell 3000"}
    assert all("its segment before is unknown" in r["note"] for r in deleted)
    # An index not given is named where it has rows (with the SEC maps, no addition reaches the Russell 1000).
    for index in ("Russell 1000", "Russell 2000"):
        assert (f"{index} not given: its" in done.stderr) is any(r["index_name"] == index for r in rows), (
            index
        )
    assert "Russell 2000 not given: its" in done.stderr


def test_the_report_forecast_page_shows_the_breaks_bands_score_and_misses_by_cause(built, tmp_path):
    from russell_pipeline.lib.forecast.tracked import usd
    from russell_pipeline_tests.helpers import html_tables

    lake, env, _ = built
    done = run_main("report", "--out", str(tmp_path), env=env)
    assert done.returncode == 0, done.stderr
    stored = lake.lake
    tables = html_tables((tmp_path / "forecast.html").read_text())
    breaks = stored.tables.read("forecast_breaks").filter(pl.col("review") == "2023-06").sort("rank")
    assert tables["breaks"][1:] == [
        [
            b["break"],
            f"{b['rank']:,}",
            "-" if b["market_cap"] is None else usd(b["market_cap"]),
            "-" if b["cumulative_cap_pct"] is None else f"{b['cumulative_cap_pct']:.2f}%",
            "-" if b["band_low_pct"] is None else f"{b['band_low_pct']:.2f}%",
            "-" if b["band_high_pct"] is None else f"{b['band_high_pct']:.2f}%",
        ]
        for b in breaks.iter_rows(named=True)
    ]
    svg = (tmp_path / "forecast_2023-06.svg").read_text()
    r1000 = breaks.row(0, named=True)
    assert f"Russell 1000 band {r1000['band_low_pct']:.2f}-{r1000['band_high_pct']:.2f}%" in svg
    assert f"Russell 1000 break: rank 1,000, {usd(r1000['market_cap'])}" in svg
    scores = stored.tables.read("forecast_score").sort("change")
    assert [row[-1] for row in tables["score"][1:]] == [f"{f:.3f}" for f in scores["f1"]]
    causes = (
        stored.tables.read("forecast_misses")
        .join(
            stored.tables.read("reconstitution_forecast").select("symbol", "rule").unique("symbol"),
            on="symbol",
            how="left",
        )
        .group_by("change", "kind", pl.col("rule").fill_null("not in the forecast"))
        .len()
    )
    shown = {
        (c, "miss" if m.startswith("published") else "false_alarm", rule): int(n.replace(",", ""))
        for c, m, rule, n, _ in tables["causes"][1:]
    }
    assert shown == {(c, k, r): n for c, k, r, n in causes.iter_rows()}
    assert sum(shown.values()) == stored.tables.read("forecast_misses").height
