"""The embedded defaults: `make run`'s build (the committed sample documents, the built-in synthetic
feed to the last completed session) ends with every check green because the sample is right."""

from __future__ import annotations

import re
from datetime import timedelta

import dagster as dg
import polars as pl
import pytest

from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.sessions import sessions
from russell_pipeline_tests.lakes import sample_lake


@pytest.fixture(scope="module")
def default_build(tmp_path_factory):
    """(lake root, instance, the build's stdout and stderr) of the build `make run` runs on a fresh clone
    (the sample documents, no market data folder, a new Dagster home), run in this process as the command
    runs it (`LakeFolder.build`; test_cli.py runs the command itself on a new lake)."""
    root = tmp_path_factory.mktemp("default")
    folder = sample_lake(root / "data_lake", home=root / "home")  # no market data: the built-in feed
    (root / "home").mkdir()
    done = folder.build()
    assert done.returncode == 0, done.stderr[-3000:]
    with dg.DagsterInstance.from_config(str(root / "home")) as instance:
        yield root / "data_lake", instance, done.stdout, done.stderr


@pytest.mark.slow
def test_every_check_of_the_default_build_is_evaluated_and_passes(default_build):
    _, instance, stdout, stderr = default_build
    assert "checks failed" not in stdout
    assert not [line for line in stderr.splitlines() if re.search(r"(?i)fail|error|warn", line)], stderr
    evaluations = [
        entry.dagster_event.event_specific_data
        for run in instance.get_runs()
        for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    ]
    failed = [
        (e.asset_key.to_user_string(), e.check_name, {k: v.value for k, v in e.metadata.items()})
        for e in evaluations
        if not e.passed
    ]
    assert not failed
    from russell_pipeline.definitions import defs

    declared = {
        (key.asset_key.to_user_string(), key.name) for key in defs.resolve_asset_graph().asset_check_keys
    }
    evaluated = {(e.asset_key.to_user_string(), e.check_name) for e in evaluations}
    assert declared <= evaluated  # green because each ran, not because it was skipped


@pytest.mark.slow
def test_no_run_of_the_default_build_logs_a_warning(default_build):
    _, instance, _, _ = default_build
    runs = instance.get_runs()
    assert len(runs) >= 7 and all(r.is_success for r in runs)
    warnings = [
        (r.job_name, e.user_message[:200]) for r in runs for e in instance.all_logs(r.run_id) if e.level >= 30
    ]
    assert not warnings


@pytest.mark.slow
def test_the_synthetic_feed_prices_every_sample_symbol_before_its_rank_day(default_build):
    lake = Lake(default_build[0])
    listed = lake.tables.read("constituent_changes").select("recon_year", "change", "symbol").unique()
    assert set(listed["recon_year"]) == {2020, 2023} and listed.height == 256 + 161
    rank_days = lake.tables.read("recon_calendar").filter(
        (pl.col("event") == "rank_day") & (pl.col("review_type") == "annual_reconstitution")
    )
    closes = (
        lake.tables.read("market_prices")
        .join(listed, on="symbol")
        .join(rank_days.select("recon_year", rank_day="date"), on="recon_year")
    )
    for (year,), rows in listed.group_by("recon_year"):
        rank_day = rank_days.filter(pl.col("recon_year") == year)["date"][0]
        not_stale = sessions(rank_day - timedelta(days=30), rank_day)[-11:]  # the 10 sessions up to rank day
        priced = closes.filter(pl.col("recon_year") == year, pl.col("date").is_in(not_stale))[
            "symbol"
        ].unique()
        assert set(rows["symbol"]) == set(priced), year
    # The reconstitution effect of 2020's final (deletion) list holds every listed symbol, beside the index.
    paths = (
        lake.tables.read("reconstitution_paths")
        .group_by("recon_year", "list_group")
        .agg(pl.col("symbol").n_unique())
    )
    assert sorted(paths.rows()) == [(2020, "deletion", 256), (2020, "index", 1)]
    assert set(lake.tables.read("market_source")["synthetic"]) == {True}


