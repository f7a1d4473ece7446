"""SqlStore: every Store verb over SQLAlchemy Core, for SQLite and PostgreSQL alike.

It is built on one SqlConnections (`db`: sqlite.py or postgres.py set up the dialect) and
made of one class of verbs per story, each with its statements: the registry (tasks.py), the
claim and the lease (claims.py), the end of an attempt (finish.py), the recovery of expired
leases (recovery.py), the admin's bulk changes (admin.py), the task log and its counters
(log.py), Run Tasks' start claim (run_start.py), runners and their hosts (hosts.py); the
sub-stores (accounts, schedules, packages, queues, cancels, error_lines) are built on its
connections; here are installed modules and the store's lifetime.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from taskdesk.clock import Clock
from taskdesk.models.tasks import InstalledModule
from taskdesk.store.notify import WakeAddress
from taskdesk.store.sql.accounts import SqlAccountStore
from taskdesk.store.sql.admin import SqlAdminVerbs
from taskdesk.store.sql.cancels import SqlCancelStore
from taskdesk.store.sql.connections import SqlConnections
from taskdesk.store.sql.error_lines import SqlErrorLineStore
from taskdesk.store.sql.failures import SqlFailureStore
from taskdesk.store.sql.finish import SqlFinishVerbs
from taskdesk.store.sql.hosts import SqlHostVerbs
from taskdesk.store.sql.limits import SqlLimitStore
from taskdesk.store.sql.log import SqlLogVerbs
from taskdesk.store.sql.packages import SqlPackageStore
from taskdesk.store.sql.queues import SqlQueueStore
from taskdesk.store.sql.recovery import SqlRecoveryVerbs
from taskdesk.store.sql.run_start import SqlRunStartVerbs
from taskdesk.store.sql.schedules import SqlScheduleStore
from taskdesk.store.sql.schema import extension as extension_table
from taskdesk.store.sql.tasks import SqlTaskVerbs
from taskdesk.store.sql.workflows import SqlWorkflowStore


class SqlStore(SqlTaskVerbs, SqlFinishVerbs, SqlRecoveryVerbs, SqlAdminVerbs, SqlLogVerbs,
               SqlRunStartVerbs, SqlHostVerbs):
    """The Store verbs on the connections `db` (see the module doc)."""

    def __init__(self, db: SqlConnections) -> None:
        self.db = db

    @property
    def clock(self) -> Clock:
        return self.db.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.db.clock = clock

    @property
    def engine(self) -> Engine:
        """The database's engine (its URL, its dialect; reads)."""
        return self.db.engine

    @property
    def accounts(self) -> SqlAccountStore:
        """The account verbs, on this store's connections (and its atomic block's)."""
        return SqlAccountStore(self.db)

    @property
    def schedules(self) -> SqlScheduleStore:
        """The schedule verbs, on this store's connections (and its atomic block's)."""
        return SqlScheduleStore(self)

    @property
    def packages(self) -> SqlPackageStore:
        """The package verbs, on this store's connections (and its atomic block's)."""
        return SqlPackageStore(self.db)

    @property
    def queues(self) -> SqlQueueStore:
        """Paused queues and each queue's counts, on this store's connections."""
        return SqlQueueStore(self.db)

    @property
    def cancels(self) -> SqlCancelStore:
        """The cancel, on this store's connections (and its atomic block's)."""
        return SqlCancelStore(self.db)

    @property
    def error_classes(self) -> SqlFailureStore:
        """Failed tasks grouped by error class, on this store's connections."""
        return SqlFailureStore(self.db)

    @property
    def workflows(self) -> SqlWorkflowStore:
        """Workflows: tasks with dependencies, on this store's connections."""
        return SqlWorkflowStore(self)

    @property
    def limits(self) -> SqlLimitStore:
        """Why a task is held by its key's limit (store/limits.py, sql/limits.py)."""
        return SqlLimitStore(self.db)

    @property
    def error_lines(self) -> SqlErrorLineStore:
        """The error log's lines, every host's, on this store's connections."""
        return SqlErrorLineStore(self.db)

    # -- extensions -----------------------------------------------------------------------
    def installed_modules(self, extension: str | None = None) -> list[InstalledModule]:
        query = select(extension_table).order_by(extension_table.c.extension_id)
        if extension is not None:
            query = query.where(extension_table.c.extension == extension)
        with self.db.read() as conn:
            return [InstalledModule(**_without_id(row._mapping)) for row in conn.execute(query)]

    def mark_installed(self, extension: str, type_: str, code: str) -> bool:
        row = {"extension": extension, "type": type_, "code": code,
               "date_added": self.db.clock()}
        with self.db.write() as conn:
            try:
                with conn.begin_nested():  # a concurrent install may win the unique key
                    conn.execute(insert(extension_table).values(row))
            except IntegrityError:
                return False
            return True

    def mark_uninstalled(self, extension: str, type_: str, code: str) -> bool:
        table = extension_table
        with self.db.write() as conn:
            statement = delete(table).where(table.c.extension == extension,
                                            table.c.type == type_, table.c.code == code)
            return conn.execute(statement).rowcount > 0

    # -- the database --------------------------------------------------------------------
    def clock_offset(self) -> float:
        return self.db.clock_offset()

    def wake_address(self) -> WakeAddress:
        return self.db.wake_address()

    def announce_after(self) -> None:
        """Tell idle workers to look for tasks, after a caller's block (atomic) that may have
        made some due has committed (store/notify.py)."""
        self.db.announce_after()

    @contextmanager
    def atomic(self) -> Iterator[SqlStore]:
        if self.db.bound is not None:
            yield self
            return
        with self.db.write() as conn:
            yield self.bound_to(conn)

    def close(self) -> None:
        self.db.close()


def _without_id(row: Any) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "extension_id"}
