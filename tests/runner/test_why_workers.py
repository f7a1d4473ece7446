"""Issue 17's "why isn't this running?" with real workers: a task whose queue no live worker
serves says so (with the command that starts one) while a worker of another queue runs, and
that reason goes away once a `taskdesk worker --queue` of its queue runs: it runs."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.runner.processes import Desk, end, wait_for


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the reason reads runner rows, the same SQL on both databases


@pytest.mark.slow
def test_no_runner_goes_away_when_a_worker_of_its_queue_runs(database_url: str,
                                                             tmp_path: Path) -> None:
    desk = Desk(tmp_path / "home", database_url)
    marker = tmp_path / "started"
    task = desk.json("task", "add", "m", "tests.support.handlers:sleep_once", "--queue", "mail",
                     "--args", json.dumps({"marker": str(marker), "seconds": 2}))

    def why() -> dict[str, Any]:
        found: dict[str, Any] = desk.json("task", "why", str(task["task_id"]))
        return found

    workers = [desk.spawn("worker", "--queue", "other")]
    try:
        wait_for(lambda: why()["facts"].get("live_runners") == 1, timeout=30,
                 what="the other queue's worker to register")
        before = why()
        workers.append(desk.spawn("worker", "--queue", "mail"))
        wait_for(marker.exists, timeout=30, what="the mail worker to start the task")
        after = why()
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.kill(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.communicate(timeout=30)
            finally:
                end(worker)

    assert before["reason"] == "no_runner"
    assert before["text"] == "no live runner serves its queue mail"
    assert before["hint"].endswith("taskdesk worker --queue mail")
    assert after["reason"] in ("running", "complete")
    assert after["waiting"] is False
    assert [worker.returncode for worker in workers] == [0, 0]
