"""SqlFailureStore: failed tasks grouped by error class, over SQLAlchemy Core for SQLite and
PostgreSQL. Both statements are answered from the partial index ix_task_failed_error_class
(error_class, date_modified, task_id) WHERE status = 'failed': the grouping reads failed tasks
only, and each class's example is one seek to its latest failure, in the index's order (no
sort). SQLite is told the index (SEEK)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select
from sqlalchemy.sql.elements import ColumnElement

from taskdesk.models.failures import FailureGroup
from taskdesk.store.failures import MAX_GROUPS
from taskdesk.store.sql.schema import FAILED, task

if TYPE_CHECKING:
    from taskdesk.store.sql.connections import SqlConnections

#: SQLite, without statistics, would read the failed tasks through ix_task_status_date_modified
#: and sort them; told its index, it reads them in class order (as claims.py does).
SEEK = "INDEXED BY ix_task_failed_error_class"


class SqlFailureStore:
    def __init__(self, db: SqlConnections) -> None:
        self.db = db

    def groups(self, *, limit: int = MAX_GROUPS) -> list[FailureGroup]:
        count, last = func.count(), func.max(task.c.date_modified)
        query = (select(task.c.error_class, count, func.min(task.c.date_modified), last)
                 .where(task.c.status == FAILED).group_by(task.c.error_class)
                 .order_by(count.desc(), last.desc(), task.c.error_class.is_(None),
                           task.c.error_class).limit(max(0, limit))
                 .with_hint(task, SEEK, dialect_name="sqlite"))
        with self.db.read() as conn:
            return [_group(conn, *row) for row in conn.execute(query).all()]


def _group(conn: Connection, error_class: str | None, count: int, first: datetime,
           last: datetime) -> FailureGroup:
    example = conn.execute(
        select(task.c.task_id, task.c.response).where(task.c.status == FAILED,
                                                      _of_class(error_class))
        .order_by(task.c.date_modified.desc(), task.c.task_id.desc()).limit(1)
        .with_hint(task, SEEK, dialect_name="sqlite")).one()
    return FailureGroup(error_class=error_class, count=count, first_seen=first,
                        last_seen=last, example_task_id=example.task_id,
                        example_response=example.response)


def _of_class(error_class: str | None) -> ColumnElement[bool]:
    if error_class is None:
        return task.c.error_class.is_(None)
    return task.c.error_class == error_class
