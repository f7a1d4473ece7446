"""Migration 0011 (issue 14 #10): the task log entries of an existing installation are
counted into `log_total` once, so /metrics' counters go on from what the log held, and a
downgrade and upgrade again counts them afresh (the table is rebuilt), never twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from taskdesk.models.tasks import Status
from taskdesk.store import SqlStore, open_store
from taskdesk.store.sql.migrate import upgrade
from taskdesk.store.sql.schema import task_log
from tests.store.test_migrations import downgrade
from tests.support import require_postgres, temporary_database

ENTRIES = [("complete", 0.004), ("complete", 0.3), ("failed", 2.0), ("pending", None)]


@pytest.fixture(params=["sqlite", "postgres"])
def store_at_0010(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'm.db'}", create=True)
        upgrade(store, "0010")
        yield store
        store.close()
        return
    require_postgres()
    with temporary_database() as url:
        store = open_store(url)
        upgrade(store, "0010")
        try:
            yield store
        finally:
            store.close()


def test_upgrade_counts_the_existing_log_once(store_at_0010: SqlStore) -> None:
    store = store_at_0010
    with store.engine.begin() as conn:
        conn.execute(insert(task_log), [
            {"task_id": n, "code": f"c{n}", "status": status, "comment": "", "duration": d,
             "attempt": 1, "date_added": store.clock()}
            for n, (status, d) in enumerate(ENTRIES)])
    upgrade(store)
    counts = {Status.COMPLETE: 2, Status.FAILED: 1, Status.PENDING: 1}
    assert store.log_counts() == counts
    assert store.duration_histogram().count == 3
    assert store.clear_log() == len(ENTRIES)  # already folded: not counted again
    assert store.log_counts() == counts
    downgrade(store, "0010")
    upgrade(store)
    assert store.log_counts() == {}  # the log was cleared before the downgrade
