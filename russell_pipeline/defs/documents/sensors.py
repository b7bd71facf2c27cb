"""Materialize a year's documents and calendar when the files under raw/<year>/ change."""

import dagster as dg

from russell_pipeline.defs.documents.jobs import recon_year_job
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.planning import attempts, digests
from russell_pipeline.planning.stages import CALENDAR, DOCUMENTS


@dg.sensor(job=recon_year_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def new_documents(context: dg.SensorEvaluationContext, pipeline: Pipeline):
    """One run per year of its documents, and one of its calendar, where what they were built from
    differs from the files (by sha256) and code now: the stage table's plans, so exactly the runs
    `build` would make (a year without files and never built is not run).

    What was tried is the record `build` keeps too (planning/attempts.py): a year whose files failed
    (a bad document), in a run of this sensor or of `build`, is not asked for again until its files
    or the code change; nor one whose run with the same files is still going.
    """
    lake = pipeline.lake()
    requests, observations, held = [], [], []
    for stage in (DOCUMENTS, CALENDAR):
        plan = stage.out_of_date(lake, pipeline.settings)
        for target, years in plan.todo.items():
            for year in years:
                attempt = attempts.key(target, {year: plan.inputs[target][year]})
                before = attempts.previous(context.instance, attempt)
                if before is not None:
                    held.append(f"{target} {year}: {before.line()}")
                    continue
                requests.append(
                    dg.RunRequest(
                        run_key=f"{target}:{year}:{attempt}",
                        partition_key=year,
                        asset_selection=[dg.AssetKey(a) for a in stage.assets(target)],
                        tags=attempts.tags(attempt),
                    )
                )
                if stage is DOCUMENTS:
                    observations.append(
                        dg.AssetObservation(
                            "raw_documents",
                            partition=year,
                            metadata={
                                "files": len(digests.year_files(lake.raw, int(year))),
                                "inputs": plan.inputs[target][year],
                            },
                        )
                    )
    if not requests and not held:
        return dg.SkipReason("every year is up to date with its files")
    for line in held:
        context.log.info(line)
    return dg.SensorResult(
        run_requests=requests,
        asset_events=observations,
        skip_reason="; ".join(held) if held and not requests else None,
    )
