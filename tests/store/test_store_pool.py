"""Issue 7, item 22: the PostgreSQL pool grows with a worker's threads; the data folder, the
database and the error log are private to their owner (args, responses and tracebacks are in
them); a task set back to pending by hand gets a fresh attempt budget."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import QueuePool

from taskdesk.app import Taskdesk
from taskdesk.config import Settings
from taskdesk.errorlog import ErrorLog
from taskdesk.models.tasks import Outcome, Status
from taskdesk.store import open_store
from taskdesk.store.base import Store

THREADS = 20  # more than the old pool (5 + 10 overflow) could lend at once


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_worker_with_many_threads_never_waits_for_a_connection(postgres_url: str) -> None:
    store = open_store(postgres_url)
    try:
        with ExitStack() as held:  # every thread of a worker holds one at the same time
            for _ in range(THREADS):
                held.enter_context(store.runner_writer.connect())
    finally:
        store.close()


def test_open_store_keeps_a_pool_as_large_as_asked(postgres_url: str) -> None:
    store = open_store(postgres_url, pool_size=12)
    try:
        start = threading.Barrier(12)

        def use() -> None:
            with store.runner_writer.connect():
                start.wait(10)

        threads = [threading.Thread(target=use) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        pool = store.runner_writer.pool
        assert isinstance(pool, QueuePool)
        assert pool.checkedin() == 12  # kept open, not closed again
    finally:
        store.close()


def test_init_makes_the_data_folder_and_database_private(
    tmp_path: Path, permissive_umask: None,
) -> None:
    settings = Settings(home=tmp_path / "home")
    database = settings.home / "taskdesk.db"
    desk = Taskdesk(settings.evolve(allowed_actions=("pkg",)))
    desk.init()
    try:
        desk.tasks.add("job", "pkg.mod:fn", {"secret": "hunter2"})
        for path in (database, database.with_name("taskdesk.db-wal"),
                     database.with_name("taskdesk.db-shm")):  # while open: they exist
            assert mode(path) == 0o600, path
    finally:
        desk.close()

    for folder in (settings.home, settings.logs_dir, settings.extensions_dir,
                   settings.packages_dir):
        assert mode(folder) == 0o700, folder


def test_the_error_log_is_private(tmp_path: Path, permissive_umask: None) -> None:
    log = ErrorLog(tmp_path / "logs" / "error.log")

    log.write("Traceback: password=hunter2")

    assert mode(log.path) == 0o600
    assert mode(log.path.parent) == 0o700


def test_a_failed_task_set_back_to_pending_by_hand_runs_again(store: Store) -> None:
    from tests.contract.test_store import add_one, claim_one

    add_one(store, "job", max_attempts=1)
    claimed = claim_one(store)
    store.finish(claimed, "w1", Outcome(status=Status.FAILED, response="boom", comment="x",
                                        duration=0.1), retention_seconds=3600)

    store.set_status([claimed.task_id], Status.PENDING)
    again = claim_one(store)
    store.finish(again, "w1", Outcome(status=Status.FAILED, response="boom", comment="x",
                                      duration=0.1), retention_seconds=3600)

    assert again.attempts == 1  # within its budget of 1: not "attempt 2 of 1"
