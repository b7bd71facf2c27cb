"""The reconstitution effect: price paths of each year's added and deleted symbols around its reconstitution."""

import dagster as dg
import polars as pl

from russell_pipeline.defs.metadata import partition_facts, table_definition, with_table_facts
from russell_pipeline.defs.partitions import lake_writer, recon_years
from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.lake.commit import Check, Staged, commit, reports_failure, specs
from russell_pipeline.lake.store import Lake
from russell_pipeline.lib.research.chart import SYNTHETIC_LABEL, effect_markdown
from russell_pipeline.lib.research.event import (
    EFFECT_SCHEMA,
    PATH_SCHEMA,
    EventDays,
    group_paths,
    index_path,
    normalized_paths,
)
from russell_pipeline.planning import digests
from russell_pipeline.planning.research import ASSET, NO_PRICES, RESEARCH_PRICES, YearInputs, year_inputs

YEAR = {"recon_year": pl.Int64}
TABLES = {
    "reconstitution_paths": (YEAR | PATH_SCHEMA, (
        "Close / close on rank day of each symbol of a year's final addition and deletion lists (and the 90/10 "
        "index), per session from 20 before rank day to 20 after recon_close.")),
    "reconstitution_effect": (YEAR | EFFECT_SCHEMA | {"price_source": pl.String}, (
        "Median and mean normalized close per group (addition, deletion, index) and session offset from "
        "recon_close.")),
}
PRICED = Check("reconstitution_paths", "listed_symbols_priced", "Every symbol of the year's final addition and "
               "deletion lists has a close on or before rank day; the others are left out of the paths.", "warn")
CHECKS = [PRICED]
# A year reads the index's levels of the reviews it overlaps; years before the first review or after
# the current quarter have none (their index path is simply absent).
YEAR_TO_REVIEWS = dg.TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True)


def price_source(store: Lake, symbols: pl.Series) -> tuple[pl.DataFrame | None, str, bool]:
    """(date, symbol, close of `symbols`, where they come from, synthetic?): an imported price file if the
    lake holds one (`research_prices`), else the market data's prices (synthetic unless a feed was given)."""
    imported = store.scan(RESEARCH_PRICES)
    if imported is not None:
        names = imported.select(pl.col("source").unique()).collect()["source"].to_list()
        wanted = imported.filter(pl.col("symbol").is_in(symbols.implode()))
        return wanted.select("date", "symbol", "close").collect(), f"imported price file {', '.join(names)}", False
    market = store.scan("market_prices")
    if market is None:
        return None, NO_PRICES, False
    about = store.read("market_source")
    source = about["source"][0] if about is not None and about.height else "market data"
    synthetic = bool(about["synthetic"][0]) if about is not None and about.height else False
    rows = market.filter(pl.col("symbol").is_in(symbols.implode())).select("date", "symbol", "close").collect()
    return rows, source, synthetic


def _year(store: Lake, year: int, inputs: YearInputs, levels: pl.DataFrame | None
          ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, dict]:
    """One year's paths, effect, unpriced symbols and facts (empty frames and why when it has none)."""
    paths, effect = pl.DataFrame(schema=TABLES["reconstitution_paths"][0]), pl.DataFrame(
        schema=TABLES["reconstitution_effect"][0])
    listed, days = inputs.listed, inputs.days
    unpriced = listed.clear()
    if days is None:
        return paths, effect, unpriced, {"empty_because": inputs.why}
    # Days only when planning/research.py found prices (an import or market_prices), under this same lock.
    prices, source, synthetic = price_source(store, listed["symbol"].unique())
    per_symbol = normalized_paths(prices, listed, days)
    unpriced = listed.join(per_symbol.select("symbol").unique(), on="symbol", how="anti")
    index = index_path(levels, days)
    paths = pl.concat([per_symbol, index]).with_columns(recon_year=pl.lit(year, pl.Int64))
    effect = group_paths(paths).with_columns(
        recon_year=pl.lit(year, pl.Int64), price_source=pl.lit(SYNTHETIC_LABEL if synthetic else source)
    ).select(list(TABLES["reconstitution_effect"][0]))
    paths = paths.select(list(TABLES["reconstitution_paths"][0]))
    facts = _facts(listed, per_symbol, days, source, synthetic)
    facts["empty_because"] = (f"no listed symbol has a close on or before rank day {days.rank_day} in {source}, "
                              "and no index level covers the window")
    facts["chart"] = dg.MetadataValue.md(effect_markdown(effect, days, source, synthetic) if effect.height
                                         else "no symbol with a close on or before rank day")
    return paths, effect, unpriced, facts


def _facts(listed: pl.DataFrame, paths: pl.DataFrame, days: EventDays, source: str, synthetic: bool) -> dict:
    priced = paths.group_by("group").agg(pl.col("symbol").n_unique())
    counts = {g: n for g, n in priced.iter_rows()}
    out = {"rank_day": str(days.rank_day), "recon_close": str(days.recon_close),
           "window": f"{days.window['date'][0]}..{days.window['date'][-1]}",
           "price_source": source, "synthetic_prices": synthetic}
    for (group,), rows in listed.group_by("group", maintain_order=True):
        out[f"{group}s_priced"] = f"{counts.get(group, 0)} of {rows.height}"
    return out


@dg.multi_asset(
    specs=[dg.AssetSpec(name, deps=[dg.AssetDep("constituent_changes"), dg.AssetDep("recon_calendar"), "market_data",
                                    dg.AssetDep("index_levels", partition_mapping=YEAR_TO_REVIEWS)],
                        code_version=digests.CODE_VERSIONS["reconstitution_effect"],
                        **table_definition(name, schema, description))
           for name, (schema, description) in TABLES.items()],
    check_specs=specs(CHECKS),
    **lake_writer("research", recon_years),
)
@reports_failure
def reconstitution_effect(context: dg.AssetExecutionContext, lake: LakeResource):
    """For each year: the normalized price path of every added and deleted symbol, the median and mean per
    group and the index's path, from an imported price file or the market data (labelled synthetic)."""
    years = [int(k) for k in context.partition_keys]
    with lake.writing() as store:
        # The lists, dates and digests build plans with (planning/research.py), read under this lock.
        inputs, levels = year_inputs(store, years), store.read("index_levels")
        built = {y: _year(store, y, inputs[y], levels) for y in years}
        staged = [Staged(name, pl.concat([b[i] for b in built.values()]), "recon_year", years)
                  for i, name in enumerate(TABLES)]
        unpriced = pl.concat([b[2].with_columns(recon_year=pl.lit(y, pl.Int64)) for y, b in built.items()])
        # The chart goes on the effect's partitions only.
        date_facts = {name: {str(y): partition_facts(str(y), s.rows.filter(pl.col("recon_year") == y), "date",
                                                     **{k: v for k, v in built[y][3].items()
                                                        if k != "chart" or name == "reconstitution_effect"})
                             for y in years}
                      for name, s in zip(TABLES, staged)}
        yield from commit(
            context, store, CHECKS, [PRICED.frame(unpriced.select("recon_year", "group", "symbol"),
                                                  "symbol without a close on or before rank day")],
            staged, {ASSET: {str(y): i.digest for y, i in inputs.items()}},
            {name: with_table_facts(store, s, date_facts[name], "date") for name, s in zip(TABLES, staged)},
        )
