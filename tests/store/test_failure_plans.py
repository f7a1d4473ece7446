"""Failures by cause read failed tasks only: the grouping and each class's example are
answered from the partial index ix_task_failed_error_class (error_class, date_modified,
task_id) WHERE status = 'failed', on SQLite and PostgreSQL, never by reading the task table,
and an example is a seek in the index's order (no sort of a class's tasks)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, event

from taskdesk.store import SqlStore, Store
from tests.store.test_failure_store import fail
from tests.store.test_log_totals_plans import _plan

INDEX = "ix_task_failed_error_class"


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


def _reads(store: SqlStore) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Connection, _cursor: Any, statement: str, parameters: Any,
               _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.error_classes.groups()
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    return [(statement, parameters) for statement, parameters in seen
            if statement.lstrip().upper().startswith("SELECT")]


def test_the_grouping_and_its_examples_read_the_partial_index(store: Store) -> None:
    assert isinstance(store, SqlStore)
    fail(store, "a", "ValueError")
    fail(store, "b", "KeyError")
    reads = _reads(store)
    assert len(reads) == 3  # the grouping, then one example per class
    for statement, parameters in reads:
        plan = _plan(store, statement, parameters)
        assert INDEX in plan, plan
        assert "SCAN task\n" not in f"{plan}\n", plan
        assert "Seq Scan" not in plan, plan
    for statement, parameters in reads[1:]:  # the examples: in the index's order
        plan = _plan(store, statement, parameters)
        assert "Sort" not in plan, plan
        assert "TEMP B-TREE" not in plan, plan
