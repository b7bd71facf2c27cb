"""Dagster events per partition in a backfill from empty: what a build writes to the instance's storage.

    .venv/bin/python bench/events_bench.py [--stocks 300]

Builds a fresh lake from the committed samples with a small synthetic feed (its own DAGSTER_HOME),
then reads every run back from the instance and prints, per run, its partitions and events (and
events per partition), the events of the whole backfill by type, and the total per partition.
An unpartitioned run counts as one partition.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stocks", type=int, default=300)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=r".*(is currently in beta|is currently in preview|superseded)")
    import dagster as dg

    from russell_pipeline.lib.market.contract import write_market_data
    from russell_pipeline.lib.market.synthetic import synthetic_market_data
    from russell_pipeline.planning.keys import RANGE_END, RANGE_START, review_keys, year_keys

    with tempfile.TemporaryDirectory() as tmp:
        root, home, market = Path(tmp) / "lake", Path(tmp) / "home", Path(tmp) / "market"
        shutil.copytree(REPO / "data_lake" / "raw", root / "raw")
        write_market_data(synthetic_market_data(date(2026, 11, 20), n_stocks=args.stocks), market)
        env = os.environ | {
            "RUSSELL_DATA_LAKE": str(root),
            "DAGSTER_HOME": str(home),
            "RUSSELL_MARKET_DATA": str(market),
        }
        subprocess.run(
            [sys.executable, "-m", "russell_pipeline.cli", "build"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        every = {4: year_keys(), 7: review_keys()}
        by_type: collections.Counter = collections.Counter()
        total_events = total_partitions = 0
        with dg.DagsterInstance.from_config(str(home)) as instance:
            for run in reversed(instance.get_runs()):
                logs = instance.all_logs(run.run_id)
                first, last = run.tags.get(RANGE_START), run.tags.get(RANGE_END)
                keys = every[len(first)] if first else []
                partitions = keys.index(last) - keys.index(first) + 1 if first else 1
                by_type.update(
                    e.dagster_event.event_type_value if e.dagster_event else "LOG_MESSAGE" for e in logs
                )
                total_events, total_partitions = total_events + len(logs), total_partitions + partitions
                span = f" {first}..{last}" if first else ""
                print(
                    f"{run.job_name}{span}: {partitions} partitions, {len(logs)} events, "
                    f"{len(logs) / partitions:.1f} per partition"
                )
        print("events by type: " + ", ".join(f"{name} {n}" for name, n in by_type.most_common()))
        print(
            f"backfill from empty: {total_events} events over {total_partitions} partitions = "
            f"{total_events / total_partitions:.2f} events per partition"
        )


if __name__ == "__main__":
    main()
