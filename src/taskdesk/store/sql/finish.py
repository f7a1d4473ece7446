"""The end of an attempt, over SQL: finish, finish_many (the outcomes of a batch and the next
claim in one transaction) and landed, with their statements.

Each outcome is stored only while its claim still holds the task (claims.OWNED: worker,
status processing, claim token), and every attempt is logged — "(lease lost: not stored)"
where the claim no longer held it.

- SQLite: a statement per outcome and one executemany for the log, on the driver's cursor in
  one transaction (sqlite.py driver_transaction); no round trips to save, and each statement
  is prepared once by the driver.
- PostgreSQL: one statement, its own transaction (FINISH_ALL, or finish_then_claim with the
  claim): each outcome travels as one element of parallel arrays (`unnest`), so the batch and
  the next claim cost one round trip and one plan, where BEGIN, a statement per task and per
  log row, the claim and COMMIT took one each.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from taskdesk.models.runners import Finished, NextClaim
from taskdesk.models.tasks import Outcome, Status, Task
from taskdesk.models.workflows import ENDED
from taskdesk.store.protocol import COMPLETE_PERCENT, LEASE_LOST
from taskdesk.store.sql.cascade import SETTLE_PG, Ended, settle_params, settle_sqlite
from taskdesk.store.sql.claims import OWNED, SqlClaimVerbs, claimed_tasks
from taskdesk.store.sql.errors import translate_errors
from taskdesk.store.sql.limits import admit_on
from taskdesk.store.sql.raw import driver_cursor
from taskdesk.store.sql.rows import chunks, task_from_row
from taskdesk.store.sql.schema import HELD_AGAIN, PROCESSING, UtcDateTime, task, task_log

#: Finish an attempt (returning the id only when this claim still held the task).
FINISH_DELETE = delete(task).where(*OWNED).returning(task.c.task_id)
FINISH_UPDATE = (
    update(task)
    .where(*OWNED)
    .values(
        status=bindparam("outcome"),
        response=bindparam("text"),
        worker_id=None,
        lease_expires_at=None,
        run_at=func.coalesce(bindparam("retry_at", type_=UtcDateTime()), task.c.run_at),
        date_modified=bindparam("now", type_=UtcDateTime()),
        claim_token=None,
        delayed=bindparam("delayed"),
        error_class=bindparam("error_class", type_=String()),
        # A limited task whose attempt is retried waits for a slot again (limits.py).
        held=and_(bindparam("outcome") == Status.PENDING.value, HELD_AGAIN),
        # 100 when complete (the runner binds it), else what the attempt reported last.
        progress=func.coalesce(bindparam("done", type_=Integer()), task.c.progress),
    )
    .returning(task.c.task_id)
)
#: One attempt's log row, every column bound by name.
LOG_ATTEMPT = insert(task_log).values(
    {column.name: bindparam(column.name, type_=column.type)
     for column in task_log.c if column.name != "task_log_id"})

# -- PostgreSQL: the outcomes, their log rows (and the claim) in one statement --------------
# The same fencing as FINISH_UPDATE's, written in psycopg's paramstyle.
_FINISH_BODY = f"""
o AS (
    SELECT * FROM unnest(
        %(ids)s::bigint[], %(tokens)s::text[], %(outcomes)s::text[], %(texts)s::text[],
        %(retry_ats)s::timestamp[], %(delayed)s::boolean[], %(done)s::integer[],
        %(removed)s::boolean[], %(codes)s::text[], %(comments)s::text[],
        %(durations)s::double precision[], %(attempts)s::integer[], %(classes)s::text[]
    ) AS o(id, token, outcome, text, retry_at, delayed, done, removed, code, comment,
           duration, attempt, error_class)
),
updated AS (
    UPDATE task SET status = o.outcome, response = o.text, worker_id = NULL,
        lease_expires_at = NULL, run_at = coalesce(o.retry_at, task.run_at),
        date_modified = %(now)s, claim_token = NULL, delayed = o.delayed,
        error_class = o.error_class,
        held = (o.outcome = 'pending' AND task.limit_key IS NOT NULL),
        progress = coalesce(o.done, task.progress)
    FROM o
    WHERE NOT o.removed AND task.task_id = o.id AND task.worker_id = %(worker)s
        AND task.status = 'processing' AND task.claim_token = o.token
    RETURNING task.task_id
),
deleted AS (
    DELETE FROM task USING o
    WHERE o.removed AND task.task_id = o.id AND task.worker_id = %(worker)s
        AND task.status = 'processing' AND task.claim_token = o.token
    RETURNING task.task_id
),
stored AS (SELECT task_id FROM updated UNION ALL SELECT task_id FROM deleted),
logged AS (
    INSERT INTO task_log (task_id, code, status, comment, duration, attempt, worker_id,
                          date_added)
    SELECT o.id, o.code, o.outcome,
        CASE WHEN stored.task_id IS NULL THEN o.comment || '{LEASE_LOST}' ELSE o.comment END,
        o.duration, o.attempt, %(worker)s,
        coalesce(%(logged_at)s, clock_timestamp() AT TIME ZONE 'UTC')
    FROM o LEFT JOIN stored ON stored.task_id = o.id
)"""
#: Without workflow tasks in the batch (the statement planned for each finish stays small).
_FINISH_PLAIN = (f"WITH{_FINISH_BODY},\n"
                 "released AS (SELECT NULL::bigint AS task_id WHERE false)")
#: With some: the cascade (cascade.py) in the same statement.
_FINISH_WORKFLOWS = f"""WITH RECURSIVE{_FINISH_BODY},
ended AS (
    SELECT o.id, o.outcome, o.text FROM o JOIN stored ON stored.task_id = o.id
    WHERE o.outcome IN ('complete', 'failed', 'cancelled')
),{SETTLE_PG}"""
FINISH_ALL = f"{_FINISH_PLAIN}\nSELECT task_id FROM stored"
FINISH_ALL_WORKFLOWS = f"{_FINISH_WORKFLOWS}\nSELECT task_id FROM stored"
#: Whether any task of a batch belongs to a workflow (a workflow_task row is committed with
#: its task, before the task can be claimed, so the answer holds once it is claimed).
ANY_NODES = "SELECT EXISTS (SELECT 1 FROM workflow_task WHERE task_id = ANY(%(ids)s::bigint[]))"
_CLAIM_HEAD = "WITH due AS"  # how SQLAlchemy writes claims.CLAIM and claim_in …
_CLAIM_UPDATE = "\n UPDATE task SET "  # … for PostgreSQL: its CTE, then its UPDATE


@functools.cache  # one per claim statement: the text is the same at each call
def finish_then_claim(claim_sql: str, workflows: bool = False) -> str:
    """FINISH_ALL and then the claim, in one statement whose rows are the claimed tasks'
    columns after the ids stored (an array, in each row), how many workflow tasks it
    released (cascade.py: the claim cannot see them yet) and how many of the claimed tasks
    are workflow tasks (their node rows were committed before the tasks could be claimed, so
    the statement sees them: with none, the claim's finish skips the look); one row of NULL
    columns when nothing was claimed.

    The claim's text is claims.CLAIM (or claim_in) as SQLAlchemy compiled it for psycopg,
    spliced in as two more CTEs — its `due` seek and its UPDATE — so that the claim is
    written once for both dialects; a claim of another shape is refused (ValueError), and a
    contract test runs both. The claim cannot take a task this statement finishes: every
    part of a statement sees the rows as they were when it began (processing, not pending),
    and the two parts change different rows."""
    head, update_ = claim_sql.split(_CLAIM_UPDATE, 1)
    if not head.startswith(_CLAIM_HEAD):
        raise ValueError(f"not a claim that finish_then_claim knows: {claim_sql[:40]!r}")
    parts = _FINISH_WORKFLOWS if workflows else _FINISH_PLAIN
    return (f"{parts},\n{head.removeprefix('WITH ')},\n"
            f"claimed AS (UPDATE task SET {update_})\n"
            "SELECT (SELECT array_agg(task_id) FROM stored), (SELECT count(*) FROM released),"
            " (SELECT count(*) FROM workflow_task AS w JOIN claimed AS c"
            " ON w.task_id = c.task_id), claimed.*\n"
            "FROM (SELECT) AS one LEFT JOIN claimed ON true")


def finish_all_params(worker_id: str, finished: Sequence[Finished], *, now: datetime,
                      retention_seconds: float, server_clock: bool = False) -> dict[str, Any]:
    """FINISH_ALL's arrays; times naive UTC, as the schema stores them. With the server's
    clock (`server_clock`: the store's clock is the database's), the log rows are dated by the
    server as they are written (`logged_at` NULL): a statement that reached the server late
    (a cut link retransmitting it) or waited on a lock is logged when it ran, not when it was
    sent."""
    def naive(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)

    complete = [outcome.status is Status.COMPLETE for _, outcome in finished]
    return {
        "worker": worker_id, "now": naive(now),
        "logged_at": None if server_clock else naive(now),
        "ids": [task.task_id for task, _ in finished],
        "tokens": [task.claim_token for task, _ in finished],
        "outcomes": [outcome.status.value for _, outcome in finished],
        "texts": [outcome.response for _, outcome in finished],
        "retry_ats": [naive(outcome.retry_at) for _, outcome in finished],
        "delayed": [outcome.retry_at is not None and outcome.retry_at > now
                    for _, outcome in finished],
        "done": [COMPLETE_PERCENT if done else None for done in complete],
        "removed": [done and retention_seconds <= 0 for done in complete],
        "codes": [task.code for task, _ in finished],
        "comments": [outcome.comment for _, outcome in finished],
        "durations": [outcome.duration for _, outcome in finished],
        "attempts": [task.attempts for task, _ in finished],
        "classes": [outcome.error_class for _, outcome in finished],
        **settle_params(now),
    }


class SqlFinishVerbs(SqlClaimVerbs):
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
        db = self.db
        if db.postgres:
            return self._finish_then_claim(worker_id, finished, retention_seconds, then_claim)
        now = db.clock()
        freed = _limit_keys(finished)
        fast = None if db.bound is not None or db.promotions.due(now) else (
            db.driver_transaction())
        if fast is not None:  # SQLite, most tasks: no promotion, no SQLAlchemy Connection
            with translate_errors(db.url), fast as cursor:
                now = db.clock()  # the write lock is ours now: the rows are written now
                kept, woke = self._finish_each(cursor, worker_id, finished,
                                               self._noting_delays(finished, now),
                                               retention_seconds)
                db.admissions.freed(freed)  # the claim admits for them in this transaction
                claimed = self._claim_with(cursor, worker_id, then_claim, now)
            self._woke(woke)
            return kept, claimed
        with db.write(db.runner_writer) as conn:
            kept, woke = self._finish(conn, worker_id, finished, retention_seconds)
            db.admissions.freed(freed)  # the claim admits for them in this transaction
            claimed = [] if then_claim is None else self._claim(conn, worker_id, then_claim)
        self._woke(woke)
        return kept, claimed

    def _woke(self, released: bool) -> None:
        """Workflow tasks this finish released are due: tell idle runners (after the
        commit; inside an enclosing block, at once, as adds do)."""
        if released:
            self.db.announce_after()

    def _claim_with(self, cursor: Any, worker_id: str, order: NextClaim | None,
                    now: datetime) -> list[Task]:
        if order is None:
            return []
        if self.db.admissions.due(now):  # SQLite: one writer, no keys' locks to take
            admit_on(self.db, cursor, now, order.limit)
        claim, params = self._claim_of(worker_id, order, now)
        cursor.execute(claim.sql, params)
        return claimed_tasks(claim, cursor.fetchall())

    def _finish_then_claim(self, worker_id: str, finished: Sequence[Finished],
                           retention_seconds: float, then_claim: NextClaim | None,
                           ) -> tuple[list[bool], list[Task]]:
        """PostgreSQL: the outcomes, their log rows and the claim in one statement, its own
        transaction: one round trip. Outcomes of limited tasks are stored first, alone, so
        that the claim's admission sees their slots free."""
        freed = _limit_keys(finished)
        with self.db.one_statement() as conn:
            now = self._noting_delays(finished, self.db.clock())
            params = finish_all_params(worker_id, finished, now=now,
                                       retention_seconds=retention_seconds,
                                       server_clock=self.db.server_clock)
            workflows = self._any_nodes(conn, finished, params["ids"])
            if then_claim is None or freed:
                with driver_cursor(conn) as cursor:
                    cursor.execute(FINISH_ALL_WORKFLOWS if workflows else FINISH_ALL, params)
                    kept = _kept(finished, {row[0] for row in cursor.fetchall()})
                self.db.admissions.freed(freed)
                if then_claim is None:
                    return kept, []
                return kept, self._claim(conn, worker_id, then_claim, alone=True)
            claim, claim_params = self._claim_statement(conn, worker_id, then_claim, now,
                                                        alone=True)
            with driver_cursor(conn) as cursor:
                cursor.execute(finish_then_claim(claim.sql, workflows),
                               {**params, **claim_params})
                fetched = cursor.fetchall()
            claimed = claimed_tasks(claim, [row[3:] for row in fetched if row[3] is not None])
            if claimed and not fetched[0][2]:
                self.db.plain_claims.add(claimed[0].claim_token)
            more = then_claim.limit - len(claimed)
            if fetched[0][1] and more > 0:  # released tasks: a claim that can see them
                claimed += self._claim(conn, worker_id, then_claim._replace(limit=more))
        return _kept(finished, set(fetched[0][0] or ())), claimed

    def _any_nodes(self, conn: Connection, finished: Sequence[Finished],
                   ids: list[int]) -> bool:
        """Whether a task of the batch belongs to a workflow (PostgreSQL): known without a
        look for tasks claimed by finish_then_claim (cascade.PlainClaims)."""
        if self.db.plain_claims.cover(task_.claim_token for task_, _ in finished):
            return False
        with driver_cursor(conn) as cursor:
            cursor.execute(ANY_NODES, {"ids": ids})
            return bool(cursor.fetchone()[0])

    def _finish(self, conn: Connection, worker_id: str, finished: Sequence[Finished],
                retention_seconds: float) -> tuple[list[bool], bool]:
        """SQLite, on a SQLAlchemy transaction (a promotion, or an enclosing block)."""
        if not finished:
            return [], False
        now = self._noting_delays(finished, self.db.clock())
        with driver_cursor(conn) as cursor:
            return self._finish_each(cursor, worker_id, finished, now, retention_seconds)

    def _noting_delays(self, finished: Sequence[Finished], now: datetime) -> datetime:
        """Now, the outcomes' retries that wait noted (promotions.py)."""
        for _, outcome in finished:
            if outcome.retry_at is not None and outcome.retry_at > now:
                self.db.promotions.delayed(outcome.retry_at)
        return now

    def _finish_each(self, cursor: Any, worker_id: str, finished: Sequence[Finished],
                     now: datetime, retention_seconds: float) -> tuple[list[bool], bool]:
        """SQLite: a statement per outcome, then one executemany for the log, then the
        workflows' cascade (cascade.py); also whether it released a task due now."""
        if not finished:
            return [], False
        by_statement: dict[Any, list[dict[str, Any]]] = {}
        for task_, outcome in finished:
            owner = {"id": task_.task_id, "worker": worker_id, "token": task_.claim_token}
            if outcome.status is Status.COMPLETE and retention_seconds <= 0:
                by_statement.setdefault(FINISH_DELETE, []).append(owner)
            else:
                by_statement.setdefault(FINISH_UPDATE, []).append({
                    **owner, "now": now, "outcome": outcome.status.value,
                    "text": outcome.response, "retry_at": outcome.retry_at,
                    "delayed": outcome.retry_at is not None and outcome.retry_at > now,
                    "done": COMPLETE_PERCENT if outcome.status is Status.COMPLETE else None,
                    "error_class": outcome.error_class,
                })
        stored: set[int] = set()
        for statement, rows in by_statement.items():
            raw = self.db.raw(statement)
            for row in rows:
                cursor.execute(raw.sql, raw.params(row))
                stored.update(found[0] for found in cursor.fetchall())
        kept = _kept(finished, stored)
        log = self.db.raw(LOG_ATTEMPT)
        cursor.executemany(log.sql, [log.params({
            "task_id": task_.task_id, "code": task_.code, "status": outcome.status.value,
            "comment": outcome.comment if ok else f"{outcome.comment}{LEASE_LOST}",
            "duration": outcome.duration, "attempt": task_.attempts,
            "worker_id": worker_id, "date_added": now,
        }) for (task_, outcome), ok in zip(finished, kept, strict=True)])
        ended: list[Ended] = [(task_.task_id, outcome.status.value, outcome.response)
                              for (task_, outcome), ok in zip(finished, kept, strict=True)
                              if ok and outcome.status.value in ENDED]
        _, released = settle_sqlite(self.db.raw, cursor, ended, now)
        for run_at in released:
            if run_at > now:
                self.db.promotions.delayed(run_at)
        return kept, any(run_at <= now for run_at in released)

    def landed(self, worker_id: str, finished: Sequence[Finished],
               then_claim: NextClaim | None) -> tuple[list[bool | None], list[Task]]:
        ids = [task_.task_id for task_, _ in finished]
        token = then_claim.token if then_claim else None
        with self.db.write(self.db.runner_writer) as conn:  # the pool the failed write used
            logged = {(row.task_id, row.attempt): not row.comment.endswith(LEASE_LOST)
                      for some in chunks(ids) for row in conn.execute(
                          select(task_log.c.task_id, task_log.c.attempt, task_log.c.comment)
                          .where(*_attempts_logged(worker_id, some)))}
            held = [] if token is None else [task_from_row(row._mapping) for row in conn.execute(
                select(*task.c).where(task.c.claim_token == token,
                                      task.c.worker_id == worker_id,
                                      task.c.status == PROCESSING))]
        return [logged.get((t.task_id, t.attempts)) for t, _ in finished], held


def _limit_keys(finished: Sequence[Finished]) -> set[str]:
    """The keys of the limited tasks among these: their slots are freed."""
    return {task_.limit.key for task_, _ in finished if task_.limit is not None}


def _kept(finished: Sequence[Finished], stored: set[int]) -> list[bool]:
    """Whether each outcome was stored (its claim still held the task)."""
    return [task_.claim_token is not None and task_.task_id in stored for task_, _ in finished]


def _attempts_logged(worker_id: str,
                     task_ids: Sequence[int]) -> tuple[ColumnElement[bool], ...]:
    """The log rows of these tasks' attempts by `worker_id` (a recovery's row has no
    duration: it is not the attempt's own)."""
    return (task_log.c.task_id.in_(task_ids), task_log.c.worker_id == worker_id,
            task_log.c.duration.is_not(None))
