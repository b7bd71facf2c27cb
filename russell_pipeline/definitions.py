"""Everything under defs/, loaded as one code location, with the resources of one `Settings`."""

import functools
from pathlib import Path

import dagster as dg

from russell_pipeline.defs.resources import resources
from russell_pipeline.settings import Settings


@functools.cache
def _defs_folder() -> dg.Definitions:
    """The assets, checks, jobs, schedules and sensors of `defs/`: code only (no setting reaches them),
    so loaded once per process (about 0.15 CPU-second a load; a test process builds many times)."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)


def definitions(settings: Settings) -> dg.Definitions:
    """The code location over the lake and market data these settings name (`build` passes its own)."""
    return dg.Definitions.merge(
        _defs_folder(),
        # Steps run in the run's own process: a subprocess per step costs about 3 s here.
        dg.Definitions(resources=resources(settings), executor=dg.in_process_executor),
    )


def __getattr__(name: str) -> dg.Definitions:
    """`defs`, the location over the environment's settings, built when first asked for (Dagster's
    loaders and tools ask): `build` imports this module for `definitions` and builds its own, once."""
    if name != "defs":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()["defs"] = built = definitions(Settings.from_env())
    return built


def __dir__() -> list[str]:
    return sorted({*globals(), "defs"})
