"""The code keeps the shape the style guide asks: short views, modules split at ~450 lines."""

from __future__ import annotations

import ast
from pathlib import Path

TROVE = Path(__file__).resolve().parent.parent / "trove"
MAX_VIEW_LINES = 30
MAX_MODULE_LINES = 450
ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "route"}


def _modules() -> list[Path]:
    return sorted(TROVE.rglob("*.py"))


def _is_view(node: ast.FunctionDef) -> bool:
    return any(
        isinstance(d, ast.Call)
        and isinstance(d.func, ast.Attribute)
        and d.func.attr in ROUTE_DECORATORS
        for d in node.decorator_list
    )


def test_no_view_is_longer_than_30_lines():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and _is_view(node):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if length > MAX_VIEW_LINES:
                    long.append(f"{path.relative_to(TROVE.parent)} {node.name}: {length}")
    assert not long, long


def test_no_module_is_longer_than_450_lines():
    long = [
        f"{path.relative_to(TROVE.parent)}: {lines}"
        for path in _modules()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, long
