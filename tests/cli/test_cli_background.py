"""`taskdesk start --background`: returns at once with a pid; the detached runner finishes the
work, writes its output to logs/runner.log and exits. The command itself runs as a real
process (the smoke test of `start --background`); the checks around it run in-process."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from taskdesk.store import open_store
from tests.cli.harness import Cli

WAIT_SECONDS = 20.0  # bound on every wait for the background runner
POLL_SECONDS = 0.2


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:.0f} s for {what}")
        time.sleep(POLL_SECONDS)


def runner_alive(pid: int) -> bool:
    """Whether `pid` is still our background runner (not exited, not a zombie, not reused)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state != "Z" and b"taskdesk" in cmdline


def status_now(cli: Cli, task_id: int) -> str:
    """The task's status read in-process: no subprocess start between return and reading."""
    store = open_store(cli.database_url)
    try:
        found = store.get(task_id)
    finally:
        store.close()
    assert found is not None
    return found.status.value


@pytest.fixture
def runner_pids() -> Iterator[list[int]]:
    """Pids of background runners a test started; any still running at the end are killed."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if runner_alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_start_background_returns_at_once_and_the_runner_finishes_the_task(
    cli: Cli, tmp_path: Path, runner_pids: list[int]
) -> None:
    marker = tmp_path / "marker"
    task = cli.add("sleepy", "tests.support.handlers:sleep_once",
                   "--args", json.dumps({"marker": str(marker), "seconds": 3}))

    started = cli.real_process().ok("start", "--background")  # a real child to detach from
    found = re.search(r"pid (\d+)", started)
    assert found, started
    pid = int(found.group(1))
    runner_pids.append(pid)

    assert status_now(cli, task["task_id"]) in ("pending", "processing")
    assert cli.runner_log.is_file()
    wait_for(lambda: cli.task(task["task_id"])["status"] == "complete", "the task to complete")
    done = cli.task(task["task_id"])
    assert done["response"] == "first attempt done"
    assert (done["attempts"], [entry["status"] for entry in done["log"]]) == (1, ["complete"])
    assert marker.exists()

    wait_for(lambda: not runner_alive(pid), "the background runner to exit")
    assert "runner summary" in cli.runner_log.read_text()
