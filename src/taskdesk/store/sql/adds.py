"""The add's statements, on the driver's own connection inside the caller's transaction.

An add is taskdesk's hottest write: SQLAlchemy's per-statement machinery (compiling, caching,
result processing) cost more than the database's work. So the add runs a few fixed
statements on the DBAPI cursor of the transaction that SqlStore (or the application, see
external.py) has begun; the transaction itself — its BEGIN IMMEDIATE and synchronous=FULL on
SQLite, its commit or rollback — stays where it was.

- SQLite: delete the waiting tasks of the codes, then multi-row INSERT … VALUES (one
  statement per SQLITE_ROWS tasks). Writers are serial there: nothing to lock.
- PostgreSQL: in one pipeline (one round trip): lock the codes' advisory-lock buckets, delete
  their waiting tasks, pg_notify when told to `announce` (see SqlStore.add), and INSERT …
  SELECT FROM unnest(arrays) — one statement whatever the number of tasks. The lock is its
  own statement on purpose: at READ COMMITTED the DELETE then takes its snapshot after the
  lock is held, so it sees (and replaces) the task that a concurrent add of the same code
  committed while this one waited.

A replaced task may be a workflow's that had not ended: the DELETE returns those (a look by
primary key at the rows it deleted, nothing when it deleted none), and then, in the same
transaction, they end as cancelled for their dependents, as a delete by hand does
(cascade.py). An add that replaces nothing pays only the empty RETURNING.

Ids: the rows are inserted in the order given (VALUES order on SQLite, ORDER BY ordinality on
PostgreSQL) and ids grow as rows are inserted, so the sorted ids are the tasks' in order —
the rule SQLAlchemy's own "insertmanyvalues" relies on for both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Dialect

from taskdesk.models.tasks import NewTask, Task
from taskdesk.store.notify import NOTIFY_SQL
from taskdesk.store.sql.added_rows import VARYING_COLUMNS, AddedRows, added_rows, time_binder
from taskdesk.store.sql.cascade import settle_alone
from taskdesk.store.sql.raw import RawStatements
from taskdesk.store.sql.rows import chunks
from taskdesk.store.sql.schema import WAITING_VALUES, task

#: The values every new task starts with (SQL literals).
CONSTANT_COLUMNS = {"response": "NULL", "status": "'pending'", "attempts": "0",
                    "worker_id": "NULL", "lease_expires_at": "NULL", "claim_token": "NULL",
                    "progress": "NULL", "progress_message": "NULL",
                    "error_class": "NULL"}
assert set(VARYING_COLUMNS) | set(CONSTANT_COLUMNS) == {c.name for c in task.c} - {"task_id"}

SQLITE_ROWS = 500  # tasks per INSERT: 8,000 parameters, far below SQLite's limit
_COLUMNS = ", ".join([*VARYING_COLUMNS, *CONSTANT_COLUMNS])
_WAITING = ", ".join(f"'{status}'" for status in WAITING_VALUES)

class Adds(Protocol):
    """Store.add's statements for one dialect (the store has deduplicated the codes)."""

    def add(self, dbapi: Any, news: Sequence[NewTask], *, replace: bool, now: datetime,
            announce: bool = False) -> list[Task]:
        """`announce`: tell idle workers inside the transaction (at its commit), where the
        dialect can; SqlStore.add asks only for a caller's transaction with a task due now."""
        ...


#: (lock statement, its parameters) for some codes: postgres.lock_codes_sql.
LockSql = Callable[[Sequence[str]], tuple[str, dict[str, object]]]


class SqliteAdds:
    """Store.add's statements for SQLite, on a sqlite3 connection inside BEGIN IMMEDIATE."""

    def __init__(self, dialect: Dialect, raw: RawStatements) -> None:
        self.bind = time_binder(dialect)
        self.raw = raw

    def add(self, dbapi: Any, news: Sequence[NewTask], *, replace: bool, now: datetime,
            announce: bool = False) -> list[Task]:
        rows = added_rows(news, now, self.bind)  # `announce`: SQLite pokes after (sqlite.py)
        cursor = dbapi.cursor()
        try:
            if replace:
                self._replace(cursor, [new.code for new in news], now)
            return rows.tasks(_sqlite_insert_all(cursor, rows))
        finally:
            cursor.close()

    def _replace(self, cursor: Any, codes: list[str], now: datetime) -> None:
        """Delete the codes' waiting tasks; a workflow's among them ends as cancelled."""
        deleted: list[int] = []
        for some in chunks(codes):
            cursor.execute(_sqlite_delete(len(some)), some)
            deleted.extend(row[0] for row in cursor.fetchall())
        unended: list[int] = []
        for some_ids in chunks(deleted):
            cursor.execute(_sqlite_unended(len(some_ids)), some_ids)
            unended.extend(row[0] for row in cursor.fetchall())
        settle_alone(self.raw, False, cursor, unended, "cancelled", None, now)


def _sqlite_insert_all(cursor: Any, rows: AddedRows) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows.values), SQLITE_ROWS):
        part = rows.values[start:start + SQLITE_ROWS]
        if len(part) == 1:
            cursor.execute(_sqlite_insert(1, returning=False), part[0])
            ids.append(cursor.lastrowid)
        else:
            cursor.execute(_sqlite_insert(len(part)), [v for row in part for v in row])
            ids.extend(sorted(row[0] for row in cursor.fetchall()))
    return ids


