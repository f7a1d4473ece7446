"""A workflow task deleted before it ended (by id, by code, by a filter, or by clearing the
registry) ends as cancelled for its dependents' sake, as a cancelled parent does: they are
cancelled, a run_on_failure clean-up is released, and none is left waiting for a parent that
is gone. A workflow task that already ended keeps its outcome when it is deleted. On every
backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

import taskdesk
from taskdesk import Status, Taskdesk
from taskdesk.definitions import TaskDefinition
from taskdesk.errors import TaskNotFound
from taskdesk.models.tasks import NewTask
from taskdesk.models.workflows import CANCELLED_BY_PARENT
from taskdesk.results import TaskHandle
from tests.support.desks import desk_on

Delete = Callable[[Taskdesk, TaskHandle], int]

DELETES: dict[str, Delete] = {
    "by id": lambda desk, task: desk.tasks.delete([task.task_id]),
    "by code": lambda desk, task: desk.tasks.delete_by_code(task.code),
    "by filter": lambda desk, task: desk.tasks.delete_matching(code=task.code,
                                                               code_exact=True),
    "clear": lambda desk, task: desk.tasks.clear(),
}


@pytest.fixture
def desk(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Taskdesk]:
    with desk_on(backend, tmp_path / "home", request) as made:
        yield made


def define(desk: Taskdesk, seen: list[Any]) -> tuple[TaskDefinition[..., Any], ...]:
    @desk.task(name="wfd.number")
    def number(n: int) -> int:
        return n

    @desk.task(name="wfd.cleanup")
    def cleanup() -> str:
        seen.append(taskdesk.parent_results())
        return "cleaned"

    return number, cleanup


@pytest.mark.parametrize("how", list(DELETES))
def test_deleting_a_waiting_parent_cancels_its_dependents_and_cleanup_runs(
        desk: Taskdesk, how: str) -> None:
    seen: list[Any] = []
    number, cleanup = define(desk, seen)
    wf = desk.workflow("deleted parent")
    a = wf.add(number.using(code="wfd-a"), 1)
    b = wf.add(number.using(code="wfd-b"), 2, after=[a])
    c = wf.add(number.using(code="wfd-c"), 3, after=[b])
    wf.add(cleanup.using(code="wfd-cleanup"), after=[c], run_on_failure=True)
    a_task, b_task, c_task, _ = wf.enqueue()

    deleted = DELETES[how](desk, TaskHandle.get(desk.tasks, a_task.task_id))
    if how != "clear":
        stats = desk.runner().drain()
        assert deleted == 1
        assert [desk.tasks.get(t.task_id).status for t in (b_task, c_task)] == [
            Status.CANCELLED, Status.CANCELLED]
        assert desk.tasks.get(b_task.task_id).response == CANCELLED_BY_PARENT
        assert stats.by_status == {Status.COMPLETE: 1}  # the clean-up, released
        assert seen == [{c_task.task_id: None}]
    else:
        assert deleted == 4  # everything went: nothing is left to wait
    assert not [t for t in desk.tasks.list_tasks() if t.status is Status.PENDING]
    [info] = desk.workflows.list()
    assert "pending" not in info["counts"]


def test_a_deleted_child_does_not_touch_its_parent(desk: Taskdesk) -> None:
    seen: list[Any] = []
    number, _ = define(desk, seen)
    wf = desk.workflow("deleted child")
    a = wf.add(number.using(code="wfd-a"), 1)
    wf.add(number.using(code="wfd-b"), 2, after=[a])
    a_task, b_task = wf.enqueue()

    assert desk.tasks.delete([b_task.task_id]) == 1
    stats = desk.runner().drain()

    assert stats.by_status == {Status.COMPLETE: 1}
    assert desk.tasks.get(a_task.task_id).status is Status.COMPLETE


def test_a_parent_that_ended_keeps_its_outcome_when_it_is_deleted(desk: Taskdesk) -> None:
    """Deleting a complete parent (a person tidying up) while its sibling still runs must not
    turn its outcome into cancelled: the child still gets its result."""
    seen: list[Any] = []
    number, cleanup = define(desk, seen)
    wf = desk.workflow("ended parent")
    a = wf.add(number.using(code="wfd-a"), 5)
    slow = wf.add(number.using(code="wfd-slow", run_after="2999-01-01T00:00:00"), 6)
    wf.add(cleanup.using(code="wfd-cleanup"), after=[a, slow])
    a_task, slow_task, cleanup_task = wf.enqueue()
    desk.runner().drain()  # runs a (slow is not due)

    assert desk.tasks.delete([a_task.task_id]) == 1
    desk.tasks.retry([slow_task.task_id])  # due now
    desk.runner().drain()

    assert desk.tasks.get(cleanup_task.task_id).status is Status.COMPLETE
    assert seen == [{a_task.task_id: "5", slow_task.task_id: "6"}]



@pytest.mark.parametrize("batch", [False, True], ids=["alone", "in a batch"])
def test_replacing_a_waiting_parent_by_code_cancels_its_dependents_at_once(
        desk: Taskdesk, batch: bool) -> None:
    """An add with replace (OpenCart's add by code) deletes the waiting parent: in the add's
    own transaction its dependents are cancelled and the clean-up released; the new task is
    an ordinary one that runs."""
    seen: list[Any] = []
    number, cleanup = define(desk, seen)
    wf = desk.workflow("replaced parent")
    a = wf.add(number.using(code="wfd-a"), 1)
    b = wf.add(number.using(code="wfd-b"), 2, after=[a])
    wf.add(cleanup.using(code="wfd-cleanup"), after=[b], run_on_failure=True)
    a_task, b_task, cleanup_task = wf.enqueue()

    if batch:  # beside a code with nothing to replace
        replacement, _ = desk.tasks.add_many([
            NewTask(code="wfd-a", action="wfd.number", args={"n": 7}),
            NewTask(code="wfd-other", action="wfd.number", args={"n": 8})])
    else:
        replacement = number.using(code="wfd-a").enqueue(7)

    with pytest.raises(TaskNotFound):
        desk.tasks.get(a_task.task_id)
    assert desk.tasks.get(b_task.task_id).status is Status.CANCELLED  # before any runner
    assert desk.tasks.get(b_task.task_id).response == CANCELLED_BY_PARENT
    stats = desk.runner().drain()
    assert desk.tasks.get(replacement.task_id).status is Status.COMPLETE
    assert desk.tasks.get(cleanup_task.task_id).status is Status.COMPLETE
    assert seen == [{b_task.task_id: None}]
    assert stats.by_status == {Status.COMPLETE: 3 if batch else 2}
    [info] = desk.workflows.list()
    assert "pending" not in info["counts"]


def test_replacing_a_task_of_no_workflow_touches_no_workflow(desk: Taskdesk) -> None:
    seen: list[Any] = []
    number, _ = define(desk, seen)
    wf = desk.workflow("beside")
    a = wf.add(number.using(code="wfd-a"), 1)
    wf.add(number.using(code="wfd-b"), 2, after=[a])
    a_task, b_task = wf.enqueue()
    first = number.using(code="plain").enqueue(3)

    second = number.using(code="plain").enqueue(4)

    with pytest.raises(TaskNotFound):
        desk.tasks.get(first.task_id)
    assert [desk.tasks.get(t.task_id).status for t in (a_task, b_task, second)] == [
        Status.PENDING] * 3
    assert desk.runner().drain().by_status == {Status.COMPLETE: 3}


class Rollback(Exception):
    pass


def _replace_then_fail(number: TaskDefinition[..., Any], engine: Engine) -> None:
    with engine.begin() as conn:
        number.using(code="wfd-a", connection=conn).enqueue(7)
        raise Rollback


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_replace_in_the_callers_transaction_cancels_with_it_or_not_at_all(
        desk: Taskdesk, database_url: str) -> None:
    number, _ = define(desk, [])
    wf = desk.workflow("replaced in a transaction")
    a = wf.add(number.using(code="wfd-a"), 1)
    wf.add(number.using(code="wfd-b"), 2, after=[a])
    a_task, b_task = wf.enqueue()
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with pytest.raises(Rollback):
            _replace_then_fail(number, engine)
        assert [desk.tasks.get(t.task_id).status for t in (a_task, b_task)] == [
            Status.PENDING, Status.PENDING]  # rolled back: replaced nothing, cancelled nothing
        with engine.begin() as conn:
            number.using(code="wfd-a", connection=conn).enqueue(7)
    finally:
        engine.dispose()
    assert desk.tasks.get(b_task.task_id).status is Status.CANCELLED
    assert desk.runner().drain().by_status == {Status.COMPLETE: 1}
