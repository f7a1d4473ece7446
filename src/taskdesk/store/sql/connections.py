"""SqlConnections: how SqlStore reaches the database — connections, transactions and the
dialect hooks that subclasses fill in (see sql.py for the verbs)."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Self

from sqlalchemy import ColumnElement, Connection, Engine, func

from taskdesk.clock import Clock, utcnow
from taskdesk.models.tasks import TaskFilter
from taskdesk.store import statements as sql
from taskdesk.store.args_match import postgres_args_match, sqlite_args_match
from taskdesk.store.busy import ADD_WAIT_SECONDS
from taskdesk.store.errors import translate_errors
from taskdesk.store.fast_add import Adds, SqliteAdds
from taskdesk.store.notify import WakeAddress
from taskdesk.store.promotions import Promotions
from taskdesk.store.raw import RawStatements
from taskdesk.store.schema import task


class SqlConnections:
    """Engines, transactions and dialect hooks; SqlStore adds the verbs."""

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.writer: Engine = engine  # the engine write transactions begin on
        #: Runners' writes (claim, heartbeat, finish, release, recover). A backend may let
        #: them commit without waiting for the disk: if the database crashes and loses one,
        #: the task is recovered and runs again, which at-least-once delivery allows.
        self.runner_writer: Engine = engine
        #: The runner's statements that commit alone (autocommit), on runner_writer's pool.
        self.runner_alone: Engine = engine
        self.clock = clock
        self._bound: Connection | None = None
        #: The runner's hot statements, compiled once for this dialect (store/raw.py).
        self.raw = RawStatements(engine.dialect)
        #: The add's statements on the driver's connection (store/fast_add.py).
        self.adds: Adds = SqliteAdds(engine.dialect)
        #: How long an add retries a busy SQLite database (TASKDESK_ADD_WAIT_SECONDS).
        self.add_wait_seconds = ADD_WAIT_SECONDS
        #: When the runner's claim next looks for due delayed tasks (store/promotions.py).
        self.promotions = Promotions()

    # -- connections --------------------------------------------------------------------
    @contextmanager
    def _write(self, engine: Engine | None = None) -> Iterator[Connection]:
        """A write transaction on `engine` (the runner's verbs name theirs); any other write
        may delay a task, so the next claim looks for delayed tasks."""
        if engine is None:
            self.promotions.forget()
        if self._bound is not None:
            yield self._bound
            return
        with translate_errors(self.engine.url), (engine or self.writer).begin() as conn:
            yield conn

    @contextmanager
    def _one_statement(self) -> Iterator[Connection]:
        """A runner's connection on which each statement is its own transaction, or the
        atomic block's (where it is part of the block's)."""
        if self._bound is not None:
            yield self._bound
            return
        with translate_errors(self.engine.url), self.runner_alone.connect() as conn:
            yield conn

    def _driver_transaction(self) -> AbstractContextManager[Any] | None:
        """A driver cursor in a runner transaction without SQLAlchemy's Connection, where
        the backend has one (SQLite: store/sqlite.py driver_transaction)."""
        return None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if self._bound is not None:
            yield self._bound
            return
        with translate_errors(self.engine.url), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def atomic(self) -> Iterator[Self]:
        if self._bound is not None:
            yield self
            return
        with self._write() as conn:
            yield self._bound_to(conn)

    def _bound_to(self, conn: Connection) -> Self:
        """This store, its verbs on `conn`'s transaction."""
        bound = copy.copy(self)
        bound._bound = conn
        return bound

    @contextmanager
    def _adding(self) -> Iterator[Connection]:
        """A write transaction that tells idle workers of what it added: inside an enclosing
        transaction (a notification there waits for its commit), else after the commit."""
        with self._write() as conn:
            yield conn
            if self._bound is not None:
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

    def commit_announcing(self, conn: Connection) -> bool:
        """Commit an add's own transaction and tell idle workers, in one round trip where
        the backend can; False: it did neither (the commit comes at the end of the block,
        announce_after after it)."""
        return False

    def lock_codes(self, conn: Connection, codes: Sequence[str]) -> None:
        """Serialise concurrent adds of the same codes; a no-op where writers are serial."""

    def lock_migrations(self, conn: Connection) -> None:
        """Serialise concurrent migrations; a no-op where writers are serial."""

    def lock_log_totals(self, conn: Connection) -> None:
        """Serialise folds of the task log into its counters; a no-op where writers are
        serial."""

    # -- what the dialects write differently ------------------------------------------------
    @property
    def _postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def filtered(self, where: TaskFilter) -> list[ColumnElement[bool]]:
        """The conditions of list, count and the bulk verbs, args included."""
        conditions = sql.filtered(where)
        if where.args:
            match = postgres_args_match if self._postgres else sqlite_args_match
            conditions.append(match(task.c.args, where.args))
        return conditions

    def minute_text(self, column: ColumnElement[object]) -> ColumnElement[str]:
        """A time column's minute as text, 'YYYY-MM-DD HH:MM' (both store naive UTC)."""
        if self._postgres:
            return func.to_char(column, "YYYY-MM-DD HH24:MI")
        return func.substr(column, 1, 16)  # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff'

    def clock_offset(self) -> float:
        """The database's clock is this machine's (SQLite), unless a subclass measures it."""
        return 0.0
