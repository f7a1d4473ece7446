"""Store.add on the driver's own cursor (store/sql/adds.py), on SQLite and PostgreSQL: rows as
SQLAlchemy would write them, the driver's errors translated with nothing written, and a
caller's psycopg connection whatever its row factory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg.rows import dict_row
from sqlalchemy import insert, select

from taskdesk.errors import StoreError
from taskdesk.models.tasks import NewTask
from taskdesk.store import SqlStore, open_store
from taskdesk.store.sql.rows import new_task_row
from taskdesk.store.sql.schema import WAITING_VALUES, task


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


@pytest.fixture
def sql_store(database_url: str) -> Iterator[SqlStore]:
    store = open_store(database_url)
    assert isinstance(store, SqlStore)
    yield store
    store.close()


def _new(code: str, **fields: object) -> NewTask:
    return NewTask(code=code, action="tests.support.handlers:record", max_attempts=3, **fields)  # type: ignore[arg-type]


def test_rows_are_written_as_sqlalchemy_writes_them(sql_store: SqlStore) -> None:
    """Times at a whole second too: sqlite3's own format would drop '.000000', and the text
    would then compare wrongly with SQLAlchemy's."""
    whole = datetime(2030, 1, 1, 0, 0, tzinfo=UTC)
    fast, = sql_store.add([_new("fast", run_at=whole, args={"a": 1})], replace=False)
    with sql_store.engine.begin() as conn:
        slow_id = conn.execute(insert(task).returning(task.c.task_id).values(
            new_task_row(_new("slow", run_at=whole, args={"a": 1}), fast.date_added))
        ).scalar_one()
        raw = {row.task_id: row[1:] for row in conn.exec_driver_sql(
            "SELECT task_id, run_at, date_added, args, status, delayed, queue, attempts "
            "FROM task")}
    assert raw[fast.task_id] == raw[slow_id]
    assert sql_store.get(fast.task_id) == fast


def test_a_driver_error_is_a_store_error_and_writes_nothing(sql_store: SqlStore) -> None:
    [kept] = sql_store.add([_new("kept")])
    broken = _new("broken")
    object.__setattr__(broken, "code", None)  # NOT NULL: the database refuses it

    with pytest.raises(StoreError, match="refused"):
        sql_store.add([_new("kept"), _new("other"), broken], replace=False)

    with sql_store.engine.connect() as conn:
        assert conn.execute(select(task.c.task_id)).scalars().all() == [kept.task_id]
    assert sql_store.add([_new("after")])[0].task_id > kept.task_id  # the pool is healthy


@pytest.mark.postgres
def test_a_psycopg_connection_with_a_dict_row_factory(postgres_url: str) -> None:
    store = open_store(postgres_url)
    assert isinstance(store, SqlStore)
    store.clear()
    try:
        with psycopg.connect(postgres_url, row_factory=dict_row) as conn:
            from taskdesk.store.sql.external import add_through
            added = add_through(store, conn, [_new("a"), _new("b"), _new("a")], replace=True)
            rows = conn.execute("SELECT code, status FROM task ORDER BY task_id").fetchall()
        assert [t.code for t in added] == ["a", "b"]
        assert rows == [{"code": "a", "status": "pending"}, {"code": "b", "status": "pending"}]
        assert [store.get(t.task_id) for t in added] == added
        assert all(t.status.value in WAITING_VALUES for t in added)
    finally:
        store.close()
