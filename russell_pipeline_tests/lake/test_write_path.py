"""Every table write goes through lake/staged.py: no other module calls the low-level table write."""

from __future__ import annotations

import ast
from pathlib import Path

import dagster as dg

import russell_pipeline

PACKAGE = Path(russell_pipeline.__file__).parent
# The write path, the table I/O it calls, and the lake's own bookkeeping of what a write left.
ALLOWED = {"lake/staged.py", "lake/delta.py", "lake/lineage.py", "lake/checksums.py"}


def table_writes(source: str) -> list[int]:
    """Lines calling a table write: `write_deltalake(...)`, or `<lake>.write(table, rows, ...)` (two
    arguments or more: a file's `write` takes one; `os.write(fd, data)` is no table's)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (
            func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        )
        on_os = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "os"
        if name == "write_deltalake" or (
            name == "write" and not on_os and len(node.args) + len(node.keywords) >= 2
        ):
            lines.append(node.lineno)
    return lines


def test_no_module_outside_the_write_path_writes_a_table():
    found = {
        path.relative_to(PACKAGE).as_posix(): table_writes(path.read_text())
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    assert {path: lines for path, lines in found.items() if lines and path not in ALLOWED} == {}
    assert found["lake/staged.py"] and found["lake/delta.py"]  # the scan sees the writes it allows


def test_a_check_never_evaluated_before_passes_over_nothing_with_the_failure_reason(tmp_path):
    # A new instance has no result to restate: the failed run's reason still reaches the check.
    from russell_pipeline.defs.commit import _not_evaluated

    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = _not_evaluated(
            instance, dg.AssetCheckKey(dg.AssetKey("quarterly_weights"), "nulls"), "disk full"
        )
    assert result.passed
    assert result.description == (
        "not evaluated: its run failed (disk full); no run that wrote its rows evaluated it"
    )
