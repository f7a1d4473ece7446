"""Issue 7, item 22 (the pool): the PostgreSQL pool grows with a worker's threads, and keeps
as many connections open as it was asked for."""

from __future__ import annotations

import threading
from contextlib import ExitStack

import pytest
from sqlalchemy import QueuePool

from taskdesk.store import open_store

pytestmark = pytest.mark.hostile

THREADS = 20  # more than the old pool (5 + 10 overflow) could lend at once


def test_a_worker_with_many_threads_never_waits_for_a_connection(postgres_url: str) -> None:
    store = open_store(postgres_url)
    try:
        with ExitStack() as held:  # every thread of a worker holds one at the same time
            for _ in range(THREADS):
                held.enter_context(store.db.runner_writer.connect())
    finally:
        store.close()


def test_open_store_keeps_a_pool_as_large_as_asked(postgres_url: str) -> None:
    store = open_store(postgres_url, pool_size=12)
    try:
        start = threading.Barrier(12)

        def use() -> None:
            with store.db.runner_writer.connect():
                start.wait(10)

        threads = [threading.Thread(target=use) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        pool = store.db.runner_writer.pool
        assert isinstance(pool, QueuePool)
        assert pool.checkedin() == 12  # kept open, not closed again
    finally:
        store.close()
