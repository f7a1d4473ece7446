"""The admin's bulk changes over every task a filter matches, a chunk per transaction, and the
counts behind the dashboard, over SQL (see protocol.Store)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, func, select, update

from taskdesk.models.tasks import Status, TaskFilter
from taskdesk.store.protocol import MATCH_CHUNK, AfterChunks
from taskdesk.store.sql.cascade import delete_waiting
from taskdesk.store.sql.connections import SqlVerbs
from taskdesk.store.sql.filters import filtered, idle
from taskdesk.store.sql.schema import PROCESSING, task
from taskdesk.store.sql.tasks import fresh_start, status_values

#: Changes one chunk of matching task ids in the open transaction; returns rows changed.
ChunkChange = Callable[[Connection, Sequence[int]], int]


class SqlAdminVerbs(SqlVerbs):
    def set_status_matching(self, where: TaskFilter, status: Status, *,
                            chunk: int = MATCH_CHUNK, then: AfterChunks | None = None) -> int:
        return self._update_matching(where, status_values(status, self.db.clock()), chunk,
                                     then)

    def retry_matching(self, where: TaskFilter, *, chunk: int = MATCH_CHUNK,
                       then: AfterChunks | None = None) -> int:
        return self._update_matching(where, fresh_start(self.db.clock()), chunk, then)

    def _update_matching(self, where: TaskFilter, values: dict[str, Any], chunk: int,
                         then: AfterChunks | None) -> int:
        conditions = filtered(where, postgres=self.db.postgres)
        return self._each_chunk(where, chunk, lambda conn, ids: conn.execute(
            update(task).where(*idle(ids), *conditions).values(values)).rowcount, then)

    def delete_matching(self, where: TaskFilter, *, chunk: int = MATCH_CHUNK,
                        then: AfterChunks | None = None) -> int:
        conditions = filtered(where, postgres=self.db.postgres)
        return self._each_chunk(where, chunk, lambda conn, ids: delete_waiting(
            self.db, conn, *idle(ids), *conditions), then)

    def _each_chunk(self, where: TaskFilter, chunk: int, change: ChunkChange,
                    then: AfterChunks | None = None) -> int:
        """Apply `change` to the matching tasks that are not processing, `chunk` ids per
        transaction in id order, so that no write lock is held for long. The change checks
        the filter and the status again: a task claimed meanwhile is left alone. `then`
        runs in the last chunk's transaction, with the total."""
        changed, after = 0, 0
        conditions = filtered(where, postgres=self.db.postgres)
        while True:
            with self.db.write() as conn:
                ids = list(conn.execute(
                    select(task.c.task_id)
                    .where(*conditions, task.c.status != PROCESSING, task.c.task_id > after)
                    .order_by(task.c.task_id).limit(chunk)).scalars())
                changed += change(conn, ids) if ids else 0
                if len(ids) < chunk and then is not None:
                    then(self.bound_to(conn), changed)  # type: ignore[arg-type]  # a SqlStore
            if len(ids) < chunk:
                return changed
            after = ids[-1]

    def status_counts(self) -> dict[Status, int]:
        query = select(task.c.status, func.count()).group_by(task.c.status)
        with self.db.read() as conn:
            return {Status(status): int(n) for status, n in conn.execute(query)}
