"""Issue 14 #15 (the add's part): on SQLite, another connection holding the write lock longer
than one busy wait (a worker stalled inside a write transaction) no longer fails the add: it
retries until TASKDESK_ADD_WAIT_SECONDS, then fails with one clear error, nothing written.
The busy wait is shortened here so that a hold of a second outlasts it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from taskdesk import Taskdesk
from taskdesk.errors import StoreUnavailable
from taskdesk.store.sql import sqlite as sqlite_store
from tests.conftest import TEST_ACTIONS

BUSY_MS = 100  # each try's busy wait: far shorter than the holds below


@pytest.fixture
def backend() -> str:
    return "sqlite"  # PostgreSQL writers wait on row locks, never on a database lock


@pytest.fixture(autouse=True)
def short_busy_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    pragmas = tuple(f"PRAGMA busy_timeout={BUSY_MS}" if p.startswith("PRAGMA busy_timeout")
                    else p for p in sqlite_store._PRAGMAS)
    monkeypatch.setattr(sqlite_store, "_PRAGMAS", pragmas)
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_SECONDS", BUSY_MS / 1000)


def _desk(database_url: str, tmp_path: Path, wait: float) -> Taskdesk:
    desk = Taskdesk(database_url=database_url, home=tmp_path / "home",
                    allowed_actions=TEST_ACTIONS, add_wait_seconds=wait)
    desk.tasks.count()  # opened and checked before the lock is taken
    return desk


@contextmanager
def _write_lock_held(database_url: str, seconds: float) -> Iterator[threading.Thread]:
    """Another connection takes the write lock and keeps it `seconds`, as a stalled writer."""
    taken = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        taken.set()
        threading.Event().wait(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait()
    try:
        yield holder
    finally:
        holder.join()


def test_an_add_waits_out_a_writer_holding_the_lock_longer_than_a_busy_wait(
        database_url: str, tmp_path: Path) -> None:
    with _desk(database_url, tmp_path, wait=30.0) as desk:
        with _write_lock_held(database_url, 1.0) as holder:
            added = desk.tasks.add("held-up", "tests.support.handlers:noop")
            assert not holder.is_alive()  # it was added after the lock was let go
        assert [task.task_id for task in desk.tasks.list_tasks()] == [added.task_id]


def test_past_its_bound_an_add_fails_with_one_clear_error_and_writes_nothing(
        database_url: str, tmp_path: Path) -> None:
    with _desk(database_url, tmp_path, wait=0.5) as desk:
        with _write_lock_held(database_url, 2.0), \
                pytest.raises(StoreUnavailable, match=r"stayed locked by another writer for "
                              r"0\.5 s \(TASKDESK_ADD_WAIT_SECONDS\).*nothing was added"):
            desk.tasks.add("held-up", "tests.support.handlers:noop")
        assert desk.tasks.count() == 0
