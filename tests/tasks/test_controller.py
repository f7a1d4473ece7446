"""Controller: what OpenCart's registry gives a controller, from its Context."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.controller import Context, Controller
from taskdesk.errorlog import ErrorLog
from taskdesk.registry import TaskRegistry
from taskdesk.store import MemoryStore
from tests.support import FakeClock


class Task(Controller):
    def index(self) -> None:
        self.log.write("My task has successfully started!")


@pytest.fixture
def context(tmp_path: Path, settings: Settings, clock: FakeClock) -> Context:
    return Context(tasks=TaskRegistry(MemoryStore(clock=clock), settings),
                   log=ErrorLog(tmp_path / "error.log", clock=clock), config=settings)


def test_controller_gets_the_context(context: Context) -> None:
    controller = Task(context)

    assert controller.context is context
    assert controller.tasks is context.tasks
    assert controller.log is context.log
    assert controller.config is context.config
    assert controller.task is None


def test_controller_writes_the_error_log(context: Context) -> None:
    Task(context).index()

    assert context.log.read() == "2026-01-01 12:00:00 - My task has successfully started!\n"


def test_controller_may_add_tasks(context: Context) -> None:
    Task(context).tasks.add("follow_up", "tests.support.handlers:noop")

    assert [task.code for task in context.tasks.list_tasks()] == ["follow_up"]


def test_controller_sees_the_task_it_runs(context: Context) -> None:
    task = context.tasks.add("job", "tests.support.handlers:noop")
    running = Context(tasks=context.tasks, log=context.log, config=context.config, task=task)

    controller = Task(running)

    assert controller.task is task
    assert controller.task.date_added == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
