"""Everything under defs/, loaded as one code location, plus project-wide policy."""

from pathlib import Path

import dagster as dg

defs = dg.Definitions.merge(
    dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
    # Steps run in the run's own process: a subprocess per step costs about 3 s here.
    dg.Definitions(executor=dg.in_process_executor),
)
