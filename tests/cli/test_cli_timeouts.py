"""The must-show of per-task timeouts: a real `taskdesk start` with a task that sleeps an hour
under a 2 s timeout returns within seconds, that task failed "timed out", the next one ran."""

from __future__ import annotations

import subprocess

from tests.cli.harness import MODULE_COMMAND, REPO_ROOT, Cli

APP = "tests.apps.timeouts:desk"
START_BOUND_SECONDS = 15  # a hang guard, not a measurement: start should take about 3 s


def test_start_stops_an_hour_long_task_at_its_timeout_and_runs_the_next(cli: Cli) -> None:
    app = cli.with_app(APP)
    sleeper = app.add("sleeper", "slow.sleep", "--max-attempts", "1")  # its timeout: 2 s
    after = app.add("after", "slow.pid")

    started = subprocess.run([*MODULE_COMMAND, "start"], cwd=REPO_ROOT, env=app.env,
                             stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=START_BOUND_SECONDS, check=False)

    assert started.returncode == 0, started.stderr
    first, second = app.task(sleeper["task_id"]), app.task(after["task_id"])
    assert (first["status"], first["response"]) == ("failed", "timed out after 2 s")
    assert second["status"] == "complete"
    assert second["response"] != ""
