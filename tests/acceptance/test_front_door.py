"""Issue 6's must-shows from the command line, as a user runs it: `os:system` cannot be made
to run, an application's registered tasks run through --app / TASKDESK_APP (the background
runner included), and the CLI reaches the system only through the front door."""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import pytest

from tests.cli.harness import Cli, error_line, recorded

CLI_SOURCES = Path(__file__).resolve().parents[2] / "src" / "taskdesk" / "cli"
#: What the CLI may import of taskdesk: the package's public names, the front door, the views
#: and the errors (and its own modules).
#: What the CLI may import (issue 15's layers): the two front doors (the application's and the
#: admin's), views, the bottom layers, and the web it serves.
FRONT_DOOR = {"taskdesk.app", "taskdesk.admin", "taskdesk.views", "taskdesk.errors",
              "taskdesk.clock", "taskdesk.text", "taskdesk.config", "taskdesk.web"}
SHOP = "tests.apps.shop:desk"


@pytest.fixture
def backend(real_backend: str) -> str:
    """Overrides the root fixture: a subprocess needs a real database."""
    return real_backend


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> Cli:
    """Only registered tasks and extension routes are allowed: no import-path prefixes. The
    commands run in-process, `start --background` as a real process."""
    return Cli(home=tmp_path / "home", database_url=database_url, allowed_actions="",
               in_process=True)


def test_os_system_is_refused_and_never_runs(cli: Cli, tmp_path: Path) -> None:
    proof = tmp_path / "pwned"
    args = json.dumps({"command": f"touch {proof}"})

    refused = cli.run("task", "add", "x", "os:system", "--args", args)
    cli.ok("start")

    line = error_line(refused, 2)
    assert "'os:system' is not allowed" in line
    assert "TASKDESK_ALLOWED_ACTIONS" in line
    assert not proof.exists()
    assert cli.tasks() == []


def test_registered_tasks_run_with_the_application_loaded(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "welcomed.txt"
    args = json.dumps({"path": str(out), "user_id": 7})

    without_app = cli.run("task", "add", "w", "shop.welcome", "--args", args)
    assert "not a registered task" in error_line(without_app, 2)
    refused_args = cli.run("task", "add", "w", "shop.welcome", "--app", SHOP, "--args", "{}")
    assert "missing a required argument: 'path'" in error_line(refused_args, 2)

    added = json.loads(cli.ok("--app", SHOP, "task", "add", "w", "shop.welcome", "--args", args,
                              "--json"))
    summary = cli.ok("start", "--app", SHOP)

    assert added["action"] == "shop.welcome"
    assert recorded(out) == ["7"]
    assert "complete" in summary
    [task] = cli.tasks()
    assert (task["status"], task["response"]) == ("complete", "welcomed 7")


def test_the_background_runner_loads_the_same_application(cli: Cli, tmp_path: Path) -> None:
    shop = cli.with_app(SHOP)
    out = tmp_path / "welcomed.txt"
    shop.add("w", "shop.welcome", "--args", json.dumps({"path": str(out), "user_id": 9}))

    shop.real_process().ok("start", "--background")

    deadline = time.monotonic() + 30
    while not recorded(out) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert recorded(out) == ["9"], shop.runner_log.read_text()


def test_the_cli_imports_nothing_below_the_front_door() -> None:
    imported: dict[str, set[str]] = {}
    for source in sorted(CLI_SOURCES.glob("*.py")):
        tree = ast.parse(source.read_text(), filename=str(source))
        names = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        names |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                  for alias in node.names}
        imported[source.name] = {name for name in names
                                 if name == "taskdesk" or name.startswith("taskdesk.")}

    assert len(imported) >= 6
    for module, names in imported.items():
        below = {name for name in names
                 if name not in FRONT_DOOR and not name.startswith(("taskdesk.cli",
                                                                    "taskdesk.models"))}
        assert below == set(), f"cli/{module} imports {sorted(below)}"
        assert not any(name.startswith("taskdesk.store") for name in names)
