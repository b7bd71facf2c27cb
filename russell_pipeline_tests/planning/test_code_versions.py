"""Code versions are computed from the code: every module an asset's method runs through feeds its version."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from russell_pipeline.planning import code_versions, digests
from russell_pipeline.planning.code_versions import ROOT, closure, code_version

DOMAINS = ("documents", "calendar", "market", "index", "membership", "fetch", "research", "forecast")


def test_every_lib_module_the_definitions_load_feeds_an_asset_code_version():
    # A fresh process: what loading the definitions (as Dagster does: `defs`) imports, and nothing a test
    # imported before.
    script = (
        "import json, sys; from russell_pipeline.definitions import defs; print(json.dumps(sorted("
        "m.__file__ for n, m in sys.modules.items() if n.startswith('russell_pipeline.lib') "
        "and getattr(m, '__file__', None))))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
        ).stdout
    )
    modules = [
        *(f"russell_pipeline.defs.{d}.assets" for d in DOMAINS),
        "russell_pipeline.defs.index.pro_forma_assets",
    ]
    covered = {str(p) for m in modules for p in closure(m)}
    assert len(loaded) > 30
    assert sorted(set(loaded) - covered) == []


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A copy of the package to edit (the code versions read source files, nothing is imported from it)."""
    copy = tmp_path / "russell_pipeline"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


# (file edited, asset module whose version must change, tables)
EDITS = [
    ("lib/calendar/schedule_events.py", "calendar", ()),  # how schedule footnotes are read
    ("lib/calendar/published.py", "calendar", ()),
    ("lib/documents/sectors.py", "documents", ()),
    ("lib/documents/raw_files.py", "documents", ()),
    ("lib/documents/limits.py", "documents", ()),
    ("lib/documents/list_checks.py", "documents", ()),
    ("lib/market/synthetic.py", "market", ()),
    ("lib/market/contract.py", "market", ()),
    ("lib/index/levels_grid.py", "index", ()),
    ("lib/index/recompute.py", "index", ()),
    ("lib/index/report.py", "index", ()),
    ("lib/membership/revisions.py", "membership", ()),
    ("lib/membership/placement.py", "membership", ()),
    ("lib/fetch/download.py", "fetch", ()),
    ("lib/fetch/registry.py", "fetch", ()),
    ("lib/errors.py", "documents", ()),
    ("lib/table_checks.py", "index", ()),
    ("defs/index/assets.py", "index", ()),
    ("lake/macros/membership_in_force.sql", "membership", ("membership_in_force",)),
]


@pytest.mark.parametrize(("edited", "domain", "tables"), EDITS, ids=[e[0] for e in EDITS])
def test_editing_a_module_changes_the_code_version_of_the_assets_that_run_it(package, edited, domain, tables):
    module = f"russell_pipeline.defs.{domain}.assets"
    before = code_version(module, tables, package)
    with open(package / edited, "a") as f:
        f.write("\n# an edit\n" if edited.endswith(".py") else "\n-- an edit\n")
    assert code_version(module, tables, package) != before


def test_an_edit_outside_an_assets_closure_leaves_its_version(package):
    before = {d: code_version(f"russell_pipeline.defs.{d}.assets", (), package) for d in DOMAINS}
    with open(package / "lib/membership/revisions.py", "a") as f:
        f.write("\n# an edit\n")
    after = {d: code_version(f"russell_pipeline.defs.{d}.assets", (), package) for d in DOMAINS}
    assert [d for d in DOMAINS if after[d] != before[d]] == ["membership"]


def test_the_assets_carry_the_computed_versions():
    from russell_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    for asset, key in (
        ("documents", "constituents"),
        ("recon_calendar", "recon_calendar"),
        ("market_data", "market_data"),
        ("quarterly_weights", "quarterly_weights"),
        ("index_levels", "index_levels"),
        ("membership", "membership_history"),
        ("pro_forma_weights", "pro_forma_weights"),
    ):
        node = graph.get(__import__("dagster").AssetKey(key))
        assert node.code_version == digests.CODE_VERSIONS[asset]
    assert code_versions.SESSIONS_MODULE.endswith("sessions")


def _imports_by_ast(text: str) -> set[str]:
    """The `russell_pipeline.lib` modules and names a source imports, as Python's parser reads it."""
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(code_versions.FOLLOWED)}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(code_versions.FOLLOWED):
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return found


IMPORT_FORMS = """
import russell_pipeline.lib.errors
import os, russell_pipeline.lib.sessions as sessions  # a comment, russell_pipeline.lib.nothing
from russell_pipeline.lib.documents import lists, reading as read  # columns
from russell_pipeline.lib.index import (
    levels,  # weights
    levels_grid as grid,
)
from russell_pipeline.lib.calendar.projection import \\
    project


def later():
    from russell_pipeline.lib.market import contract

    return contract
"""


def test_the_imports_read_from_the_text_are_those_pythons_parser_reads(tmp_path):
    """Every module of the package, and each form of import statement, read as `ast` reads it."""
    forms = tmp_path / "forms.py"
    forms.write_text(IMPORT_FORMS)
    assert code_versions._imports(forms) == _imports_by_ast(IMPORT_FORMS) != set()
    for path in ROOT.rglob("*.py"):
        assert code_versions._imports(path) == _imports_by_ast(path.read_text()), path
