"""Helpers the tests share: the command line as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli(*args: str, env: dict | None = None, cwd: Path | None = None, text: bool = False,
        timeout: float = 600) -> subprocess.CompletedProcess:
    """`russell-pipeline ARGS` in a subprocess with `env` added to this environment; never raises on exit code."""
    return subprocess.run(
        [sys.executable, "-m", "russell_pipeline.cli", *args],
        capture_output=True, env={**os.environ, **(env or {})}, cwd=cwd, text=text, timeout=timeout, check=False,
    )
