"""Signals: the first SIGTERM lets the running task finish and leaves the rest pending; a
second one aborts at once and expires the runner's leases, so the next start need not wait."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.runner.processes import Desk, end, signal_until_it_exits, wait_for

LEASE_SECONDS = "60"  # far longer than the test: recovery must come from the abort itself


def queue_two_tasks(desk: Desk, marker: Path, seconds: float) -> None:
    args = json.dumps({"marker": str(marker), "seconds": seconds})
    desk.run("task", "add", "slow", "tests.support.handlers:sleep_once", "--args", args)
    desk.run("task", "add", "next", "tests.support.handlers:noop")


def statuses(desk: Desk) -> dict[str, tuple[str, int]]:
    return {t["code"]: (t["status"], t["attempts"]) for t in desk.json("task", "list")}


@pytest.mark.slow
def test_the_first_signal_finishes_the_running_task_and_stops(tmp_path: Path) -> None:
    desk = Desk(tmp_path / "home", f"sqlite:///{tmp_path / 'db.sqlite'}")
    desk.run("init")
    marker = tmp_path / "started"
    queue_two_tasks(desk, marker, seconds=2)

    runner = desk.spawn("start", "--quiet")
    try:
        wait_for(marker.exists, timeout=30, what="the slow task to start")
        os.kill(runner.pid, signal.SIGTERM)
        runner.communicate(timeout=30)
    finally:
        end(runner)

    assert runner.returncode == 0
    assert statuses(desk) == {"slow": ("complete", 1), "next": ("pending", 0)}


@pytest.mark.slow
def test_a_second_signal_aborts_and_the_next_start_recovers_at_once(tmp_path: Path) -> None:
    desk = Desk(tmp_path / "home", f"sqlite:///{tmp_path / 'db.sqlite'}",
                lease_seconds=LEASE_SECONDS)
    desk.run("init")
    marker = tmp_path / "started"
    queue_two_tasks(desk, marker, seconds=120)

    runner = desk.spawn("start", "--quiet")
    try:
        wait_for(marker.exists, timeout=30, what="the slow task to start")

        signal_until_it_exits(runner, timeout=30)
        runner.communicate(timeout=10)
    finally:
        end(runner)

    # 130 after the abort; a signal that lands after its clean-up meets the default handler.
    assert runner.returncode in (130, -signal.SIGTERM)
    assert statuses(desk)["slow"] == ("processing", 1)
    desk.run("start", "--quiet")  # no waiting for the 60 s lease
    assert statuses(desk) == {"slow": ("complete", 2), "next": ("complete", 1)}


@pytest.mark.slow
def test_a_worker_is_listed_while_it_runs_and_forgotten_when_it_stops(tmp_path: Path) -> None:
    desk = Desk(tmp_path / "home", f"sqlite:///{tmp_path / 'db.sqlite'}", poll_seconds="0.1")
    desk.run("init")

    worker = desk.spawn("worker", "--concurrency", "2")
    try:
        wait_for(lambda: len(desk.json("runners")) == 1, timeout=30, what="the worker to register")
        [listed] = desk.json("runners")
        assert (listed["pid"], listed["alive"]) == (worker.pid, True)
        os.kill(worker.pid, signal.SIGTERM)
        worker.communicate(timeout=30)
    finally:
        end(worker)

    assert worker.returncode == 0
    assert desk.json("runners") == []
