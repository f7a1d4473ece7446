"""The seed's three steps, end to end from the CLI, as an extension author would play them.

The package is written here from the seed page alone (its files, class names and calls), not
taken from examples/, so the test checks the contract rather than our own example. The commands
run in-process (tests/cli/inprocess.py); tests/extensions/test_cli_entry_point.py drives the
extension commands through real processes.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.cli.harness import Cli

MESSAGE = "My task has successfully started!"

SEED_FILES = {
    "install.json": json.dumps({"name": "Test Module", "version": "1.0", "author": "someone",
                                "description": "", "link": ""}),
    "catalog/controller/task.py": f'''
from taskdesk import Controller


class Task(Controller):
    def index(self) -> None:
        # Process your customizations here
        self.log.write("{MESSAGE}")
''',
    "admin/controller/module/test_module.py": '''
from taskdesk import Controller


class TestModule(Controller):
    def install(self) -> None:
        task_data = {"code": "my_task", "action": "task/catalog/test_module.task", "args": {}}
        self.tasks.add(**task_data)

    def uninstall(self) -> None:
        self.tasks.delete_by_code("my_task")
''',
}


def seed_package(folder: Path) -> Path:
    """test_module.zip, zipped with nothing but the standard library."""
    path = folder / "test_module.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in SEED_FILES.items():
            archive.writestr(name, text)
    return path


def tasks_named(desk: Cli, code: str) -> list[dict[str, object]]:
    return [task for task in desk.tasks() if task["code"] == code]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_the_seed_workflow_from_the_cli(backend: str, database_url: str, tmp_path: Path) -> None:
    desk = Cli(tmp_path / "home", database_url, in_process=True)
    desk.ok("init")

    # Step 3a: Extensions > Installer — upload the zip.
    uploaded = desk.ok("extension", "upload", str(seed_package(tmp_path)))
    assert "uploaded test_module" in uploaded
    [listed] = desk.json("extension", "list")
    assert listed["modules"] == [{"type": "module", "code": "test_module", "installed": False}]

    # Step 3b: Extensions > Extensions — install the module; install() registers the task.
    desk.ok("extension", "install", "test_module")
    [task] = tasks_named(desk, "my_task")
    assert (task["status"], task["action"]) == ("pending", "task/catalog/test_module.task")

    # Step 3c: Extensions > Tasks > Run Tasks; then System > Maintenance > Error logs.
    desk.ok("start")
    assert MESSAGE in desk.ok("log", "show")
    [done] = tasks_named(desk, "my_task")
    assert done["status"] == "complete"

    # uninstall() removes the task; installing again registers it again.
    desk.ok("extension", "uninstall", "test_module")
    assert tasks_named(desk, "my_task") == []
    desk.ok("extension", "install", "test_module")
    [again] = tasks_named(desk, "my_task")
    assert again["status"] == "pending"
    assert again["task_id"] != task["task_id"]


def test_the_shipped_example_builds_and_runs(tmp_path: Path) -> None:
    desk = Cli(tmp_path / "home", f"sqlite:///{tmp_path / 'taskdesk.db'}", in_process=True)
    desk.ok("init")
    repo = Path(__file__).resolve().parents[2]

    desk.ok("extension", "build", str(repo / "examples" / "test_module"),
             "--output", str(tmp_path))
    desk.ok("extension", "upload", str(tmp_path / "test_module.zip"))
    desk.ok("extension", "install", "test_module")
    desk.ok("start")

    assert MESSAGE in desk.ok("log", "show")
