"""The reconstitution effect: price files, event windows, paths, the `event-study` verb and the asset."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import numpy as np
import polars as pl
import pytest

from russell_pipeline.defs.calendar.assets import recon_calendar
from russell_pipeline.defs.documents.assets import documents
from russell_pipeline.defs.research.assets import reconstitution_effect
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.market.provenance import SYNTHETIC_WORDS
from russell_pipeline.lib.research.chart import effect_chart
from russell_pipeline.lib.research.event import (
    event_days,
    group_paths,
    index_path,
    listed_effect,
    normalized_paths,
    window,
    year_events,
)
from russell_pipeline.lib.research.prices import read_price_file
from russell_pipeline.runner.runs import failure_lines
from russell_pipeline_tests.helpers import materialize, run_main
from russell_pipeline_tests.lakes import REAL_LISTS, LakeFolder, documents_lake, lake_folder, real_lists

# pandas and exchange-calendars, the reference computation's, are imported where used: every xdist
# worker collects this module, one runs it.
if TYPE_CHECKING:
    import pandas as pd

# 2023's annual reconstitution, from its rules: rank day Friday April 28, recon_close Friday June 23.
RANK_DAY, RECON_CLOSE = date(2023, 4, 28), date(2023, 6, 23)
ADDS = "Russell 2000® Index - {stage}Additions\n{day}\n\nCompany Symbol Industry\n{rows}"
DELS = "Russell 2000® Index - {stage}Deletions\n{day}\n\nCompany\tSymbol\tSector\n{rows}"
DOCUMENTS = {
    # A preliminary list names a symbol the final one drops: only final lists count.
    "2023/adds_prelim.txt": ADDS.format(
        stage="Preliminary ", day="May 19, 2023", rows="PRELIM INC PRLM Energy\n"
    ),
    "2023/adds_final.txt": ADDS.format(
        stage="",
        day="June 23, 2023",
        rows="ALPHA INC AAA Technology\n"
        "BRAVO CORP BBB Energy\nCHARLIE CO CCC Financials\nZULU INC ZZZ Utilities\n",
    ),
    "2023/dels_final.txt": DELS.format(
        stage="",
        day="June 23, 2023",
        rows="DELTA INC\tDDD\tEnergy\nECHO CORP\tEEE\tUtilities\nFOX INC\tFFF\tEnergy\n",
    ),
}
GROUP = {
    "AAA": "addition",
    "BBB": "addition",
    "CCC": "addition",
    "DDD": "deletion",
    "EEE": "deletion",
    "FFF": "deletion",
}


def _long_prices(tickers=("AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "PRLM", "XXX")) -> pd.DataFrame:
    """Closes as a download library saves them: CCC first trades after rank day (no reference close),
    EEE misses sessions in the window, PRLM and XXX are not on a final list, ZZZ has no prices at all."""
    import exchange_calendars as xcals
    import pandas as pd

    days = xcals.get_calendar("XNYS").sessions_in_range("2023-03-01", "2023-08-31")
    rng = np.random.default_rng(7)
    frames = []
    for k, ticker in enumerate(tickers):
        close = 20 * (k + 1) * np.exp(np.cumsum(rng.normal(0, 0.02, len(days))))
        frame = pd.DataFrame(
            {
                "Date": days,
                "Ticker": ticker,
                "Open": close,
                "High": close * 1.01,
                "Low": close * 0.99,
                "Close": close,
                "Volume": 1000 + k,
            }
        )
        if ticker == "CCC":
            frame = frame[frame.Date > "2023-05-01"]
        if ticker == "EEE":
            frame = frame[~frame.Date.isin(days[60:70])]
        frames.append(frame)
    return pd.concat(frames).sort_values(["Date", "Ticker"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def price_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prices")
    prices = _long_prices()
    prices.to_csv(folder / "long.csv", index=False, date_format="%Y-%m-%d")
    prices.pivot(index="Date", columns="Ticker", values="Close").to_csv(
        folder / "wide.csv", date_format="%Y-%m-%d"
    )
    # What yfinance.download([...]).to_csv() writes: columns (Price, Ticker), index Date.
    yf = prices.pivot(index="Date", columns="Ticker", values=["Close", "Open"])
    yf.columns.names = ["Price", "Ticker"]
    yf.to_csv(folder / "yfinance.csv", date_format="%Y-%m-%d")
    return folder


@pytest.fixture(scope="module")
def lake_2023(tmp_path_factory) -> LakeFolder:
    """A lake with the sample 2023 documents and calendar built and published."""
    folder = documents_lake(tmp_path_factory.mktemp("research_lake"), DOCUMENTS)
    with dg.instance_for_test() as instance:
        years = materialize([documents, recon_calendar], folder.resources(), instance, "2023", publish=True)
        assert years.success, failure_lines(years)
    return folder


def _pandas_effect(path, groups: dict[str, str] = GROUP) -> pd.DataFrame:
    """The medians and means in plain pandas, from the file, the lists' symbols and the NYSE calendar
    alone."""
    import exchange_calendars as xcals
    import pandas as pd

    df = pd.read_csv(path, parse_dates=["Date"])
    sessions = xcals.get_calendar("XNYS").sessions_in_range("2023-01-01", "2023-12-31")
    rank = sessions.get_indexer([pd.Timestamp(RANK_DAY)])[0]
    close = sessions.get_indexer([pd.Timestamp(RECON_CLOSE)])[0]
    offsets = pd.Series(
        range(rank - 20 - close, 21), index=sessions[rank - 20 : close + 21], name="session_offset"
    )
    reference = df[df.Date <= pd.Timestamp(RANK_DAY)].sort_values("Date").groupby("Ticker").Close.last()
    df = df[df.Ticker.isin(groups) & df.Ticker.isin(reference.index) & df.Date.isin(offsets.index)].copy()
    df["normalized"] = df.Close / df.Ticker.map(reference)
    df["list_group"], df["session_offset"] = df.Ticker.map(groups), df.Date.map(offsets)
    out = (
        df.groupby(["list_group", "session_offset", "Date"])
        .normalized.agg(["count", "median", "mean"])
        .reset_index()
    )
    return out.rename(columns={"Date": "date", "count": "symbols"})


def test_window_runs_from_20_sessions_before_rank_day_to_20_after_recon_close():
    days = window(RANK_DAY, RECON_CLOSE)
    # 20 sessions before Friday 2023-04-28 is Thursday 2023-03-30; 20 after 2023-06-23 is 2023-07-24
    # (Juneteenth and July 4 are holidays).
    assert days["date"][0] == date(2023, 3, 30) and days["date"][-1] == date(2023, 7, 24)
    assert days.filter(pl.col("session_offset") == 0)["date"].item() == RECON_CLOSE
    assert (
        days["session_offset"][-1] == 20
        and days.filter(pl.col("date") == RANK_DAY)["session_offset"].item() == days["session_offset"][0] + 20
    )
    # A rank day on a weekend counts from the session before it (2014: Saturday May 31).
    assert window(date(2014, 5, 31), date(2014, 6, 27), 0)["date"].to_list()[0] == date(2014, 5, 30)


def test_group_paths_take_median_and_mean_of_symbols_with_a_reference_close():
    days = _days_2023()
    prices = pl.DataFrame(
        {
            "date": [RANK_DAY, RANK_DAY, RECON_CLOSE, RECON_CLOSE, RECON_CLOSE, date(2023, 6, 22)],
            "symbol": ["A", "B", "A", "B", "C", "A"],
            "close": [10.0, 20.0, 11.0, 30.0, 5.0, 1.0],
        }
    )
    listed = pl.DataFrame({"list_group": ["addition"] * 3, "symbol": ["A", "B", "C"]})
    paths, effect = listed_effect(prices, listed, days)
    assert paths.equals(normalized_paths(prices, listed, days)) and set(paths["symbol"]) == {"A", "B"}
    at_close = effect.filter(pl.col("session_offset") == 0).row(0, named=True)
    assert (at_close["symbols"], at_close["median"], at_close["mean"]) == (
        2,
        pytest.approx(1.3),
        pytest.approx(1.3),
    )
    assert effect.filter(pl.col("session_offset") == -1)["median"].item() == 0.1
    assert effect["symbols"].to_list() == [2, 1, 2]  # rank day, the day before recon_close, recon_close


def test_group_means_are_bit_identical_whatever_order_the_paths_come_in():
    rng = np.random.default_rng(11)
    n, days = 500, _days_2023().window
    paths = pl.DataFrame(
        {
            "list_group": ["addition"] * (n * days.height),
            "symbol": [f"S{i}" for i in range(n) for _ in range(days.height)],
            "session_offset": days["session_offset"].to_list() * n,
            "date": days["date"].to_list() * n,
            "close": 1.0,
            "reference_close": 1.0,
            "normalized": rng.lognormal(0, 0.1, n * days.height),
        }
    )
    first = group_paths(paths)
    for seed in range(3):
        assert first.equals(group_paths(paths.sample(fraction=1.0, shuffle=True, seed=seed)))


def _same_as_pandas(
    stdout: str, path, groups: dict[str, str] = GROUP, index: str = "Russell 2000"
) -> pl.DataFrame:
    """The CLI's rows, after checking them against the plain pandas computation on the same file; each
    row says its year and the index whose lists make its group (dropped from what is returned)."""
    mine = pl.read_csv(io.StringIO(stdout), try_parse_dates=True)
    assert set(mine["recon_year"]) == {2023} and set(mine["index_name"]) == {index}
    mine = mine.drop("index_name")
    assert mine.columns == [
        "recon_year",
        "list_group",
        "session_offset",
        "date",
        "symbols",
        "median",
        "mean",
        "price_source",
    ]
    assert set(mine["price_source"]) == {
        f"imported file {Path(path).name}"
    }  # the file given, never synthetic
    expected = pl.from_pandas(_pandas_effect(path, groups)).with_columns(pl.col("date").dt.date())
    assert mine.height == expected.height == 2 * 79  # 79 sessions, both groups on every one
    for col in ("list_group", "session_offset", "date", "symbols"):
        assert mine[col].to_list() == expected[col].to_list(), col
    for col in ("median", "mean"):
        assert np.allclose(mine[col].to_numpy(), expected[col].to_numpy(), rtol=1e-12, atol=0), col
    return mine


def test_event_study_median_paths_equal_a_plain_pandas_computation(lake_2023, price_files):
    env = lake_2023.env()
    run = run_main("event-study", "2023", "--prices", str(price_files / "long.csv"), env=env)
    assert run.returncode == 0, run.stderr
    mine = _same_as_pandas(run.stdout, price_files / "long.csv")
    # CCC (no close by rank day) and ZZZ (no prices) do not count; EEE drops out where it has no close.
    assert set(mine.filter(pl.col("list_group") == "addition")["symbols"]) == {2}
    assert set(mine.filter(pl.col("list_group") == "deletion")["symbols"]) == {2, 3}
    assert (
        "2023 additions (Russell 2000): 2 of 4 names have a close on or before rank day 2023-04-28"
        in run.stderr
        and "2023 deletions (Russell 2000): 3 of 3 names" in run.stderr
        and "recon_close 2023-06-23 (session_offset 0)" in run.stderr
    )
    # The installed console script, as a user runs it.
    script = Path(sys.executable).parent / "russell-pipeline"
    as_json = subprocess.run(
        [str(script), "event-study", "2023", "--prices", str(price_files / "long.csv"), "--format", "json"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert as_json.returncode == 0 and json.loads(as_json.stdout)[0]["list_group"] == "addition"
    assert pl.DataFrame(json.loads(as_json.stdout))["median"].to_list() == mine["median"].to_list()


@pytest.mark.parametrize(
    "covers, refused",
    [
        ("deletions", "2023 additions (Russell 2000): 0 of 4 names"),
        (
            "2025",
            (
                "2023 additions (Russell 2000): 0 of 4 names have a close on or before rank day 2023-04-28; "
                "2023 deletions (Russell 2000): 0 of 3 names"
            ),
        ),
    ],
)
def test_a_price_file_that_leaves_a_group_without_prices_says_so_per_group(
    lake_2023, tmp_path, covers, refused
):
    """A file that covers part of a year's names (only the deleted names, or only 2025): `import-prices`
    says per group how many names it prices (a warning for a group with none; it used to say nothing,
    and the build warned of one symbol), and `event-study` refuses, naming each group without a price
    (it used to print the other group's rows and exit 0)."""
    import exchange_calendars as xcals
    import pandas as pd

    prices = _long_prices()
    if covers == "deletions":
        prices = prices[prices.Ticker.isin(["DDD", "EEE", "FFF"])]
    else:
        prices = prices.assign(Date=prices.Date + pd.DateOffset(years=2))
        prices = prices[prices.Date.dt.day_of_week < 5].drop_duplicates(["Date", "Ticker"])
        days = set(xcals.get_calendar("XNYS").sessions_in_range("2025-01-01", "2025-12-31"))
        prices = prices[prices.Date.isin(days)]
    path = tmp_path / f"{covers}.csv"
    prices.to_csv(path, index=False, date_format="%Y-%m-%d")
    # The lake's own Dagster home: its build left none.
    folder = lake_folder(lake_2023.root, home=lake_2023.root / ".dagster")
    study = folder.run("event-study", "2023", "--prices", str(path))
    assert study.returncode == 1 and study.stdout == "" and study.stderr.count("\n") == 1, study.stderr
    assert study.stderr.startswith(f"error: {path}: {refused}") and "every group" in study.stderr
    imported = folder.run("import-prices", str(path))
    assert imported.returncode == 0, imported.stderr
    warned = [line for line in imported.stderr.splitlines() if line.startswith("warning: 2023 ")]
    said = [line.strip() for line in imported.stdout.splitlines()[1:]]
    assert len(warned) + len(said) == 2 and all("none, so no path" in line for line in warned)
    assert any("2023 deletions (Russell 2000): 3 of 3 names" in line for line in said) == (
        covers == "deletions"
    )


def test_wide_and_yfinance_layouts_give_the_long_layouts_closes(price_files):
    long = read_price_file(price_files / "long.csv")
    wide, yfinance = read_price_file(price_files / "wide.csv"), read_price_file(price_files / "yfinance.csv")
    assert (long.layout, wide.layout, yfinance.layout) == ("long", "wide", "yfinance")
    ordered = long.prices.sort("date", "symbol")
    assert wide.prices.sort("date", "symbol").equals(ordered)
    assert yfinance.prices.sort("date", "symbol").equals(ordered)


BAD = {
    "duplicate.csv": (
        "Date,Ticker,Open,High,Low,Close,Volume\n2023-03-01,AAA,1,1,1,10,5\n"
        + "2023-03-02,AAA,1,1,1,11,5\n2023-03-01,AAA,1,1,1,12,5\n",
        "duplicate key in row 1 (line 2) and row 3 (line 4)",
    ),
    "weekend.csv": (
        "Date,Ticker,Close\n2023-03-01,AAA,10\n2023-03-04,AAA,11\n",
        "column 'date' row 2 (line 3): 2023-03-04 is a Saturday, not an NYSE session",
    ),
    "negative.csv": (
        "Date,Ticker,Close\n2023-03-01,AAA,10\n2023-03-02,AAA,-1\n",
        "column 'close' row 2 (line 3): must be positive",
    ),
    "future.csv": ("Date,Ticker,Close\n2034-03-01,AAA,10\n", "row 1 (line 2): dated after"),
    "wide_negative.csv": (
        "Date,AAA,BBB\n2023-03-01,10,\n2023-03-02,11,-3\n",
        "column 'close' line 3 (ticker BBB): must be positive",
    ),
    "unknown.csv": ("when,what,price\n2023-03-01,AAA,10\n", "unknown price file layout"),
    # A line short of a cell was read with the cell empty: a long file's missing Close refused as an
    # empty value, a wide file's as "rows hold N cells"; every layout now names the line.
    "short.csv": (
        "Date,Ticker,Open,Close\n2023-03-01,AAA,1,10\n2023-03-02,AAA,11\n",
        "line 3: 3 fields, the header has 4 (a line cut short, or a field left out)",
    ),
    "wide_long_line.csv": (
        "Date,AAA,BBB\n2023-03-01,10,12\n2023-03-02,11,13,14\n",
        "line 3: 4 fields, the header has 3 (a field too many)",
    ),
    "yfinance_short.csv": (
        "Price,Close,Close\nTicker,AAA,BBB\nDate,,\n2023-03-01,10,12\n2023-03-02,11\n",
        "line 5: 2 fields, the header has 3",
    ),
    "cyrillic.csv": (
        "Date,Ticker,Close\n2023-03-01,AAA,10\n2023-03-01,\u0410AA,11\n",
        "column 'symbol' row 2 (line 3): symbol '\u0410AA' holds U+0410 CYRILLIC CAPITAL LETTER A",
    ),
    "wide_zero_width.csv": (
        "Date,AAA,B\u200bB\n2023-03-01,10,12\n",
        "column 'symbol' line 2 (ticker B\u200bB): symbol 'B\\u200bB' holds U+200B ZERO WIDTH SPACE",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_price_file_is_one_line_naming_the_file_and_row(tmp_path, name):
    text, problem = BAD[name]
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_price_file(path, date(2026, 11, 20))
    assert str(err.value).startswith(f"{path}: ") and problem in str(err.value)


@pytest.mark.parametrize("name", ["duplicate.csv", "weekend.csv", "negative.csv", "unknown.csv"])
def test_event_study_refuses_a_bad_file_with_one_line_and_exit_1(lake_2023, tmp_path, name):
    path = tmp_path / name
    path.write_text(BAD[name][0])
    run = run_main("event-study", "2023", "--prices", str(path), env=lake_2023.env())
    assert run.returncode == 1 and run.stdout == ""
    assert (
        run.stderr.count("\n") == 1
        and run.stderr.startswith(f"error: {path}: ")
        and BAD[name][1] in run.stderr
    )


def test_chart_labels_each_groups_prices_and_never_draws_synthetic_as_real():
    days = _days_2023()
    effect = pl.DataFrame(
        {
            "list_group": ["addition", "index"],
            "session_offset": [0, 0],
            "date": [RECON_CLOSE] * 2,
            "symbols": [1, 1],
            "median": [1.0, 1.0],
            "mean": [1.0, 1.0],
            "price_source": ["imported file p.csv", "synthetic"],
        }
    )
    chart = effect_chart(effect, days)
    assert f"addition: imported file p.csv; index: {SYNTHETIC_WORDS}" in " ".join(chart.title)
    assert [s.label for s in chart.series] == ["additions (median of 1)", "90/10 index (SYNTHETIC)"]
    assert chart.legend and chart.reference == 1.0 and chart.x_label == "sessions from recon_close"
    assert [label for _, label in chart.marks] == ["rank_day", "recon_close"]
    real = " ".join(effect_chart(effect.filter(pl.col("list_group") == "addition"), days).title)
    assert "SYNTHETIC" not in real and "imported file p.csv" in real


def test_asset_materializes_the_paths_of_an_imported_price_file(lake_2023, price_files):
    imported = run_main("import-prices", str(price_files / "long.csv"), env=lake_2023.env())
    assert imported.returncode == 0, imported.stderr
    assert (
        f"long layout, {len(_long_prices())} closes of 8 symbols, 2023-03-01..2023-08-31" in imported.stdout
    )
    verified = run_main("verify", env=lake_2023.env())
    assert verified.returncode == 0 and "research_prices" not in verified.stderr  # its checksums are recorded
    assert lake_2023.lake.warehouse.read("SELECT count(*) FROM research_prices").item() == len(_long_prices())
    resources = lake_2023.resources()
    with dg.instance_for_test() as instance:
        result = materialize([reconstitution_effect], resources, instance, "2023")
        assert result.success, failure_lines(result)
    lake = lake_2023.lake
    effect = lake.tables.read("reconstitution_effect").sort("list_group", "session_offset")
    expected = _pandas_effect(price_files / "long.csv")
    assert effect.filter(pl.col("list_group") != "index")["median"].to_list() == pytest.approx(
        expected["median"].to_list(), rel=1e-12
    )
    assert set(effect["price_source"]) == {"imported file long.csv"}
    paths = lake.tables.read("reconstitution_paths")
    assert sorted(paths["symbol"].unique()) == ["AAA", "BBB", "DDD", "EEE", "FFF"]
    check = next(
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    )
    assert check.check_name == "listed_symbols_priced" and not check.passed
    assert check.metadata["failures"].value == 2  # CCC and ZZZ
    # The build's line: each group and how many of its names are priced, not one symbol.
    assert check.metadata["first"].value == (
        "names without a close on or before rank day: "
        "2023 additions 2 of 4 priced, 2023 deletions 3 of 3 priced"
    )
    events = {
        e.asset_key.to_user_string(): e.step_materialization_data.materialization
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    mine = events["reconstitution_effect"].metadata
    assert mine["partition"].value == "2023" and mine["partition_rows"].value == effect.height == 2 * 79
    assert mine["partition_additions_priced"].value == "2 of 4"
    assert (
        mine["partition_rank_day"].value == "2023-04-28" and mine["partition_synthetic_prices"].value is False
    )
    # The chart in full is the description of the partition's observation that follows its materialization
    # (the UI shows it at its size on the Events tab); the facts link to it in fewer than the 1,000
    # characters the UI shows inline.
    described = {
        (
            e.asset_key.to_user_string(),
            e.asset_observation_data.asset_observation.partition,
        ): e.asset_observation_data.asset_observation.description
        for e in result.all_events
        if e.event_type_value == "ASSET_OBSERVATION"
    }
    chart = described[("reconstitution_effect", "2023")]
    assert chart.startswith("![reconstitution 2023](data:image/svg+xml;base64,")
    svg = ET.fromstring(base64.b64decode(chart.split("base64,")[1].rstrip(")")))
    assert (svg.tag, svg.get("width"), svg.get("height")) == ("{http://www.w3.org/2000/svg}svg", "720", "300")
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert {
        "additions (median of 2)",
        "deletions (median of 3)",
        "rank_day",
        "recon_close",
        "sessions from recon_close",
    } <= texts, texts
    link = mine["partition_chart"].value
    assert len(link) < 1000 and "(/assets/reconstitution_effect?view=events&partition=2023)" in link
    assert "partition_chart" not in events["reconstitution_paths"].metadata
    assert ("reconstitution_paths", "2023") not in described


def _days_2023():
    return event_days(
        pl.DataFrame(
            {
                "recon_year": [2023, 2023],
                "review_type": ["annual_reconstitution"] * 2,
                "event": ["rank_day", "recon_close"],
                "date": [RANK_DAY, RECON_CLOSE],
            }
        ),
        2023,
    )


@pytest.mark.parametrize(
    ("dropped", "listed", "why"),
    [
        ([], [("addition", "AAA"), ("deletion", "DDD")], None),
        (
            ["rank_day"],
            [("addition", "AAA"), ("deletion", "DDD")],
            "recon_calendar 2023: no rank_day of the annual reconstitution",
        ),
        (
            None,
            [],
            "no final addition or deletion list for 2023's annual reconstitution",
        ),  # no changes stored
    ],
)
def test_a_years_lists_and_days_or_why_it_has_none(dropped, listed, why):
    from russell_pipeline.lib.calendar.projection import project_calendar
    from russell_pipeline.lib.documents.reading import CHANGE_COLUMNS

    calendar = project_calendar(2023).filter(~pl.col("event").is_in(dropped or []))
    changes = (
        None
        if dropped is None
        else pl.DataFrame(
            {
                "recon_year": 2023,
                "index_name": "Russell 2000",
                "change": ["addition", "deletion", "addition"],
                "stage": ["final", "final", "preliminary"],
                "symbol": ["AAA", "DDD", "PRLM"],
                "as_of_date": RECON_CLOSE,
            }
        )
        .with_columns(
            *(
                pl.lit(None).cast(t).alias(k)
                for k, t in CHANGE_COLUMNS.items()
                if k not in ("recon_year", "index_name", "change", "stage", "symbol", "as_of_date")
            )
        )
        .cast(CHANGE_COLUMNS)
    )
    got_listed, days, got_why = year_events(changes, calendar, 2023)
    assert (got_listed.rows(), got_why) == (listed, why)
    assert (days.rank_day, days.recon_close) == (RANK_DAY, RECON_CLOSE) if why is None else days is None


def test_index_path_is_the_price_return_level_over_its_level_on_rank_day():
    levels = pl.DataFrame(
        {
            "date": [date(2023, 4, 27), RANK_DAY, RECON_CLOSE, date(2023, 8, 1)],
            "price_return": [990.0, 1000.0, 1100.0, 1200.0],
        }
    )
    path = group_paths(index_path(levels, _days_2023()))
    assert path["list_group"].to_list() == ["index"] * 3 and path["symbols"].to_list() == [1, 1, 1]
    assert path["date"].to_list() == [
        date(2023, 4, 27),
        RANK_DAY,
        RECON_CLOSE,
    ]  # 2023-08-01 is past the window
    assert path["median"].to_list() == [0.99, 1.0, 1.1] and path["session_offset"].to_list() == [-39, -38, 0]
    assert index_path(
        levels.filter(pl.col("date") > RANK_DAY), _days_2023()
    ).is_empty()  # no level by rank day


def test_asset_reads_the_market_data_and_labels_synthetic_prices(lake_2023, tmp_path):
    root = lake_2023.copy(tmp_path).root
    lake = Lake(root)
    shutil.rmtree(lake.tables.folder / "research_prices", ignore_errors=True)
    lake.tables.write(
        "market_prices",
        pl.DataFrame(
            {
                "date": [RANK_DAY, RECON_CLOSE],
                "symbol": ["AAA", "AAA"],
                "close": [10.0, 12.0],
                "currency": ["USD", "USD"],
            }
        ),
    )
    lake.tables.write(
        "market_source",
        pl.DataFrame(
            {
                "source": ["SYNTHETIC feed to 2026-11-20 (not real market data)"],
                "synthetic": [True],
                "last_price_date": [RECON_CLOSE],
            }
        ),
    )
    lake.tables.write(
        "index_levels", pl.DataFrame({"date": [RANK_DAY, RECON_CLOSE], "price_return": [500.0, 450.0]})
    )
    with dg.instance_for_test() as instance:
        result = materialize([reconstitution_effect], lake_folder(root).resources(), instance, "2023")
        assert result.success, failure_lines(result)
    effect = Lake(root).tables.read("reconstitution_effect")
    assert effect.sort("list_group", "session_offset").select(
        "list_group", "session_offset", "symbols", "median"
    ).rows() == [
        ("addition", -38, 1, 1.0),
        ("addition", 0, 1, 1.2),
        ("index", -38, 1, 1.0),
        ("index", 0, 1, 0.9),
    ]
    # A market_source and index_levels written before the label: the synthetic flag still says it.
    assert set(effect["price_source"]) == {"synthetic"}
    assert sorted(Lake(root).tables.read("reconstitution_paths")["symbol"].unique()) == ["AAA", "index"]
    # A year without final lists (and before the first review of index_levels) is written empty and
    # materialized with 0 rows, and says why.
    with dg.instance_for_test() as instance:
        empty = materialize([reconstitution_effect], lake_folder(root).resources(), instance, "2012")
    assert empty.success, failure_lines(empty)
    done = [
        e.step_materialization_data.materialization
        for e in empty.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    ]
    assert sorted(m.asset_key.to_user_string() for m in done) == [
        "reconstitution_effect",
        "reconstitution_paths",
    ]
    assert {(m.partition, m.metadata["partition_rows"].value, m.metadata["status"].value) for m in done} == {
        ("2012", 0, "0 rows: no final addition or deletion list for 2012's annual reconstitution")
    }


def _import_prices(root: Path, prices: Path) -> None:
    """`import-prices PRICES` on the lake at `root`, the verb run in this process (as a subprocess, as a
    user runs it: test_asset_materializes_the_paths_of_an_imported_price_file and
    test_a_price_file_that_leaves_a_group_without_prices_says_so_per_group)."""
    from argparse import Namespace

    from russell_pipeline.cli.research import cmd_import_prices

    assert cmd_import_prices(Namespace(file=str(prices)), lake_folder(root).settings) == 0


def _effect_facts(result) -> dict:
    return {
        k: v.value
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
        and e.asset_key.to_user_string() == "reconstitution_effect"
        for k, v in e.step_materialization_data.materialization.metadata.items()
    }


@pytest.mark.parametrize("market", ["synthetic", "folder"])
def test_each_group_carries_the_source_of_its_own_prices(lake_2023, price_files, tmp_path, market):
    """An imported file prices the listed names; the index group rests on the levels' market data and
    says so, synthetic or a market file, whatever was imported; a file that prices none of a year's
    names leaves only the index group, which never wears the file's name."""
    root = lake_2023.copy(tmp_path).root
    lake = Lake(root)
    label = "synthetic" if market == "synthetic" else "market file prices.csv"
    days = window(RANK_DAY, RECON_CLOSE)["date"]
    lake.tables.write(
        "market_prices",
        pl.DataFrame({"date": [RANK_DAY], "symbol": ["AAA"], "close": [10.0], "currency": ["USD"]}),
    )
    lake.tables.write(
        "market_source",
        pl.DataFrame(
            {
                "source": ["x"],
                "synthetic": [market == "synthetic"],
                "last_price_date": [RECON_CLOSE],
                "price_source": [label],
            }
        ),
    )
    lake.tables.write(
        "index_levels",
        pl.DataFrame(
            {
                "date": days,
                "price_return": [1000.0 + i for i in range(len(days))],
                "price_source": [label] * len(days),
            }
        ),
    )

    def effect_of(prices_file: Path) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
        _import_prices(root, prices_file)
        with dg.instance_for_test() as instance:
            result = materialize([reconstitution_effect], lake_folder(root).resources(), instance, "2023")
            assert result.success, failure_lines(result)
        return (
            Lake(root).tables.read("reconstitution_effect"),
            Lake(root).tables.read("reconstitution_paths"),
            _effect_facts(result),
        )

    effect, paths, facts = effect_of(price_files / "long.csv")
    assert dict(effect.select("list_group", "price_source").unique().rows()) == {
        "addition": "imported file long.csv",
        "deletion": "imported file long.csv",
        "index": label,
    }
    assert dict(paths.select("list_group", "price_source").unique().rows()) == {
        "addition": "imported file long.csv",
        "deletion": "imported file long.csv",
        "index": label,
    }
    assert facts["partition_price_source"] == f"addition, deletion: imported file long.csv; index: {label}"
    assert facts["partition_synthetic_prices"] is (market == "synthetic")
    # A file of other names only (as a 2025-only file is for 2023's lists).
    other = tmp_path / "other.csv"
    other.write_text("Date,Ticker,Close\n2023-04-27,QQQQ,10\n2023-06-23,QQQQ,11\n")
    effect, _, facts = effect_of(other)
    assert effect.height and set(effect["list_group"]) == {"index"} and set(effect["price_source"]) == {label}
    assert facts["partition_price_source"] == f"index: {label}" and "other.csv" not in str(facts)
    assert facts["partition_synthetic_prices"] is (market == "synthetic")


def test_event_study_of_a_year_without_final_lists_is_one_line(lake_2023, price_files):
    run = run_main(
        "event-study",
        "2022",
        "--prices",
        str(price_files / "long.csv"),
        env=lake_2023.env(),
    )
    assert run.returncode == 1 and run.stdout == "" and run.stderr.count("\n") == 1
    assert "no final addition or deletion list for 2022" in run.stderr


def test_event_study_and_asset_on_the_real_2023_lists(tmp_path):
    """The real Russell 3000 final addition and deletion lists of 2023, with a long price file for their
    symbols: the CLI's medians equal pandas', and the asset stores the same paths."""
    root = real_lists(tmp_path / "lake", {2023: REAL_LISTS[2023]}).root
    resources = lake_folder(root).resources()
    with dg.instance_for_test() as instance:
        years = materialize([documents, recon_calendar], resources, instance, "2023", publish=True)
        assert years.success, failure_lines(years)
        changes = Lake(root).tables.read("constituent_changes").filter(pl.col("stage") == "final")
        groups = dict(changes.select("symbol", "change").iter_rows())
        assert len(groups) == 281 + 173
        prices = tmp_path / "prices.csv"
        _long_prices(sorted(groups)).to_csv(prices, index=False, date_format="%Y-%m-%d")
        env = lake_folder(root).env()
        run = run_main("event-study", "2023", "--prices", str(prices), env=env)
        assert run.returncode == 0, run.stderr
        mine = _same_as_pandas(run.stdout, prices, groups, "Russell 3000")
        assert mine["symbols"].max() == 281
        _import_prices(root, prices)
        result = materialize([reconstitution_effect], resources, instance, "2023")
        assert result.success, failure_lines(result)
    stored = Lake(root).tables.read("reconstitution_effect").sort("list_group", "session_offset")
    assert stored.select(mine.columns).equals(mine.with_columns(pl.col("symbols").cast(pl.Int64)))


def test_only_the_annual_reconstitutions_final_lists_count_not_a_quarterly_ipo_reviews():
    from russell_pipeline.lib.calendar.projection import project_calendar
    from russell_pipeline.lib.documents.reading import CHANGE_COLUMNS
    from russell_pipeline.lib.research.event import listed_symbols

    # 2023's rules: March IPO review effective 2023-03-20, annual 2023-06-26, September IPO 2023-09-18.
    rows = [
        ("addition", "final", "AAA", date(2023, 6, 23)),  # the annual's final additions
        ("addition", "final", "IPOM", date(2023, 3, 3)),  # the March IPO review's final additions
        ("addition", "final", "IPOS", date(2023, 9, 1)),  # the September IPO review's
        ("deletion", "final", "DDD", None),  # undated: its year's annual reconstitution's
        ("addition", "preliminary", "PRLM", date(2023, 5, 19)),
    ]
    changes = (
        pl.DataFrame(
            [
                {
                    "recon_year": 2023,
                    "index_name": "Russell 3000",
                    "change": c,
                    "stage": s,
                    "symbol": sym,
                    "as_of_date": d,
                }
                for c, s, sym, d in rows
            ]
        )
        .with_columns(
            *(
                pl.lit(None).cast(t).alias(k)
                for k, t in CHANGE_COLUMNS.items()
                if k not in ("recon_year", "index_name", "change", "stage", "symbol", "as_of_date")
            )
        )
        .cast(CHANGE_COLUMNS)
    )
    calendar = project_calendar(2023)
    assert set(calendar["review_type"]) >= {"annual_reconstitution", "quarterly_ipo"}
    annual = listed_symbols(changes, 2023, calendar)
    assert annual.rows() == [("addition", "AAA"), ("deletion", "DDD")]
    # Without a calendar the lists cannot be placed: every final list of the year counts.
    assert listed_symbols(changes, 2023).rows() == [
        ("addition", "AAA"),
        ("addition", "IPOM"),
        ("addition", "IPOS"),
        ("deletion", "DDD"),
    ]


def test_a_years_digest_moves_with_an_import_and_the_market_up_to_its_window_only(lake_2023, tmp_path):
    from russell_pipeline.lib.market.year_digests import market_days
    from russell_pipeline.planning import research_years

    root = lake_2023.copy(tmp_path).root
    lake = Lake(root)
    shutil.rmtree(lake.tables.folder / "research_prices", ignore_errors=True)

    def digest() -> dict[int, str]:
        return {y: i.digest for y, i in research_years.year_inputs(Lake(root), [2012, 2023]).items()}

    empty = digest()
    assert research_years.year_inputs(lake, [2023])[2023].why == research_years.NO_PRICES
    prices = {"date": [RANK_DAY, RECON_CLOSE], "symbol": ["AAA", "AAA"], "close": [10.0, 12.0]}
    lake.tables.write("market_prices", pl.DataFrame(prices | {"currency": ["USD", "USD"]}), publish=False)
    days = market_days(
        {"prices": pl.DataFrame(prices), "shares": None, "dividends": None, "splits": None, "fx": None}
    )
    lake.tables.write("market_days", days, publish=False)
    market = digest()
    assert market[2012] == empty[2012] and market[2023] != empty[2023]  # 2012 has no lists: its reason stays
    # A close after 2023's window (it ends 20 sessions after recon_close) leaves the year up to date ...
    later = market_days(
        {
            "prices": pl.DataFrame(prices).vstack(
                pl.DataFrame({"date": [date(2023, 9, 1)], "symbol": ["AAA"], "close": [13.0]})
            ),
            "shares": None,
            "dividends": None,
            "splits": None,
            "fx": None,
        }
    )
    lake.tables.write("market_days", later, publish=False)
    assert digest() == market
    # ... one inside it does not.
    inside = market_days(
        {
            "prices": pl.DataFrame(prices).vstack(
                pl.DataFrame({"date": [date(2023, 7, 3)], "symbol": ["AAA"], "close": [13.0]})
            ),
            "shares": None,
            "dividends": None,
            "splits": None,
            "fx": None,
        }
    )
    lake.tables.write("market_days", inside, publish=False)
    assert digest()[2023] != market[2023]
    # An imported file replaces the market data; importing again re-plans the year, a vacuum does not.
    lake.tables.write("research_prices", pl.DataFrame(prices | {"source": ["a.csv", "a.csv"]}), publish=False)
    first = digest()
    assert first[2023] not in (market[2023], empty[2023])
    lake.tables.write("research_prices", pl.DataFrame(prices | {"source": ["a.csv", "a.csv"]}), publish=False)
    again = digest()
    assert again[2023] != first[2023]
    assert lake.vacuum(retention_hours=0) >= 1 and digest() == again


def test_the_reference_close_is_the_last_on_or_before_rank_day_never_the_session_after():
    days = _days_2023()
    before, after = date(2023, 4, 27), date(2023, 5, 1)  # the sessions either side of Friday 28 April
    prices = pl.DataFrame(
        {
            "date": [before, RANK_DAY, after, before, after, after, RECON_CLOSE, RECON_CLOSE, RECON_CLOSE],
            "symbol": ["ON", "ON", "ON", "BEFORE", "BEFORE", "AFTER", "ON", "BEFORE", "AFTER"],
            "close": [1.0, 4.0, 9.0, 5.0, 7.0, 2.0, 8.0, 10.0, 4.0],
        }
    )
    listed = pl.DataFrame({"list_group": ["addition"] * 3, "symbol": ["ON", "BEFORE", "AFTER"]})
    paths = normalized_paths(prices, listed, days)
    assert dict(paths.select("symbol", "reference_close").unique().iter_rows()) == {"ON": 4.0, "BEFORE": 5.0}
    at_close = paths.filter(pl.col("date") == RECON_CLOSE)
    assert dict(at_close.select("symbol", "normalized").iter_rows()) == {"ON": 2.0, "BEFORE": 2.0}
