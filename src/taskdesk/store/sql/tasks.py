"""SqlStore: every verb over SQLAlchemy Core, for SQLite and PostgreSQL alike.

The dialects differ in how a transaction starts (SQLite takes the write lock up front), how
concurrent adds of one code are serialised, and how runners' commits wait for the disk —
nothing else; the claim is one statement for both (see statements.py). The runner's verbs
are in sql_runner.py, the admin's bulk changes and counts in sql_admin.py, connections and
transactions in sql_base.py, pruning and clearing the log and its counters in sql_log_totals.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from taskdesk.errors import TaskNotFound
from taskdesk.models.runners import RunnerInfo
from taskdesk.models.tasks import InstalledModule, LogEntry, NewTask, Status, Task, TaskFilter
from taskdesk.store import statements as sql
from taskdesk.store.base import chunks
from taskdesk.store.busy import retry_busy
from taskdesk.store.fast_add import due_now
from taskdesk.store.raw import driver_errors
from taskdesk.store.rows import log_entry_from_row, task_from_row
from taskdesk.store.schema import extension as extension_table
from taskdesk.store.schema import runner, task, task_log
from taskdesk.store.sql_accounts import SqlAccountStore
from taskdesk.store.sql_admin import SqlAdminVerbs
from taskdesk.store.sql_log_totals import SqlLogVerbs
from taskdesk.store.sql_run_start import SqlRunStartVerbs
from taskdesk.store.sql_runner import SqlRunnerVerbs, runner_row
from taskdesk.store.sql_schedules import SqlScheduleStore


class SqlStore(SqlAdminVerbs, SqlLogVerbs, SqlRunnerVerbs, SqlRunStartVerbs):
    """The Store verbs over a SQLAlchemy engine; subclasses set up the dialect."""

    @property
    def accounts(self) -> SqlAccountStore:
        """The account verbs, on this store's connections (and its atomic block's)."""
        return SqlAccountStore(self)

    @property
    def schedules(self) -> SqlScheduleStore:
        """The schedule verbs, on this store's connections (and its atomic block's)."""
        return SqlScheduleStore(self)

    # -- the registry -------------------------------------------------------------------
    def add(self, tasks: Sequence[NewTask], *, replace: bool = True) -> list[Task]:
        if replace:  # within one batch, too, a later task replaces an earlier one
            tasks = list({new.code: new for new in tasks}.values())
        if not tasks:
            return []
        if self._bound is not None or self._postgres:  # an enclosing transaction decides
            return self._add(tasks, replace=replace)
        return retry_busy(lambda: self._add(tasks, replace=replace),
                          seconds=self.add_wait_seconds, url=self.engine.url)

    def _add(self, tasks: Sequence[NewTask], *, replace: bool) -> list[Task]:
        now = self.clock()
        due = due_now(tasks, now)  # a delayed task wakes nobody: its claim is later
        with self._write() as conn:
            if not conn.in_transaction():  # a caller's connection that has not begun yet
                conn.begin()
            with driver_errors(conn):
                added = self.adds.add(conn.connection.dbapi_connection, tasks,
                                      replace=replace, now=now,
                                      announce=due and self._bound is not None)
                announced = due and self._bound is None and self.commit_announcing(conn)
        if due and not announced:
            self.announce_after()
        return added

    def get(self, task_id: int) -> Task | None:
        with self._read() as conn:
            row = conn.execute(select(task).where(task.c.task_id == task_id)).first()
        return None if row is None else task_from_row(row._mapping)

    def list_tasks(
        self, where: TaskFilter, *, cursor: int | None = None, limit: int = 50,
        descending: bool = False, preview: int | None = None,
    ) -> list[Task]:
        query = select(*sql.task_columns(preview)).where(*self.filtered(where)).limit(limit)
        if descending:
            query = query.order_by(task.c.task_id.desc())
            if cursor is not None:
                query = query.where(task.c.task_id < cursor)
        else:
            query = query.order_by(task.c.task_id)
            if cursor is not None:
                query = query.where(task.c.task_id > cursor)
        with self._read() as conn:
            return [task_from_row(row._mapping) for row in conn.execute(query)]

    def count(self, where: TaskFilter) -> int:
        with self._read() as conn:
            query = select(func.count()).select_from(task).where(*self.filtered(where))
            return int(conn.execute(query).scalar_one())

    def set_status(self, task_ids: Sequence[int], status: Status) -> int:
        return self._update_idle(task_ids, self._status_values(status))

    def _update_idle(self, task_ids: Sequence[int], values: dict[str, Any]) -> int:
        """A status change or retry may make tasks pending: idle workers are told."""
        with self._adding() as conn:
            self._check_exist(conn, task_ids)
            return sum(
                conn.execute(update(task).where(*sql.idle(some)).values(values)).rowcount
                for some in chunks(task_ids)
            )

    def retry(self, task_ids: Sequence[int]) -> int:
        return self._update_idle(task_ids, self._fresh_start())

    def delete(self, task_ids: Sequence[int]) -> int:
        with self._write() as conn:
            self._check_exist(conn, task_ids)
            return sum(
                conn.execute(delete(task).where(*sql.idle(some))).rowcount
                for some in chunks(task_ids)
            )

    def _check_exist(self, conn: Connection, task_ids: Sequence[int]) -> None:
        found: set[int] = set()
        for some in chunks(task_ids):
            found.update(conn.execute(select(task.c.task_id).where(task.c.task_id.in_(some)))
                         .scalars())
        missing = sorted(set(task_ids) - found)
        if missing:
            raise TaskNotFound(f"no task with id {', '.join(map(str, missing))}")

    def delete_by_code(self, code: str) -> int:
        with self._write() as conn:
            self.lock_codes(conn, [code])
            statement = delete(task).where(task.c.code == code, task.c.status != sql.PROCESSING)
            return conn.execute(statement).rowcount

    def count_extension_tasks(self, extension: str) -> int:
        query = select(func.count()).select_from(task).where(
            sql.of_extension(extension), task.c.status.in_([*sql.WAITING_VALUES, sql.PROCESSING]))
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def delete_extension_tasks(self, extension: str) -> int:
        statement = delete(task).where(sql.of_extension(extension),
                                       task.c.status.in_(sql.WAITING_VALUES))
        with self._write() as conn:
            return conn.execute(statement).rowcount

    def clear(self) -> int:
        with self._write() as conn:
            return conn.execute(delete(task).where(task.c.status != sql.PROCESSING)).rowcount

    # -- the task log -------------------------------------------------------------------
    def log(self, *, task_id: int | None = None, cursor: int | None = None,
            limit: int = 50) -> list[LogEntry]:
        query = select(task_log).order_by(task_log.c.task_log_id.desc()).limit(limit)
        if task_id is not None:
            query = query.where(task_log.c.task_id == task_id)
        if cursor is not None:
            query = query.where(task_log.c.task_log_id < cursor)
        with self._read() as conn:
            return [log_entry_from_row(row._mapping) for row in conn.execute(query)]

    def count_log(self, *, task_id: int | None = None) -> int:
        query = select(func.count()).select_from(task_log)
        if task_id is not None:
            query = query.where(task_log.c.task_id == task_id)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    # -- extensions -----------------------------------------------------------------------
    def installed_modules(self, extension: str | None = None) -> list[InstalledModule]:
        query = select(extension_table).order_by(extension_table.c.extension_id)
        if extension is not None:
            query = query.where(extension_table.c.extension == extension)
        with self._read() as conn:
            return [InstalledModule(**_without_id(row._mapping)) for row in conn.execute(query)]

    def mark_installed(self, extension: str, type_: str, code: str) -> bool:
        row = {"extension": extension, "type": type_, "code": code, "date_added": self.clock()}
        with self._write() as conn:
            try:
                with conn.begin_nested():  # a concurrent install may win the unique key
                    conn.execute(insert(extension_table).values(row))
            except IntegrityError:
                return False
            return True

    def mark_uninstalled(self, extension: str, type_: str, code: str) -> bool:
        with self._write() as conn:
            statement = delete(extension_table).where(*sql.module(extension, type_, code))
            return conn.execute(statement).rowcount > 0

    # -- runners ------------------------------------------------------------------------
    def register_runner(self, info: RunnerInfo) -> None:
        with self._write() as conn:
            conn.execute(insert(runner).values(runner_row(info)))

    def unregister_runner(self, runner_id: str) -> None:
        with self._write() as conn:
            conn.execute(delete(runner).where(runner.c.runner_id == runner_id))

    def runners(self) -> list[RunnerInfo]:
        with self._read() as conn:
            rows = conn.execute(select(runner).order_by(runner.c.started_at)).all()
        return [RunnerInfo(**row._mapping) for row in rows]


def _without_id(row: Any) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "extension_id"}
