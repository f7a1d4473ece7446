"""SqlAdminVerbs: the admin's bulk changes over every task a filter matches, and the counts
behind the dashboard and /metrics, for SQLite and PostgreSQL alike (see base.Store)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from taskdesk.errors import BadStatus
from taskdesk.models.tasks import Status, TaskFilter
from taskdesk.store import statements as sql
from taskdesk.store.base import MATCH_CHUNK, AfterChunks
from taskdesk.store.schema import task, task_log
from taskdesk.store.sql_base import SqlConnections

#: Changes one chunk of matching task ids in the open transaction; returns rows changed.
ChunkChange = Callable[[Connection, Sequence[int]], int]
OUTCOMES = (Status.COMPLETE.value, Status.FAILED.value)


class SqlAdminVerbs(SqlConnections):
    # -- bulk changes -------------------------------------------------------------------
    def set_status_matching(self, where: TaskFilter, status: Status, *,
                            chunk: int = MATCH_CHUNK, then: AfterChunks | None = None) -> int:
        values = self._status_values(status)
        return self._each_chunk(where, chunk, lambda conn, ids: conn.execute(
            update(task).where(*sql.idle(ids), *self.filtered(where)).values(values)).rowcount,
            then)

    def retry_matching(self, where: TaskFilter, *, chunk: int = MATCH_CHUNK,
                       then: AfterChunks | None = None) -> int:
        values = self._fresh_start()
        return self._each_chunk(where, chunk, lambda conn, ids: conn.execute(
            update(task).where(*sql.idle(ids), *self.filtered(where)).values(values)).rowcount,
            then)

    def delete_matching(self, where: TaskFilter, *, chunk: int = MATCH_CHUNK,
                        then: AfterChunks | None = None) -> int:
        return self._each_chunk(where, chunk, lambda conn, ids: conn.execute(
            delete(task).where(*sql.idle(ids), *self.filtered(where))).rowcount, then)

    def _each_chunk(self, where: TaskFilter, chunk: int, change: ChunkChange,
                    then: AfterChunks | None = None) -> int:
        """Apply `change` to the matching tasks that are not processing, `chunk` ids per
        transaction in id order, so that no write lock is held for long. The change checks
        the filter and the status again: a task claimed meanwhile is left alone. `then`
        runs in the last chunk's transaction, with the total."""
        changed, after = 0, 0
        while True:
            with self._write() as conn:
                ids = list(conn.execute(
                    select(task.c.task_id)
                    .where(*self.filtered(where), task.c.status != sql.PROCESSING,
                           task.c.task_id > after)
                    .order_by(task.c.task_id).limit(chunk)).scalars())
                changed += change(conn, ids) if ids else 0
                if len(ids) < chunk and then is not None:
                    then(self._bound_to(conn), changed)  # type: ignore[arg-type]  # a SqlStore
            if len(ids) < chunk:
                return changed
            after = ids[-1]

    def _status_values(self, status: Status) -> dict[str, Any]:
        if status is Status.PROCESSING:
            raise BadStatus("only a runner's claim sets a task processing")
        now = self.clock()
        values: dict[str, Any] = {"status": status.value, "date_modified": now,
                                  "delayed": False}
        if status is Status.PENDING:  # by hand: a fresh attempt budget
            values.update(attempts=0, delayed=sql.delayed_after(now))
        return values

    def _fresh_start(self) -> dict[str, Any]:
        now = self.clock()
        return {"status": Status.PENDING.value, "attempts": 0, "run_at": now, "delayed": False,
                "date_modified": now}

    # -- counts -------------------------------------------------------------------------
    def status_counts(self) -> dict[Status, int]:
        query = select(task.c.status, func.count()).group_by(task.c.status)
        with self._read() as conn:
            return {Status(status): int(n) for status, n in conn.execute(query)}

    def log_per_minute(self, since: datetime) -> dict[tuple[datetime, Status], int]:
        minute = self.minute_text(task_log.c.date_added).label("minute")
        query = (select(minute, task_log.c.status, func.count())
                 .where(task_log.c.date_added >= since, task_log.c.status.in_(OUTCOMES))
                 .group_by(minute, task_log.c.status))
        with self._read() as conn:
            return {(_minute(text), Status(status)): int(n)
                    for text, status, n in conn.execute(query)}


def _minute(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
