"""SqlErrorLineStore: the error log's lines over SQLAlchemy Core, for SQLite and PostgreSQL.
A page is one keyset query on the id (newest first, `limit` of them), turned newest last;
each filter has an index that ends in the id (schema.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import RowMapping, delete, insert, select

from taskdesk.models.error_lines import ErrorLine, ErrorLineFilter, NewErrorLine
from taskdesk.store.sql.connections import SqlConnections
from taskdesk.store.sql.schema import error_log as table


class SqlErrorLineStore:
    def __init__(self, db: SqlConnections) -> None:
        self.db = db

    def write(self, line: NewErrorLine) -> ErrorLine:
        values = {"date_added": self.db.clock(), "host": line.host, "pid": line.pid,
                  "task_id": line.task_id, "message": line.message}
        with self.db.write(self.db.runner_writer) as conn:  # delays no task
            row = conn.execute(insert(table).values(values).returning(*table.c)).one()
        return error_line_from_row(row._mapping)

    def page(self, where: ErrorLineFilter, limit: int) -> list[ErrorLine]:
        query = select(table).order_by(table.c.error_log_id.desc()).limit(limit)
        if where.host is not None:
            query = query.where(table.c.host == where.host)
        if where.task_id is not None:
            query = query.where(table.c.task_id == where.task_id)
        if where.before is not None:
            query = query.where(table.c.error_log_id < where.before)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return [error_line_from_row(row._mapping) for row in reversed(rows)]

    def hosts(self) -> list[str]:
        with self.db.read() as conn:
            return list(conn.execute(select(table.c.host).distinct().order_by(table.c.host))
                        .scalars())

    def prune(self, *, retention_seconds: float, limit: int) -> int:
        before = self.db.clock() - timedelta(seconds=retention_seconds)
        doomed = (select(table.c.error_log_id).where(table.c.date_added < before)
                  .order_by(table.c.error_log_id).limit(limit))
        with self.db.write(self.db.runner_writer) as conn:
            return conn.execute(delete(table).where(table.c.error_log_id.in_(doomed))).rowcount

    def clear(self) -> int:
        with self.db.write(self.db.runner_writer) as conn:
            return conn.execute(delete(table)).rowcount


def error_line_from_row(row: RowMapping) -> ErrorLine:
    """One stored row as an ErrorLine."""
    return ErrorLine(error_log_id=row["error_log_id"], date_added=row["date_added"],
                     host=row["host"], pid=row["pid"], task_id=row["task_id"],
                     message=row["message"])
