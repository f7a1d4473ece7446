"""The house's rules, checked on the code itself: the layers of docs/architecture.md hold, no
package imports its way back into itself, and no module outgrows the size budget."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.architecture.cycles import cycles, package_graph
from tests.architecture.imports import import_graph
from tests.architecture.layers import read_layers, violations

PROJECT = Path(__file__).resolve().parents[2]
SOURCE = PROJECT / "src"
PAGE = PROJECT / "docs" / "architecture.md"
MAX_MODULE_LINES = 400


def test_the_table_names_every_layer() -> None:
    names = [layer.name for layer in read_layers(PAGE)]
    assert names[0] == "base"
    assert {"models", "store", "services", "runner", "front door", "faces"} <= set(names)


def test_every_import_respects_the_layers() -> None:
    assert violations(import_graph(SOURCE), read_layers(PAGE)) == []


def test_a_store_module_importing_a_service_breaks_the_rule(tmp_path: Path) -> None:
    """The check itself: one service import slipped into the store is caught and named."""
    copy = tmp_path / "src"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    store_door = copy / "taskdesk" / "store" / "__init__.py"
    store_door.write_text(store_door.read_text() + "\nfrom taskdesk.registry import TaskRegistry\n")
    found = violations(import_graph(copy), read_layers(PAGE))
    assert found == ["taskdesk.store (store) imports taskdesk.registry (services)"]


def test_no_package_imports_its_way_back_into_itself() -> None:
    assert cycles(package_graph(import_graph(SOURCE))) == []


def test_no_module_is_over_the_size_budget() -> None:
    sizes = {path.relative_to(SOURCE): len(path.read_text().splitlines())
             for path in SOURCE.rglob("*.py")}
    assert {path: lines for path, lines in sizes.items() if lines > MAX_MODULE_LINES} == {}


def test_cycles_are_found_between_packages_not_inside_one() -> None:
    graph = {"taskdesk.a.x": {"taskdesk.b"}, "taskdesk.b": {"taskdesk.a.y"},
             "taskdesk.a.y": {"taskdesk.a.x"}, "taskdesk.c": {"taskdesk.b"}}
    assert cycles(package_graph(graph)) == [["taskdesk.a", "taskdesk.b"]]
    assert cycles(package_graph({"taskdesk.a.x": {"taskdesk.a.y"}, "taskdesk.a.y": set()})) == []


def test_faces_may_not_reach_past_the_front_door(tmp_path: Path) -> None:
    page = tmp_path / "layers.md"
    page.write_text("| 0 | base | `taskdesk.errors` | |\n"
                    "| 1 | store | `taskdesk.store` | |\n"
                    "| 2 | front door | `taskdesk`, `taskdesk.app` | |\n"
                    "| 3 | faces | `taskdesk.cli` | store |\n")
    graph = {"taskdesk.cli.tasks": {"taskdesk.app", "taskdesk.errors", "taskdesk.store.sql"},
             "taskdesk.app": {"taskdesk.store"}, "taskdesk.store": {"taskdesk.cli"},
             "taskdesk.stray": set()}
    assert violations(graph, read_layers(page)) == [
        "taskdesk.cli.tasks (faces) imports taskdesk.store.sql (store)",
        "taskdesk.store (store) imports taskdesk.cli (faces)",
        "taskdesk.stray: in no layer of docs/architecture.md",
    ]
