"""Code versions computed from the code, never listed by hand.

An asset's code version is a digest of the source of its own definitions module and of every
module of `russell_pipeline.lib` that module imports, followed import by import (the closure,
read from the source text, so nothing is executed), plus the shipped SQL macros of the
tables it writes and the version of the holidays package where the closure reads NYSE sessions.
Editing any module an asset's method runs through changes its version, so its partitions are
out of date (planning/stale.py) and the UI shows them as stale.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from importlib.metadata import version
from pathlib import Path

PACKAGE = "russell_pipeline"
ROOT = Path(__file__).resolve().parents[1]  # the russell_pipeline package folder
FOLLOWED = f"{PACKAGE}.lib"
# NYSE closures come from the holidays package: a new release can move a session, so a date.
SESSIONS_MODULE = f"{PACKAGE}.lib.sessions"
SESSIONS_PACKAGE = "holidays"


def module_file(module: str, root: Path = ROOT) -> Path | None:
    """The source file of a `russell_pipeline...` module (a package's __init__.py), or None."""
    parts = module.split(".")[1:]
    base = root.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


# An import statement of a `russell_pipeline.lib` module, at any indent (an import inside a function
# counts): `from MODULE import NAMES` (NAMES on one line or in parentheses over several) or `import
# MODULES`. A line of a string that reads like one also counts: an extra file can only make a version
# change more often, never less. Scanning the text takes a hundredth of parsing every module with `ast`,
# which every process that loads the definitions paid at import (about 0.2 s).
_STATEMENT = re.compile(
    rf"^[ \t]*(?:from[ \t]+({re.escape(FOLLOWED)}[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)"
    r"|import[ \t]+([^\n]*))",
    re.MULTILINE,
)


def _imports(path: Path) -> frozenset[str]:
    """The `russell_pipeline.lib` modules one source file imports (a `from pkg import name` may name a
    module)."""
    stat = path.stat()
    return _parsed_imports(path, stat.st_mtime_ns, stat.st_size)


@cache
def _parsed_imports(path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    """`_imports` of the file as it is at that stamp: each module is read once for every asset it serves."""
    found: set[str] = set()
    text = path.read_text().replace("\\\n", " ")  # a line continued by a backslash, joined
    for module, names, modules in _STATEMENT.findall(text):
        if module:
            found.add(module)
            listed = re.sub(r"#[^\n]*", "", names).strip("()")
            found |= {f"{module}.{name.split()[0]}" for name in listed.split(",") if name.strip()}
        else:
            listed = (name.split() for name in modules.split("#")[0].split(","))
            found |= {name[0] for name in listed if name and name[0].startswith(FOLLOWED)}
    return frozenset(found)


def closure(module: str, root: Path = ROOT) -> list[Path]:
    """Source files of `module` and of every `russell_pipeline.lib` module it reaches by imports, sorted."""
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_file(name, root)
        if path is None:  # `from pkg import function`: a name, not a module
            continue
        seen[name] = path
        # A module's package __init__ runs first when it is imported.
        parent = name.rsplit(".", 1)[0]
        if parent.startswith(FOLLOWED):
            todo.append(parent)
        todo += sorted(_imports(path))
    return sorted(set(seen.values()))


def code_version(module: str, tables: tuple[str, ...] = (), root: Path = ROOT) -> str:
    """The code version of the assets defined in `module` that write `tables`."""
    files = closure(module, root)
    files += [m for t in tables if (m := root / "lake" / "macros" / f"{t}.sql").is_file()]
    digests = {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    sessions = module_file(SESSIONS_MODULE, root)
    packages = {SESSIONS_PACKAGE: version(SESSIONS_PACKAGE)} if sessions in files else {}
    text = json.dumps([digests, packages], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
