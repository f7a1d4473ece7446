"""taskdesk.results: what enqueue returns — the stored task, read again and waited for — on
SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk import Status, Taskdesk
from taskdesk.definitions import TaskDefinition
from taskdesk.errors import BadInput, TaskNotFound, WaitTimedOut
from taskdesk.models.tasks import Task
from taskdesk.results import TaskHandle
from taskdesk.testing import run_due
from tests.support.desks import desk_on


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


@pytest.fixture
def desk(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Taskdesk]:
    with desk_on(backend, tmp_path / "home", request) as made:
        yield made


@pytest.fixture
def double(desk: Taskdesk) -> TaskDefinition[..., int]:
    @desk.task(name="results.double")
    def double(n: int) -> int:
        return 2 * n

    return double


def test_a_handle_is_the_stored_task(desk: Taskdesk, double: TaskDefinition[..., int]) -> None:
    handle = double.enqueue(n=4)

    stored = desk.tasks.get(handle.task_id)
    assert isinstance(handle, Task)
    assert handle == stored
    assert stored == handle
    assert (handle.code, handle.args, handle.status) == ("results.double", {"n": 4},
                                                         Status.PENDING)
    assert handle.snapshot() == stored
    assert type(handle.snapshot()) is Task


def test_refresh_reads_the_task_again(desk: Taskdesk, double: TaskDefinition[..., int]) -> None:
    handle = double.enqueue(n=4)
    run_due(desk)

    assert handle.status is Status.PENDING  # the snapshot taken when it was added
    assert handle.refresh() is handle
    assert (handle.status, handle.response, handle.attempts) == (Status.COMPLETE, "8", 1)


def test_wait_returns_once_a_runner_has_run_it(desk: Taskdesk,
                                               double: TaskDefinition[..., int]) -> None:
    handles = double.enqueue_many([{"n": 1}, {"n": 2}])
    stop = threading.Event()
    runner = threading.Thread(target=desk.runner().run, args=(stop,))
    runner.start()
    try:
        done = [handle.wait(timeout=60) for handle in handles]
    finally:
        stop.set()
        runner.join()

    assert [handle.response for handle in done] == ["2", "4"]
    assert all(handle.finished for handle in handles)


def test_a_wait_past_its_timeout_names_the_task_and_its_status(
        double: TaskDefinition[..., int]) -> None:
    handle = double.enqueue(n=1)

    with pytest.raises(WaitTimedOut, match=rf"task {handle.task_id} \(results.double\) is "
                                           r"still pending after 0 s") as raised:
        handle.wait(timeout=0)
    assert isinstance(raised.value, TimeoutError)


def test_a_failed_or_cancelled_task_ends_the_wait(desk: Taskdesk) -> None:
    @desk.task(name="results.fail", max_attempts=1)
    def fail() -> None:
        raise ValueError("no")

    failing, waiting = fail.enqueue(), fail.using(code="kept").enqueue()
    run_due(desk)  # "kept" ran too: cancel one that has not run
    cancelled = fail.using(code="later", run_after="2099-01-01T00:00:00Z").enqueue()
    desk.tasks.cancel([cancelled.task_id])

    assert failing.wait(timeout=0).status is Status.FAILED
    assert waiting.wait(timeout=0).error_class == "ValueError"
    assert cancelled.wait(timeout=0).status is Status.CANCELLED


def test_a_deleted_task_cannot_be_waited_for(desk: Taskdesk,
                                             double: TaskDefinition[..., int]) -> None:
    ran = double.enqueue(n=1)
    never = double.using(run_after="2099-01-01T00:00:00Z").enqueue(n=2)
    run_due(desk)
    desk.tasks.delete([ran.task_id, never.task_id])

    with pytest.raises(TaskNotFound, match=r"is gone.*last entry: complete \(attempt 1\)"):
        ran.wait(timeout=5)
    with pytest.raises(TaskNotFound, match=r"is gone: deleted, or pruned .* read again$"):
        never.refresh()


def test_a_handle_of_a_task_added_before(desk: Taskdesk,
                                         double: TaskDefinition[..., int]) -> None:
    added = desk.tasks.add("any", "results.double", {"n": 5})
    run_due(desk)

    handle = TaskHandle.get(desk.tasks, added.task_id)
    assert handle.wait(timeout=0).response == "10"


def test_copies_are_plain_values(double: TaskDefinition[..., int]) -> None:
    handle = double.enqueue(n=1)

    assert pickle.loads(pickle.dumps(handle)) == handle
    assert type(pickle.loads(pickle.dumps(handle))) is Task
    copy = dataclasses.replace(handle, priority=9)
    assert copy.priority == 9
    with pytest.raises(BadInput, match="made with replace"):
        copy.refresh()


@pytest.mark.parametrize(("timeout", "poll"), [(-1, 0.1), (1, -0.5), (True, 0.1),
                                               (float("nan"), 0.1), (1, None)])
def test_a_bad_timeout_or_poll_is_refused(double: TaskDefinition[..., int],
                                          timeout: object, poll: object) -> None:
    handle = double.enqueue(n=1)

    with pytest.raises(BadInput, match="must be a number of seconds"):
        handle.wait(timeout, poll=poll)  # type: ignore[arg-type]
