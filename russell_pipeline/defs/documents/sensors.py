"""Materialize a year's documents and calendar when files under raw/<year>/ appear or change."""


import hashlib
import json
from pathlib import Path

import dagster as dg

from russell_pipeline.defs.partitions import recon_years
from russell_pipeline.defs.resources import LakeResource
from russell_pipeline.lib.raw_files import junk_reason

recon_year_job = dg.define_asset_job(
    "recon_year_job",
    selection=dg.AssetSelection.assets("source_documents", "constituents", "constituent_changes", "recon_calendar"),
    partitions_def=recon_years,
    description="Documents and calendar of a range of reconstitution years, in one run.",
)


def raw_fingerprints(raw: Path) -> dict[str, str]:
    """`<year>/<name>` -> size and modification time, for every entry under raw/<year>/ but junk.

    Hidden files and links count too (not followed): the run they start refuses them with one line.
    """
    if not raw.is_dir():
        return {}
    found = {}
    for p in sorted(raw.glob("*/*")):
        if p.parent.name.isdigit() and junk_reason(p.name) is None:
            info = p.lstat()
            found[p.relative_to(raw).as_posix()] = f"{info.st_size}:{info.st_mtime_ns}"
    return found


def changed_years(before: dict[str, str], after: dict[str, str]) -> list[str]:
    paths = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    return sorted({p.split("/", 1)[0] for p in paths})


@dg.sensor(job=recon_year_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def raw_documents(context: dg.SensorEvaluationContext, lake: LakeResource):
    store = lake.lake()
    after = raw_fingerprints(store.raw)
    # The first evaluation takes the folder as it is; missing partitions are caught below.
    before = json.loads(context.cursor) if context.cursor else after
    valid = set(recon_years.get_partition_keys())
    done = context.instance.get_materialized_partitions(dg.AssetKey("recon_calendar"))
    years = sorted((set(changed_years(before, after)) | (valid - set(done))) & valid)
    context.update_cursor(json.dumps(after, sort_keys=True))
    if not years:
        return dg.SkipReason("no new or changed documents")
    return [dg.RunRequest(run_key=f"{y}:{_digest(after, y)}", partition_key=y) for y in years]


def _digest(fingerprints: dict[str, str], year: str) -> str:
    """A run key that changes exactly when the year's files change."""
    mine = {p: f for p, f in fingerprints.items() if p.startswith(f"{year}/")}
    return hashlib.sha1(json.dumps(mine, sort_keys=True).encode()).hexdigest()[:12]
