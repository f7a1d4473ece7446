"""The faces stand on the front door only: the CLI and the web import `taskdesk`,
`taskdesk.app`, `taskdesk.views` and `taskdesk.errors` (and their own modules; the CLI also the
web's factory, for `taskdesk serve`), nothing below them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import taskdesk

pytestmark = pytest.mark.hostile

FRONT_DOOR = {"taskdesk", "taskdesk.app", "taskdesk.views", "taskdesk.errors"}
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
        and name not in FRONT_DOOR | also
    }
    assert found == set()
