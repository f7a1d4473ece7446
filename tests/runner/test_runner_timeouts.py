"""Tasks with a timeout run in a child process: past it they are stopped and their attempt
fails "timed out"; a child that dies is counted as a crash, and quarantined after
TASKDESK_MAX_CRASHES. Tasks without one still run in the runner's own thread."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import pytest

from taskdesk import Taskdesk
from taskdesk.models.tasks import NewTask, Status, Task
from tests.apps import timeouts


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Taskdesk]:
    """The importable application, on a fresh SQLite database (its children open it too)."""
    yield from timeouts_desk(tmp_path)


def timeouts_desk(tmp_path: Path) -> Iterator[Taskdesk]:
    """The shared application object on a fresh database, its settings given back after the
    test (a test's reconfigure must not reach the next test on the same process)."""
    app = timeouts.desk
    saved = app.settings
    app.configure(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                  allowed_actions=("tests",), app="tests.apps.timeouts:desk")
    app.init()
    yield app
    app.close()
    app.configure(**{field.name: getattr(saved, field.name) for field in fields(saved)})


def run(desk: Taskdesk, action: str, **args: object) -> Task:
    definition = desk.handlers.get(action)
    max_attempts = definition.options.max_attempts if definition else None
    [added] = desk.store.add([NewTask(code=action, action=action, args=dict(args),
                                      max_attempts=max_attempts or desk.settings.max_attempts)])
    desk.runner().drain()
    task = desk.store.get(added.task_id)
    assert task is not None
    return task


def reconfigure(desk: Taskdesk, **settings: object) -> None:
    desk.close()  # settings change only while the store is closed
    desk.configure(**settings)


def comments(desk: Taskdesk, task: Task) -> list[str]:
    return [entry.comment for entry in reversed(desk.store.log(task_id=task.task_id))]


def test_a_cpu_bound_loop_is_stopped_and_fails_timed_out(desk: Taskdesk) -> None:
    task = run(desk, "slow.spin")

    assert task.status is Status.FAILED
    assert task.response == "timed out after 1 s"


def test_a_task_that_exits_is_counted_and_quarantined_after_max_crashes(desk: Taskdesk) -> None:
    task = run(desk, "slow.exit")  # max_attempts=5, retry_delay=0: only the crashes stop it

    assert task.status is Status.FAILED
    assert task.attempts == 2  # TASKDESK_MAX_CRASHES defaults to 2
    first, second = comments(desk, task)
    assert first.startswith("the task's process died (exit code 1); crash 1 of at most 2")
    assert second == ("the task's process died (exit code 1); failed for good after 2 crashes "
                      "(TASKDESK_MAX_CRASHES=2)")


def test_a_task_killed_by_a_signal_is_counted_as_a_crash(desk: Taskdesk) -> None:
    reconfigure(desk, max_crashes=3)

    task = run(desk, "slow.kill")

    assert (task.status, task.attempts) == (Status.FAILED, 3)
    assert all("the task's process died (signal 9)" in text for text in comments(desk, task))


def test_a_task_without_a_timeout_runs_in_the_runner_thread(desk: Taskdesk) -> None:
    task = run(desk, "slow.pid")

    assert (task.status, task.response) == (Status.COMPLETE, str(os.getpid()))


def test_a_child_returns_its_response_and_writes_the_error_log(desk: Taskdesk) -> None:
    task = run(desk, "slow.report", month="May")

    assert (task.status, task.response) == (Status.COMPLETE, "reported May")
    written = desk.settings.error_log.read_text()
    assert "report for May from " in written
    assert f"from {os.getpid()}" not in written  # the child wrote it


def test_a_child_returns_its_exception_as_a_failure(desk: Taskdesk) -> None:
    task = run(desk, "slow.fail")

    assert task.status is Status.FAILED
    assert task.response is not None
    assert task.response.startswith("ValueError: no such month")


def test_the_default_timeout_applies_to_plain_actions(desk: Taskdesk) -> None:
    reconfigure(desk, task_timeout_seconds=1, max_attempts=1)

    task = run(desk, "tests.apps.timeouts:nap", seconds=3600)

    assert (task.status, task.response) == (Status.FAILED, "timed out after 1 s")
