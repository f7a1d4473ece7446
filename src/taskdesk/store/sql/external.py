"""Adding tasks through the application's own connection, inside its transaction.

The caller's transaction is never committed or rolled back here: if it rolls back there is no
task, once it commits runners see it. A SQLAlchemy Connection or Session reuses SqlStore.add
on that connection; a psycopg 3 connection (Django's, say) gets the same three statements
written out, because SQLAlchemy cannot borrow a DBAPI connection without ending its
transaction when it lets go. So does a stdlib sqlite3 connection (Django's on SQLite) on
taskdesk's database file, once a transaction is open on it.

Replacing by code on PostgreSQL relies on READ COMMITTED: the add locks the code, then its
DELETE sees the waiting task that a concurrent add of the code committed meanwhile. Under
REPEATABLE READ or SERIALIZABLE the DELETE reads the transaction's older snapshot, misses that
task, and both adds would leave a waiting task; such a replace is refused (adding with
`replace=False` is not: it deletes nothing). SQLite has one writer at a time and refuses a
write from a stale snapshot itself.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from taskdesk.errors import BadInput
from taskdesk.models.tasks import NewTask, Task
from taskdesk.models.workflows import NewNode
from taskdesk.store.protocol import Store
from taskdesk.store.sql.adds import due_now
from taskdesk.store.sql.store import SqlStore


def add_through(store: Store, connection: object, tasks: Sequence[NewTask], *,
                replace: bool) -> list[Task]:
    """Store.add, inside the transaction of `connection`."""
    if not isinstance(store, SqlStore):
        raise BadInput("this taskdesk keeps its tasks in memory: there is no database "
                       "transaction to add them in")
    connection = _session_connection(connection)
    if isinstance(connection, Connection):
        _check_same_database(store, connection.engine.url.get_backend_name(),
                             connection.engine.url.database)
        _check_in_transaction(connection.get_execution_options().get("isolation_level")
                              == "AUTOCOMMIT" or _autocommit(connection.connection))
        if replace and connection.dialect.name == "postgresql":
            _check_isolation(connection.get_isolation_level())
        return store.bound_to(connection).add(tasks, replace=replace)
    if _is_psycopg(connection):
        _check_same_database(store, "postgresql", connection.info.dbname)  # type: ignore[attr-defined]
        _check_in_transaction(_autocommit(connection))
        if replace:
            _check_isolation(_psycopg_isolation(connection))
        store.db.promotions.forget()
        return _add_on_dbapi(store, connection, tasks, replace=replace)
    if isinstance(connection, sqlite3.Connection):
        _check_same_file(store, connection)
        _check_in_transaction(not connection.in_transaction)
        store.db.promotions.forget()
        # The same DBAPI path: store.db.adds is adds.SqliteAdds on SQLite.
        return _add_on_dbapi(store, connection, tasks, replace=replace)
    raise BadInput(f"connection must be a SQLAlchemy Connection, Session or scoped_session, "
                   f"or a psycopg or sqlite3 connection, not {type(connection).__name__}")


def _check_same_database(store: SqlStore, backend: str, database: str | None) -> None:
    url = store.engine.url
    if backend != url.get_backend_name() or (database or "") != (url.database or ""):
        raise BadInput(f"the connection is to the {backend} database {database!r}, but "
                       f"taskdesk's is the {url.get_backend_name()} database {url.database!r}")


def _check_same_file(store: SqlStore, connection: sqlite3.Connection) -> None:
    """A sqlite3 connection must be on taskdesk's own database file (its `main`)."""
    files = {row[1]: row[2] for row in connection.execute("PRAGMA database_list")}
    database = files.get("main") or ""
    url = store.engine.url
    ours = url.database or ""
    same = url.get_backend_name() == "sqlite" and bool(database) and bool(ours) and (
        os.path.realpath(database) == os.path.realpath(ours))
    if not same:
        raise BadInput(f"the connection is to the sqlite database {database!r}, but "
                       f"taskdesk's is the {url.get_backend_name()} database {ours!r}")


def _check_in_transaction(autocommit: bool) -> None:
    """In autocommit, replacing by code would delete and insert in separate commits (a
    failure between them loses the replaced task) and the code lock would not hold."""
    if autocommit:
        raise BadInput("the connection is in autocommit mode: enqueue inside a transaction "
                       "(with engine.begin(), Django's transaction.atomic(), …)")


def _check_isolation(level: str) -> None:
    """Replacing by code is refused above READ COMMITTED (see the module doc)."""
    if level.upper().replace("_", " ") in ("REPEATABLE READ", "SERIALIZABLE"):
        raise BadInput(f"replacing a task by its code is refused in a {level.upper()} "
                       "transaction: a concurrent add of the same code could leave a second "
                       "waiting task. Enqueue in a READ COMMITTED transaction, or add with "
                       "replace=False")


def _psycopg_isolation(connection: Any) -> str:
    """The isolation of the transaction the connection is in (or begins now)."""
    import psycopg
    from psycopg.rows import tuple_row

    with psycopg.Cursor(connection, row_factory=tuple_row) as cursor:
        cursor.execute("SHOW transaction_isolation")
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def _autocommit(connection: object) -> bool:
    dbapi = getattr(connection, "dbapi_connection", connection)  # SQLAlchemy's pool wrapper
    return getattr(dbapi, "autocommit", False) is True


def _is_psycopg(connection: object) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(connection, psycopg.Connection)


def _session_connection(connection: object) -> object:
    """The Connection of an ORM Session's transaction; a scoped_session (Flask-SQLAlchemy's
    `db.session`) stands for the current scope's Session. Anything else as it is."""
    orm = sys.modules.get("sqlalchemy.orm")  # a caller with a Session imported the ORM; the
    if orm is None:  # rest need not pay for it
        return connection
    if isinstance(connection, orm.scoped_session):
        connection = connection()
    if isinstance(connection, orm.Session):
        return connection.connection()
    return connection


def _add_on_dbapi(store: SqlStore, connection: Any, tasks: Sequence[NewTask], *,
                  replace: bool) -> list[Task]:
    """The store's own add statements (store.db.adds: PostgresAdds or SqliteAdds) on the
    caller's DBAPI connection; its errors stay the driver's, as the caller's own are."""
    if replace:
        tasks = list({new.code: new for new in tasks}.values())
    if not tasks:
        return []
    now = store.db.clock()
    return store.db.adds.add(connection, tasks, replace=replace, now=now,
                          announce=due_now(tasks, now))


def workflow_through(store: Store, connection: object, name: str,
                     nodes: Sequence[NewNode]) -> tuple[int, list[Task]]:
    """store.workflows.add, inside the transaction of a SQLAlchemy Connection or Session."""
    if not isinstance(store, SqlStore):
        raise BadInput("this taskdesk keeps its tasks in memory: there is no database "
                       "transaction to add them in")
    connection = _session_connection(connection)
    if not isinstance(connection, Connection):
        raise BadInput(f"a workflow is enqueued in a SQLAlchemy Connection or Session's "
                       f"transaction, not a {type(connection).__name__}'s")
    _check_same_database(store, connection.engine.url.get_backend_name(),
                         connection.engine.url.database)
    _check_in_transaction(connection.get_execution_options().get("isolation_level")
                          == "AUTOCOMMIT" or _autocommit(connection.connection))
    return store.bound_to(connection).workflows.add(name, nodes)
