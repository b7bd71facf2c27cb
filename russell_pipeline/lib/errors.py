"""The errors a user sees as one line: bad input (naming the file and the problem), an unusable lake."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input file; str() is one line: `<path>: <problem>`."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = " ".join(str(problem).split())
        super().__init__(f"{self.path}: {self.problem}")

    def __reduce__(self):  # crosses process boundaries (documents are read in worker processes)
        return InputError, (self.path, self.problem)


class LakeError(RuntimeError):
    """A lake that cannot be used as asked; str() is one line naming it."""
