"""`taskdesk workflow list|show` (tables and --json, as the API) and `task show` naming a
task's workflow and its parents, never the run_at of a task that waits for them; an unknown
workflow is one clear error."""

from __future__ import annotations

from pathlib import Path

from taskdesk import Taskdesk
from tests.apps import flows
from tests.cli.harness import Cli, error_line


def enqueue(database_url: str, home: Path) -> list[int]:
    with Taskdesk(database_url=database_url, home=home, allowed_actions=("tests",)) as desk:
        wf = desk.workflow("nightly")
        a = wf.add(flows.number, 1)
        b = wf.add(flows.number, 2, after=[a])
        wf.add(flows.clean_up, after=[b], run_on_failure=True)
        wf.enqueue()
    return [a.task_id or 0, b.task_id or 0]


def test_list_show_and_task_show(cli: Cli, database_url: str, tmp_path: Path) -> None:
    a, b = enqueue(database_url, tmp_path / "home")

    listed = cli.json("workflow", "list")
    shown = cli.json("workflow", "show", str(listed[0]["workflow_id"]))
    table = cli.ok("workflow", "show", "1")
    task = cli.ok("task", "show", str(b))
    task_json = cli.json("task", "show", str(b))

    assert [(w["name"], w["total"], w["counts"]) for w in listed] == [
        ("nightly", 3, {"pending": 3})]
    assert [t["parents"] for t in shown["tasks"]] == [[], [a], [b]]
    assert "waiting for parents" in table
    assert "nightly" in cli.ok("workflow", "list")
    assert f"workflow 1 (nightly), after: {a}; waits for its parents" in task
    assert "when its workflow parents have ended" in task
    assert "9000" not in task
    assert task_json["run_at"] is None
    assert task_json["workflow"]["parents"] == [a]
    assert "no workflow has id 7" in error_line(cli.run("workflow", "show", "7"), 3)
