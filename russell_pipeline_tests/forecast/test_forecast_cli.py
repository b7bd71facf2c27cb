"""`forecast` as a user runs it: the real 2022 list, the 2023 lists and the 2023 rank-day universe in a
lake, `build`, then `forecast 2023` (rows, `--summary`, `--score`); a universe file dated on no rank
day fails its year with one line naming the nearest rank day."""

from __future__ import annotations

import csv
import io
import shutil

import pytest

from russell_pipeline_tests.helpers import REAL, cli
from russell_pipeline_tests.lakes import SharedLakes

pytestmark = pytest.mark.slow
FILES = {
    "2022": ["ru3000_membershiplist_20220624_0.pdf"],
    "2023": [
        "ru3000-additions-final-20230623.pdf",
        "ru3000-deletions-final-20230623.pdf",
        "universe/nasdaq_screener_2023-04-28.csv",
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
    lake = lakes.copy(tmp_path_factory.mktemp("forecast_lake"))
    shutil.rmtree(lake.root / "raw")
    for year, files in FILES.items():
        (lake.root / "raw" / year).mkdir(parents=True)
        for name in files:
            shutil.copy(REAL / name, lake.root / "raw" / year / name.split("/")[-1])
    done = lake.build()
    assert done.returncode == 0, done.stderr[-3000:]
    return lake, lake.env(), done.stdout


def test_forecast_prints_each_security_with_its_action_and_reason(built):
    _, env, _ = built
    done = cli("forecast", "2023", env=env, text=True)
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
    done = cli("forecast", "2023", "--score", env=env, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    add = next(ln for ln in lines if ln.startswith("2023-06 additions: precision"))
    assert "281 on the published final list of 2023-06-23" in add
    assert float(add.split("F1 ")[1].split()[0]) >= 0.79
    assert any(ln.startswith("2023-06 deletions forecast, not published (") for ln in lines)
    assert any(ln.startswith("2023-06 additions published, not forecast (") for ln in lines)
    as_csv = list(
        csv.DictReader(
            io.StringIO(cli("forecast", "2023", "--score", "--format", "csv", env=env, text=True).stdout)
        )
    )
    assert {r["kind"] for r in as_csv} == {"miss", "false_alarm"} and all(r["reason"] for r in as_csv)


def test_forecast_summary_gives_the_counts_and_the_breaks(built):
    _, env, _ = built
    done = cli("forecast", "2023", "--summary", "--format", "csv", env=env, text=True)
    row = next(csv.DictReader(io.StringIO(done.stdout)))
    assert row["review"] == "2023-06" and int(row["add"]) > 200 and int(row["delete"]) > 100
    assert 1.4e8 < float(row["russell_3000_break_cap"]) < 1.8e8
    table = cli("forecast", "2023", "--summary", env=env, text=True).stdout.splitlines()
    assert table[0] == (
        f"2023-06: add {int(row['add']):,}, delete {int(row['delete']):,}, stay {int(row['stay']):,}, "
        f"move_up {row['move_up']}, move_down {row['move_down']}, out {int(row['out']):,}, "
        f"absent {row['absent']}"
    )
    assert table[1].startswith("  market cap at the break: Russell 1000 $") and "Russell 3000 $1" in table[1]


def test_a_year_without_a_universe_says_what_it_needs(built):
    _, env, _ = built
    done = cli("forecast", "2021", env=env, text=True)
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "no forecast of 2021: it needs a universe file dated on a rank day under raw/2021/" in done.stderr


def test_a_universe_file_dated_on_no_rank_day_fails_its_year_naming_the_nearest(built, tmp_path):
    lake = built[0].copy(tmp_path)  # the built lake: only the year whose universe file changed is run again
    (lake.root / "raw" / "2023" / "nasdaq_screener_2023-04-28.csv").rename(
        lake.root / "raw" / "2023" / "screener_2023-05-12.csv"
    )
    done = lake.build()
    assert done.returncode == 1
    assert (
        "raw/2023/screener_2023-05-12.csv: a universe file dated 2023-05-12, which is not a rank day of the "
        "calendar nor within the 30 days before one: the nearest rank day is 2023-04-28 (review 2023-06)"
    ) in done.stderr
