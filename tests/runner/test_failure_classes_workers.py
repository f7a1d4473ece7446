"""Failures by cause with a real `taskdesk worker` process, on SQLite and PostgreSQL: a
handler's exception records its class (qualified by its module unless a builtin), a timed-out
attempt records TimeoutError, and the failed tasks group by class. Every task runs in a child
process here (TASKDESK_TASK_TIMEOUT_SECONDS), the path whose outcome crosses a pipe; the
CLI's tests run the thread path (`start`)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.runner.processes import Desk, end, wait_for


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


@pytest.mark.slow
def test_a_worker_records_each_failures_class(database_url: str, tmp_path: Path) -> None:
    desk = Desk(tmp_path / "home", database_url, task_timeout_seconds="1", poll_seconds="0.1")
    add = ("task", "add", "--max-attempts", "1")
    desk.run(*add, "boom", "tests.support.handlers:boom")
    desk.run(*add, "mine", "tests.cli.hostile_handlers:fail_as",
             "--args", json.dumps({"name": "QuotaExceeded", "text": "over quota"}))
    desk.run(*add, "slow", "tests.apps.timeouts:nap", "--args", json.dumps({"seconds": 60}))
    worker = desk.spawn("worker", "--concurrency", "3")
    try:
        wait_for(lambda: len(desk.json("task", "list", "--status", "failed")) == 3,
                 timeout=60, what="the three tasks to fail")
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGTERM)
        try:
            worker.communicate(timeout=30)
        finally:
            end(worker)
    assert worker.returncode == 0

    classes = {t["code"]: t["error_class"] for t in desk.json("task", "list")}
    assert classes == {"boom": "RuntimeError",
                       "mine": "tests.cli.hostile_handlers.QuotaExceeded",
                       "slow": "TimeoutError"}
    groups = desk.json("task", "list", "--by-error")
    assert sorted((g["error_class"], g["count"]) for g in groups) == [
        ("RuntimeError", 1), ("TimeoutError", 1),
        ("tests.cli.hostile_handlers.QuotaExceeded", 1)]