@pytest.mark.slow
def test_the_readme_says_what_a_build_materializes(default_build):
    """The README's sentence on materializations, held against the instance `make run` leaves: every
    partition of `constituents` the build wrote has its materialization, a year without documents
    between two with them too (`status` `0 rows: ...`), and a year with no input, never run, has none
    (before, every one of the 42 years was materialized)."""
    from pathlib import Path

    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8").split())
    assert "one materialization per partition a build writes" in readme and "`0 rows:`" in readme
    assert "one with no input, a year without documents, is not run" in readme
    _, instance, _, _ = default_build
    key = dg.AssetKey("constituents")
    done = instance.get_materialized_partitions(key)
    assert done == {str(y) for y in range(2019, 2025)} and "1995" in _year_keys()
    events = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key), limit=1000).records
    statuses = {
        r.asset_materialization.partition: str(r.asset_materialization.metadata["status"].value)
        for r in events
    }
    assert statuses["2021"].startswith("0 rows: no documents under raw/2021/")


def _year_keys() -> set[str]:
    from russell_pipeline.defs.partitions import recon_years

    return set(recon_years.get_partition_keys())


# ---------------------------------------------------------------- what the forecast and the pro-forma trade
TRACKED = "Russell 2000=1e12,Russell 1000=1e13"
ASSETS = {"Russell 2000": 1e12, "Russell 1000": 1e13}
TRADED = ("add", "delete", "move_up", "move_down")


def _folder(default_build):
    from russell_pipeline_tests.lakes import lake_folder

    root = default_build[0]
    return lake_folder(root, home=root.parent / "home")


def _adv(prices: pl.DataFrame, day, symbols) -> dict[str, tuple[float, int]]:
    """symbol -> (the mean of its volumes over the 20 last dates the market data has closes for up to
    `day`, how many it has there; the synthetic feed trades every session): worked out here from the
    stored closes alone."""
    dates = prices.filter(pl.col("date") <= day)["date"].unique().sort().tail(20)
    window = prices.filter(pl.col("date").is_in(dates.implode()), pl.col("symbol").is_in(list(symbols)))
    known = window.filter(pl.col("volume").is_not_null())
    means = known.group_by("symbol").agg(pl.col("volume").mean(), pl.len())
    return {s: (m, n) for s, m, n in means.iter_rows()}


