"""The layers import downwards only: GraphQL and CLI → services, importer, worker → metrics →
models, platforms, identifiers (and nothing below imports the simulator)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"

# Package → the app packages it must never import (directly or inside a function).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "graphql": ("app.worker", "app.simulator"),
    "services": ("app.graphql", "app.worker", "app.simulator", "app.importer"),
    "importer": ("app.graphql", "app.worker", "app.simulator"),
    "worker": ("app.graphql", "app.simulator"),
    "metrics": ("app.graphql", "app.services", "app.worker", "app.importer", "app.simulator"),
    "platforms": (
        *("app.graphql", "app.services", "app.worker", "app.importer", "app.metrics"),
        *("app.models", "app.simulator"),
    ),
    "identifiers": (
        *("app.graphql", "app.services", "app.worker", "app.importer", "app.metrics"),
        *("app.models", "app.platforms", "app.simulator"),
    ),
}


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (relative imports are not used here)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_go_downwards(package: str) -> None:
    wrong = sorted(
        f"{path.relative_to(APP.parent)}: {module}"
        for path in (APP / package).rglob("*.py")
        for module in imports(path)
        if any(module == f or module.startswith(f"{f}.") for f in FORBIDDEN[package])
    )
    assert wrong == []
