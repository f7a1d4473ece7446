"""The CLI stands on the front door only: it imports `taskdesk`, `taskdesk.app`,
`taskdesk.views` and `taskdesk.errors` (and its own modules), nothing below them."""

from __future__ import annotations

import ast
from pathlib import Path

import taskdesk.cli

ALLOWED = {"taskdesk", "taskdesk.app", "taskdesk.views", "taskdesk.errors"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_cli_imports_only_the_front_door() -> None:
    folder = Path(taskdesk.cli.__file__).parent
    found = {
        f"{path.name}: {name}"
        for path in folder.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] == "taskdesk" and not name.startswith("taskdesk.cli")
        and name not in ALLOWED
    }
    assert found == set()
