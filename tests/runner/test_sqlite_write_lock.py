"""SQLite's write lock held by another connection (issue 14, item 7): a runner's write waits
for it a bounded time, well inside its leases, then tries again later; its outcomes wait
meanwhile, their leases renewed, and are stored once the lock is free."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.errors import StoreUnavailable
from taskdesk.models.tasks import Status
from taskdesk.registry import TaskRegistry
from taskdesk.store import open_store
from taskdesk.store.sql import sqlite
from tests.runner.test_runner import make_runner, run_worker_until

BUSY_SECONDS = 0.3  # the runner's wait for the lock in these tests
HELD_SECONDS = 2.0  # how long the other connection holds the lock


@pytest.fixture
def backend() -> str:
    return "sqlite"


@contextmanager
def write_lock_held(database_url: str, seconds: float) -> Iterator[threading.Event]:
    """Another connection takes SQLite's write lock and keeps it `seconds`; the event is set
    once it holds it."""
    taken = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(seconds)
        other.execute("ROLLBACK")
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    taken.wait(10)
    try:
        yield taken
    finally:
        thread.join()


def test_a_runner_write_waits_for_the_lock_a_bounded_time(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite, "RUNNER_BUSY_SECONDS", BUSY_SECONDS, raising=False)
    store = open_store(database_url)
    try:
        with write_lock_held(database_url, HELD_SECONDS):
            began = time.monotonic()
            with pytest.raises(StoreUnavailable, match="locked"):
                store.claim("w", lease_seconds=30)
            waited = time.monotonic() - began
    finally:
        store.close()
    assert waited < HELD_SECONDS - 0.5
    assert Settings().lease_seconds / 3 > sqlite.RUNNER_BUSY_SECONDS


def test_outcomes_wait_out_a_held_lock_and_are_stored_once(
        database_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    monkeypatch.setattr(sqlite, "RUNNER_BUSY_SECONDS", BUSY_SECONDS, raising=False)
    store = open_store(database_url)
    try:
        registry = TaskRegistry(store, settings)
        registry.add("slow", "tests.runner.handlers:stamp",
                     {"folder": str(tmp_path), "name": "slow", "seconds": 0.5})
        runner = make_runner(store, settings.evolve(poll_seconds=0.05, lease_seconds=3))
        held: list[bool] = []

        def locked_while_it_ends() -> bool:
            if not held and (tmp_path / "slow.started").exists():
                with write_lock_held(database_url, HELD_SECONDS):
                    held.append(True)
            return registry.count(status=Status.COMPLETE) == 1

        run_worker_until(runner, locked_while_it_ends, timeout=20)
        [task] = registry.list_tasks()
        log = store.log()
    finally:
        store.close()
    assert (task.status, task.attempts) == (Status.COMPLETE, 1)
    assert [entry.comment for entry in log] == ["complete"]
