"""Adding tasks through the application's own connection, inside its transaction.

The caller's transaction is never committed or rolled back here: if it rolls back there is no
task, once it commits runners see it. A SQLAlchemy Connection or Session reuses SqlStore.add
on that connection; a psycopg 3 connection (Django's, say) gets the same three statements
written out, because SQLAlchemy cannot borrow a DBAPI connection without ending its
transaction when it lets go.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from taskdesk.errors import BadInput
from taskdesk.models import NewTask, Task
from taskdesk.store.base import Store
from taskdesk.store.notify import NOTIFY_SQL
from taskdesk.store.rows import new_task_row, task_from_row
from taskdesk.store.schema import task
from taskdesk.store.sql import SqlStore
from taskdesk.store.statements import WAITING_VALUES

_INSERTED = [column.name for column in task.c if column.name != "task_id"]
_RETURNED = [column.name for column in task.c]
_PSYCOPG_INSERT = (
    f"INSERT INTO task ({', '.join(_INSERTED)}) "
    f"VALUES ({', '.join(f'%({name})s' for name in _INSERTED)}) "
    f"RETURNING {', '.join(_RETURNED)}"
)
_PSYCOPG_DELETE_WAITING = "DELETE FROM task WHERE code = ANY(%s) AND status = ANY(%s)"


def add_through(store: Store, connection: object, tasks: Sequence[NewTask], *,
                replace: bool) -> list[Task]:
    """Store.add, inside the transaction of `connection`."""
    if not isinstance(store, SqlStore):
        raise BadInput("this taskdesk keeps its tasks in memory: there is no database "
                       "transaction to add them in")
    if isinstance(connection, Session):
        connection = connection.connection()
    if isinstance(connection, Connection):
        _check_same_database(store, connection.engine.url.get_backend_name(),
                             connection.engine.url.database)
        _check_in_transaction(connection.get_execution_options().get("isolation_level")
                              == "AUTOCOMMIT" or _autocommit(connection.connection))
        bound = copy.copy(store)
        bound._bound = connection
        return bound.add(tasks, replace=replace)
    if _is_psycopg(connection):
        _check_same_database(store, "postgresql", connection.info.dbname)  # type: ignore[attr-defined]
        _check_in_transaction(_autocommit(connection))
        return _add_psycopg(store, connection, tasks, replace=replace)
    raise BadInput(f"connection must be a SQLAlchemy Connection or Session, or a psycopg "
                   f"connection, not {type(connection).__name__}")


def _check_same_database(store: SqlStore, backend: str, database: str | None) -> None:
    url = store.engine.url
    if backend != url.get_backend_name() or (database or "") != (url.database or ""):
        raise BadInput(f"the connection is to the {backend} database {database!r}, but "
                       f"taskdesk's is the {url.get_backend_name()} database {url.database!r}")


def _check_in_transaction(autocommit: bool) -> None:
    """In autocommit, replacing by code would delete and insert in separate commits (a
    failure between them loses the replaced task) and the code lock would not hold."""
    if autocommit:
        raise BadInput("the connection is in autocommit mode: enqueue inside a transaction "
                       "(with engine.begin(), Django's transaction.atomic(), …)")


def _autocommit(connection: object) -> bool:
    dbapi = getattr(connection, "dbapi_connection", connection)  # SQLAlchemy's pool wrapper
    return getattr(dbapi, "autocommit", False) is True


def _is_psycopg(connection: object) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(connection, psycopg.Connection)


def _add_psycopg(store: SqlStore, connection: Any, tasks: Sequence[NewTask], *,
                 replace: bool) -> list[Task]:
    from taskdesk.store.postgres import lock_codes_sql

    if replace:
        tasks = list({new.code: new for new in tasks}.values())
    now = store.clock()
    added: list[Task] = []
    with connection.cursor() as cursor:
        if replace and tasks:
            codes = sorted({new.code for new in tasks})
            cursor.execute(*lock_codes_sql(codes))
            cursor.execute(_PSYCOPG_DELETE_WAITING, (codes, WAITING_VALUES))
        for new in tasks:
            cursor.execute(_PSYCOPG_INSERT, _naive(new_task_row(new, now)))
            row = cursor.fetchone()
            added.append(task_from_row(_aware(dict(zip(_RETURNED, row, strict=True)))))
        cursor.execute(NOTIFY_SQL)  # delivered when the caller commits, never on rollback
    return added


def _naive(row: dict[str, Any]) -> dict[str, Any]:
    """Times as the columns hold them: naive UTC (as schema.UtcDateTime stores them)."""
    return {key: value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime)
            else value for key, value in row.items()}


def _aware(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value.replace(tzinfo=UTC) if isinstance(value, datetime) else value
            for key, value in row.items()}

