"""Imports follow the layers of docs/code_layout.md: a module imports its own layer and those below it,
no import cycle, and every module is named in that file."""

from __future__ import annotations

import ast
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
        for node in ast.walk(ast.parse(path.read_text(), str(path))):  # function-level imports too
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
            for node in ast.walk(ast.parse(path.read_text(), str(path)))
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
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        for alias in (node.names if isinstance(node, ast.Import) else [None])
        if isinstance(node, ast.Import | ast.ImportFrom)
        and (alias.name if alias else node.module or "").split(".")[0] == "dagster"
    ]
    assert not wrong, "\n".join(wrong)


def test_every_module_is_named_in_the_code_layout():
    layout = (PACKAGE.parent / "docs" / "code_layout.md").read_text()
    paths = [p.relative_to(PACKAGE.parent).as_posix() for p in sorted(PACKAGE.rglob("*.py"))]
    missing = [path for path in paths if path not in layout]
    assert not missing, f"modules docs/code_layout.md does not name: {missing}"


def _top_level_names(path: Path) -> set[str]:
    """The names a module binds at its top level (also inside a top-level `if` or `try`); a module with
    a `__getattr__` (definitions.py's `defs`) gives any name."""
    names: set[str] = set()
    body = list(ast.parse(path.read_text(), str(path)).body)
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
    return names


def test_every_import_of_the_package_names_what_it_holds():
    """A function-level import runs only when its function does: after a module's rename, one left behind
    (`forecast` imported planning.forecast) failed each call of its verb, never the import of the CLI."""
    modules = _modules() | {"russell_pipeline": PACKAGE / "__init__.py"}
    wrong = []
    for path in sorted([*PACKAGE.rglob("*.py"), *Path(__file__).parent.rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
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
