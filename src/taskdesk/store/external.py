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
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from taskdesk.errors import BadInput
from taskdesk.models import NewTask, Task
from taskdesk.store.base import Store
from taskdesk.store.sql import SqlStore


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
        store.promotions.forget()
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
    """The store's own add statements (fast_add.PostgresAdds) on the caller's connection;
    its errors stay psycopg's, as the caller's own statements' are."""
    if replace:
        tasks = list({new.code: new for new in tasks}.values())
    if not tasks:
        return []
    return store.adds.add(connection, tasks, replace=replace, now=store.clock())
