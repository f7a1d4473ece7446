"""SqlQueueStore: the queue verbs over SQLAlchemy Core, for SQLite and PostgreSQL. The claim
reads `queue_pause` in its own statement (claims.py); here are the admin's verbs.

Built on its store's connections, so `store.atomic()` covers it (a pause and its audit entry
commit together). A resume tells idle runners, as an add does (store/notify.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from taskdesk.models.queues import QueueCounts, QueuePause, counted
from taskdesk.models.tasks import Status
from taskdesk.store.sql.schema import queue_pause, task

if TYPE_CHECKING:
    from taskdesk.store.sql.connections import SqlConnections

_COUNTED = (Status.PENDING.value, Status.PROCESSING.value, Status.FAILED.value)


class SqlQueueStore:
    def __init__(self, db: SqlConnections) -> None:
        self.db = db

    def pause(self, queue: str, paused_by: str | None = None) -> bool:
        row = {"queue": queue, "paused_at": self.db.clock(), "paused_by": paused_by}
        with self.db.write() as conn:
            try:
                with conn.begin_nested():  # a concurrent pause may win the key
                    conn.execute(insert(queue_pause).values(row))
            except IntegrityError:
                return False
            return True

    def resume(self, queue: str) -> bool:
        with self.db.adding() as conn:  # its tasks may be due: wake idle runners
            return conn.execute(
                delete(queue_pause).where(queue_pause.c.queue == queue)).rowcount > 0

    def paused(self) -> list[QueuePause]:
        with self.db.read() as conn:
            rows = conn.execute(select(queue_pause).order_by(queue_pause.c.queue)).all()
        return [QueuePause(**row._mapping) for row in rows]

    def counts(self) -> list[QueueCounts]:
        query = (select(task.c.queue, task.c.status, func.count(), func.min(task.c.date_added))
                 .where(task.c.status.in_(_COUNTED))
                 .group_by(task.c.queue, task.c.status))
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        found: dict[str, QueueCounts] = {}
        for queue, status, count, oldest in rows:
            counts = found.get(queue) or QueueCounts(queue=queue)
            found[queue] = counted(counts, status, count, oldest)
        return [found[queue] for queue in sorted(found)]

    def ahead(self, queue: str, priority: int, task_id: int) -> int:
        before = or_(task.c.priority > priority,
                     and_(task.c.priority == priority, task.c.task_id < task_id))
        query = (select(func.count()).select_from(task)
                 .where(task.c.queue == queue, task.c.status == Status.PENDING.value,
                        task.c.run_at <= self.db.clock(), before))
        with self.db.read() as conn:
            return int(conn.execute(query).scalar_one())
