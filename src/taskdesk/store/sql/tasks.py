"""The registry's verbs over SQL: add, get, list, count, and the changes an admin makes to
chosen tasks (status, retry, delete). No verb touches a task that is processing.

The add is taskdesk's hottest write: its statements run on the driver's cursor (adds.py), a
busy SQLite database is retried (busy.py), and idle workers are told of tasks due now
(SqlConnections.commit_announcing, or announce_in/after)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from taskdesk.errors import BadStatus, TaskNotFound
from taskdesk.models.tasks import NewTask, Status, Task, TaskFilter
from taskdesk.models.workflows import WAITING_FOR_PARENTS
from taskdesk.store.sql.adds import due_now
from taskdesk.store.sql.busy import retry_busy
from taskdesk.store.sql.cascade import delete_waiting
from taskdesk.store.sql.connections import SqlVerbs
from taskdesk.store.sql.filters import filtered, idle, of_extension
from taskdesk.store.sql.raw import driver_errors
from taskdesk.store.sql.rows import chunks, task_from_row
from taskdesk.store.sql.schema import HELD_AGAIN, PROCESSING, WAITING_VALUES, task


class SqlTaskVerbs(SqlVerbs):
    def add(self, tasks: Sequence[NewTask], *, replace: bool = True) -> list[Task]:
        if replace:  # within one batch, too, a later task replaces an earlier one
            tasks = list({new.code: new for new in tasks}.values())
        if not tasks:
            return []
        db = self.db
        if db.bound is not None or db.postgres:  # an enclosing transaction decides
            return self._add(tasks, replace=replace)
        return retry_busy(lambda: self._add(tasks, replace=replace),
                          seconds=db.add_wait_seconds, url=db.url)

    def _add(self, tasks: Sequence[NewTask], *, replace: bool) -> list[Task]:
        db = self.db
        now = db.clock()
        due = due_now(tasks, now)  # a delayed task wakes nobody: its claim is later
        with db.write() as conn:
            if not conn.in_transaction():  # a caller's connection that has not begun yet
                conn.begin()
            with driver_errors(conn):
                added = db.adds.add(conn.connection.dbapi_connection, tasks,
                                    replace=replace, now=now,
                                    announce=due and db.bound is not None)
                announced = due and db.bound is None and db.commit_announcing(conn)
        if due and not announced:
            db.announce_after()
        return added

    def get(self, task_id: int) -> Task | None:
        with self.db.read() as conn:
            row = conn.execute(select(task).where(task.c.task_id == task_id)).first()
        return None if row is None else task_from_row(row._mapping)

    def list_tasks(
        self, where: TaskFilter, *, cursor: int | None = None, limit: int = 50,
        descending: bool = False, preview: int | None = None,
    ) -> list[Task]:
        query = (select(*task_columns(preview))
                 .where(*filtered(where, postgres=self.db.postgres)).limit(limit))
        if descending:
            query = query.order_by(task.c.task_id.desc())
            if cursor is not None:
                query = query.where(task.c.task_id < cursor)
        else:
            query = query.order_by(task.c.task_id)
            if cursor is not None:
                query = query.where(task.c.task_id > cursor)
        with self.db.read() as conn:
            return [task_from_row(row._mapping) for row in conn.execute(query)]

    def count(self, where: TaskFilter) -> int:
        query = (select(func.count()).select_from(task)
                 .where(*filtered(where, postgres=self.db.postgres)))
        with self.db.read() as conn:
            return int(conn.execute(query).scalar_one())

    def set_status(self, task_ids: Sequence[int], status: Status) -> int:
        return self._update_idle(task_ids, status_values(status, self.db.clock()))

    def retry(self, task_ids: Sequence[int]) -> int:
        return self._update_idle(task_ids, fresh_start(self.db.clock()))

    def _update_idle(self, task_ids: Sequence[int], values: dict[str, Any]) -> int:
        """A status change or retry may make tasks pending: idle workers are told."""
        with self.db.adding() as conn:
            check_exist(conn, task_ids)
            return sum(
                conn.execute(update(task).where(*idle(some)).values(values)).rowcount
                for some in chunks(task_ids)
            )

    def delete(self, task_ids: Sequence[int]) -> int:
        with self.db.write() as conn:
            check_exist(conn, task_ids)
            return sum(delete_waiting(self.db, conn, *idle(some)) for some in chunks(task_ids))

    def delete_by_code(self, code: str) -> int:
        with self.db.write() as conn:
            self.db.lock_codes(conn, [code])
            return delete_waiting(self.db, conn, task.c.code == code,
                                  task.c.status != PROCESSING)

    def count_extension_tasks(self, extension: str) -> int:
        query = select(func.count()).select_from(task).where(
            of_extension(extension), task.c.status.in_([*WAITING_VALUES, PROCESSING]))
        with self.db.read() as conn:
            return int(conn.execute(query).scalar_one())

    def delete_extension_tasks(self, extension: str) -> int:
        with self.db.write() as conn:
            return delete_waiting(self.db, conn, of_extension(extension),
                                  task.c.status.in_(WAITING_VALUES))

    def clear(self) -> int:
        with self.db.write() as conn:
            return delete_waiting(self.db, conn, task.c.status != PROCESSING)


def status_values(status: Status, now: datetime) -> dict[str, Any]:
    """What a status change by hand writes (set_status and set_status_matching)."""
    if status is Status.PROCESSING:
        raise BadStatus("only a runner's claim sets a task processing")
    values: dict[str, Any] = {"status": status.value, "date_modified": now, "delayed": False,
                              "held": False}
    if status is Status.PENDING:  # by hand: a fresh attempt budget
        values.update(attempts=0, delayed=case((task.c.run_at > now, True), else_=False),
                      held=HELD_AGAIN)
    return values


def fresh_start(now: datetime) -> dict[str, Any]:
    """What a retry writes: pending, attempts 0, due now — except a workflow task that still
    waits for its parents, which keeps waiting (its placeholder run_at: models/workflows.py)."""
    waiting = and_(task.c.status == Status.PENDING.value, task.c.run_at >= WAITING_FOR_PARENTS)
    return {"status": Status.PENDING.value, "attempts": 0,
            "run_at": case((waiting, task.c.run_at), else_=now), "delayed": False,
            "date_modified": now, "held": HELD_AGAIN}


def task_columns(preview: int | None = None) -> list[ColumnElement[Any]]:
    """The task's columns; with `preview`, only the response's first characters."""
    if preview is None:
        return list(task.c)
    return [func.substr(column, 1, preview).label(column.name) if column.name == "response"
            else column for column in task.c]


def check_exist(conn: Connection, task_ids: Sequence[int]) -> None:
    found: set[int] = set()
    for some in chunks(task_ids):
        found.update(conn.execute(select(task.c.task_id).where(task.c.task_id.in_(some)))
                     .scalars())
    missing = sorted(set(task_ids) - found)
    if missing:
        raise TaskNotFound(f"no task with id {', '.join(map(str, missing))}")
