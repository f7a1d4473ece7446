"""Issue 17's must-show for the cancel, with real `taskdesk worker` processes on SQLite and
PostgreSQL, cancelled through `taskdesk task cancel`: a waiting task never runs; a running
thread task is told within seconds (well inside the 10 s heartbeat: the cancel's notification
makes its runner heartbeat at once), stops, and stays cancelled; a task in a child process
(a timeout is set) is told too (SIGUSR1) and one that ignores the cancel is terminated after
the grace, and `task retry` brings it back and it runs."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.runner.processes import Desk, end, wait_for

POLL_SECONDS = "30"  # far longer than the test: no poll helps the cancel along
HANDLERS = "tests.runner.cancel_handlers"
TOLD_WITHIN = 3.0  # seconds, where the heartbeat alone would take up to 10
DUE_SECONDS = 5.0  # the waiting task's run_at from its add: after the cancel, before the end


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


def added(desk: Desk, code: str, handler: str, **args: object) -> int:
    task = desk.json("task", "add", code, f"{HANDLERS}:{handler}", "--args", json.dumps(args))
    return int(task["task_id"])


def shown(desk: Desk, task_id: int) -> Any:
    return desk.json("task", "show", str(task_id))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_a_waiting_task_cancelled_never_runs_and_a_running_one_is_told(
        database_url: str, tmp_path: Path) -> None:
    desk = Desk(tmp_path / "home", database_url, poll_seconds=POLL_SECONDS)
    out, marker, told = tmp_path / "ran", tmp_path / "started", tmp_path / "told"
    worker = desk.spawn("worker", "--concurrency", "2")
    try:
        running = added(desk, "running", "until_cancelled", marker=str(marker), out=str(told))
        wait_for(marker.exists, timeout=30, what="the running task to start")
        # Added once the worker runs, so that only the add and the cancel come before it is due.
        due = datetime.now(UTC) + timedelta(seconds=DUE_SECONDS)
        waiting = int(desk.json("task", "add", "waiting", f"{HANDLERS}:record_run", "--args",
                                json.dumps({"out": str(out)}), "--run-at",
                                due.isoformat())["task_id"])

        started = time.monotonic()
        result = desk.run("task", "cancel", str(waiting), str(running))
        assert datetime.now(UTC) < due, "the machine was too slow: cancelled after it was due"
        wait_for(told.exists, timeout=TOLD_WITHIN + 5, what="the running task to be told")
        assert time.monotonic() - started < TOLD_WITHIN + 1  # the CLI itself takes ~1 s
        assert "2 cancelled" in result.stdout
        assert told.read_text().startswith("told after")

        wait_for(lambda: len(shown(desk, running)["log"]) == 2,
                 timeout=10, what="the refused outcome to be logged")
        task = shown(desk, running)
        assert task["status"] == "cancelled"
        comments = [entry["comment"] for entry in task["log"]]
        assert "lease lost: not stored" in comments[0]
        assert "taskdesk task cancel" in comments[1]

        time.sleep(max((due - datetime.now(UTC)).total_seconds() + 2, 0))  # past its run_at
        assert not out.exists()
        assert shown(desk, waiting)["status"] == "cancelled"
        listed = desk.json("task", "list", "--status", "cancelled")
        assert sorted(t["task_id"] for t in listed) == sorted([waiting, running])
    finally:
        end(worker)


@pytest.mark.slow
def test_a_child_process_that_ignores_the_cancel_is_terminated_then_retried(
        database_url: str, tmp_path: Path) -> None:
    desk = Desk(tmp_path / "home", database_url, poll_seconds=POLL_SECONDS,
                task_timeout_seconds="60", cancel_grace_seconds="1")
    marker, polite_marker, told = tmp_path / "started", tmp_path / "polite", tmp_path / "told"
    worker = desk.spawn("worker", "--concurrency", "2")
    try:
        task_id = added(desk, "stubborn", "ignores_cancel", marker=str(marker))
        polite = added(desk, "polite", "until_cancelled", marker=str(polite_marker),
                       out=str(told))
        wait_for(lambda: marker.exists() and polite_marker.exists(), timeout=30,
                 what="both children to start")
        child = int(marker.read_text())
        assert int(polite_marker.read_text()) != worker.pid  # it runs in a child too

        started = time.monotonic()
        assert "2 cancelled" in desk.run("task", "cancel", str(task_id), str(polite)).stdout
        wait_for(told.exists, timeout=TOLD_WITHIN + 5, what="the polite child to be told")
        assert told.read_text().startswith("told after")  # through SIGUSR1, in its child
        wait_for(lambda: not alive(child), timeout=TOLD_WITHIN + 1 + 5,
                 what="the child to be terminated after its grace")
        assert time.monotonic() - started > 1  # the grace was given
        wait_for(lambda: len(shown(desk, polite)["log"]) == 2, timeout=10,
                 what="the polite child's attempt to be logged")
        assert "stopped cleanly" in shown(desk, polite)["log"][0]["comment"]
        wait_for(lambda: len(shown(desk, task_id)["log"]) == 2,
                 timeout=10, what="the attempt to be logged")
        task = shown(desk, task_id)
        assert task["status"] == "cancelled"
        assert "terminated after 1 s of grace" in task["log"][0]["comment"]

        assert "1 retried" in desk.run("task", "retry", str(task_id)).stdout
        wait_for(lambda: shown(desk, task_id)["status"] == "complete",
                 timeout=30, what="the retried task to run")
        assert shown(desk, task_id)["response"] == "second attempt done"
    finally:
        end(worker)
