"""Limits by key under concurrency, on SQLite and PostgreSQL: runners claiming at the same
moment, from two pools, never take one key's tasks beyond its limit."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from taskdesk.models.limits import TaskLimit
from taskdesk.models.tasks import Task
from taskdesk.store import Store, open_store
from tests.store.test_store import LEASE, new


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


def test_runners_claiming_at_once_never_take_a_key_beyond_its_limit(
        database_url: str) -> None:
    """Two stores (two runners' pools), four threads each, batch claims at the same moment:
    nothing is finished, so each key's tasks claimed in all must stay within its limit
    (SKIP LOCKED alone would let two runners lock different rows of one key)."""
    stores = [open_store(database_url) for _ in range(2)]
    try:
        for key in range(6):
            stores[0].add([replace(new(f"{key}-{n}"), limit=TaskLimit(key=f"k{key}",
                                                                       concurrency=2))
                           for n in range(8)], replace=False)
        claimed: list[Task] = []
        start = threading.Barrier(8)

        def claim_all(store: Store, name: str) -> None:
            start.wait()
            for _ in range(10):
                found = store.claim(name, lease_seconds=LEASE, limit=3)
                claimed.extend(found)

        threads = [threading.Thread(target=claim_all, args=(stores[n % 2], f"w{n}"))
                   for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for store in stores:
            store.close()
    per_key = sorted(t.limit.key for t in claimed if t.limit is not None)
    assert per_key == sorted(f"k{key}" for key in range(6) for _ in range(2))
