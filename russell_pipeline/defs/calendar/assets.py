"""The reconstitution calendar: projected by rule, overridden by published schedules."""

import dagster as dg
import polars as pl

from russell_pipeline.defs.commit import Check, commit, reports_failure
from russell_pipeline.defs.metadata import partition_facts, table_definition, with_table_facts
from russell_pipeline.defs.partitions import lake_writer, recon_years
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lake.commit import Staged
from russell_pipeline.lib.calendar.published import disagreements, year_calendar
from russell_pipeline.lib.calendar.rules import CALENDAR_SCHEMA, FIRST_YEAR
from russell_pipeline.planning import digests

SCHEMA = CALENDAR_SCHEMA | {"projected_date": pl.Date}
PARSE = Check(
    "recon_calendar",
    "published_schedules_parse",
    "Every schedule document parsed; a bad one leaves the projection.",
)
MATCHES = Check(
    "recon_calendar",
    "published_matches_projection",
    "Every event where a published date differs from the rule.",
    "warn",
)
CONTRADICTIONS = Check(
    "recon_calendar",
    "schedule_contradictions",
    "Dates a schedule gives twice differently "
    "(both lines named); dropped, so the projection stands for that event.",
    "warn",
)
CHECKS = [PARSE, MATCHES, CONTRADICTIONS]


@dg.asset(
    # The calendar reads the year's files itself: a bad list document fails `documents` for its
    # year, never the calendar, whose projection stands on its own.
    deps=["raw_documents"],
    **lake_writer("calendar", recon_years, CHECKS),
    code_version=digests.CODE_VERSIONS["recon_calendar"],
    **table_definition(
        "recon_calendar", SCHEMA, "Reconstitution and review dates of each year; published beats projected."
    ),
)
@reports_failure
def recon_calendar(context: dg.AssetExecutionContext, pipeline: dg.ResourceParam[Pipeline]):
    """Reconstitution and review dates for each year; published beats projected."""
    years = [int(k) for k in context.partition_keys]
    with pipeline.writing() as lake:
        found = {year: year_calendar(lake.raw, year, pipeline.limits()) for year in years}
        calendar = pl.concat([f.calendar for f in found.values()], how="vertical_relaxed")
        errors = [e for f in found.values() for e in f.errors]
        contradicted = pl.concat([f.contradictions for f in found.values()]).select(
            "path", "review", "event", "line", "date", "other_line", "other_date"
        )
        results = [
            PARSE.result(
                not errors, errors=dg.MetadataValue.md("\n".join(f"- {e}" for e in errors) or "none")
            ),
            MATCHES.frame(disagreements(calendar), "disagreement"),
            CONTRADICTIONS.frame(contradicted, "contradiction"),
        ]
        staged = Staged("recon_calendar", calendar, "recon_year", years)
        yield from commit(
            context,
            lake,
            CHECKS,
            results,
            [staged],
            {
                "recon_calendar": {
                    str(y): digests.calendar_inputs(digests.year_inputs(lake.raw, y)) for y in years
                }
            },
            {
                "recon_calendar": with_table_facts(
                    lake,
                    staged,
                    {
                        str(y): partition_facts(
                            str(y),
                            f.calendar,
                            "date",
                            published_rows=f.calendar.filter(pl.col("source") == "published").height,
                            empty_because=(
                                f"no calendar rules before {FIRST_YEAR} and no schedule published "
                                f"under raw/{y}/"
                            ),
                        )
                        for y, f in found.items()
                    },
                    "date",
                )
            },
        )
