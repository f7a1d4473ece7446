"""SqlConnections: how the SQL store reaches its database — engines, transactions, and the
hooks in which the dialects differ (sqlite.py and postgres.py fill them in).

The store and its sub-stores (accounts, schedules) are given one SqlConnections when they are
built and use only its public verbs: `read()`, `write()`, `one_statement()` and
`driver_transaction()`. Inside `SqlStore.atomic()` they are given a copy bound to the block's
connection (`bound_to`), so that every verb of the block runs in its transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Self

from sqlalchemy import URL, Connection, Engine

from taskdesk.clock import Clock, utcnow
from taskdesk.store.notify import WakeAddress
from taskdesk.store.sql.adds import Adds, SqliteAdds
from taskdesk.store.sql.admissions import Admissions
from taskdesk.store.sql.busy import ADD_WAIT_SECONDS
from taskdesk.store.sql.cascade import PlainClaims
from taskdesk.store.sql.errors import translate_errors
from taskdesk.store.sql.promotions import Promotions
from taskdesk.store.sql.raw import RawStatements


class SqlConnections:
    """Engines, transactions and dialect hooks; SqlStore (store.py) adds the verbs."""

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.writer: Engine = engine  # the engine write transactions begin on
        #: Runners' writes (claim, heartbeat, finish, release, recover). A backend may let
        #: them commit without waiting for the disk: if the database crashes and loses one,
        #: the task is recovered and runs again, which at-least-once delivery allows.
        self.runner_writer: Engine = engine
        #: The runner's statements that commit alone (autocommit), on runner_writer's pool.
        self.runner_alone: Engine = engine
        self.clock = clock
        #: The store's clock is the database server's: a statement may date its rows by the
        #: server's clock as it runs them (PostgreSQL, unless a clock was given).
        self.server_clock = False
        #: The connection of the enclosing transaction (SqlStore.atomic, or the caller's:
        #: external.py), on which every verb runs; None: each verb has its own.
        self.bound: Connection | None = None
        #: The runner's hot statements, compiled once for this dialect (raw.py).
        self.raw = RawStatements(engine.dialect)
        #: The add's statements on the driver's connection (adds.py).
        self.adds: Adds = SqliteAdds(engine.dialect, self.raw)
        #: How long an add retries a busy SQLite database (TASKDESK_ADD_WAIT_SECONDS).
        self.add_wait_seconds = ADD_WAIT_SECONDS
        #: When the runner's claim next looks for due delayed tasks (promotions.py).
        self.promotions = Promotions()
        #: Claims known to hold no workflow task (cascade.py; PostgreSQL's finish).
        self.plain_claims = PlainClaims()
        #: When the runner's claim next admits held tasks of limited keys (admissions.py).
        self.admissions = Admissions()

    @property
    def url(self) -> URL:
        return self.engine.url

    # -- connections --------------------------------------------------------------------
    @contextmanager
    def write(self, engine: Engine | None = None) -> Iterator[Connection]:
        """A write transaction on `engine` (the runner's verbs name theirs); any other write
        may delay or hold a task, so the next claim looks for delayed and held tasks."""
        if engine is None:
            self.promotions.forget()
            self.admissions.forget()
        if self.bound is not None:
            yield self.bound
            return
        with translate_errors(self.engine.url), (engine or self.writer).begin() as conn:
            yield conn

    @contextmanager
    def one_statement(self) -> Iterator[Connection]:
        """A runner's connection on which each statement is its own transaction, or the
        enclosing block's (where it is part of the block's)."""
        if self.bound is not None:
            yield self.bound
            return
        with translate_errors(self.engine.url), self.runner_alone.connect() as conn:
            yield conn

    def driver_transaction(self) -> AbstractContextManager[Any] | None:
        """A driver cursor in a runner transaction without SQLAlchemy's Connection, where
        the backend has one (SQLite: sqlite.py driver_transaction)."""
        return None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        if self.bound is not None:
            yield self.bound
            return
        with translate_errors(self.engine.url), self.engine.connect() as conn:
            yield conn

    def bound_to(self, conn: Connection) -> Self:
        """These connections, every verb on `conn`'s transaction."""
        bound = copy.copy(self)
        bound.bound = conn
        return bound

    @contextmanager
    def adding(self) -> Iterator[Connection]:
        """A write transaction that tells idle workers of what it added: inside an enclosing
        transaction (a notification there waits for its commit), else after the commit."""
        with self.write() as conn:
            yield conn
            if self.bound is not None:
                self.announce_in(conn)
        self.announce_after()

    def close(self) -> None:
        self.engine.dispose()

    # -- waking idle workers (store/notify.py) ------------------------------------------------
    def wake_address(self) -> WakeAddress:
        """Where idle runners wait to be told of adds; None: they poll."""
        return None

    def announce_in(self, conn: Connection) -> None:
        """Inside an enclosing transaction (the caller's, or store.atomic()'s) that added
        tasks: a backend whose notifications wait for the commit sends one here."""

    def announce_after(self) -> None:
        """After an add's own transaction committed (or at once, inside an enclosing one,
        where announce_in has already spoken if it can)."""

    def announce_cancel_in(self, conn: Connection) -> None:
        """In a cancel's transaction that cancelled running tasks: a backend whose
        notifications wait for the commit tells every runner to look at its claims now."""

    def announce_cancel_after(self) -> None:
        """After such a cancel committed (or at once, inside an enclosing transaction,
        where announce_cancel_in has already spoken if it can)."""

    def commit_announcing(self, conn: Connection) -> bool:
        """Commit an add's own transaction and tell idle workers, in one round trip where
        the backend can; False: it did neither (the commit comes at the end of the block,
        announce_after after it)."""
        return False

    # -- serialising writers -----------------------------------------------------------------
    def lock_codes(self, conn: Connection, codes: Sequence[str]) -> None:
        """Serialise concurrent adds of the same codes; a no-op where writers are serial."""

    def lock_migrations(self, conn: Connection) -> None:
        """Serialise concurrent migrations; a no-op where writers are serial."""

    def lock_log_totals(self, conn: Connection) -> None:
        """Serialise folds of the task log into its counters; a no-op where writers are
        serial."""

    def clock_offset(self) -> float:
        """The database's clock is this machine's (SQLite), unless a dialect measures it."""
        return 0.0


class SqlVerbs:
    """What the store's verbs of each story (tasks.py, claims.py, finish.py, …) stand on:
    the connections the store was built with."""

    db: SqlConnections

    def bound_to(self, conn: Connection) -> Self:
        """These verbs on `conn`'s transaction (SqlStore.atomic, and the caller's own
        transaction: external.py)."""
        bound = copy.copy(self)
        bound.db = self.db.bound_to(conn)
        return bound
