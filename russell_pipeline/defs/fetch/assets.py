"""FTSE Russell's published documents, downloaded into raw/<year>/ (not part of the offline `build`)."""

import dagster as dg

from russell_pipeline.defs.partitions import recon_years, single_run
from russell_pipeline.defs.resources import Pipeline
from russell_pipeline.lake.document_tables import fetch_years
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.fetch.fetcher import MANIFEST
from russell_pipeline.planning.code_versions import code_version


@dg.asset(
    partitions_def=recon_years,
    backfill_policy=single_run,
    group_name="documents",
    code_version=code_version(__name__),
    description=f"The year's published documents under `raw/<year>/`, one {MANIFEST} row per file "
    "(address, sha256, stage read from the PDF).",
)
def published_documents(context: dg.AssetExecutionContext, pipeline: Pipeline):
    """Every document the source registry lists for the years; a failure stops none of the others."""
    years = [int(k) for k in context.partition_keys]
    try:
        registry = pipeline.registry()
    except InputError as err:
        raise dg.Failure(description=str(err)) from None
    outcomes = fetch_years(
        pipeline.lake(), years, registry, pipeline.client(), lambda o: context.log.info(o.line)
    )
    failed = [o.failure_line for o in outcomes if o.status == "failed"]
    if failed:
        # The documents that did arrive are stored and listed in the manifest already.
        raise dg.Failure(
            description=f"{len(failed)} of {len(outcomes)} documents not fetched:\n" + "\n".join(failed)
        )
    return dg.MaterializeResult(
        metadata={
            "fetched": sum(o.status == "fetched" for o in outcomes),
            "already_present": sum(o.status == "present" for o in outcomes),
            "files": dg.MetadataValue.md(
                "\n".join(f"- {o.row['path']} ({o.row['stage'] or '-'})" for o in outcomes)
                or "no documents registered for these years"
            ),
        }
    )
