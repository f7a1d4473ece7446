"""Issue 15, item 3: the runner and the extensions sit below the front door. Their child
processes open the application from what their parent passes them (taskdesk.app_path), so
no module of theirs imports taskdesk.app or the package itself, not even lazily in a
function or for type checking."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import taskdesk

SOURCE = Path(taskdesk.__file__).parent
BELOW_THE_FRONT_DOOR = sorted([*SOURCE.glob("runner/*.py"), *SOURCE.glob("extensions/*.py"),
                               SOURCE / "app_path.py"])
FRONT_DOOR = ("taskdesk", "taskdesk.app")


def imported(path: Path) -> list[str]:
    """Every module an import statement anywhere in the file names (`from taskdesk import
    errors` names the package)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", BELOW_THE_FRONT_DOOR,
                         ids=lambda path: str(path.relative_to(SOURCE)))
def test_no_import_of_the_front_door(path: Path) -> None:
    assert [name for name in imported(path) if name in FRONT_DOOR] == []


def test_the_walk_sees_a_lazy_import_of_the_front_door(tmp_path: Path) -> None:
    lazy = tmp_path / "lazy.py"
    lazy.write_text("def f():\n    from taskdesk.app import Taskdesk\n    from taskdesk import x\n")

    assert imported(lazy) == ["taskdesk.app", "taskdesk"]
