"""SqlLogVerbs: pruning and clearing the task log, and the counters /metrics reads from it,
kept monotonic: an entry is counted into `log_total` by a fold, or as it is deleted if no fold
has reached it yet (store/log_totals.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, delete, select, true

from taskdesk.models.tasks import DurationHistogram, Status
from taskdesk.store import log_totals
from taskdesk.store.base import PRUNE_CHUNK
from taskdesk.store.errors import translate_errors
from taskdesk.store.schema import task_log
from taskdesk.store.sql_base import SqlConnections


class SqlLogVerbs(SqlConnections):
    def prune_log(self, *, retention_seconds: float, limit: int = PRUNE_CHUNK) -> int:
        """Fold a chunk of new entries into the counters, then delete entries past the
        retention, in one transaction; a deleted entry not folded yet is counted as it goes."""
        now = self.clock()
        before = now - timedelta(seconds=retention_seconds)
        with self._write(self.runner_writer) as conn:
            self.lock_log_totals(conn)
            folded = log_totals.fold(conn, before=self._fold_before(now))
            doomed = (select(task_log.c.task_log_id).where(task_log.c.date_added < before)
                      .order_by(task_log.c.task_log_id).limit(limit)
                      .with_for_update(skip_locked=True))
            return _delete_counted(conn, folded, task_log.c.task_log_id.in_(doomed))

    def clear_log(self) -> int:
        """Every entry deleted, each one counted in the counters before it goes."""
        with self._write() as conn:
            self.lock_log_totals(conn)
            folded = log_totals.fold(conn, before=self._fold_before(self.clock()))
            return _delete_counted(conn, folded, true())

    def log_counts(self) -> dict[Status, int]:
        with self._snapshot() as conn:
            return log_totals.log_counts(log_totals.current(conn))

    def duration_histogram(self) -> DurationHistogram:
        with self._snapshot() as conn:
            return log_totals.histogram(log_totals.current(conn))

    def _fold_before(self, now: datetime) -> datetime | None:
        """PostgreSQL's ids are taken before commit: leave the youngest entries to a later
        fold (log_totals.FOLD_LAG_SECONDS); SQLite's writers are serial."""
        return now - timedelta(seconds=log_totals.FOLD_LAG_SECONDS) if self._postgres else None

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A read whose statements all see one snapshot (the totals and the entries after
        them): SQLite's read transaction does; PostgreSQL needs REPEATABLE READ."""
        if self._bound is not None:
            yield self._bound
            return
        with translate_errors(self.engine.url), self.engine.connect() as conn:
            if self._postgres:
                conn.execution_options(isolation_level="REPEATABLE READ")
            yield conn


def _delete_counted(conn: Connection, folded: int, where: ColumnElement[bool]) -> int:
    """Delete the entries `where` selects; those after `folded` (not in the totals yet) are
    added to the totals from what the delete returns, so each entry is counted once."""
    deleted = conn.execute(delete(task_log).where(where).returning(
        task_log.c.task_log_id, task_log.c.status, task_log.c.duration)).all()
    log_totals.add(conn, log_totals.row_totals(
        (status, duration) for task_log_id, status, duration in deleted
        if task_log_id > folded))
    return len(deleted)
