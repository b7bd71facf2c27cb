"""The upcoming review's pro-forma from its reconstitution forecast, as a user runs it: a synthetic feed
whose closes reach past the 2020 rank day but not June's cut-off, so June's members are not in the data,
`build`, then `pro-forma 2020-06` (docs/methodology.md §1.10). The feed has more stocks than the
Russell 1000 break, so the forecast keeps a Russell 2000 Growth to weigh."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from russell_pipeline.lib.index import pro_forma as pf
from russell_pipeline.lib.index.weights import compute_weights
from russell_pipeline.lib.market.contract import load_market_data
from russell_pipeline_tests.helpers import up_to_date_lines
from russell_pipeline_tests.lakes import LakeFolder, SharedLakes

LAST_CLOSE = date(2020, 6, 5)  # after the rank day (8 May), before June's cut-off (17 June)
REVIEW, CARRIED, EFFECTIVE = "2020-06", "2020-03", date(2020, 6, 26)


@pytest.fixture(scope="module")
def built(tmp_path_factory, lakes: SharedLakes) -> LakeFolder:
    """The sample documents over this feed, built on a copy of the shared built lake (`lakes.copy`): the
    reviews of both feeds run, and those of the small feed this one has no members for (2019-03, 2019-06)
    are emptied."""
    from russell_pipeline.lib.market.contract import write_market_data
    from russell_pipeline.lib.market.synthetic import synthetic_market_data

    # Members from 2019-09 to 2020-03 (reviews whose cut-off has passed); a short history keeps it quick.
    md = synthetic_market_data(LAST_CLOSE, n_stocks=1200, start=date(2019, 6, 3))
    folder = lakes.copy(
        tmp_path_factory.mktemp("pro_forma_forecast"), feed=lambda market: write_market_data(md, market)
    )
    done = folder.build()
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"pro_forma_weights: 6 out of date (2019-03..{REVIEW})" in done.stdout, done.stdout
    return folder


@pytest.mark.slow
def test_the_upcoming_review_takes_the_forecasts_members(built: LakeFolder):
    from russell_pipeline.lake.index_tables import forecast_rows

    done = built.cli("pro-forma", REVIEW, cwd=built.root.parent)
    assert done.returncode == 0, done.stderr
    rows = pl.read_csv(io.StringIO(done.stdout), schema_overrides={"forecast_action": pl.String})
    assert set(rows.select("members_review", "members_carried", "members_forecast").rows()) == {
        (CARRIED, True, True)
    }
    forecast = forecast_rows(built.lake, REVIEW)
    actions = dict(forecast.select("symbol", "action").iter_rows())
    assert {"add", "delete", "move_up"} <= set(actions.values())
    assert all(a == actions.get(s) for s, a in rows.select("symbol", "forecast_action").iter_rows())

    # Against the members carried as they are: exactly the forecast's deletions leave and its additions
    # (each with a close and shares on 5 June here) join.
    md = load_market_data(built.market)
    plain = set(pf.carry(md, REVIEW, CARRIED, LAST_CLOSE).memberships["symbol"])
    members = set(rows.filter(pl.col("weight_pro_forma") != 0)["symbol"])
    added, deleted = set(pf.additions(forecast)), {s for s, a in actions.items() if a == "delete"}
    assert added and deleted & plain and not added & plain
    assert members - plain == added and plain - members == deleted & plain
    # Weighed by the method: the additions in the Small Cap Completeness only, the moves up out of the
    # Russell 2000 Growth.
    changed = pf.carry(md, REVIEW, CARRIED, LAST_CLOSE, forecast=forecast)
    moved_up = {s for s, a in actions.items() if a == "move_up"}
    growth = set(changed.memberships.filter(pl.col("index") == "RUSSELL_2000_GROWTH")["symbol"])
    assert growth and not growth & (moved_up | added)
    target = compute_weights(changed, REVIEW, LAST_CLOSE, EFFECTIVE).select("symbol", "weight")
    mine = rows.filter(pl.col("weight_pro_forma") != 0).join(target, on="symbol", how="full", coalesce=True)
    assert mine.height == target.height and (mine["weight_pro_forma"] - mine["weight"]).abs().max() <= 1e-15

    # Stderr says whose members these are, and what the forecast changed.
    assert (
        f"members forecast: the market data holds no members for {REVIEW} yet, so these are the members of "
        f"{CARRIED} as the reconstitution forecast of {REVIEW} changes them: {len(added)} added"
    ) in done.stderr
    assert f", {len(deleted & plain)} deleted, 0 additions left unplaced" in done.stderr


@pytest.mark.slow
def test_a_changed_forecast_recomputes_the_upcoming_pro_forma_only(built: LakeFolder, tmp_path: Path):
    from russell_pipeline.planning import stale

    folder = built.copy(tmp_path / "copy")
    # Nothing changed: a second build launches nothing, and says so stage by stage.
    again = folder.build()
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.splitlines()[: len(up_to_date_lines())] == up_to_date_lines()
    # The stored forecast of June says one more deletion: June's pro-forma is out of date, nothing else.
    lake = folder.lake
    year = lake.tables.read("reconstitution_forecast", "recon_year", [2020])
    kept = year.filter(pl.col("review") == REVIEW, pl.col("action") == "stay")["symbol"][0]
    year = year.with_columns(
        action=pl.when(pl.col("symbol") == kept).then(pl.lit("delete")).otherwise(pl.col("action"))
    )
    lake.tables.write("reconstitution_forecast", year, "recon_year", [2020])
    assert stale.stale_reviews(lake) == {
        "quarterly_weights": [],
        "index_levels": [],
        "pro_forma_weights": [REVIEW],
    }
