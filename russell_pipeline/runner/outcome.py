"""What the runs of a `build` came to (runner/runs.py), as runner/build.py reads it without Dagster."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """The failed runs and error-level checks (one line each), and the failure that halted the build
    (not about a run's input: no stage after it ran, and nothing of the build is published), if one did."""

    failures: list[str]
    failed_checks: list[str]
    halted: str | None = None
