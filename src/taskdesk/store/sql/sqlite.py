"""SQLite: the embedded default. WAL so that readers never wait for the writer, a busy
timeout so that writers queue instead of failing, and BEGIN IMMEDIATE so that every write
transaction holds the write lock from its first statement (no lock upgrades, no deadlocks).

The registry's writes commit with synchronous=FULL (an add() that returned survives a power
cut); runners' writes with NORMAL (durable at the next checkpoint: a lost claim or outcome is
recovered and runs again, which at-least-once allows), as runners' commits on PostgreSQL skip
the disk wait. The database file is made readable by its owner only: it holds args and
responses."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import FromClause

from taskdesk.clock import Clock, utcnow
from taskdesk.errors import ConfigError, SchemaOutOfDate
from taskdesk.store.notify import CANCEL_POKE, SocketFolder, poke_all, socket_folder
from taskdesk.store.sql.connections import SqlConnections
from taskdesk.store.sql.raw import driver_errors, pooled_driver_errors

BUSY_TIMEOUT_SECONDS = 30.0
#: The longest a runner's write waits for the write lock. Well inside any lease the runner
#: keeps (a third of the 30 s default): a finish that waited longer could outlive the leases
#: it stores. The runner tries again after a backoff, its heartbeats renewing those leases
#: meanwhile (runner/outcomes.py); the registry's adds keep BUSY_TIMEOUT_SECONDS.
RUNNER_BUSY_SECONDS = 5.0
#: WAL pages after which a commit checkpoints (copies the WAL into the database, with two
#: fsyncs). SQLite's default, 1,000 pages, made every ~70th runner commit (one task each,
#: ~14 pages) a checkpoint: a fifth of a runner's time per task. Runner commits checkpoint
#: past 10,000 pages (~40 MB of WAL) instead; registry writes keep the default.
CHECKPOINT_PAGES = 1_000
RUNNER_CHECKPOINT_PAGES = 10_000
BEGIN_OPTION = "taskdesk_sqlite_begin"
SYNC_OPTION = "taskdesk_sqlite_synchronous"
BUSY_OPTION = "taskdesk_sqlite_busy_ms"
CHECKPOINT_OPTION = "taskdesk_sqlite_checkpoint_pages"
MIN_VERSION = (3, 35, 0)  # RETURNING, and DROP COLUMN for the migrations
FILE_MODE = 0o600
FOLDER_MODE = 0o700

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}",
    "PRAGMA synchronous=NORMAL",  # each write transaction sets its own (see _begin)
    "PRAGMA foreign_keys=ON",
)


class SqliteConnections(SqlConnections):
    """A SQLite database's connections: its engine, and the engines its writers begin on."""

    def __init__(self, url: URL, *, clock: Clock = utcnow, create: bool = False) -> None:
        """With `create` (taskdesk init), the file and its folder are made if missing;
        otherwise a missing file is an error, so that a mistyped path leaves nothing behind."""
        check_version(sqlite3.sqlite_version_info)
        path = Path(url.database or "")
        if create:
            _create_private(path)
        elif not path.is_file():
            raise SchemaOutOfDate(f"there is no database at {path}: run `taskdesk init`")
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        engine.dialect.statement_compiler = IndexHints
        event.listen(engine, "connect", _configure_connection)
        event.listen(engine, "begin", _begin)
        super().__init__(engine, clock=clock)
        self.writer = engine.execution_options(
            **{BEGIN_OPTION: "BEGIN IMMEDIATE", SYNC_OPTION: "FULL",
               BUSY_OPTION: _ms(BUSY_TIMEOUT_SECONDS), CHECKPOINT_OPTION: CHECKPOINT_PAGES})
        self.runner_writer = engine.execution_options(
            **{BEGIN_OPTION: "BEGIN IMMEDIATE", SYNC_OPTION: "NORMAL",
               BUSY_OPTION: _ms(RUNNER_BUSY_SECONDS),
               CHECKPOINT_OPTION: RUNNER_CHECKPOINT_PAGES})
        self._sockets = socket_folder(path)

    def driver_transaction(self) -> AbstractContextManager[Any]:
        return driver_transaction(self.runner_writer)

    def wake_address(self) -> SocketFolder:
        return self._sockets

    def announce_after(self) -> None:
        """After the commit. Inside the caller's transaction this runs before its commit,
        which is still right: the add holds SQLite's write lock until then, so a woken
        worker's claim (BEGIN IMMEDIATE) waits for the commit and sees the task, or finds
        nothing after a rollback."""
        poke_all(self._sockets)

    def announce_cancel_after(self) -> None:
        """After a cancel's commit (or before the caller's: its write lock makes a runner's
        read of its claims wait for that commit): runners look at their claims now."""
        poke_all(self._sockets, CANCEL_POKE)


