"""Issue 14 #5: an add tells idle workers only when it added a task they can claim now, once
per add, and the store's own add notifies after its commit (a NOTIFY inside the transaction
made concurrent adds wait for each other's disk flush: bench/concurrent_adds.py). A worker
is reached by NOTIFY on PostgreSQL, by a datagram on SQLite; both are read here directly."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from taskdesk import Taskdesk
from taskdesk.models.tasks import NewTask
from taskdesk.store.notify import CHANNEL, SocketFolder
from tests.conftest import TEST_ACTIONS

Heard = Callable[[], int]  # how many wake-ups arrived since the last call


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Taskdesk]:
    desk = Taskdesk(database_url=database_url, home=tmp_path / "home",
                    allowed_actions=TEST_ACTIONS)
    desk.tasks.clear()
    yield desk
    desk.close()


@pytest.fixture
def heard(desk: Taskdesk, backend: str, database_url: str) -> Iterator[Heard]:
    if backend == "postgres":
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            yield lambda: sum(1 for _ in conn.notifies(timeout=0.2))
        return
    address = desk.store.wake_address()
    assert isinstance(address, SocketFolder)
    address.path.mkdir(mode=0o700, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(address.path / "test.sock"))
        listener.settimeout(0.2)
        yield lambda: _drain(listener)


def _drain(listener: socket.socket) -> int:
    count = 0
    while True:
        try:
            listener.recv(16)
        except TimeoutError:
            return count
        count += 1


def test_an_add_of_delayed_tasks_wakes_nobody_and_a_due_one_wakes_once(
        desk: Taskdesk, heard: Heard) -> None:
    later = timedelta(hours=1)
    desk.tasks.add("later", "tests.support.handlers:noop", run_at=later)
    desk.tasks.add_many([NewTask(code=f"later-{n}", action="tests.support.handlers:noop",
                                 run_at=desk.now() + later) for n in range(3)])
    assert heard() == 0
    desk.tasks.add_many([NewTask(code=f"now-{n}", action="tests.support.handlers:noop")
                         for n in range(50)])
    assert heard() == 1
    desk.tasks.add("now", "tests.support.handlers:noop")
    assert heard() == 1


@pytest.mark.postgres
def test_a_callers_transaction_of_delayed_tasks_wakes_nobody(
        desk: Taskdesk, backend: str, database_url: str, heard: Heard) -> None:
    if backend != "postgres":
        pytest.skip("a plain psycopg connection")
    with psycopg.connect(database_url) as conn:
        desk.tasks.add("later", "tests.support.handlers:noop", run_at=timedelta(hours=1),
                       connection=conn)
    assert heard() == 0
    with psycopg.connect(database_url) as conn:
        desk.tasks.add("now", "tests.support.handlers:noop", connection=conn)
        desk.tasks.add("now-2", "tests.support.handlers:noop", connection=conn)
    assert heard() == 1  # once per transaction
