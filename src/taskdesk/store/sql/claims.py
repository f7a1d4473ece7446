"""SqlRunnerVerbs: the runner's verbs of SqlStore (claim, heartbeat, finish, release, recover,
prune), on the runner's writer (see SqlConnections.runner_writer)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from taskdesk.models.runners import ClaimKey, Finished, NextClaim, RunnerInfo
from taskdesk.models.tasks import LogEntry, Outcome, Status, Task
from taskdesk.store import statements as sql
from taskdesk.store.base import COMPLETE_PERCENT, LEASE_LOST, PRUNE_CHUNK, chunks
from taskdesk.store.errors import translate_errors
from taskdesk.store.pg_finish import FINISH_ALL, finish_all_params, finish_then_claim
from taskdesk.store.raw import RawStatement, driver_cursor
from taskdesk.store.rows import log_entry_from_row, recovery_message, task_from_row
from taskdesk.store.schema import runner, task, task_log
from taskdesk.store.sql_base import SqlConnections


class SqlRunnerVerbs(SqlConnections):
    def claim(self, worker_id: str, *, lease_seconds: float, limit: int = 1,
              queues: Sequence[str] | None = None) -> list[Task]:
        with self._write(self.runner_writer) as conn:
            return self._claim(conn, worker_id, NextClaim(limit, lease_seconds, queues))

    def _claim(self, conn: Connection, worker_id: str, order: NextClaim) -> list[Task]:
        claim, params = self._claim_statement(conn, worker_id, order, self.clock())
        with driver_cursor(conn) as cursor:
            cursor.execute(claim.sql, params)
            return _claimed(claim, cursor.fetchall())

    def _claim_statement(self, conn: Connection, worker_id: str, order: NextClaim,
                         now: datetime) -> tuple[RawStatement, Any]:
        """The claim's statement and parameters, due delayed tasks promoted first."""
        if self.promotions.due(now):
            self._promote(conn, now)
        return self._claim_of(worker_id, order, now)

    def _claim_of(self, worker_id: str, order: NextClaim,
                  now: datetime) -> tuple[RawStatement, Any]:
        params = {"now": now, "worker": worker_id, "limit": order.limit,
                  "token": order.token or uuid.uuid4().hex,
                  "expires": now + timedelta(seconds=order.lease_seconds)}
        queues = None if order.queues is None else tuple(sorted(set(order.queues)))
        statement = sql.CLAIM if queues is None else sql.claim_in(queues)
        claim = self.raw(statement, task.c)
        return claim, claim.params(params)

    def heartbeat(self, runner_info: RunnerInfo, claims: Sequence[ClaimKey], *,
                  lease_seconds: float) -> int:
        now = self.clock()
        expires = now + timedelta(seconds=lease_seconds)
        worker_id = runner_info.runner_id
        with self._write(self.runner_writer) as conn:
            seen = conn.execute(
                update(runner).where(runner.c.runner_id == worker_id).values(last_seen_at=now)
            ).rowcount
            if not seen:  # forgotten while it was paused: it is alive, so it is listed again
                conn.execute(insert(runner).values(runner_row(runner_info, last_seen_at=now)))
            return sum(
                conn.execute(
                    update(task)
                    .where(*sql.owned(worker_id, token, some))
                    .values(lease_expires_at=expires)
                ).rowcount
                for token, some in _by_token(claims)
            )

    def finish(self, task_: Task, worker_id: str, outcome: Outcome, *,
               retention_seconds: float) -> bool:
        kept, _ = self.finish_many(worker_id, [Finished(task_, outcome)],
                                   retention_seconds=retention_seconds)
        return kept[0]

    def finish_many(self, worker_id: str, finished: Sequence[Finished], *,
                    retention_seconds: float,
                    then_claim: NextClaim | None = None) -> tuple[list[bool], list[Task]]:
        if not finished and then_claim is None:
            return [], []
        if self._postgres:
            return self._finish_then_claim(worker_id, finished, retention_seconds, then_claim)
        now = self.clock()
        fast = None if self._bound is not None or self.promotions.due(now) else (
            self._driver_transaction())
        if fast is not None:  # SQLite, most tasks: no promotion, no SQLAlchemy Connection
            with translate_errors(self.engine.url), fast as cursor:
                kept = self._finish_each(cursor, worker_id, finished,
                                         self._noting_delays(finished, now), retention_seconds)
                return kept, self._claim_with(cursor, worker_id, then_claim, now)
        with self._write(self.runner_writer) as conn:
            kept = self._finish(conn, worker_id, finished, retention_seconds)
            claimed = [] if then_claim is None else self._claim(conn, worker_id, then_claim)
        return kept, claimed

    def _claim_with(self, cursor: Any, worker_id: str, order: NextClaim | None,
                    now: datetime) -> list[Task]:
        if order is None:
            return []
        claim, params = self._claim_of(worker_id, order, now)
        cursor.execute(claim.sql, params)
        return _claimed(claim, cursor.fetchall())

    def _finish_then_claim(self, worker_id: str, finished: Sequence[Finished],
                           retention_seconds: float, then_claim: NextClaim | None,
                           ) -> tuple[list[bool], list[Task]]:
        """PostgreSQL: the outcomes, their log rows and the claim in one statement, its own
        transaction (store/pg_finish.py): one round trip."""
        with self._one_statement() as conn:
            now = self._noting_delays(finished, self.clock())
            params = finish_all_params(worker_id, finished, now=now,
                                       retention_seconds=retention_seconds)
            if then_claim is None:
                with driver_cursor(conn) as cursor:
                    cursor.execute(FINISH_ALL, params)
                    return _kept(finished, {row[0] for row in cursor.fetchall()}), []
            claim, claim_params = self._claim_statement(conn, worker_id, then_claim, now)
            with driver_cursor(conn) as cursor:
                cursor.execute(finish_then_claim(claim.sql), {**params, **claim_params})
                fetched = cursor.fetchall()
        claimed = [row[1:] for row in fetched if row[1] is not None]
        return _kept(finished, set(fetched[0][0] or ())), _claimed(claim, claimed)

    def _finish(self, conn: Connection, worker_id: str, finished: Sequence[Finished],
                retention_seconds: float) -> list[bool]:
        """SQLite: each outcome stored while its claim holds the task, then every attempt
        logged."""
        if not finished:
            return []
        now = self._noting_delays(finished, self.clock())
        with driver_cursor(conn) as cursor:
            return self._finish_each(cursor, worker_id, finished, now, retention_seconds)

    def _noting_delays(self, finished: Sequence[Finished], now: datetime) -> datetime:
        """Now, the outcomes' retries that wait noted (store/promotions.py)."""
        for _, outcome in finished:
            if outcome.retry_at is not None and outcome.retry_at > now:
                self.promotions.delayed(outcome.retry_at)
        return now

    def _finish_each(self, cursor: Any, worker_id: str, finished: Sequence[Finished],
                     now: datetime, retention_seconds: float) -> list[bool]:
        """SQLite: a statement per outcome and one executemany for the log; no round trips
        to save, and each statement is prepared once by the driver."""
        if not finished:
            return []
        by_statement: dict[Any, list[dict[str, Any]]] = {}
        for task_, outcome in finished:
            owner = {"id": task_.task_id, "worker": worker_id, "token": task_.claim_token}
            if outcome.status is Status.COMPLETE and retention_seconds <= 0:
                by_statement.setdefault(sql.FINISH_DELETE, []).append(owner)
            else:
                by_statement.setdefault(sql.FINISH_UPDATE, []).append({
                    **owner, "now": now, "outcome": outcome.status.value,
                    "text": outcome.response, "retry_at": outcome.retry_at,
                    "delayed": outcome.retry_at is not None and outcome.retry_at > now,
                    "done": COMPLETE_PERCENT if outcome.status is Status.COMPLETE else None,
                })
        stored: set[int] = set()
        for statement, rows in by_statement.items():
            raw = self.raw(statement)
            for row in rows:
                cursor.execute(raw.sql, raw.params(row))
                stored.update(found[0] for found in cursor.fetchall())
        kept = _kept(finished, stored)
        log = self.raw(sql.LOG_ATTEMPT)
        cursor.executemany(log.sql, [log.params({
            "task_id": task_.task_id, "code": task_.code, "status": outcome.status.value,
            "comment": outcome.comment if ok else f"{outcome.comment}{LEASE_LOST}",
            "duration": outcome.duration, "attempt": task_.attempts,
            "worker_id": worker_id, "date_added": now,
        }) for (task_, outcome), ok in zip(finished, kept, strict=True)])
        return kept

    def landed(self, worker_id: str, finished: Sequence[Finished],
               then_claim: NextClaim | None) -> tuple[list[bool | None], list[Task]]:
        ids = [task_.task_id for task_, _ in finished]
        token = then_claim.token if then_claim else None
        with self._write(self.runner_writer) as conn:  # the pool the failed write used
            logged = {(row.task_id, row.attempt): not row.comment.endswith(LEASE_LOST)
                      for some in chunks(ids) for row in conn.execute(
                          select(task_log.c.task_id, task_log.c.attempt, task_log.c.comment)
                          .where(*sql.attempts_logged(worker_id, some)))}
            held = [] if token is None else [task_from_row(row._mapping) for row in conn.execute(
                select(*task.c).where(task.c.claim_token == token,
                                      task.c.worker_id == worker_id,
                                      task.c.status == sql.PROCESSING))]
        return [logged.get((t.task_id, t.attempts)) for t, _ in finished], held

    def set_progress(self, worker_id: str, claim: ClaimKey, percent: int,
                     message: str) -> bool:
        owner = {"id": claim.task_id, "worker": worker_id, "token": claim.token}
        with self._write(self.runner_writer) as conn:
            changed = conn.execute(sql.SET_PROGRESS,
                                   {**owner, "percent": percent, "message": message}).rowcount
        return bool(changed == 1)

    def release(self, worker_id: str, claims: Sequence[ClaimKey]) -> int:
        values = {"status": Status.PENDING.value, "worker_id": None, "lease_expires_at": None,
                  "attempts": task.c.attempts - 1, "date_modified": self.clock(),
                  "claim_token": None, "progress": None, "progress_message": None}
        with self._write(self.runner_writer) as conn:
            return sum(
                conn.execute(update(task).where(*sql.owned(worker_id, token, some))
                             .values(values)).rowcount
                for token, some in _by_token(claims)
            )

    def recover(self, *, lease_seconds: float) -> list[LogEntry]:
        now = self.clock()
        expired = (task.c.status == sql.PROCESSING, task.c.lease_expires_at < now)
        with self._write(self.runner_writer) as conn:
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
        now = self.clock()
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

    def _promote(self, conn: Connection, now: datetime) -> None:
        """Make every delayed task that is due claimable (see statements.PROMOTE): all of
        them, so that the claim's order holds among every due task. Usually one probe finds
        none; a claim probes only when self.promotions says so (store/promotions.py)."""
        probe = self.raw(sql.NEXT_DELAYED, [sql.NEXT_DELAYED.selected_columns[0]])
        with driver_cursor(conn) as cursor:
            cursor.execute(probe.sql, probe.params({}))
            earliest = probe.rows(cursor.fetchall())[0][probe.names[0]]
        self.promotions.probed(now, earliest)
        if earliest is None or earliest > now:
            return
        while True:
            due = conn.execute(sql.DUE_DELAYED, {"now": now}).scalars().all()
            if due:
                conn.execute(sql.PROMOTE, {"ids": list(due)})
            if len(due) < sql.PROMOTE_CHUNK:
                return

    def prune(self, *, retention_seconds: float, limit: int = PRUNE_CHUNK) -> int:
        before = self.clock() - timedelta(seconds=retention_seconds)
        doomed = (select(task.c.task_id)
                  .where(task.c.status == Status.COMPLETE.value, task.c.date_modified < before)
                  .limit(limit).with_for_update(skip_locked=True))
        with self._write(self.runner_writer) as conn:
            return conn.execute(delete(task).where(task.c.task_id.in_(doomed))).rowcount



def _kept(finished: Sequence[Finished], stored: set[int]) -> list[bool]:
    """Whether each outcome was stored (its claim still held the task)."""
    return [task_.claim_token is not None and task_.task_id in stored for task_, _ in finished]


def _claimed(claim: RawStatement, fetched: Sequence[Sequence[Any]]) -> list[Task]:
    claimed = [task_from_row(row) for row in claim.rows(fetched)]
    return sorted(claimed, key=lambda t: (-t.priority, t.task_id))


def runner_row(info: RunnerInfo, **changes: Any) -> dict[str, Any]:
    return {"runner_id": info.runner_id, "hostname": info.hostname, "pid": info.pid,
            "started_at": info.started_at, "last_seen_at": info.last_seen_at, **changes}


def _by_token(claims: Sequence[ClaimKey]) -> Iterator[tuple[str, Sequence[int]]]:
    """Claims grouped by token (a batch claim gives all its tasks one), in chunks."""
    groups: dict[str, list[int]] = {}
    for key in dict.fromkeys(claims):
        groups.setdefault(key.token, []).append(key.task_id)
    for token, task_ids in groups.items():
        for some in chunks(task_ids):
            yield token, some
