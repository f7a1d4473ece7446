"""Push wake-up: an idle worker polling only every 30 s starts an added task at once, so it
must have been woken — by NOTIFY on PostgreSQL, by a datagram on SQLite; an add inside the
caller's transaction wakes it only at commit, and the PostgreSQL listener outlives the
termination of its connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, create_engine

from taskdesk import Status, TaskDefinition, Taskdesk
from taskdesk.runner.wakeup import APPLICATION_NAME

POLL_SECONDS = 30.0  # far longer than any wait below: a task that starts was woken for
WOKEN_WITHIN = 5.0  # seconds: generous for a loaded machine, still far below the poll
IDLE_SECONDS = 0.3  # for the worker's claim after its last task to end and its wait begin


class Rollback(Exception):
    """The application's own failure after it enqueued."""


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("about PostgreSQL's connections")


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Taskdesk]:
    desk = Taskdesk(database_url=database_url, home=tmp_path / "home",
                    poll_seconds=POLL_SECONDS)
    yield desk
    desk.close()


@pytest.fixture
def ran(desk: Taskdesk) -> list[int]:
    return []


@pytest.fixture
def mark(desk: Taskdesk, ran: list[int]) -> TaskDefinition[..., Any]:
    @desk.task(name="wake.mark")
    def mark_it(n: int) -> None:
        ran.append(n)

    return mark_it


@pytest.fixture
def idle_worker(desk: Taskdesk, ran: list[int],
                mark: TaskDefinition[..., Any]) -> Iterator[None]:
    """A worker that has run one task and is now waiting (not polling) for the next."""
    stop = threading.Event()
    thread = threading.Thread(target=desk.runner().run, args=(stop,))
    thread.start()
    try:
        mark.enqueue(n=0)
        assert _until(lambda: ran == [0]), "the worker never ran its first task"
        time.sleep(IDLE_SECONDS)
        yield
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


@pytest.fixture
def app_engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    yield engine
    engine.dispose()


def _enqueue_then_fail(mark: TaskDefinition[..., Any], engine: Engine) -> None:
    with engine.begin() as conn:
        mark.using(connection=conn).enqueue(n=1)
        raise Rollback


def _until(condition: Callable[[], bool], seconds: float = WOKEN_WITHIN) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.mark.usefixtures("idle_worker")
def test_an_add_wakes_an_idle_worker(mark: TaskDefinition[..., Any], ran: list[int]) -> None:
    mark.enqueue(n=1)
    assert _until(lambda: ran == [0, 1]), "the idle worker was not woken by the add"


@pytest.mark.usefixtures("idle_worker")
def test_an_add_in_the_callers_transaction_wakes_only_at_its_commit(
    desk: Taskdesk, mark: TaskDefinition[..., Any], ran: list[int], app_engine: Engine,
) -> None:
    with pytest.raises(Rollback):
        _enqueue_then_fail(mark, app_engine)
    with app_engine.begin() as conn:
        mark.using(connection=conn).enqueue(n=2)
        time.sleep(IDLE_SECONDS)  # a worker woken now would find nothing it may see
        assert ran == [0]
    assert _until(lambda: ran == [0, 2]), "the commit did not wake the idle worker"
    assert desk.tasks.count(status=Status.PENDING) == 0


@pytest.mark.usefixtures("postgres_only", "idle_worker")
def test_a_psycopg_add_wakes_at_commit_and_a_rollback_never(
    postgres_url: str, mark: TaskDefinition[..., Any], ran: list[int],
) -> None:
    with psycopg.connect(postgres_url) as conn:
        mark.using(connection=conn).enqueue(n=1)
        conn.rollback()
        mark.using(connection=conn).enqueue(n=2)
        time.sleep(IDLE_SECONDS)
        assert ran == [0]
    assert _until(lambda: ran == [0, 2]), "the commit did not wake the idle worker"


@pytest.mark.usefixtures("postgres_only", "idle_worker")
def test_the_listener_survives_the_termination_of_its_connection(
    postgres_url: str, mark: TaskDefinition[..., Any], ran: list[int],
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        [first] = _listeners(admin)
        admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        assert _until(lambda: _listeners(admin) not in ([], [first])), "it never came back"
    time.sleep(IDLE_SECONDS)  # its ring on reconnecting woke the worker: let it idle again
    mark.enqueue(n=1)
    assert _until(lambda: ran == [0, 1]), "the reconnected listener did not wake the worker"


def _listeners(admin: psycopg.Connection[Any]) -> list[int]:
    rows = admin.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s "
                         "AND datname = current_database()", (APPLICATION_NAME,)).fetchall()
    return [row[0] for row in rows]
