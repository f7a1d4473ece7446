"""Two `taskdesk start` processes at once over 2,000 tasks: every task runs exactly once."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.models.tasks import NewTask
from taskdesk.registry import TaskRegistry
from taskdesk.store import open_store
from tests.runner.processes import COMMAND_TIMEOUT_SECONDS, Desk, end, finish

TASKS = 2000
RUNNERS = 2


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_two_runners_run_every_task_exactly_once(
    backend: str, database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "ran"
    store = open_store(database_url)
    TaskRegistry(store, Settings(home=tmp_path)).add_many(
        NewTask(code=f"t{n}", action="tests.support.handlers:record",
                args={"path": str(out), "n": n})
        for n in range(TASKS)
    )
    store.close()
    desk = Desk(tmp_path / "home", database_url)

    runners = [desk.spawn("start", "--quiet") for _ in range(RUNNERS)]
    try:
        for runner in runners:
            finish(runner, timeout=COMMAND_TIMEOUT_SECONDS)
    finally:
        for runner in runners:
            end(runner)

    runs = Counter(int(line) for line in out.read_text().split())
    assert sorted(runs) == list(range(TASKS))
    assert set(runs.values()) == {1}
    log = json.loads(desk.run("task", "log", "--json", "--limit", "1000").stdout)
    assert {entry["status"] for entry in log} == {"complete"}
    statuses = Counter(task["status"] for task in
                       desk.json("task", "list", "--limit", "1000"))
    assert statuses == {"complete": 1000}
    assert not desk.json("task", "list", "--status", "pending")
