"""Issue 17's must-show, with real workers: 3 `taskdesk worker` processes run nothing of a
paused queue while they run another queue's tasks, a task of it that was already running
finishes, and once the queue is resumed they run its tasks (woken, not left to their poll)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.cli.harness import record_args, recorded
from tests.runner.processes import Desk, end, wait_for

POLL_SECONDS = "30"  # far longer than the test: a resume must wake the workers


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


def statuses(desk: Desk, queue: str) -> list[str]:
    return [t["status"] for t in desk.json("task", "list", "--queue", queue)]


@pytest.mark.slow
def test_three_workers_run_nothing_of_a_paused_queue_until_it_is_resumed(
        database_url: str, tmp_path: Path) -> None:
    desk = Desk(tmp_path / "home", database_url, poll_seconds=POLL_SECONDS)
    marker, held_out, other_out = tmp_path / "started", tmp_path / "held", tmp_path / "other"
    desk.run("task", "add", "running", "tests.support.handlers:sleep_once", "--queue", "held",
             "--args", json.dumps({"marker": str(marker), "seconds": 1.5}))
    workers = [desk.spawn("worker", "--concurrency", "2") for _ in range(3)]
    try:
        wait_for(marker.exists, timeout=60, what="the held queue's first task to start")
        desk.run("queue", "pause", "held")
        for n in range(5):
            desk.run("task", "add", f"held-{n}", "tests.support.handlers:record",
                     "--args", record_args(held_out, n), "--queue", "held")
        for n in range(20):
            desk.run("task", "add", f"other-{n}", "tests.support.handlers:record",
                     "--args", record_args(other_out, n), "--queue", "other")

        wait_for(lambda: len(recorded(other_out)) == 20, timeout=60,
                 what="the other queue's tasks to run")
        wait_for(lambda: "processing" not in statuses(desk, "held"), timeout=60,
                 what="the running task of the paused queue to finish")

        assert recorded(held_out) == []
        assert sorted(statuses(desk, "held")) == ["complete"] + ["pending"] * 5
        [held] = [q for q in desk.json("queue", "list") if q["queue"] == "held"]
        assert (held["paused"], held["waiting"], len(held["served_by"])) == (True, 5, 3)

        desk.run("queue", "resume", "held")
        wait_for(lambda: len(recorded(held_out)) == 5, timeout=20,  # < POLL_SECONDS: woken
                 what="the resumed queue's tasks to run")
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.kill(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.communicate(timeout=30)
            finally:
                end(worker)
    assert [worker.returncode for worker in workers] == [0, 0, 0]
    assert sorted(int(n) for n in recorded(held_out)) == list(range(5))
