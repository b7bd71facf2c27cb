"""The reconstitution calendar: projected by rule, overridden by published schedules."""


import dagster as dg
import polars as pl

from russell_pipeline.defs.checks import frame_check
from russell_pipeline.defs.metadata import add_partition_facts, partition_facts, table_definition
from russell_pipeline.defs.partitions import lake_writer, recon_years
from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.lib import lineage
from russell_pipeline.lib.calendar_rules import CALENDAR_SCHEMA, FIRST_YEAR
from russell_pipeline.lib.ingest import year_calendar
from russell_pipeline.lib.reconcile import disagreements

SCHEMA = CALENDAR_SCHEMA | {"projected_date": pl.Date}


@dg.asset(
    # The calendar reads the year's files itself: a bad list document fails `documents` for its
    # year, never the calendar, whose projection stands on its own.
    deps=["raw_documents"],
    **lake_writer("calendar", recon_years),
    code_version=lineage.CODE_VERSIONS["recon_calendar"],
    check_specs=[
        dg.AssetCheckSpec("published_schedules_parse", asset="recon_calendar",
                          description="Every schedule document parsed; a bad one leaves the projection."),
        dg.AssetCheckSpec("published_matches_projection", asset="recon_calendar",
                          description="Every event where a published date differs from the rule."),
        dg.AssetCheckSpec("schedule_contradictions", asset="recon_calendar",
                          description="Dates a schedule gives twice differently (both lines named); "
                                      "dropped, so the projection stands for that event."),
    ],
    **table_definition("recon_calendar", SCHEMA,
                       "Reconstitution and review dates of each year; published beats projected."),
)
def recon_calendar(context: dg.AssetExecutionContext, lake: LakeResource):
    """Reconstitution and review dates for each year; published beats projected."""
    years = [int(k) for k in context.partition_keys]
    frames, errors, contradictions = {}, [], []
    with lake.writing() as store:
        for year in years:
            found = year_calendar(store.raw, year)
            frames[year] = found.calendar
            errors += found.errors
            contradictions.append(found.contradictions)
        calendar = pl.concat(frames.values(), how="vertical_relaxed")
        store.write("recon_calendar", calendar, "recon_year", years)
        store.record_lineage("recon_calendar", {
            str(y): lineage.calendar_inputs(lineage.documents_inputs(lineage.year_files(store.raw, y)))
            for y in years})
    add_partition_facts(context, "recon_calendar", {
        str(y): partition_facts(store, "recon_calendar", frame, "date",
                                published_rows=frame.filter(pl.col("source") == "published").height,
                                empty_because=f"no calendar rules before {FIRST_YEAR} and no schedule published "
                                              f"under raw/{y}/")
        for y, frame in frames.items()})
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(
        check_name="published_schedules_parse",
        passed=not errors,
        metadata={"errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in errors) or "none")},
    )
    yield frame_check("recon_calendar", "published_matches_projection", disagreements(calendar), "disagreement",
                      severity=dg.AssetCheckSeverity.WARN)
    contradicted = pl.concat(contradictions).select("path", "review", "event", "line", "date", "other_line",
                                                     "other_date")
    yield frame_check("recon_calendar", "schedule_contradictions", contradicted, "contradiction",
                      severity=dg.AssetCheckSeverity.WARN)
