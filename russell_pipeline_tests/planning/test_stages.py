"""The stage table (planning/stages.py) says what the Dagster definitions do: each stage's job, the tables
it writes and the tables its assets read."""

from __future__ import annotations

import pytest

from russell_pipeline.planning.stages import MARKET, STAGES, Plan, Stage, spans


@pytest.fixture(scope="module")
def graph():
    from russell_pipeline.definitions import defs

    return defs, defs.resolve_asset_graph()


def _assets(stage: Stage, defs) -> set[str]:
    """The assets a stage's runs materialize."""
    if stage.select is not None:
        return {a for t in stage.targets for a in stage.assets(t)}
    return {k.to_user_string() for k in defs.resolve_job_def(stage.job).asset_layer.selected_asset_keys}


def _tables(stage: Stage) -> set[str]:
    """The assets that write a stage's tables: the market data is one asset writing the market tables;
    every other asset is the table it writes."""
    return {"market_data"} if stage is MARKET else set(stage.writes)


@pytest.mark.parametrize("job", sorted({s.job for s in STAGES}))
def test_the_stages_of_a_job_write_the_tables_of_its_assets(job, graph):
    defs, _ = graph
    written = {a for s in STAGES if s.job == job for a in _tables(s)}
    assert written == {k.to_user_string() for k in defs.resolve_job_def(job).asset_layer.selected_asset_keys}


@pytest.mark.parametrize("stage", STAGES, ids=[s.name for s in STAGES])
def test_each_stage_materializes_the_tables_it_says_it_writes(stage, graph):
    defs, _ = graph
    assert _assets(stage, defs) == _tables(stage)


@pytest.mark.parametrize("stage", STAGES, ids=[s.name for s in STAGES])
def test_each_stage_names_the_tables_its_assets_read(stage, graph):
    defs, asset_graph = graph
    mine = _assets(stage, defs)
    upstream = {
        parent.to_user_string()
        for asset in mine
        for parent in asset_graph.get(_key(asset)).parent_keys
        if parent.to_user_string() not in mine
    }
    # raw/<year>/'s files are the asset `raw_documents`; the market data asset writes the market tables.
    named = {"raw" if a == "raw_documents" else a for a in upstream}
    read = {"market_data" if t in MARKET.writes else t for t in stage.reads}
    assert named <= read, f"{stage.name} reads {sorted(named - read)} without naming them"


def _key(name: str):
    import dagster as dg

    return dg.AssetKey(name)


def test_each_job_name_is_the_stage_tables():
    from russell_pipeline.definitions import defs

    for stage in STAGES:
        assert defs.resolve_job_def(stage.job).name == stage.job


def test_a_plan_names_its_partitions_out_of_date_in_order_and_its_line_says_them():
    stage = STAGES[0]
    plan = Plan(("2019", "2020", "2021", "2022"), {stage.targets[0]: ["2022", "2019", "2020"]}, {})
    assert plan.keys == ["2019", "2020", "2022"] and not plan.empty
    assert stage.line(plan) == "years: 3 of 4 out of date (2019..2020, 2022)"
    assert spans(["2021"], list(plan.every)) == "2021"
    nothing = Plan((), {MARKET.targets[0]: []}, {})
    assert nothing.empty and MARKET.line(nothing) == "market_data: up to date"
    assert MARKET.line(Plan((), {MARKET.targets[0]: ["all"]}, {})) is None
