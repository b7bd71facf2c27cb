"""The reconstitution effect: price paths of each year's added and deleted symbols around its
reconstitution."""

import dagster as dg
import polars as pl

from russell_pipeline.defs.commit import Check, Write, commit, reports_failure, specs
from russell_pipeline.defs.metadata import partition_facts, table_definition, with_table_facts
from russell_pipeline.defs.partitions import LAKE_POOL, LAKE_RETRY, recon_years, single_run
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.market_tables import price_label
from russell_pipeline.lake.staged import Staged
from russell_pipeline.lib.market import provenance
from russell_pipeline.lib.research.chart import effect_markdown, group_sources
from russell_pipeline.lib.research.event import (
    EFFECT_SCHEMA,
    PATH_SCHEMA,
    EventDays,
    group_paths,
    index_path,
    index_sources,
    listed_effect,
    sources_line,
)
from russell_pipeline.planning import digests
from russell_pipeline.planning.research_years import ASSET, RESEARCH_PRICES, YearInputs, year_inputs

YEAR = {"recon_year": pl.Int64}
TABLES = {
    "reconstitution_paths": (
        YEAR | PATH_SCHEMA | provenance.SCHEMA,
        (
            "Close / close on rank day of each symbol of a year's final addition and deletion lists (and the "
            "90/10 index), per session from 20 before rank day to 20 after recon_close."
        ),
    ),
    "reconstitution_effect": (
        YEAR | EFFECT_SCHEMA | provenance.SCHEMA,
        (
            "Median and mean normalized close per list group (addition, deletion, index) and session offset "
            "from recon_close, with the source of each group's prices."
        ),
    ),
}
PRICED = Check(
    "reconstitution_paths",
    "listed_symbols_priced",
    "Every symbol of the year's final addition and "
    "deletion lists has a close on or before rank day; the others are left out of the paths.",
    "warn",
)
CHECKS = [PRICED]
# A year reads the index's levels of the reviews it overlaps; years before the first review or after
# the current quarter have none (their index path is simply absent).
YEAR_TO_REVIEWS = dg.TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True)


def listed_prices(lake: Lake, symbols: pl.Series) -> tuple[pl.DataFrame | None, str | None]:
    """(date, symbol, close of `symbols`; their `price_source`): an imported price file if the lake holds
    one (`research_prices`), else the market data's prices (`synthetic` for the built-in feed)."""
    imported = lake.tables.scan(RESEARCH_PRICES)
    if imported is not None:
        names = sorted(imported.select(pl.col("source").unique()).collect()["source"].to_list())
        wanted = imported.filter(pl.col("symbol").is_in(symbols.implode()))
        return wanted.select("date", "symbol", "close").collect(), provenance.imported_file(", ".join(names))
    market = lake.tables.scan("market_prices")
    if market is None:
        return None, None
    rows = (
        market.filter(pl.col("symbol").is_in(symbols.implode())).select("date", "symbol", "close").collect()
    )
    return rows, price_label(lake)


def _year(
    lake: Lake, year: int, inputs: YearInputs, levels: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, dict]:
    """One year's paths, effect, unpriced symbols and facts (empty frames and why when it has none).

    Every row carries the source of its own group's prices: the listed names' (an imported file or the
    market data), and the index's (the label of its `index_levels` rows: the market data it was computed
    from, whatever file was imported for the names)."""
    paths, effect = (
        pl.DataFrame(schema=TABLES["reconstitution_paths"][0]),
        pl.DataFrame(schema=TABLES["reconstitution_effect"][0]),
    )
    listed, days = inputs.listed, inputs.days
    unpriced = listed.clear()
    if days is None:
        return paths, effect, unpriced, {"empty_because": inputs.why}
    # Days only when planning/research_years.py found prices (an import or market_prices), under this
    # same lock.
    prices, label = listed_prices(lake, listed["symbol"].unique())
    per_symbol, listed_groups = listed_effect(prices, listed, days)
    unpriced = listed.join(per_symbol.select("symbol").unique(), on="symbol", how="anti")
    index = index_path(levels, days)
    index_label = ", ".join(index_sources(levels, days)) or price_label(lake)
    year_column = pl.lit(year, pl.Int64).alias("recon_year")
    paths = (
        pl.concat([provenance.stamped(per_symbol, label), provenance.stamped(index, index_label)])
        .with_columns(year_column)
        .select(list(TABLES["reconstitution_paths"][0]))
    )
    effect = (
        pl.concat(
            [provenance.stamped(listed_groups, label), provenance.stamped(group_paths(index), index_label)]
        )
        .with_columns(year_column)
        .select(list(TABLES["reconstitution_effect"][0]))
    )
    facts = _facts(listed, per_symbol, days, group_sources(effect))
    facts["empty_because"] = (
        f"no listed symbol has a close on or before rank day {days.rank_day} in {label}, "
        "and no index level covers the window"
    )
    if not effect.height:
        facts["chart"] = "no symbol with a close on or before rank day"
    return paths, effect, unpriced, facts


