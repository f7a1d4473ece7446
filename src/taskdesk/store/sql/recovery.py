"""The recovery of expired leases, over SQL: one idempotent pass that any runner may run, at
startup and on a timer. A task whose lease expired goes back to pending (or to failed when it
has used its attempts) with a task log row saying so, and runners unseen for a lease are
forgotten. Rows another runner is recovering are skipped (PostgreSQL), and each update checks
the lease again, so that two passes never recover one task twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from taskdesk.models.tasks import LogEntry, Status
from taskdesk.store.protocol import recovery_message
from taskdesk.store.sql.connections import SqlVerbs
from taskdesk.store.sql.rows import log_entry_from_row
from taskdesk.store.sql.schema import PROCESSING, runner, task, task_log


class SqlRecoveryVerbs(SqlVerbs):
    def recover(self, *, lease_seconds: float) -> list[LogEntry]:
        now = self.db.clock()
        expired = (task.c.status == PROCESSING, task.c.lease_expires_at < now)
        with self.db.write(self.db.runner_writer) as conn:
            conn.execute(delete(runner).where(
                runner.c.last_seen_at < now - timedelta(seconds=lease_seconds)))
            stale = conn.execute(
                select(task.c.task_id, task.c.code, task.c.attempts, task.c.max_attempts,
                       task.c.worker_id).where(*expired).with_for_update(skip_locked=True)
            ).all()
            entries = [self._recover_one(conn, row._mapping, expired) for row in stale]
        return [entry for entry in entries if entry is not None]

    def _recover_one(self, conn: Connection, row: Any,
                     expired: tuple[ColumnElement[bool], ...]) -> LogEntry | None:
        now = self.db.clock()
        retried = row["attempts"] < row["max_attempts"]
        status = Status.PENDING if retried else Status.FAILED
        message = recovery_message(row["worker_id"], row["attempts"], retried)
        changed = conn.execute(
            update(task).where(task.c.task_id == row["task_id"], *expired).values(
                status=status.value, response=message, worker_id=None, lease_expires_at=None,
                run_at=now, date_modified=now, claim_token=None, delayed=False,
            )
        ).rowcount
        if not changed:
            return None
        entry = {"task_id": row["task_id"], "code": row["code"], "status": status.value,
                 "comment": message, "duration": None, "attempt": row["attempts"],
                 "worker_id": row["worker_id"], "date_added": now}
        log_id = conn.execute(insert(task_log).values(entry)).inserted_primary_key
        assert log_id is not None
        return log_entry_from_row({**entry, "task_log_id": log_id[0]})
