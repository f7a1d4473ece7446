"""SQLite: the embedded default. WAL so that readers never wait for the writer, a busy
timeout so that writers queue instead of failing, and BEGIN IMMEDIATE so that every write
transaction holds the write lock from its first statement (no lock upgrades, no deadlocks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, create_engine, event

from taskdesk.clock import Clock, utcnow
from taskdesk.errors import SchemaOutOfDate
from taskdesk.store.sql import SqlStore

BUSY_TIMEOUT_SECONDS = 30.0
BEGIN_OPTION = "taskdesk_sqlite_begin"

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}",
    "PRAGMA synchronous=NORMAL",  # durable at each checkpoint; safe with WAL
    "PRAGMA foreign_keys=ON",
)


class SqliteStore(SqlStore):
    def __init__(self, url: URL, *, clock: Clock = utcnow, create: bool = False) -> None:
        """With `create` (taskdesk init), the file and its folder are made if missing;
        otherwise a missing file is an error, so that a mistyped path leaves nothing behind."""
        path = Path(url.database or "")
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.is_file():
            raise SchemaOutOfDate(f"there is no database at {path}: run `taskdesk init`")
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        event.listen(engine, "connect", _configure_connection)
        event.listen(engine, "begin", _begin)
        super().__init__(engine, clock=clock)
        self.writer = engine.execution_options(**{BEGIN_OPTION: "BEGIN IMMEDIATE"})
        self.runner_writer = self.writer


def _configure_connection(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, in _begin
    cursor = dbapi_connection.cursor()
    for pragma in _PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _begin(conn: Connection) -> None:
    conn.exec_driver_sql(conn.get_execution_options().get(BEGIN_OPTION, "BEGIN"))
