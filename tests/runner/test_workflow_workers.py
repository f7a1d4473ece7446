"""Issue 17's must-show, with real worker processes: a workflow survives a worker killed
with SIGKILL while one of the fan-in's parents runs — the parent is recovered after its
lease and run by another worker, and the fan-in task runs exactly once, reading both
parents' results."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from taskdesk import Taskdesk
from tests.apps import flows
from tests.runner.processes import Desk, end, wait_for

LEASE_SECONDS = "1"
APP = "tests.apps.flows:desk"


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


@pytest.mark.slow
def test_a_workflow_survives_a_killed_worker_and_its_fan_in_runs_once(
        database_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    desk = Desk(home, database_url, lease_seconds=LEASE_SECONDS)
    marker, runs = tmp_path / "started", tmp_path / "runs.jsonl"
    with Taskdesk(database_url=database_url, home=home, allowed_actions=("tests",)) as app:
        wf = app.workflow("survivor")
        a = wf.add(flows.number, 1)
        b = wf.add(flows.slow_once, str(marker), 2, after=[a])
        c = wf.add(flows.number, 3, after=[a])
        d = wf.add(flows.total, str(runs), after=[b, c])
        wf.enqueue()

    first = desk.spawn("worker", "--app", APP, "--concurrency", "2")
    try:
        wait_for(marker.exists, timeout=60, what="b's first attempt to start")
        os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=10)
    finally:
        end(first)
    assert desk.json("task", "show", str(d.task_id))["status"] == "pending"

    second = desk.spawn("worker", "--app", APP, "--concurrency", "2")
    try:
        wait_for(runs.exists, timeout=60, what="the fan-in d to run after b's recovery")
        time.sleep(1.5)  # a second release of d would run it again meanwhile
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.communicate(timeout=30)
        finally:
            end(second)
    lines = [json.loads(line) for line in runs.read_text().splitlines()]
    assert len(lines) == 1
    assert lines[0]["parents"] == {str(b.task_id): "2", str(c.task_id): "3"}
    shown = desk.json("task", "show", str(b.task_id))
    assert (shown["status"], shown["attempts"]) == ("complete", 2)
    [info] = desk.json("workflow", "list")
    assert info["counts"] == {"complete": 4}
