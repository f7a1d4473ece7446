"""The runner in-process against every store: order, outcomes, retries, fan-out, recovery."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.models.tasks import NewTask, Status, Task
from taskdesk.registry import TaskRegistry
from taskdesk.resolve import Resolver
from taskdesk.runner import Runner, RunnerHooks
from taskdesk.store import Store
from tests.support import FakeClock


def make_runner(store: Store, settings: Settings, hooks: RunnerHooks | None = None) -> Runner:
    return Runner(store, settings, resolver=Resolver(ControllerLoader(lambda code: None)),
                  hooks=hooks)


def run_worker_until(runner: Runner, done: Callable[[], bool], *, concurrency: int = 1,
                     timeout: float = 10) -> None:
    """Run `runner` as a worker on a thread until `done()` holds (at most `timeout` seconds),
    then stop it and check that it stopped."""
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,),
                              kwargs={"concurrency": concurrency})
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while not done() and time.monotonic() < deadline:
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def recorded(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


@pytest.fixture
def registry(store: Store, settings: Settings) -> TaskRegistry:
    return TaskRegistry(store, settings)


def test_drain_runs_due_tasks_by_priority_then_id(
    store: Store, settings: Settings, registry: TaskRegistry, tmp_path: Path
) -> None:
    out = tmp_path / "order"
    for n, priority in [(1, 0), (2, 5), (3, 0), (4, 5), (5, -1)]:
        registry.add(f"t{n}", "tests.support.handlers:record", {"path": str(out), "n": n},
                     priority=priority)

    stats = make_runner(store, settings).drain()

    assert recorded(out) == [2, 4, 1, 3, 5]
    assert stats.by_status == {Status.COMPLETE: 5}
    assert registry.count(status=Status.COMPLETE) == 5


def test_future_tasks_wait_until_due(
    store: Store, settings: Settings, registry: TaskRegistry, clock: FakeClock, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    later = clock.now.replace(hour=13)
    registry.add("later", "tests.support.handlers:record", {"path": str(out), "n": 1}, run_at=later)

    make_runner(store, settings).drain()
    assert recorded(out) == []

    clock.now = later
    make_runner(store, settings).drain()
    assert recorded(out) == [1]


def test_tasks_that_add_tasks_are_run_in_the_same_drain(
    store: Store, settings: Settings, registry: TaskRegistry
) -> None:
    registry.add("backup", "tests.support.handlers:FanOut", {"pages": 4})

    stats = make_runner(store, settings).drain()

    assert stats.by_status == {Status.COMPLETE: 5}
    codes = {task.code for task in registry.list_tasks(status=Status.COMPLETE)}
    assert codes == {"backup", "page_1", "page_2", "page_3", "page_4"}


def test_an_unresolvable_action_fails_only_its_own_task(
    store: Store, settings: Settings, registry: TaskRegistry, tmp_path: Path
) -> None:
    bad = registry.add("bad", "nosuch.module:func")
    route = registry.add("route", "task/catalog/not_installed.task")
    good = registry.add("good", "tests.support.handlers:record",
                        {"path": str(tmp_path / "o"), "n": 7})

    make_runner(store, settings).drain()

    assert registry.get(good.task_id).status is Status.COMPLETE
    for failed, action in ((bad, "nosuch.module:func"), (route, "not_installed")):
        task = registry.get(failed.task_id)
        assert task.status is Status.FAILED
        assert task.attempts == 1  # a bad action is not retried
        assert action in (task.response or "")


def test_an_exception_is_retried_with_backoff_then_fails(
    store: Store, settings: Settings, registry: TaskRegistry, clock: FakeClock
) -> None:
    task = registry.add("flaky", "tests.support.handlers:boom", {"message": "disk full"},
                        max_attempts=2)

    make_runner(store, settings).drain()
    first = registry.get(task.task_id)
    assert first.status is Status.PENDING
    assert first.run_at == clock.now.replace(second=10)  # retry_delay_seconds = 10
    assert "RuntimeError: disk full" in (first.response or "")
    assert "Traceback" in (first.response or "")

    clock.advance(10)
    make_runner(store, settings).drain()
    final = registry.get(task.task_id)
    assert final.status is Status.FAILED
    assert final.attempts == 2
    assert [entry.status for entry in registry.log(task_id=task.task_id)] == [
        Status.FAILED, Status.PENDING,
    ]


def test_an_error_result_fails_at_once_and_success_completes(
    store: Store, settings: Settings, registry: TaskRegistry
) -> None:
    failing = registry.add("e", "json:loads", {"s": '{"error": "no stock"}'})
    passing = registry.add("s", "json:loads", {"s": '{"success": "sent"}'})

    make_runner(store, settings).drain()

    assert registry.get(failing.task_id).status is Status.FAILED
    assert registry.get(failing.task_id).response == "no stock"
    assert registry.get(passing.task_id).status is Status.COMPLETE
    assert registry.get(passing.task_id).response == "sent"


def test_no_retention_deletes_completed_tasks_as_opencart_does(
    store: Store, settings: Settings, registry: TaskRegistry
) -> None:
    task = registry.add("once", "tests.support.handlers:noop")

    make_runner(store, settings.evolve(retention_seconds=0)).drain()

    assert store.get(task.task_id) is None
    assert [entry.status for entry in registry.log()] == [Status.COMPLETE]


def test_completed_tasks_are_pruned_after_their_retention(
    store: Store, settings: Settings, registry: TaskRegistry, clock: FakeClock
) -> None:
    task = registry.add("old", "tests.support.handlers:noop")
    make_runner(store, settings).drain()
    assert registry.get(task.task_id).status is Status.COMPLETE

    clock.advance(settings.retention_seconds + 1)
    make_runner(store, settings).drain()

    assert store.get(task.task_id) is None


def test_a_task_whose_runner_died_is_recovered_and_run(
    store: Store, settings: Settings, registry: TaskRegistry, clock: FakeClock
) -> None:
    task = registry.add("orphan", "tests.support.handlers:noop")
    store.claim("dead-runner", lease_seconds=settings.lease_seconds)

    make_runner(store, settings).drain()
    assert registry.get(task.task_id).status is Status.PROCESSING  # lease still valid

    clock.advance(settings.lease_seconds + 1)
    stats = make_runner(store, settings).drain()

    assert stats.recovered == 1
    done = registry.get(task.task_id)
    assert (done.status, done.attempts) == (Status.COMPLETE, 2)
    comments = [entry.comment for entry in registry.log(task_id=task.task_id)]
    assert "expired" in comments[1]


def test_stopping_during_a_task_claims_and_charges_no_other(
    store: Store, settings: Settings, registry: TaskRegistry
) -> None:
    """A stop during a task ends the drain after it: the tasks not started stay pending,
    with no owner and no attempt charged."""
    stop = threading.Event()

    class StopDuringFirst(RunnerHooks):  # the first task still runs and its outcome is stored
        def before_task(self, task: Task) -> None:
            stop.set()

    registry.add_many(NewTask(code=f"t{n}", action="tests.support.handlers:noop") for n in range(5))
    runner = make_runner(store, settings, StopDuringFirst())

    stats = runner.drain(stop)

    assert stats.by_status == {Status.COMPLETE: 1}
    waiting = registry.list_tasks(status=Status.PENDING)
    assert len(waiting) == 4
    assert all(task.attempts == 0 and task.worker_id is None for task in waiting)


def test_a_failing_hook_is_logged_not_fatal(
    store: Store, settings: Settings, registry: TaskRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    class BrokenHooks(RunnerHooks):
        def before_task(self, task: Task) -> None:
            raise ValueError("hook bug")

    registry.add("t", "tests.support.handlers:noop")

    stats = make_runner(store, settings, BrokenHooks()).drain()

    assert stats.by_status == {Status.COMPLETE: 1}
    assert "runner.hook_failed" in caplog.text


def test_a_controller_task_gets_its_row_and_writes_the_error_log(
    store: Store, settings: Settings, registry: TaskRegistry
) -> None:
    registry.add("hello", "taskdesk.demo:Hello", {"name": "tests", "n": 2})

    make_runner(store, settings).drain()

    lines = settings.error_log.read_text().splitlines()
    assert [line.split(" - ", 1)[1] for line in lines] == [
        "hello tests: step 1 of 2", "hello tests: step 2 of 2",
    ]


def test_worker_runs_tasks_on_several_threads_until_stopped(
    store: Store, settings: Settings, registry: TaskRegistry, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    registry.add_many(
        NewTask(code=f"t{n}", action="tests.support.handlers:record",
                args={"path": str(out), "n": n})
        for n in range(40)
    )
    runner = make_runner(store, settings.evolve(poll_seconds=0.05))

    run_worker_until(runner, lambda: registry.count(status=Status.COMPLETE) == 40,
                     concurrency=3)

    assert sorted(recorded(out)) == list(range(40))
    assert store.runners() == []  # unregistered on the way out