@pytest.mark.slow
def test_forecast_demand_prints_every_trade_with_shares_and_days_of_volume_recomputed_from_the_tables(
    default_build,
):
    import csv
    import io
    import math

    lake = Lake(default_build[0])
    forecast = lake.tables.read("reconstitution_forecast")
    year = int(forecast["recon_year"].max())  # 2026 on the day this was written
    done = _folder(default_build).run("forecast", str(year), "--demand", "--tracked", TRACKED)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    mine = forecast.filter(pl.col("recon_year") == year)
    traded = mine.filter(pl.col("action").is_in(TRADED))
    assert {(r["review"], r["symbol"]) for r in rows} == set(traded.select("review", "symbol").iter_rows())
    for r in rows:
        tracked = r["index_name"] in ASSETS
        assert (r["shares"] != "" and r["days_of_volume"] not in ("", "unknown")) == tracked, r
        assert r["cap_basis"] == "total market cap" and r["price_source"] == "synthetic"

    # Each figure of every 20th row worked out again from the stored forecast caps, closes and volumes.
    prices = lake.tables.read("market_prices")
    members = {
        "Russell 1000": ["Russell 1000"],
        "Russell 2000": ["Russell 2000"],
        "Russell 3000": ["Russell 1000", "Russell 2000", "Russell 3000"],
    }
    for r in rows[::20]:
        review = mine.filter(pl.col("review") == r["review"])
        me = review.filter(pl.col("symbol") == r["symbol"]).row(0, named=True)
        index = members[r["index_name"]]
        total_before = (
            review.filter(pl.col("index_before").is_in(index))["total_market_cap"].drop_nulls().sum()
        )
        total_after = review.filter(pl.col("index_after").is_in(index))["total_market_cap"].sum()
        wb = me["total_market_cap"] / total_before if me["index_before"] in index else 0.0
        wa = me["total_market_cap"] / total_after if me["index_after"] in index else 0.0
        per_billion = (wa - wb) * 1e9 / me["price"]
        adv, sessions_averaged = _adv(prices, me["rank_day"], [r["symbol"]])[r["symbol"]]
        assert float(r["weight_before"]) == pytest.approx(wb, rel=1e-9)
        assert float(r["weight_after"]) == pytest.approx(wa, rel=1e-9)
        assert float(r["shares_per_billion"]) == pytest.approx(per_billion, rel=1e-9)
        assert float(r["adv_shares"]) == pytest.approx(adv, rel=1e-12)
        assert r["adv_sessions"] == str(sessions_averaged)
        if r["index_name"] in ASSETS:
            shares = per_billion * ASSETS[r["index_name"]] / 1e9
            assert float(r["shares"]) == pytest.approx(shares, rel=1e-9)
            assert float(r["value"]) == pytest.approx(shares * me["price"], rel=1e-9)
            assert float(r["days_of_volume"]) == pytest.approx(abs(shares) / adv, rel=1e-9)

    # Stderr: the figures used, what each index buys and sells, the names over 1, 3 and 5 days.
    lines = done.stderr.splitlines()
    assert (
        "tracked assets (--tracked): Russell 1000 $10,000,000,000,000, Russell 2000 $1,000,000,000,000"
        in done.stderr
    )
    for review in sorted(set(traded["review"])):
        for index in ASSETS:
            values = [
                float(r["value"])
                for r in rows
                if r["review"] == review and r["index_name"] == index and r["value"]
            ]
            bought, sold = math.fsum(v for v in values if v > 0), abs(math.fsum(v for v in values if v < 0))
            said = next(ln for ln in lines if ln.startswith(f"{review} {index}: buys "))
            from russell_pipeline.lib.forecast.tracked import usd

            assert said == (
                f"{review} {index}: buys {usd(bought)} of {sum(v > 0 for v in values)} names, "
                f"sells {usd(sold)} of {sum(v < 0 for v in values)} names"
            )
        over = next(
            ln for ln in lines if ln.startswith(f"{review} days of volume, net over the tracked indexes")
        )
        assert "over 1 day " in over and "over 3 days " in over and "over 5 days " in over


@pytest.mark.slow
def test_pro_forma_sized_for_a_fund_gives_shares_volume_and_days_and_unknown_where_no_volume(default_build):
    import csv
    import io

    lake = Lake(default_build[0])
    stored = lake.tables.read("pro_forma_weights")
    review = stored["review"].max()  # the upcoming review: 2026-12 on the day this was written
    done = _folder(default_build).run("pro-forma", review, "--aum", "1e9", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0])[:10] == [
        "symbol",
        "move",
        "weight_now",
        "weight_pro_forma",
        "change",
        "shares_per_billion",
        "shares",
        "adv_shares",
        "adv_pct",
        "days_to_trade",
    ]
    mine = {r["symbol"]: r for r in stored.filter(pl.col("review") == review).iter_rows(named=True)}
    assert sorted(r["symbol"] for r in rows) == sorted(mine)
    for r in rows:  # every row: the weight change times the assets over the price, both signs
        s = mine[r["symbol"]]
        assert float(r["shares"]) == pytest.approx(s["change"] * 1e9 / (s["price"] * s["fx"]), rel=1e-12)
        assert r["move"] == s["move"] and r["move"] in ("in", "out", "stay")
    signs = {float(r["shares"]) > 0 for r in rows if float(r["shares"]) != 0}
    assert signs == {True, False}
    as_of = next(iter(mine.values()))["as_of_date"]
    adv = {s: m for s, (m, _) in _adv(lake.tables.read("market_prices"), as_of, mine).items()}
    unknown = [r for r in rows if r["symbol"] not in adv]
    assert unknown, "the upcoming review's stocks that stopped trading have no volume"
    for r in rows:
        if r["symbol"] in adv:
            shares = abs(float(r["shares"]))
            assert float(r["adv_shares"]) == pytest.approx(adv[r["symbol"]], rel=1e-12)
            assert float(r["adv_pct"]) == pytest.approx(100 * shares / adv[r["symbol"]], rel=1e-9)
            assert float(r["days_to_trade"]) == pytest.approx(shares / (0.2 * adv[r["symbol"]]), rel=1e-9)
        else:  # never 0
            assert (r["adv_shares"], r["adv_pct"], r["days_to_trade"]) == ("unknown",) * 3
    assert (
        "sized for a fund of $1,000,000,000 trading at most 20% of each session's volume "
        f"(the average of the 20 sessions to {as_of})"
    ) in done.stderr
    assert f"{len(unknown)} names have no volume in the market data" in done.stderr


