"""Materialize a year's documents and calendar when the files under raw/<year>/ change."""

import dagster as dg

from russell_pipeline.defs.documents.jobs import recon_year_job
from russell_pipeline.defs.partitions import recon_years
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.planning import attempts, digests
from russell_pipeline.planning.stale import year_attempt, year_digests


@dg.sensor(job=recon_year_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def new_documents(context: dg.SensorEvaluationContext, pipeline: dg.ResourceParam[Pipeline]):
    """One run per year whose files (by sha256) differ from what its tables were built from.

    What was tried is the record `build` keeps too (planning/attempts.py): a year whose files failed
    (a bad document), in a run of this sensor or of `build`, is not asked for again until its files
    or the code change; nor one whose run with the same files is still going.
    """
    lake = pipeline.lake()
    keys = recon_years.get_partition_keys()
    now = year_digests(lake, keys)
    stale = {y for asset, expected in now.items() for y in digests.out_of_date(expected, lake.lineage(asset))}
    if not stale:
        return dg.SkipReason("every year is up to date with its files")
    requests, observations, held = [], [], []
    for year in sorted(stale):
        attempt = year_attempt(now, [year])
        before = attempts.previous(context.instance, attempt)
        if before is not None:
            held.append(f"{year}: {before.line()}")
            continue
        requests.append(
            dg.RunRequest(run_key=f"{year}:{attempt}", partition_key=year, tags=attempts.tags(attempt))
        )
        files = digests.year_files(lake.raw, int(year))
        observations.append(
            dg.AssetObservation(
                "raw_documents",
                partition=year,
                metadata={"files": len(files), "inputs": now["documents"][year]},
            )
        )
    for line in held:
        context.log.info(line)
    return dg.SensorResult(
        run_requests=requests,
        asset_events=observations,
        skip_reason="; ".join(held) if held and not requests else None,
    )