@lru_cache(maxsize=32)
def _sqlite_delete(count: int) -> str:
    marks = ", ".join("?" * count)
    return (f"DELETE FROM task WHERE code IN ({marks}) AND status IN ({_WAITING})"
            " RETURNING task_id")


@lru_cache(maxsize=32)
def _sqlite_unended(count: int) -> str:
    """Which of these deleted tasks were a workflow's and had not ended."""
    marks = ", ".join("?" * count)
    return f"SELECT task_id FROM workflow_task WHERE task_id IN ({marks}) AND outcome IS NULL"


@lru_cache(maxsize=32)
def _sqlite_insert(count: int, *, returning: bool = True) -> str:
    row = "(" + ", ".join(["?"] * len(VARYING_COLUMNS) + list(CONSTANT_COLUMNS.values())) + ")"
    values = ", ".join([row] * count)
    return f"INSERT INTO task ({_COLUMNS}) VALUES {values}" + (
        " RETURNING task_id" if returning else "")


# -- PostgreSQL -------------------------------------------------------------------------------
_PG_ARRAYS = {"code": "text", "action": "text", "args": "text", "priority": "int",
              "max_attempts": "int", "run_at": "timestamp", "delayed": "bool",
              "extension": "text", "queue": "text", "limit_key": "text",
              "concurrency_limit": "int", "rate_limit": "text", "held": "bool",
              "trace_context": "text"}  # date_added, date_modified: %(now)s
_PG_SELECTED = ["%(now)s" if name.startswith("date_") else name for name in VARYING_COLUMNS]
_PG_INSERT = (
    f"INSERT INTO task ({_COLUMNS}) "
    f"SELECT {', '.join([*_PG_SELECTED, *CONSTANT_COLUMNS.values()])} "
    f"FROM unnest({', '.join(f'%({name})s::{kind}[]' for name, kind in _PG_ARRAYS.items())}) "
    f"WITH ORDINALITY AS new ({', '.join(_PG_ARRAYS)}, n) ORDER BY n RETURNING task_id"
)
_PG_DELETE_WAITING = (
    f"WITH gone AS (DELETE FROM task WHERE code = ANY(%s) AND status IN ({_WAITING})"
    " RETURNING task_id) SELECT w.task_id FROM gone"
    " JOIN workflow_task AS w ON w.task_id = gone.task_id WHERE w.outcome IS NULL")


class PostgresAdds:
    """Store.add's statements for PostgreSQL, on a psycopg 3 connection in a transaction."""

    def __init__(self, dialect: Dialect, lock_sql: LockSql, raw: RawStatements) -> None:
        self.bind = time_binder(dialect)
        self.lock_sql = lock_sql
        self.raw = raw

    def add(self, dbapi: Any, news: Sequence[NewTask], *, replace: bool, now: datetime,
            announce: bool = False) -> list[Task]:
        rows = added_rows(news, now, self.bind)
        unended: list[int] = []
        with _pipeline(dbapi), _cursor(dbapi) as cursor, _cursor(dbapi) as replaced:
            if replace:
                codes = sorted({new.code for new in news})
                cursor.execute(*self.lock_sql(codes))
                replaced.execute(_PG_DELETE_WAITING, (codes,))  # its rows read below
            if announce:
                cursor.execute(NOTIFY_SQL)  # delivered at commit, never for a rollback
            cursor.execute(_PG_INSERT, _pg_arrays(rows))
            ids = sorted(row[0] for row in cursor.fetchall())
            if replace:
                unended = [row[0] for row in replaced.fetchall()]
        if unended:  # a replaced workflow task that had not ended: rare, its own round trip
            with _cursor(dbapi) as cursor:
                settle_alone(self.raw, True, cursor, unended, "cancelled", None, now)
        return rows.tasks(ids)


def due_now(news: Sequence[NewTask], now: datetime) -> bool:
    """Whether any of these tasks may be claimed at once: only then are workers told."""
    return any(new.run_at is None or new.run_at <= now for new in news)


def _pipeline(dbapi: Any) -> AbstractContextManager[object]:
    """One round trip for the add's statements; where libpq is older than 14, one each."""
    import psycopg

    return dbapi.pipeline() if psycopg.Pipeline.is_supported() else nullcontext()


def _cursor(dbapi: Any) -> Any:
    """A plain cursor returning tuples, whatever the connection's cursor_factory and
    row_factory (an application's connection may have set a dict row factory)."""
    import psycopg
    from psycopg.rows import tuple_row

    return psycopg.Cursor(dbapi, row_factory=tuple_row)


def _pg_arrays(rows: AddedRows) -> dict[str, Any]:
    columns = dict(zip(VARYING_COLUMNS, map(list, zip(*rows.values, strict=True)),
                       strict=True))
    arrays: dict[str, Any] = {name: columns[name] for name in _PG_ARRAYS}
    arrays["now"] = rows.values[0][VARYING_COLUMNS.index("date_added")]
    return arrays
