"""A late outcome whose lease was lost: logged "(lease lost: not stored)", counted as neither
complete nor failed, and dated when its row was written — on every backend."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import text

from taskdesk.clock import utcnow
from taskdesk.models.runners import Finished
from taskdesk.models.tasks import Status, Task
from taskdesk.store import SqlStore, Store, open_store
from taskdesk.store.memory import MemoryStore
from taskdesk.store.protocol import LEASE_LOST
from tests.store.test_store import LEASE, RETAIN, add_one, outcome
from tests.support import FakeClock


def _lost_then_replaced(store: Store, clock: FakeClock) -> tuple[Task, Task]:
    """w1's claim of a task, recovered after its lease, then claimed again by w2."""
    add_one(store, "slow")
    [late] = store.claim("w1", lease_seconds=LEASE)
    clock.advance(LEASE + 1)
    store.recover(lease_seconds=LEASE)
    [again] = store.claim("w2", lease_seconds=LEASE)
    return late, again


def test_a_lease_lost_attempt_counts_as_neither_complete_nor_failed(
    store: Store, clock: FakeClock,
) -> None:
    late, again = _lost_then_replaced(store, clock)
    store.finish_many("w2", [Finished(again, outcome())], retention_seconds=RETAIN)
    kept, _ = store.finish_many("w1", [Finished(late, outcome())], retention_seconds=RETAIN)
    lost_failure = _lost_then_replaced(store, clock)[0]
    store.finish_many("w1", [Finished(lost_failure, outcome(Status.FAILED))],
                      retention_seconds=RETAIN)

    assert kept == [False]
    assert store.log()[0].comment.endswith(LEASE_LOST)
    assert store.log_counts().get(Status.COMPLETE) == 1  # w2's only
    assert Status.FAILED not in store.log_counts()
    per_minute = store.log_per_minute(clock.now - timedelta(hours=1))
    assert sum(per_minute.values()) == 1
    store.clear_log()  # folded as they go: still neither
    assert store.log_counts().get(Status.COMPLETE) == 1
    assert Status.FAILED not in store.log_counts()


@contextmanager
def _writer_held(store: Store) -> Iterator[None]:
    """Another writer holds the store's write lock for the block (SQLite, memory)."""
    if isinstance(store, MemoryStore):
        with store._lock:
            yield
        return
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn, conn.begin() as transaction:
        conn.exec_driver_sql("DELETE FROM run_start")  # a write: the write lock is ours
        yield
        transaction.rollback()


@pytest.mark.parametrize("backend", ["memory", "sqlite"], indirect=True)  # PostgreSQL: below
def test_a_late_log_row_is_dated_when_it_was_written(store: Store, clock: FakeClock) -> None:
    late, _ = _lost_then_replaced(store, clock)
    ended = clock.now
    done = threading.Thread(target=store.finish_many,
                            args=("w1", [Finished(late, outcome())]),
                            kwargs={"retention_seconds": RETAIN})
    with _writer_held(store):
        done.start()
        time.sleep(0.3)  # the finish waits for the write lock …
        clock.advance(60)  # … while time goes on
    done.join(10)

    row = store.log()[0]
    assert row.comment.endswith(LEASE_LOST)
    assert row.date_added == ended + timedelta(seconds=60)


@pytest.mark.postgres
def test_postgres_late_log_row_is_dated_by_the_server(postgres_url: str) -> None:
    """With the server's clock (the default), a statement that waited (here on a row lock;
    on a fleet, on a cut link) logs when it ran, not when it was sent."""
    store = open_store(postgres_url)
    try:
        assert isinstance(store, SqlStore)
        add_one(store, "slow")
        [late] = store.claim("w1", lease_seconds=LEASE)
        done = threading.Thread(target=store.finish_many,
                                args=("w1", [Finished(late, outcome())]),
                                kwargs={"retention_seconds": RETAIN})
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1 FROM task WHERE task_id = :id FOR UPDATE"),
                         {"id": late.task_id})
            done.start()
            time.sleep(0.5)
            conn.execute(text("UPDATE task SET claim_token = 'recovered', status = 'pending'"
                              " WHERE task_id = :id"), {"id": late.task_id})
            released = utcnow()
            conn.commit()
        done.join(10)
        row = store.log()[0]
        assert row.comment.endswith(LEASE_LOST)
        assert row.date_added >= released - timedelta(seconds=0.2)
    finally:
        store.close()
