"""The reconstitution calendar: projected by rule, overridden by published schedules."""


import dagster as dg
import polars as pl

from russell_pipeline.defs.checks import frame_check
from russell_pipeline.defs.partitions import recon_years, single_run
from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.lib.ingest import year_calendar
from russell_pipeline.lib.reconcile import disagreements


@dg.asset(
    deps=["source_documents"],
    partitions_def=recon_years,
    backfill_policy=single_run,
    group_name="calendar",
    check_specs=[
        dg.AssetCheckSpec("published_schedules_parse", asset="recon_calendar",
                          description="Every schedule document parsed; a bad one leaves the projection."),
        dg.AssetCheckSpec("published_matches_projection", asset="recon_calendar",
                          description="Every event where a published date differs from the rule."),
        dg.AssetCheckSpec("schedule_contradictions", asset="recon_calendar",
                          description="Dates a schedule gives twice differently (both lines named); "
                                      "dropped, so the projection stands for that event."),
    ],
)
def recon_calendar(context: dg.AssetExecutionContext, lake: LakeResource):
    """Reconstitution and review dates for each year; published beats projected."""
    store = lake.lake()
    years = [int(k) for k in context.partition_keys]
    frames, errors, contradictions = [], [], []
    sources = store.read("source_documents", "recon_year", years)
    for year in years:
        schedules = [] if sources is None else [
            store.root / p for p in sources.filter(
                (pl.col("recon_year") == year) & (pl.col("doc_type") == "schedule"))["path"].to_list()]
        found = year_calendar(store.raw, year, schedules)
        frames.append(found.calendar)
        errors += found.errors
        contradictions.append(found.contradictions)
    calendar = pl.concat(frames, how="vertical_relaxed")
    contradicted = pl.concat(contradictions).select(
        "path", "review", "event", "line", "date", "other_line", "other_date")
    store.write("recon_calendar", calendar, "recon_year", years)
    yield dg.MaterializeResult(
        metadata={
            "rows": calendar.height,
            "published_rows": calendar.filter(pl.col("source") == "published").height,
            "years": ", ".join(map(str, years)),
        }
    )
    yield dg.AssetCheckResult(
        check_name="published_schedules_parse",
        passed=not errors,
        metadata={"errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in errors) or "none")},
    )
    yield frame_check("recon_calendar", "published_matches_projection", disagreements(calendar), "disagreement",
                      severity=dg.AssetCheckSeverity.WARN)
    yield frame_check("recon_calendar", "schedule_contradictions", contradicted, "contradiction",
                      severity=dg.AssetCheckSeverity.WARN)
