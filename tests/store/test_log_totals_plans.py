"""Issue 14 #10: /metrics' log counters must stay cheap however long the log is (a count of
1,000,000 entries took 87 to 650 ms). Shown by the plans, not by timing: every statement that
log_counts and duration_histogram run on the task log reads a range of its primary key (the
entries since the last fold), never the whole table. bench/metrics_counts.py times it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, event

from taskdesk.models.tasks import Status
from taskdesk.store import SqlStore, Store
from tests.store.test_store_admin import finish_one


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


def _log_reads(store: SqlStore) -> list[tuple[str, Any]]:
    """The statements on task_log that the counters' reads run."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Connection, _cursor: Any, statement: str, parameters: Any,
               _context: Any, _many: bool) -> None:
        if "task_log" in statement:
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.log_counts()
        store.duration_histogram()
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    return seen


def _plan(store: SqlStore, statement: str, parameters: Any) -> str:
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(row[-1]) for row in rows)
        conn.exec_driver_sql("SET enable_seqscan = off")  # a tiny table: ask what it can use
        rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(str(row[0]) for row in rows)


def test_the_log_counters_read_only_a_key_range_of_the_log(store: Store) -> None:
    assert isinstance(store, SqlStore)
    for n in range(3):
        finish_one(store, Status.COMPLETE, 0.01 * n)
    reads = _log_reads(store)
    assert len(reads) == 4  # each: the entries per status, the durations
    for statement, parameters in reads:
        plan = _plan(store, statement, parameters)
        if store.engine.dialect.name == "sqlite":
            assert "USING INTEGER PRIMARY KEY (rowid>?)" in plan, plan
            assert "SCAN task_log" not in plan, plan
        else:
            assert "pk_task_log" in plan, plan
            assert "Index Cond: (task_log_id >" in plan, plan
            assert "Seq Scan" not in plan, plan
