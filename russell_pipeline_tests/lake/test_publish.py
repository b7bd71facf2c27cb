"""Publishing after runs outside `build`: the `publish_warehouse` sensor, on a real instance and lake."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import dagster as dg

from russell_pipeline.defs.calendar.assets import recon_calendar
from russell_pipeline.defs.documents.assets import documents
from russell_pipeline.defs.publish import publish_warehouse
from russell_pipeline.lake.lock import LOCK
from russell_pipeline_tests.helpers import materialize

HOLD = textwrap.dedent("""
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    print("held", flush=True)
    sys.stdin.read()
""")


def test_a_run_outside_build_is_published_once_no_run_is_going_and_no_writer_holds_the_lake(
    tmp_lake, lake_resources
):
    lake = tmp_lake.lake
    with dg.instance_for_test() as instance:
        run = materialize([documents, recon_calendar], lake_resources, instance, ("2019", "2023"))
        assert run.success
        assert (
            "source_documents" in lake.tables.names() and lake.warehouse.published_versions() == {}
        )  # steps do not publish

        def tick() -> str:
            context = dg.build_sensor_context(instance=instance, resources=tmp_lake.resources())
            return publish_warehouse(context).skip_message

        going = instance.add_run(dg.DagsterRun(job_name="other", status=dg.DagsterRunStatus.STARTED))
        assert tick() == "1 run(s) going: the warehouse keeps the snapshot before them"
        instance.report_run_failed(going)

        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(tmp_lake.root / LOCK)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout.readline() == "held\n"
            assert (
                "the lake is being written by process" in tick() and lake.warehouse.published_versions() == {}
            )
        finally:
            holder.communicate("", timeout=10)

        assert tick() == "published a new warehouse"
        assert lake.warehouse.published_versions() == {t: lake.tables.version(t) for t in lake.tables.names()}
        assert lake.warehouse.read("SELECT count(*) AS n FROM source_documents")["n"][0] == 4
        assert tick() == "the warehouse shows every table's version"
