"""The reconstitution calendar: projected by rule, overridden by published schedules."""

from pathlib import Path

import dagster as dg
import polars as pl

from russell_pipeline.defs.commit import Check, Write, commit, reports_failure, specs
from russell_pipeline.defs.metadata import partition_facts, table_definition, with_table_facts
from russell_pipeline.defs.partitions import LAKE_POOL, LAKE_RETRY, recon_years, single_run
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lake.staged import Staged
from russell_pipeline.lib.calendar.projection import CALENDAR_SCHEMA, FIRST_YEAR
from russell_pipeline.lib.calendar.published import disagreements, year_calendar
from russell_pipeline.lib.documents.limits import Limits
from russell_pipeline.lib.documents.raw_files import list_year
from russell_pipeline.lib.errors import InputError
from russell_pipeline.planning import digests
from russell_pipeline.planning.stale import not_schedules

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
    # year, never the calendar, whose projection stands on its own. It skips the files the year's
    # `source_documents` read as lists (or another kind than a schedule).
    deps=["raw_documents", "source_documents"],
    group_name="calendar",
    pool=LAKE_POOL,
    retry_policy=LAKE_RETRY,
    partitions_def=recon_years,
    backfill_policy=single_run,
    check_specs=specs(CHECKS, recon_years),
    code_version=digests.CODE_VERSIONS["recon_calendar"],
    **table_definition(
        "recon_calendar", SCHEMA, "Reconstitution and review dates of each year; published beats projected."
    ),
)
@reports_failure
def recon_calendar(context: dg.AssetExecutionContext, pipeline: Pipeline):
    """Reconstitution and review dates for each year; published beats projected."""
    years = [int(k) for k in context.partition_keys]
    with pipeline.writing() as lake:
        # Not the files the year's documents were read as lists (or another kind) from: by path and sha256.
        others = not_schedules(lake)
        files = {y: digests.calendar_files(lake.raw, y, others) for y in years}
        found = {year: _calendar(lake.raw, year, files[year], pipeline.settings.limits) for year in years}
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
            Write(
                lake=lake,
                checks=CHECKS,
                results=results,
                staged=[staged],
                lineage={"recon_calendar": {str(y): digests.calendar_inputs(files[y]) for y in years}},
                facts={
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
            ),
        )


def _calendar(raw: Path, year: int, files: list[tuple[str, str]], limits: Limits):
    """The year's calendar, read from its files that may hold a schedule (`files`: name, sha256): the
    lists `documents` already read are not read again. A folder whose files cannot be listed is read
    whole: the calendar says why and its projection stands."""
    try:
        documents = list_year(raw, year).documents
    except InputError:
        return year_calendar(raw, year, limits)
    names = {name for name, _ in files}
    return year_calendar(raw, year, limits, [p for p in documents if p.name in names])
