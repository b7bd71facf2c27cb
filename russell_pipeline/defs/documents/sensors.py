"""Materialize a year's documents and calendar when the files under raw/<year>/ change."""


import dagster as dg

from russell_pipeline.defs.documents.jobs import recon_year_job
from russell_pipeline.defs.partitions import recon_years
from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.planning import digests
from russell_pipeline.planning.stale import stale_years


@dg.sensor(job=recon_year_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def new_documents(context: dg.SensorEvaluationContext, lake: LakeResource):
    """One run per year whose files (by sha256) differ from what its tables were built from.

    The run key is the digest of the year's files, so a year whose run failed (a bad file) is
    not asked for again until its files change.
    """
    store = lake.lake()
    stale = stale_years(store, recon_years.get_partition_keys())
    years = sorted(set(stale["documents"]) | set(stale["recon_calendar"]))
    if not years:
        return dg.SkipReason("every year is up to date with its files")
    requests, observations = [], []
    for year in years:
        files = digests.year_files(store.raw, int(year))
        inputs = digests.documents_inputs(files)
        requests.append(dg.RunRequest(run_key=f"{year}:{inputs}", partition_key=year))
        observations.append(dg.AssetObservation(
            "raw_documents", partition=year, metadata={"files": len(files), "inputs": inputs}))
    return dg.SensorResult(run_requests=requests, asset_events=observations)
