"""A runner killed with SIGKILL mid-task: nothing stays stuck and the task is not lost."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.runner.processes import Desk, end, wait_for

LEASE_SECONDS = 1.0


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_killed_runner_never_blocks_the_next_start(
    backend: str, database_url: str, tmp_path: Path
) -> None:
    desk = Desk(tmp_path / "home", database_url, lease_seconds=str(LEASE_SECONDS))
    marker = tmp_path / "started"
    args = json.dumps({"marker": str(marker), "seconds": 120})
    desk.run("task", "add", "slow", "tests.support.handlers:sleep_once", "--args", args)

    runner = desk.spawn("start")
    try:
        wait_for(marker.exists, timeout=30, what="the first attempt to start")
        assert marker.read_text() == str(runner.pid)
        os.kill(runner.pid, signal.SIGKILL)
        runner.communicate(timeout=10)
        assert runner.returncode == -signal.SIGKILL
    finally:
        end(runner)
    [stuck] = desk.json("task", "list")
    assert stuck["status"] == "processing"

    def recovered_and_run() -> bool:
        desk.run("start", "--quiet")  # recovers the task once its lease has expired
        return bool(desk.json("task", "list")[0]["status"] == "complete")

    wait_for(recovered_and_run, timeout=30, what="the next start to complete the task")

    [task] = desk.json("task", "list")
    assert (task["attempts"], task["response"]) == (2, "second attempt done")
    log = desk.json("task", "log")
    assert [entry["status"] for entry in log] == ["complete", "pending"]
    assert "expired during attempt 1" in log[1]["comment"]
