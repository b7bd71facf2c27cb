"""Imports follow the layers of docs/code_layout.md: a module imports its own layer and those below it,
no import cycle, and every module is named in that file; every path of its Domains table exists; no
function is over 80 lines without a reason written beside it."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "russell_pipeline"

# Top to bottom. Prefixes side by side in one layer import neither each other nor anything above.
LAYERS = [
    ("russell_pipeline.cli",),
    ("russell_pipeline.runner",),
    ("russell_pipeline.definitions",),
    ("russell_pipeline.defs",),
    ("russell_pipeline.planning",),
    ("russell_pipeline.lake",),
    ("russell_pipeline.settings",),
    ("russell_pipeline.lib.research",),
    (
        "russell_pipeline.lib.index",
        "russell_pipeline.lib.membership",
        "russell_pipeline.lib.fetch",
        "russell_pipeline.lib.forecast",
    ),
    ("russell_pipeline.lib.securities",),
    ("russell_pipeline.lib.market",),
    ("russell_pipeline.lib.calendar",),
    ("russell_pipeline.lib.documents",),
    ("russell_pipeline.lib",),
]


def _place(module: str) -> tuple[int, str] | None:
    """(layer index, prefix) of the longest prefix `module` falls under; None outside every layer."""
    found = [
        (len(prefix), i, prefix)
        for i, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    return max(found)[1:] if found else None


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.AST, modules: set[str]) -> list[str]:
    """The package modules an import statement names (`from pkg import module` names the module)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [
            f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
            for a in node.names
        ]
    return []


@functools.cache  # each file parsed once for every test of this file (they read the ~150 modules each)
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


