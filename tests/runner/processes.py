"""Run the real `taskdesk` command in subprocesses, as users and cron do: `Desk.spawn` starts
the runners that are killed, signalled or raced; `Desk.run` (set-up and checks around them)
runs a command in-process through the same `main()`, which saves a process start a call."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.cli.inprocess import Result, run_in_process

REPO = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT_SECONDS = 300


class Desk:
    """One installation (data folder + database) driven through the CLI."""

    def __init__(self, home: Path, database_url: str, **settings: str) -> None:
        self.env = {
            **os.environ,
            "TASKDESK_HOME": str(home),
            "TASKDESK_DATABASE_URL": database_url,
            "TASKDESK_ALLOWED_ACTIONS": "tests",  # the allow-list: the suite's own handlers
            **{f"TASKDESK_{key.upper()}": value for key, value in settings.items()},
        }

    def run(self, *args: str) -> Result:
        result = run_in_process(args, self.env, REPO)
        assert result.code == 0, result.stderr
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "taskdesk", *args], cwd=REPO, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll until `condition` holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def signal_until_it_exits(process: subprocess.Popen[str], *, timeout: float) -> None:
    """Send SIGTERM until the process exits. Signals sent back to back coalesce into one
    handler call, as an operator's two Ctrl-C never do: keep sending until the second one has
    been seen."""

    def signalled() -> bool:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
        return process.poll() is not None

    wait_for(signalled, timeout=timeout, what="the runner to abort")


def finish(process: subprocess.Popen[str], *, timeout: float) -> str:
    """Wait for a process this test started; its stderr, after checking it succeeded."""
    _, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr
    return stderr


def end(process: subprocess.Popen[str]) -> None:
    """Kill a process this test started if it is still running, and close its pipes."""
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=10)
