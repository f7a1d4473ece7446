"""Issue 7 item 6: a task that never returns. `taskdesk runners` shows what each runner is
running and for how long, and the signals still behave: the first asks to stop (the task
keeps running), the second aborts at once."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.runner.processes import Desk, end, signal_until_it_exits, wait_for

pytestmark = pytest.mark.hostile


def running(desk: Desk) -> list[dict[str, Any]]:
    return [task for runner in desk.json("runners") for task in runner["running"]]


@pytest.mark.slow
def test_runners_show_the_endless_task_and_two_signals_still_stop_it(tmp_path: Path) -> None:
    desk = Desk(tmp_path / "home", f"sqlite:///{tmp_path / 'db.sqlite'}", lease_seconds="60")
    desk.run("init")
    marker = tmp_path / "started"
    args = json.dumps({"marker": str(marker), "seconds": 3600})
    desk.run("task", "add", "endless", "tests.support.handlers:sleep_once", "--args", args)

    runner = desk.spawn("start", "--quiet")
    try:
        wait_for(marker.exists, timeout=30, what="the endless task to start")
        wait_for(lambda: any(t["running_seconds"] >= 1 for t in running(desk)), timeout=30,
                 what="runners to show the task running for a second")
        [shown] = running(desk)
        assert (shown["code"], shown["action"], shown["attempt"]) == (
            "endless", "tests.support.handlers:sleep_once", 1)

        os.kill(runner.pid, signal.SIGTERM)  # the first: finish what runs — it never will
        with pytest.raises(AssertionError, match="timed out"):
            wait_for(lambda: runner.poll() is not None, timeout=1, what="a stop")

        signal_until_it_exits(runner, timeout=30)  # the second aborts
        runner.communicate(timeout=10)
    finally:
        end(runner)

    assert runner.returncode in (130, -signal.SIGTERM)
    assert running(desk) == []  # the runner unregistered on its way out
