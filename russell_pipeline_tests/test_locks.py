"""The locks: `requirements.lock` (what `make run` installs) holds exactly what the package needs,
nothing that only the tests, benches or CI use; `requirements-test.lock` (`make test`) adds those at
the runtime lock's versions; `requirements-uv.lock` pins the installer, uv, one wheel per platform.

What needs what is read from the code and from the installed packages' own metadata: the imports of
`russell_pipeline/` (the package) and of `russell_pipeline_tests/` and `bench/` (their static imports,
and the modules they load by name), the distribution each module belongs to, and the requirements
each distribution declares.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
RUNTIME_LOCK, TEST_LOCK = REPO / "requirements.lock", REPO / "requirements-test.lock"
UV_LOCK = REPO / "requirements-uv.lock"
OWN = {"russell_pipeline", "russell_pipeline_tests", "conftest", "helpers"}
# Modules a test or bench loads by name: `pytest.importorskip("x")`, `importlib.import_module("x")`.
BY_NAME = {"importorskip", "import_module"}


def locked(path: Path) -> dict[str, str]:
    """{distribution: version} of a lock written by `uv pip compile` (`name==version`, then hashes)."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", path.read_text(), re.MULTILINE)
    return {canonicalize_name(name): version for name, version in pins}


def imported_modules(*roots: Path) -> dict[str, set[str]]:
    """{top-level module: the files importing it} of every .py file under `roots`, without the standard
    library, the project's own modules and relative imports."""
    found: dict[str, set[str]] = {}
    local = {p.stem for root in roots for p in root.glob("*.py")}  # a bench script importing its neighbour
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                elif (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "attr", getattr(node.func, "id", None)) in BY_NAME
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    names = [node.args[0].value]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in OWN | local:
                        found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def distributions_of(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    """{distribution: the files importing it}; a module no installed distribution provides is an error."""
    providers = metadata.packages_distributions()
    unknown = sorted(m for m in modules if m not in providers)
    assert not unknown, f"imported, but no installed distribution provides them: {unknown}"
    out: dict[str, set[str]] = {}
    for module, files in modules.items():
        for dist in providers[module]:
            out.setdefault(canonicalize_name(dist), set()).update(files)
    return out


def closure(requirements: list[str]) -> set[str]:
    """Every distribution `requirements` need on this platform and Python, through the requirements
    each installed distribution declares (with the extras asked for)."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        extras = sorted(req.extras)
        key = f"{name}[{','.join(extras)}]"
        if key in seen:
            continue
        seen.add(key)
        for line in metadata.distribution(name).requires or []:
            dep = Requirement(line)
            if dep.marker is None or any(
                dep.marker.evaluate({**default_environment(), "extra": e}) for e in extras or [""]
            ):
                todo.append(dep)
    return {key.split("[")[0] for key in seen}


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def test_the_runtime_lock_holds_nothing_only_the_tests_use():
    runtime = locked(RUNTIME_LOCK)
    package = distributions_of(imported_modules(REPO / "russell_pipeline"))
    needed = closure(project()["dependencies"])
    tests = distributions_of(imported_modules(REPO / "russell_pipeline_tests", REPO / "bench"))
    test_only = {dist: files for dist, files in tests.items() if dist not in needed}
    assert test_only, "the tests import nothing of their own: this test would compare nothing"
    wrong = {dist: sorted(files)[:3] for dist, files in test_only.items() if dist in runtime}
    assert not wrong, f"{RUNTIME_LOCK.name} holds packages only the tests and benches import: {wrong}"
    # The package imports only what it declares, and the runtime lock is exactly what that needs.
    declared = {canonicalize_name(Requirement(r).name) for r in project()["dependencies"]}
    undeclared = {dist: sorted(files)[:3] for dist, files in package.items() if dist not in declared}
    assert not undeclared, f"the package imports distributions pyproject.toml does not declare: {undeclared}"
    assert set(runtime) == needed, (
        f"{RUNTIME_LOCK.name} differs from what the package's dependencies need: "
        f"extra {sorted(set(runtime) - needed)}, missing {sorted(needed - set(runtime))}"
    )


def test_the_test_lock_adds_the_extras_at_the_runtime_locks_versions():
    runtime, full = locked(RUNTIME_LOCK), locked(TEST_LOCK)
    differ = {d: (v, full.get(d)) for d, v in runtime.items() if full.get(d) != v}
    assert not differ, (
        f"{TEST_LOCK.name} pins these otherwise than {RUNTIME_LOCK.name} (or lacks them): {differ}"
    )
    extras = project()["optional-dependencies"]
    needed = closure(project()["dependencies"] + extras["test"] + extras["deploy"])
    assert set(full) == needed, (
        f"{TEST_LOCK.name} differs from what the test and deploy extras need: "
        f"extra {sorted(set(full) - needed)}, missing {sorted(needed - set(full))}"
    )
    tests = distributions_of(imported_modules(REPO / "russell_pipeline_tests", REPO / "bench"))
    assert set(tests) <= set(full), f"the tests import what no lock holds: {sorted(set(tests) - set(full))}"
    for path in (RUNTIME_LOCK, TEST_LOCK):  # every pin hash-checked at install
        entries = re.split(r"\n(?=[A-Za-z0-9])", path.read_text().split("\n", 2)[2].strip())
        assert all("--hash=sha256:" in e for e in entries if "==" in e), f"{path.name}: a pin without a hash"


def test_uv_is_pinned_per_platform_by_hash_and_setup_installed_this_platforms_wheel():
    """Each line of requirements-uv.lock is the Makefile's UV_VERSION, by address and sha256, under a
    marker; exactly one line holds on this machine, its wheel installs here, and the environment's uv
    is that wheel (pip records the address and hash it installed from), not the index's."""
    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    version = re.search(r"^UV_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.MULTILINE).group(1)
    entries = re.findall(
        r"^uv @ (\S+) ; (.+?) \\\n\s+--hash=sha256:([0-9a-f]{64})$", UV_LOCK.read_text(), re.MULTILINE
    )
    lines = [line for line in UV_LOCK.read_text().splitlines() if line.startswith("uv")]
    assert len(entries) == len(lines) >= 4, f"{UV_LOCK.name}: a line without its marker or hash"
    wheels = {
        url: (parse_wheel_filename(url.rsplit("/", 1)[1]), Marker(marker), digest)
        for url, marker, digest in entries
    }
    assert {str(w[0][1]) for w in wheels.values()} == {version}, (
        f"{UV_LOCK.name} pins another uv than {version}"
    )
    here = [url for url, (_, marker, _) in wheels.items() if marker.evaluate()]
    assert len(here) == 1, f"{UV_LOCK.name}: {len(here)} lines hold on this machine"
    (_, _, _, tags), _, digest = wheels[here[0]]
    assert tags & set(sys_tags()), f"{here[0]} does not install on this machine"
    installed = json.loads(metadata.distribution("uv").read_text("direct_url.json") or "{}")
    assert (installed.get("url"), installed.get("archive_info", {}).get("hashes")) == (
        here[0],
        {"sha256": digest},
    )
