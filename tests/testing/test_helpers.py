"""taskdesk.testing's helpers: on_sqlite, enqueued / assert_enqueued, run_due on a memory
store, and eager mode with its limits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from taskdesk import Status, Taskdesk
from taskdesk.definitions import TaskDefinition
from taskdesk.errors import BadInput
from taskdesk.testing import (
    assert_enqueued,
    eager,
    enqueued,
    in_memory,
    memory_desk,
    on_sqlite,
    run_due,
)


@pytest.fixture
def desk(tmp_path: Path) -> Taskdesk:
    return memory_desk(home=tmp_path / "home", retry_delay_seconds=0)


@pytest.fixture
def welcome(desk: Taskdesk) -> TaskDefinition[..., str]:
    @desk.task(name="helpers.welcome")
    def welcome(user_id: int, lang: str = "en") -> str:
        return f"welcome {user_id} ({lang})"

    return welcome


def test_on_sqlite_opens_a_file_and_gives_the_desk_back(tmp_path: Path) -> None:
    desk = Taskdesk(home=tmp_path / "real", allowed_actions=("tests",))
    desk.init()
    before = desk.settings

    with on_sqlite(desk, tmp_path / "t.db") as same:
        assert same is desk
        assert desk.settings.database_url == f"sqlite:///{tmp_path / 't.db'}"
        assert desk.settings.home == tmp_path / "taskdesk-home"
        desk.tasks.add("x", "tests.support.handlers:ok")
        with create_engine(desk.settings.database_url).begin() as conn:  # a real file
            desk.tasks.add("y", "tests.support.handlers:ok", connection=conn)
        assert desk.tasks.count() == 2

    assert desk.settings == before
    assert desk.tasks.count() == 0  # its own database never saw them
    desk.close()


def test_enqueued_lists_the_waiting_tasks_of_a_definition(
        desk: Taskdesk, welcome: TaskDefinition[..., str]) -> None:
    @desk.task(name="helpers.welcome_back")  # a name that holds the other: not mixed up
    def welcome_back(user_id: int) -> None: ...

    first, paused = welcome.enqueue(user_id=1), welcome.enqueue(user_id=2)
    welcome_back.enqueue(user_id=3)
    desk.tasks.set_status("paused", [paused.task_id])
    done = welcome.enqueue(user_id=4)
    desk.tasks.set_status("complete", [done.task_id])

    assert [task.args for task in enqueued(welcome)] == [{"user_id": 1}, {"user_id": 2}]
    assert [task.task_id for task in enqueued(welcome_back)] == [3]
    assert first.task_id == 1


def test_assert_enqueued_compares_a_subset_of_the_args_as_json(
        welcome: TaskDefinition[..., str]) -> None:
    added = welcome.enqueue(user_id=1, lang="fr")

    assert assert_enqueued(welcome, user_id=1) == added
    assert assert_enqueued(welcome, lang="fr", user_id=1) == added
    assert assert_enqueued(welcome) == added
    with pytest.raises(AssertionError):
        assert_enqueued(welcome, user_id=True)  # 1 == True in Python, not in JSON
    with pytest.raises(AssertionError):
        assert_enqueued(welcome, user_id=1.0)


def test_assert_enqueued_says_what_is_enqueued_instead(
        welcome: TaskDefinition[..., str]) -> None:
    with pytest.raises(AssertionError, match=r"^no enqueued task of helpers.welcome with args "
                                             r"\{'user_id': 9\}: none of it is enqueued$"):
        assert_enqueued(welcome, user_id=9)

    for user_id in range(22):
        welcome.enqueue(user_id=user_id)
    with pytest.raises(AssertionError) as raised:
        assert_enqueued(welcome, user_id=99)
    lines = str(raised.value).splitlines()
    assert lines[0] == "no enqueued task of helpers.welcome with args {'user_id': 99}; " \
                       "enqueued for it:"
    assert lines[1] == "  task 1 (pending): {'user_id': 0}"
    assert lines[-1] == "  … and 2 more"


def test_assert_enqueued_refuses_args_a_task_could_not_have(
        welcome: TaskDefinition[..., str]) -> None:
    with pytest.raises(BadInput, match="not JSON-serialisable"):
        assert_enqueued(welcome, user_id=object())


def test_run_due_on_a_memory_store_runs_a_timed_task_in_this_thread(desk: Taskdesk) -> None:
    @desk.task(name="helpers.pid", timeout=30, process=True)
    def pid() -> int:
        return os.getpid()

    handle = pid.enqueue()

    assert run_due(desk).by_status == {Status.COMPLETE: 1}
    assert handle.refresh().response == str(os.getpid())


def test_eager_runs_each_enqueue_at_once(desk: Taskdesk,
                                         welcome: TaskDefinition[..., str]) -> None:
    @desk.task(name="helpers.fan_out")
    def fan_out(count: int) -> None:
        welcome.enqueue_many({"user_id": n} for n in range(count))

    with eager(desk):
        handle = welcome.enqueue(user_id=7)
        fanned = fan_out.enqueue(count=2)
        assert [task.status for task in desk.tasks.list_tasks()] == [Status.COMPLETE] * 4

    assert (handle.status, handle.response) == (Status.COMPLETE, "welcome 7 (en)")
    assert fanned.status is Status.COMPLETE
    assert desk.tasks.count() == 0  # the block's memory store is gone


def test_eager_has_its_limits(desk: Taskdesk, tmp_path: Path) -> None:
    @desk.task(name="helpers.flaky", max_attempts=2, retry_delay=60)
    def flaky() -> None:
        raise ValueError("flaky")

    @desk.task(name="helpers.at_once", max_attempts=2, retry_delay=0)
    def at_once() -> None:
        raise ValueError("again")

    @desk.task(name="helpers.noop")
    def noop() -> None: ...

    with eager(desk):
        retried, exhausted = flaky.enqueue(), at_once.enqueue()
        later = noop.using(run_after="2099-01-01T00:00:00Z").enqueue()
        anyway = noop.using(connection=object()).enqueue()  # no transaction: ignored

    assert (retried.status, retried.attempts, retried.error_class) == (Status.PENDING, 1,
                                                                        "ValueError")
    assert (exhausted.status, exhausted.attempts) == (Status.FAILED, 2)  # no delay: retried
    assert later.status is Status.PENDING
    assert anyway.status is Status.COMPLETE


def test_in_memory_still_refuses_a_connection(desk: Taskdesk,
                                              welcome: TaskDefinition[..., str],
                                              tmp_path: Path) -> None:
    with in_memory(desk), pytest.raises(BadInput, match="keeps its tasks in memory"):
        welcome.using(connection=object()).enqueue(user_id=1)
