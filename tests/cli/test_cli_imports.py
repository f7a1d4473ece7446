"""The faces stand on the front door only: the CLI and the web import the two front doors
(`taskdesk.app`, the application's; `taskdesk.admin`, the admin's services), `taskdesk.views`
and the bottom layers (`taskdesk.models`, errors, clock, text, config), and their own modules
(the CLI also the web's factory, for `taskdesk serve`); nothing else (issue 15's layers)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import taskdesk

FRONT_DOOR = {"taskdesk.app", "taskdesk.admin", "taskdesk.views", "taskdesk.errors",
              "taskdesk.clock", "taskdesk.text", "taskdesk.config"}

pytestmark = pytest.mark.hostile
PACKAGE = Path(taskdesk.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize(("face", "also"), [("cli", {"taskdesk.web"}), ("web", set())])
def test_a_face_imports_only_the_front_door(face: str, also: set[str]) -> None:
    folder = PACKAGE / face
    sources = list(folder.rglob("*.py"))
    assert len(sources) >= 6
    found = {
        f"{path.relative_to(folder)}: {name}"
        for path in sources
        for name in imported_modules(path)
        if name.split(".")[0] == "taskdesk" and not name.startswith(f"taskdesk.{face}")
        and name not in FRONT_DOOR | also and not name.startswith("taskdesk.models.")
    }
    assert found == set()