@functools.cache  # and walked once: the walks, not the parsing, were most of this file's CPU
def _nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of the file's tree (function-level imports too), in `ast.walk`'s order."""
    return tuple(ast.walk(_tree(path)))


def _modules() -> dict[str, Path]:
    return {_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if p != PACKAGE / "__init__.py"}


def test_every_module_is_in_a_layer():
    outside = [name for name in _modules() if _place(name) is None]
    assert not outside, f"in no layer: {outside}"


def test_no_module_imports_a_layer_above_its_own():
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        here = _place(name)
        for node in _nodes(path):  # function-level imports too
            for target in _imported(node, set(modules)):
                there = _place(target) if target.startswith("russell_pipeline.") else None
                if there is not None and (
                    there[0] < here[0] or (there[0] == here[0] and there[1] != here[1])
                ):
                    wrong.append(
                        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: imports {target} "
                        f"({there[1]} is not below {here[1]})"
                    )
    assert not wrong, "\n".join(wrong)


def _graph() -> dict[str, set[str]]:
    """{module: the package modules it imports}, function-level imports too."""
    modules = _modules()
    return {
        name: {
            target
            for node in _nodes(path)
            for target in _imported(node, set(modules))
            if target in modules and target != name
        }
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle of each strongly connected group of more than one module, as `a, b, ..., a`."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = stack[stack.index(v) :]
            del stack[stack.index(v) :]
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_in(graph, set(group)) for group in groups]


def _cycle_in(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A path from the group's first module back to itself, through the group only (breadth first)."""
    start = min(group)
    came: dict[str, str] = {}
    todo = [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(graph[v] & group):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(came[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if w not in came:
                came[w] = v
                todo.append(w)
    raise AssertionError(f"no cycle in {sorted(group)}")


def test_no_import_cycle():
    cycles = _cycles(_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_a_cycle_is_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]


# Below defs, nothing knows Dagster but planning (the attempts and runs it reads from the instance).
WITHOUT_DAGSTER = ("russell_pipeline.lake", "russell_pipeline.settings", "russell_pipeline.lib")


def test_the_lake_settings_and_lib_do_not_import_dagster():
    wrong = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: imports {alias.name if alias else node.module}"
        for name, path in _modules().items()
        if _place(name) is not None and _place(name)[1].startswith(WITHOUT_DAGSTER)
        for node in _nodes(path)
        for alias in (node.names if isinstance(node, ast.Import) else [None])
        if isinstance(node, ast.Import | ast.ImportFrom)
        and (alias.name if alias else node.module or "").split(".")[0] == "dagster"
    ]
    assert not wrong, "\n".join(wrong)


# The one module that uses Dagster's private modules, its docstring says why: the SQLite event log's
# pooled connections (a build of the defaults takes 16 s with them and 26 s without).
PRIVATE_DAGSTER = ["russell_pipeline/runner/sqlite_events.py"]


def _private_dagster_imports(root: Path, folders: list[str]) -> list[str]:
    return sorted(
        {
            path.relative_to(root).as_posix()
            for folder in folders
            for path in (root / folder).rglob("*.py")
            for node in _nodes(path)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            )
            if name.startswith("dagster._")
        }
    )


def test_only_the_sqlite_event_log_imports_dagsters_private_modules(tmp_path):
    folders = ["russell_pipeline", "russell_pipeline_tests", "bench"]
    assert _private_dagster_imports(PACKAGE.parent, folders) == PRIVATE_DAGSTER
    (tmp_path / "russell_pipeline").mkdir()
    (tmp_path / "russell_pipeline" / "x.py").write_text("def f():\n    import dagster._core.events\n")
    assert _private_dagster_imports(tmp_path, ["russell_pipeline"]) == ["russell_pipeline/x.py"]


def test_every_module_is_named_in_the_code_layout():
    layout = (PACKAGE.parent / "docs" / "code_layout.md").read_text()
    paths = [p.relative_to(PACKAGE.parent).as_posix() for p in sorted(PACKAGE.rglob("*.py"))]
    missing = [path for path in paths if path not in layout]
    assert not missing, f"modules docs/code_layout.md does not name: {missing}"


# A function does one thing: none is longer than this, counted from its `def` line to its last line (the
# docstring included), without a reason written beside it: `# long: <why>` on its `def` line or the line
# above it (above its decorators, for a decorated one).
LONGEST = 80
LONG_REASON = "# long: "


def _long_functions(package: Path) -> list[str]:
    """`path:line: name is N lines` of each function or method under `package` longer than LONGEST
    without a reason beside it."""
    found = []
    for path in sorted(package.rglob("*.py")):
        lines = path.read_text().splitlines()
        for node in _nodes(path):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = node.end_lineno - node.lineno + 1
            top = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            beside = [lines[node.lineno - 1], lines[top - 2] if top > 1 else ""]
            if length > LONGEST and not any(LONG_REASON in line for line in beside):
                found.append(
                    f"{path.relative_to(package.parent)}:{node.lineno}: {node.name} is {length} lines"
                )
    return found


def test_no_function_is_long_without_a_reason():
    long = _long_functions(PACKAGE)
    assert not long, f"over {LONGEST} lines, without `{LONG_REASON}<why>` beside the def:\n" + "\n".join(long)


def test_a_long_function_is_named_unless_its_reason_is_written(tmp_path):
    def body(indent: str) -> str:  # LONGEST lines: with its def line, one too many
        return "".join(f"{indent}x{i} = {i}\n" for i in range(LONGEST))

    package = tmp_path / "package"
    package.mkdir()
    (package / "a.py").write_text(
        "def short():\n    return 1\n\n\n"
        f"def long():\n{body('    ')}\n\n"
        f"class C:\n    @staticmethod\n    def method():\n{body('        ')}"
    )
    (package / "b.py").write_text(
        f"# long: a table of data\n@decorated\ndef table():\n{body('    ')}\n\n"
        f"def inline():  # long: a table of data\n{body('    ')}\n\n"
        f"# long: a reason two lines above counts for nothing\n\ndef far():\n{body('    ')}"
    )
    assert _long_functions(package) == [
        "package/a.py:5: long is 81 lines",
        "package/a.py:90: method is 81 lines",
        "package/b.py:171: far is 81 lines",
    ]


def _domains() -> dict[str, list[str]]:
    """{domain: the paths its row of code_layout.md's Domains table names}, each `path` or `path:name`
    under russell_pipeline/."""
    layout = (PACKAGE.parent / "docs" / "code_layout.md").read_text()
    assert "\n## Domains\n" in layout, "docs/code_layout.md has no Domains section"
    section = layout.split("\n## Domains\n", 1)[1].split("\n## ", 1)[0]
    rows = [
        line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| domain")
    ]
    return {
        row.split("|")[1].strip(): [
            cell for cell in re.findall(r"`([^`]+)`", row) if cell.endswith("/") or ".py" in cell
        ]
        for row in rows
    }


def _missing_rooms(domains: dict[str, list[str]]) -> list[str]:
    """Each path of the Domains table that is not there, each `path:name` whose module does not define
    `name`, and each path a domain's lib package's docstring does not name."""
    wrong = []
    for domain, paths in domains.items():
        lib = PACKAGE / "lib" / domain / "__init__.py"
        said = (ast.get_docstring(_tree(lib)) or "") if lib.is_file() else ""
        for room in paths:
            path, _, name = room.partition(":")
            where = PACKAGE / path
            if not (where.is_dir() if path.endswith("/") else where.is_file()):
                wrong.append(f"{domain}: {path} does not exist")
            elif name and name not in {
                n.name for n in _tree(where).body if isinstance(n, ast.FunctionDef | ast.ClassDef)
            }:
                wrong.append(f"{domain}: {path} defines no {name}")
            if room != f"lib/{domain}/" and f"`{room}`" not in said:
                wrong.append(f"{domain}: lib/{domain}/__init__.py's docstring does not name {room}")
    return wrong


def test_every_domain_has_its_rooms_named_in_the_code_layout():
    domains = _domains()
    packages = sorted(p.name for p in (PACKAGE / "lib").iterdir() if (p / "__init__.py").is_file())
    assert sorted(domains) == packages, "the Domains table's rows are not the packages of lib/"
    assert all(f"lib/{d}/" in paths for d, paths in domains.items()), "a row without its lib package"
    missing = _missing_rooms(domains)
    assert not missing, "docs/code_layout.md, Domains:\n" + "\n".join(missing)


def test_a_room_that_is_not_there_is_named():
    domains = {
        "forecast": ["lib/forecast/", "cli/forecast.py", "cli/nowhere.py", "lake/index_tables.py:nothing"],
        "fetch": ["lib/fetch/", "planning/forecast_years.py"],
    }
    assert _missing_rooms(domains) == [
        "forecast: cli/nowhere.py does not exist",
        "forecast: lib/forecast/__init__.py's docstring does not name cli/nowhere.py",
        "forecast: lake/index_tables.py defines no nothing",
        "forecast: lib/forecast/__init__.py's docstring does not name lake/index_tables.py:nothing",
        "fetch: lib/fetch/__init__.py's docstring does not name planning/forecast_years.py",
    ]


@functools.cache  # asked once per import of it: each module parsed once
def _top_level_names(path: Path) -> frozenset[str]:
    """The names a module binds at its top level (also inside a top-level `if` or `try`); a module with
    a `__getattr__` (definitions.py's `defs`) gives any name."""
    names: set[str] = set()
    body = list(_tree(path).body)
    while body:
        node = body.pop()
        if isinstance(node, ast.If | ast.Try):
            body += [*node.body, *node.orelse, *getattr(node, "finalbody", [])]
            body += [n for handler in getattr(node, "handlers", []) for n in handler.body]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return frozenset(names)


def test_every_import_of_the_package_names_what_it_holds():
    """A function-level import runs only when its function does: after a module's rename, one left behind
    (`forecast` imported planning.forecast) failed each call of its verb, never the import of the CLI."""
    modules = _modules() | {"russell_pipeline": PACKAGE / "__init__.py"}
    wrong = []
    for path in sorted([*PACKAGE.rglob("*.py"), *Path(__file__).parent.rglob("*.py")]):
        for node in _nodes(path):
            if isinstance(node, ast.Import):
                named = [(a.name, None) for a in node.names if a.name.startswith("russell_pipeline.")]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                named = [
                    (node.module, a.name) for a in node.names if node.module.startswith("russell_pipeline")
                ]
            else:
                continue
            for module, name in named:
                if module.startswith("russell_pipeline_tests"):
                    continue
                if module not in modules:
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: no module {module}")
                elif (
                    name
                    and f"{module}.{name}" not in modules
                    and not {name, "__getattr__"} & _top_level_names(modules[module])
                ):
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {module} has no {name}")
    assert not wrong, "\n".join(wrong)


def test_no_class_of_the_lake_inherits_another_of_the_package():
    """`Lake` holds its parts (lake/lake_root.py) rather than inheriting them: no class of lake/ has a base
    of the package's own, so each part is one class read in one file."""
    own = {
        node.name for path in PACKAGE.rglob("*.py") for node in _nodes(path) if isinstance(node, ast.ClassDef)
    }
    inherited = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.name}"
        f"({', '.join(map(ast.unparse, node.bases))})"
        for path in sorted((PACKAGE / "lake").rglob("*.py"))
        for node in _nodes(path)
        if isinstance(node, ast.ClassDef)
        and any(ast.unparse(b).rsplit(".", 1)[-1] in own for b in node.bases)
    ]
    assert not inherited, "classes of lake/ built on one another:\n" + "\n".join(inherited)
