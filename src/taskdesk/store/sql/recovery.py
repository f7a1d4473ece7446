"""The recovery of expired leases, over SQL: one idempotent pass that any runner may run, at
startup and on a timer. A task whose lease expired goes back to pending (or to failed when it
has used its attempts) with a task log row saying so, and runners unseen for their own lease
are forgotten (a runner's lease is in its row: a host with a shorter lease must not forget
the others). Rows another runner is recovering are skipped (PostgreSQL), and each update checks
the lease again, so that two passes never recover one task twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from taskdesk.models.failures import LEASE_EXPIRED
from taskdesk.models.tasks import LogEntry, Status
from taskdesk.store.protocol import recovery_message
from taskdesk.store.sql.cascade import settle_alone
from taskdesk.store.sql.connections import SqlVerbs
from taskdesk.store.sql.hosts import forget_old_hosts, note_dead
from taskdesk.store.sql.raw import driver_cursor
from taskdesk.store.sql.rows import log_entry_from_row, runner_from_row
from taskdesk.store.sql.schema import HELD_AGAIN, PROCESSING, runner, task, task_log


class SqlRecoveryVerbs(SqlVerbs):
    def recover(self, *, lease_seconds: float) -> list[LogEntry]:
        now = self.db.clock()
        expired = (task.c.status == PROCESSING, task.c.lease_expires_at < now)
        with self.db.write(self.db.runner_writer) as conn:
            self._forget_dead_runners(conn, now, lease_seconds)
            stale = conn.execute(
                select(task.c.task_id, task.c.code, task.c.attempts, task.c.max_attempts,
                       task.c.worker_id, task.c.limit_key)
                .where(*expired).with_for_update(skip_locked=True)
            ).all()
            entries = [self._recover_one(conn, row._mapping, expired) for row in stale]
        if any(row.limit_key is not None for row in stale):  # slots freed: admit, and wake
            self.db.admissions.forget()
            self.db.announce_after()
        return [entry for entry in entries if entry is not None]

    def lease_expired(self, before: datetime | None = None) -> int:
        """A plain count: PostgreSQL's readers never wait on row locks."""
        before = before or self.db.clock()
        statement = select(func.count()).select_from(task).where(
            task.c.status == PROCESSING, task.c.lease_expires_at < before)
        with self.db.read() as conn:
            return int(conn.execute(statement).scalar_one())

    def _forget_dead_runners(self, conn: Connection, now: datetime,
                             lease_seconds: float) -> None:
        """Delete the rows of runners unseen for their own lease (`lease_seconds` for rows
        from before leases were recorded). The table holds one row per live runner, so
        reading it whole is cheap; each delete matches the `last_seen_at` read, so that a
        runner's heartbeat meanwhile keeps its row. A forgotten runner's host keeps its last
        heartbeat (hosts.py), and hosts long unseen are forgotten."""
        dead = [info for info in map(runner_from_row, (row._mapping for row in
                                                       conn.execute(select(runner))))
                if not info.alive(now, lease_seconds)]
        forgotten = [info for info in dead if conn.execute(
            delete(runner).where(runner.c.runner_id == info.runner_id,
                                 runner.c.last_seen_at == info.last_seen_at)).rowcount]
        note_dead(conn, forgotten)  # their hosts' records keep when they were last seen
        forget_old_hosts(conn, now, self.db.lock_log_totals)

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
                error_class=LEASE_EXPIRED,
                held=HELD_AGAIN if retried else False,
            )
        ).rowcount
        if not changed:
            return None
        if not retried:  # failed for good: its workflow's dependents are settled with it
            with driver_cursor(conn) as cursor:
                settle_alone(self.db.raw, self.db.postgres, cursor, [row["task_id"]],
                             "failed", message, now)
        entry = {"task_id": row["task_id"], "code": row["code"], "status": status.value,
                 "comment": message, "duration": None, "attempt": row["attempts"],
                 "worker_id": row["worker_id"], "date_added": now}
        log_id = conn.execute(insert(task_log).values(entry)).inserted_primary_key
        assert log_id is not None
        return log_entry_from_row({**entry, "task_log_id": log_id[0]})