def _priced_summary(built: dict) -> str:
    """Each year's groups and how many of their names are priced by rank day, in one line (`2020
    additions 0 of 180 priced (none: no path), 2020 deletions 12 of 200 priced`)."""
    parts = []
    for year, b in sorted(built.items()):
        for key, value in b[3].items():
            if key.endswith("s_priced"):
                none = " (none: no path)" if str(value).startswith("0 of") else ""
                parts.append(f"{year} {key.removesuffix('_priced')} {value} priced{none}")
    return "names without a close on or before rank day: " + ", ".join(parts)


def _facts(listed: pl.DataFrame, paths: pl.DataFrame, days: EventDays, sources: dict[str, str]) -> dict:
    """The year's dates, which prices each group rests on (`synthetic_prices`: any of them on the
    synthetic feed), and how many listed symbols of each list have a reference close."""
    priced = paths.group_by("list_group").agg(pl.col("symbol").n_unique())
    counts = {g: n for g, n in priced.iter_rows()}
    out = {
        "rank_day": str(days.rank_day),
        "recon_close": str(days.recon_close),
        "window": f"{days.window['date'][0]}..{days.window['date'][-1]}",
        provenance.COLUMN: sources_line(sources),
        "synthetic_prices": any(provenance.is_synthetic(s) for s in sources.values()),
    }
    for (group,), rows in listed.group_by("list_group", maintain_order=True):
        out[f"{group}s_priced"] = f"{counts.get(group, 0)} of {rows.height}"
    return out


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            name,
            deps=[
                dg.AssetDep("constituent_changes"),
                dg.AssetDep("recon_calendar"),
                "market_data",
                dg.AssetDep("index_levels", partition_mapping=YEAR_TO_REVIEWS),
            ],
            code_version=digests.CODE_VERSIONS["reconstitution_effect"],
            **table_definition(name, schema, description),
        )
        for name, (schema, description) in TABLES.items()
    ],
    group_name="research",
    pool=LAKE_POOL,
    retry_policy=LAKE_RETRY,
    partitions_def=recon_years,
    backfill_policy=single_run,
    check_specs=specs(CHECKS, recon_years),
)
@reports_failure
def reconstitution_effect(context: dg.AssetExecutionContext, pipeline: Pipeline):
    """For each year: the normalized price path of every added and deleted symbol, the median and mean per
    group and the index's path, from an imported price file or the market data, each group labelled with
    the source of its prices (`synthetic` for the built-in feed)."""
    years = [int(k) for k in context.partition_keys]
    with pipeline.writing() as lake:
        # The lists, dates and digests build plans with (planning/research_years.py), read under this lock.
        inputs, levels = year_inputs(lake, years), lake.tables.read("index_levels")
        built = {y: _year(lake, y, inputs[y], levels) for y in years}
        staged = [
            Staged(name, pl.concat([b[i] for b in built.values()]), "recon_year", years)
            for i, name in enumerate(TABLES)
        ]
        unpriced = pl.concat([b[2].with_columns(recon_year=pl.lit(y, pl.Int64)) for y, b in built.items()])
        # The chart goes on the effect's partitions only: in full as the description of the year's
        # materialization, and as a link to it among the facts (Dagster shows a metadata value over
        # 1,000 characters only behind a button, and its description in full on the Events tab).
        charts = {str(y): effect_markdown(b[1], inputs[y].days) for y, b in built.items() if b[1].height}
        for y, b in built.items():
            if str(y) in charts:
                b[3]["chart"] = dg.MetadataValue.md(
                    f"[the {y} chart, in full: this partition's event on the "
                    f"Events tab](/assets/{ASSET}?view=events&partition={y})"
                )
        date_facts = {
            name: {
                str(y): partition_facts(
                    str(y),
                    s.rows.filter(pl.col("recon_year") == y),
                    "date",
                    **{
                        k: v
                        for k, v in built[y][3].items()
                        if k != "chart" or name == "reconstitution_effect"
                    },
                )
                for y in years
            }
            for name, s in zip(TABLES, staged)
        }
        yield from commit(
            context,
            Write(
                lake=lake,
                checks=CHECKS,
                results=[
                    PRICED.frame(
                        unpriced.select("recon_year", "list_group", "symbol"),
                        "symbol without a close on or before rank day",
                        _priced_summary(built),
                    )
                ],
                staged=staged,
                lineage={ASSET: {str(y): i.digest for y, i in inputs.items()}},
                facts={
                    name: with_table_facts(lake, s, date_facts[name], "date")
                    for name, s in zip(TABLES, staged)
                },
                descriptions={ASSET: charts},
            ),
        )
