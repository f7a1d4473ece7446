"""Where tasks are kept: the Store protocol (protocol.py, with its sub-stores accounts.py and
schedules.py) and its backends, sql/ (SQLite and PostgreSQL) and memory/, which one contract
suite checks alike. This is the door other packages import; open_store(url) picks the
backend from the URL's scheme."""

from __future__ import annotations

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

from taskdesk.clock import Clock, utcnow
from taskdesk.errors import ConfigError
from taskdesk.models.runners import RunnerInfo
from taskdesk.store.accounts import AccountStore
from taskdesk.store.memory import MemoryStore
from taskdesk.store.protocol import (
    DURATION_BUCKETS,
    PRUNE_CHUNK,
    AfterChunks,
    Store,
)
from taskdesk.store.sql import SqlStore

__all__ = ["DURATION_BUCKETS", "PRUNE_CHUNK", "AccountStore", "AfterChunks", "MemoryStore",
           "RunnerInfo", "SqlStore", "Store", "open_store", "sqlalchemy_url"]


def sqlalchemy_url(database_url: str) -> URL:
    """The URL with our drivers: plain postgresql:// means psycopg 3."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise ConfigError(f"TASKDESK_DATABASE_URL {database_url!r} is not a database URL") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise ConfigError(
            f"unsupported database {url.drivername!r}: use sqlite:///PATH or postgresql://…"
        )
    return url


def open_store(database_url: str, *, clock: Clock | None = None, create: bool = False,
               pool_size: int | None = None, add_wait_seconds: float | None = None,
               lease_seconds: float | None = None) -> SqlStore:
    """A store for the URL; the schema is checked separately (see sql/migrate.py
    check_schema). `create` lets SQLite make a new database file (taskdesk init). Without a
    `clock`, times are the database's: this machine's for SQLite, the server's for
    PostgreSQL. `pool_size` (PostgreSQL): connections kept open, e.g. a worker's concurrency
    plus two. `add_wait_seconds` (SQLite): how long an add retries while another writer
    holds the lock (sql/busy.py). `lease_seconds` (PostgreSQL): the runners' lease
    (TASKDESK_LEASE_SECONDS), from which the sessions' limits and keepalives are derived, so
    that a dead host's sessions end within about two leases (sql/sessions.py)."""
    url = sqlalchemy_url(database_url)
    if url.drivername.startswith("postgresql"):
        from taskdesk.store.sql.postgres import PostgresConnections

        lease = {} if lease_seconds is None else {"lease_seconds": lease_seconds}
        return SqlStore(PostgresConnections(url, clock=clock, pool_size=pool_size, **lease))
    from taskdesk.store.sql.sqlite import SqliteConnections

    if url.database in (None, "", ":memory:"):
        raise ConfigError("SQLite needs a database file: sqlite:///PATH (for tests in memory, "
                          "use taskdesk.store.MemoryStore)")
    db = SqliteConnections(url, clock=clock or utcnow, create=create)
    if add_wait_seconds is not None:
        db.add_wait_seconds = add_wait_seconds
    return SqlStore(db)