@pytest.mark.slow
def test_the_report_forecast_page_shows_the_numbers_of_the_tables_and_renders(
    browser, default_build, tmp_path
):
    from russell_pipeline.lib.forecast.demand import net_days, sized
    from russell_pipeline.lib.forecast.predict import ACTIONS
    from russell_pipeline_tests.helpers import html_tables

    lake = Lake(default_build[0])
    out = tmp_path / "report"
    done = _folder(default_build).run("report", "--out", str(out), "--tracked", TRACKED)
    assert done.returncode == 0, done.stderr
    page = (out / "forecast.html").read_text()
    forecast = lake.tables.read("reconstitution_forecast")
    last = lake.tables.read("market_source")["last_price_date"][0]
    opens = lake.tables.read("recon_calendar").filter(pl.col("event") == "effective_open")
    upcoming = sorted(set(forecast["review"]) & set(opens.filter(pl.col("date") > last)["review"])) or [
        forecast["review"].max()
    ]
    assert f"(the forecast of {', '.join(upcoming)})" in done.stdout
    [review] = upcoming[-1:]  # the page has a section for each; the last is checked here in full
    section = page.split(f'<section id="{review}">')[1].split("</section>")[0]
    tables = html_tables(section)
    counts = dict(forecast.filter(pl.col("review") == review).group_by("action").len().iter_rows())
    assert tables["actions"] == [list(ACTIONS), [f"{counts.get(a, 0):,}" for a in ACTIONS]]
    breaks = lake.tables.read("forecast_breaks").filter(pl.col("review") == review).sort("rank")
    assert [row[:2] for row in tables["breaks"][1:]] == [
        [b, f"{r:,}"] for b, r in breaks.select("break", "rank").iter_rows()
    ]
    demand = lake.tables.read("reconstitution_demand").filter(pl.col("review") == review)
    top = net_days(sized(demand, ASSETS)).head(15)
    assert [(row[0], row[5]) for row in tables["top"][1:]] == [
        (s, f"{d:,.1f}") for s, d in top.select("symbol", "days_of_volume").iter_rows()
    ]
    svg = (out / f"forecast_{review}.svg").read_text()
    assert svg.count("<polyline") == 1 and f"{review}: cumulative market cap by rank" in svg
    view = browser.new_page(viewport={"width": 1200, "height": 900})
    view.goto((out / "forecast.html").as_uri())
    image = view.locator(f'section[id="{review}"] img')
    assert image.evaluate("img => img.complete && [img.naturalWidth, img.naturalHeight]") == [900, 420]
    assert view.locator(f'section[id="{review}"] table.top tbody tr').count() == top.height
    view.close()
    assert 'href="forecast.html"' in (out / "report.html").read_text()