class IndexHints(SQLiteCompiler):
    """SQLite's compiler, writing the table hints a statement names for SQLite (the claim's
    `INDEXED BY`, claims.py), which SQLAlchemy's leaves out."""

    def get_from_hint_text(self, table: FromClause, text: str | None) -> str | None:
        return text


def check_version(found: tuple[int, int, int]) -> None:
    """Refuse an SQLite too old for our statements, in one line rather than a syntax error."""
    if tuple(found) < MIN_VERSION:
        needed = ".".join(map(str, MIN_VERSION))
        raise ConfigError(f"SQLite {'.'.join(map(str, found))} is too old: taskdesk needs "
                          f"SQLite {needed} or newer (use PostgreSQL, or a newer Python)")


def _create_private(path: Path) -> None:
    """The database's folder (0700) and an empty file (0600) if missing; SQLite gives its
    -wal and -shm files the mode of the database file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))


def _configure_connection(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, in _begin
    cursor = dbapi_connection.cursor()
    for pragma in _PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


_OPTION_PRAGMAS = ((SYNC_OPTION, "synchronous"), (BUSY_OPTION, "busy_timeout"),
                   (CHECKPOINT_OPTION, "wal_autocheckpoint"))


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _begin(conn: Connection) -> None:
    """On the driver's connection: a runner begins one transaction per task, and SQLAlchemy's
    statement machinery would cost more than the BEGIN itself."""
    with driver_errors(conn):
        begin_on(conn.connection, conn.get_execution_options())


def begin_on(pooled: PoolProxiedConnection, options: Mapping[str, Any]) -> None:
    """The transaction's pragmas (only those that change: outside a transaction, where
    SQLite takes synchronous) and its BEGIN, on the driver's connection."""
    known = pooled.info  # lives as long as the SQLite connection
    driver = pooled.dbapi_connection
    assert driver is not None
    for option, pragma in _OPTION_PRAGMAS:
        wanted = options.get(option)
        if wanted is not None and known.get(option) != wanted:
            driver.execute(f"PRAGMA {pragma}={wanted}")
            known[option] = wanted
    driver.execute(options.get(BEGIN_OPTION, "BEGIN"))


@contextmanager
def driver_transaction(engine: Engine) -> Iterator[Any]:
    """A cursor inside a transaction begun as `engine` begins one, committed at the end (or
    rolled back), on a pooled connection without SQLAlchemy's Connection: the runner's
    transaction per task, where SQLAlchemy's begin, commit and events cost ~60 us, as much
    as SQLite's statements of a task without their commit. Errors come out as SQLAlchemy's
    (raw.py)."""
    pooled = engine.raw_connection()
    try:
        driver = pooled.dbapi_connection
        assert driver is not None
        with pooled_driver_errors(engine, pooled):
            begin_on(pooled, engine.get_execution_options())
            cursor = driver.cursor()
            try:
                yield cursor
                cursor.execute("COMMIT")
            except BaseException:
                with suppress(sqlite3.Error):  # a rollback that fails leaves the first error
                    driver.rollback()
                raise
            finally:
                cursor.close()
    finally:
        pooled.close()
