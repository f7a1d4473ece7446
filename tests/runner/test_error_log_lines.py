"""What a runner's tasks write with self.log.write(): stored with the task's id, this host and
this process; a database that refuses the line fails no task and loses no line; the
housekeeper prunes lines past TASKDESK_ERROR_LOG_RETENTION_SECONDS."""

from __future__ import annotations

import logging
import os

import pytest

from taskdesk.config import Settings
from taskdesk.errors import StoreUnavailable
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.models.error_lines import ErrorLine, ErrorLineFilter, NewErrorLine
from taskdesk.models.tasks import Status
from taskdesk.registry import TaskRegistry
from taskdesk.resolve import Resolver
from taskdesk.runner import Runner
from taskdesk.runner.housekeeper import Housekeeper
from taskdesk.store import Store
from taskdesk.store.memory.error_lines import MemoryErrorLineStore
from taskdesk.store.sql.error_lines import SqlErrorLineStore
from tests.support import FakeClock


def _runner(store: Store, settings: Settings) -> Runner:
    return Runner(store, settings, resolver=Resolver(ControllerLoader(lambda code: None)))


def test_a_tasks_lines_carry_its_id_the_host_and_the_pid(store: Store, settings: Settings) -> None:
    settings = settings.evolve(host_name="worker-7")
    task = TaskRegistry(store, settings).add("hello", "taskdesk.demo:Hello", {"n": 2})
    _runner(store, settings).drain()
    lines = store.error_lines.page(ErrorLineFilter(task_id=task.task_id), 10)
    assert [(line.host, line.pid, line.message) for line in lines] == [
        ("worker-7", os.getpid(), "hello world: step 1 of 2"),
        ("worker-7", os.getpid(), "hello world: step 2 of 2")]


def test_a_database_that_refuses_the_line_fails_no_task_and_the_file_keeps_it(
        store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def refuse(self: object, line: NewErrorLine) -> ErrorLine:
        raise StoreUnavailable("the database cannot be reached")

    monkeypatch.setattr(SqlErrorLineStore, "write", refuse)
    monkeypatch.setattr(MemoryErrorLineStore, "write", refuse)
    TaskRegistry(store, settings).add("hello", "taskdesk.demo:Hello", {"n": 3})
    with caplog.at_level(logging.WARNING, logger="taskdesk.errorlog"):
        stats = _runner(store, settings).drain()
    assert stats.by_status == {Status.COMPLETE: 1}
    written = settings.error_log.read_text().splitlines()
    assert [line.split(" - ", 1)[1] for line in written] == [
        f"hello world: step {n} of 3" for n in (1, 2, 3)]
    reports = [r for r in caplog.records if "error_log.database_failed" in r.getMessage()]
    assert len(reports) == 1  # once, not once per line
    assert str(settings.error_log) in reports[0].getMessage()


def test_the_housekeeper_prunes_lines_past_their_retention(
        store: Store, settings: Settings, clock: FakeClock) -> None:
    settings = settings.evolve(error_log_retention_seconds=3600)
    for n in range(3):
        store.error_lines.write(NewErrorLine(host="h", pid=1, task_id=None, message=f"old {n}"))
    clock.advance(7200)
    store.error_lines.write(NewErrorLine(host="h", pid=1, task_id=None, message="new"))
    assert Housekeeper(store, settings).prune() == 3
    assert [line.message for line in store.error_lines.page(ErrorLineFilter(), 10)] == ["new"]


def test_a_runners_own_warning_lands_in_the_error_log(
        store: Store, settings: Settings, clock: FakeClock) -> None:
    settings = settings.evolve(host_name="worker-9")
    task = TaskRegistry(store, settings).add("orphan", "tests.support.handlers:noop")
    store.claim("dead-runner", lease_seconds=settings.lease_seconds)
    clock.advance(settings.lease_seconds + 1)
    assert _runner(store, settings).drain().recovered == 1
    [line] = [line for line in store.error_lines.page(ErrorLineFilter(), 10)
              if "task.recovered" in line.message]
    assert line.message.startswith(f"WARNING taskdesk.runner.housekeeper: task.recovered "
                                   f"task_id={task.task_id} code=orphan")
    assert (line.host, line.pid) == ("worker-9", os.getpid())
    assert "task.recovered" in settings.error_log.read_text()
    logging.getLogger("taskdesk.runner").warning("after the run: not written")
    assert all("after the run" not in line.message
               for line in store.error_lines.page(ErrorLineFilter(), 10))
