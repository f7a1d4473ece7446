"""The task log over SQL: reading it, pruning and clearing it, and the counters /metrics reads
from it, kept monotonic: an entry is counted into `log_total` by a fold, or as it is deleted
if no fold has reached it yet (log_totals.py). The entries themselves are written by the
finish (finish.py) and the recovery (claims.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Connection, delete, func, select, true

from taskdesk.models.tasks import DurationHistogram, LogEntry, Status
from taskdesk.store import log_totals as totals
from taskdesk.store.protocol import PRUNE_CHUNK
from taskdesk.store.sql import log_totals
from taskdesk.store.sql.connections import SqlVerbs
from taskdesk.store.sql.errors import translate_errors
from taskdesk.store.sql.rows import log_entry_from_row
from taskdesk.store.sql.schema import task_log

OUTCOMES = (Status.COMPLETE.value, Status.FAILED.value)


class SqlLogVerbs(SqlVerbs):
    def log(self, *, task_id: int | None = None, cursor: int | None = None,
            limit: int = 50) -> list[LogEntry]:
        query = select(task_log).order_by(task_log.c.task_log_id.desc()).limit(limit)
        if task_id is not None:
            query = query.where(task_log.c.task_id == task_id)
        if cursor is not None:
            query = query.where(task_log.c.task_log_id < cursor)
        with self.db.read() as conn:
            return [log_entry_from_row(row._mapping) for row in conn.execute(query)]

    def count_log(self, *, task_id: int | None = None) -> int:
        query = select(func.count()).select_from(task_log)
        if task_id is not None:
            query = query.where(task_log.c.task_id == task_id)
        with self.db.read() as conn:
            return int(conn.execute(query).scalar_one())

    def prune_log(self, *, retention_seconds: float, limit: int = PRUNE_CHUNK) -> int:
        """Fold a chunk of new entries into the counters, then delete entries past the
        retention, in one transaction; a deleted entry not folded yet is counted as it goes."""
        now = self.db.clock()
        before = now - timedelta(seconds=retention_seconds)
        with self.db.write(self.db.runner_writer) as conn:
            self.db.lock_log_totals(conn)
            folded = log_totals.fold(conn, before=self._fold_before(now))
            doomed = (select(task_log.c.task_log_id).where(task_log.c.date_added < before)
                      .order_by(task_log.c.task_log_id).limit(limit)
                      .with_for_update(skip_locked=True))
            return _delete_counted(conn, folded, task_log.c.task_log_id.in_(doomed))

    def clear_log(self) -> int:
        """Every entry deleted, each one counted in the counters before it goes."""
        with self.db.write() as conn:
            self.db.lock_log_totals(conn)
            folded = log_totals.fold(conn, before=self._fold_before(self.db.clock()))
            return _delete_counted(conn, folded, true())

    def log_counts(self) -> dict[Status, int]:
        with self._snapshot() as conn:
            return totals.log_counts(log_totals.current(conn))

    def duration_histogram(self) -> DurationHistogram:
        with self._snapshot() as conn:
            return totals.histogram(log_totals.current(conn))

    def host_counts(self) -> dict[str, dict[str, int]]:
        with self._snapshot() as conn:
            return totals.host_counts(log_totals.current(conn))

    def log_per_minute(self, since: datetime) -> dict[tuple[datetime, Status], int]:
        minute = self._minute_text(task_log.c.date_added).label("minute")
        query = (select(minute, task_log.c.status, func.count())
                 .where(task_log.c.date_added >= since, log_totals.KIND.in_(OUTCOMES))
                 .group_by(minute, task_log.c.status))
        with self.db.read() as conn:
            return {(_minute(text), Status(status)): int(n)
                    for text, status, n in conn.execute(query)}

    def _minute_text(self, column: ColumnElement[object]) -> ColumnElement[str]:
        """A time column's minute as text, 'YYYY-MM-DD HH:MM' (both store naive UTC)."""
        if self.db.postgres:
            return func.to_char(column, "YYYY-MM-DD HH24:MI")
        return func.substr(column, 1, 16)  # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff'

    def _fold_before(self, now: datetime) -> datetime | None:
        """PostgreSQL's ids are taken before commit: leave the youngest entries to a later
        fold (log_totals.FOLD_LAG_SECONDS); SQLite's writers are serial."""
        if self.db.postgres:
            return now - timedelta(seconds=log_totals.FOLD_LAG_SECONDS)
        return None

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A read whose statements all see one snapshot (the totals and the entries after
        them): SQLite's read transaction does; PostgreSQL needs REPEATABLE READ."""
        db = self.db
        if db.bound is not None:
            yield db.bound
            return
        with translate_errors(db.url), db.engine.connect() as conn:
            if db.postgres:
                conn.execution_options(isolation_level="REPEATABLE READ")
            yield conn


def _delete_counted(conn: Connection, folded: int, where: ColumnElement[bool]) -> int:
    """Delete the entries `where` selects; those after `folded` (not in the totals yet) are
    added to the totals from what the delete returns, so each entry is counted once."""
    deleted = conn.execute(delete(task_log).where(where).returning(
        task_log.c.task_log_id, log_totals.KIND, task_log.c.duration,
        task_log.c.worker_id)).all()
    log_totals.add(conn, totals.row_totals(
        (kind, duration, worker_id) for task_log_id, kind, duration, worker_id in deleted
        if task_log_id > folded))
    return len(deleted)


def _minute(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
