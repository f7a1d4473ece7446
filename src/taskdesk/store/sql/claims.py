"""The claim and the lease, over SQL: claim, heartbeat, progress, release and prune, with
their statements, on the runner's writer (SqlConnections.runner_writer); the recovery of
expired leases is in recovery.py.

The claim is one `UPDATE … RETURNING` over a CTE of due tasks for both dialects: it records
the owner, the lease, the attempt and a new claim token. The one dialect difference is
confined to the seek: PostgreSQL skips rows other runners are claiming (SKIP LOCKED; SQLite
has one writer), and SQLite is told which index to use (INDEXED BY). The statements are built
once here with bind parameters and run raw on the driver's cursor (raw.py).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    String,
    Text,
    Update,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect

from taskdesk.models.runners import ClaimKey, NextClaim, RunnerInfo
from taskdesk.models.tasks import Status, Task
from taskdesk.store.protocol import PRUNE_CHUNK
from taskdesk.store.sql.connections import SqlVerbs
from taskdesk.store.sql.hosts import upsert_host
from taskdesk.store.sql.limits import admit, admit_on, prune_starts
from taskdesk.store.sql.raw import RawStatement, driver_cursor
from taskdesk.store.sql.rows import chunks, runner_row, task_from_row
from taskdesk.store.sql.schema import (
    CLAIMABLE,
    HELD_AGAIN,
    PROCESSING,
    UtcDateTime,
    queue_pause,
    runner,
    task,
)

_NOW = bindparam("now", type_=UtcDateTime())
_WORKER = bindparam("worker", type_=String())

#: Before each claim, delayed tasks whose run_at has come join the claimable ones. NEXT_DELAYED
#: reads the earliest run_at from the index (delayed, run_at): one index probe, whatever the
#: planner's statistics, and the claim usually stops there. When some are due, DUE_DELAYED
#: takes them a chunk at a time and PROMOTE updates them by id. Rows another runner is
#: promoting are skipped (PostgreSQL). When a claim probes: promotions.py.
PROMOTE_CHUNK = 1_000
NEXT_DELAYED = select(func.min(task.c.run_at)).where(task.c.delayed == true())
DUE_DELAYED = (
    select(task.c.task_id)
    .where(task.c.delayed == true(), task.c.run_at <= _NOW)
    .order_by(task.c.delayed, task.c.run_at)
    .limit(PROMOTE_CHUNK)
    .with_for_update(skip_locked=True)
)
PROMOTE = (
    update(task)
    .where(task.c.task_id.in_(bindparam("ids", expanding=True)))
    .values(delayed=False)
)


def _seek(index: str) -> str:
    """SQLite, without statistics, would rather read every pending task through
    ix_task_status_task_id and sort them: each claim's seek names its index (INDEXED BY, an
    error if SQLite cannot use it, never a silent full read). Other dialects ignore the hint."""
    return f"INDEXED BY {index}"


#: A claim's tasks are of queues that are not paused. Over every queue: NOT IN, which
#: PostgreSQL cannot turn into a join (NULLs) and so never plans around a queue_pause whose
#: size it guesses (never analysed, it guesses hundreds of rows, and an anti-join would then
#: sort every pending task): it reads the table once per claim into a hash, as SQLite reads
#: it into an index, and probes it for each task the seek meets. A paused queue's tasks that
#: come first in the claim's order are stepped over one by one.
_UNPAUSED = task.c.queue.not_in(select(queue_pause.c.queue))


def _unless_paused(queue: str) -> ScalarSelect[str]:
    """One queue's name, or NULL while it is paused: its seek's `queue = (this)` is a
    condition on no row of `task`, worked out once before the seek, so that a paused
    queue's seek finds nothing at once (its tasks are not read, one by one)."""
    return (select(literal(queue, String())).where(~exists().where(queue_pause.c.queue == queue))
            .scalar_subquery())


# Due pending tasks, highest priority first, then oldest; rows other runners are claiming
# are skipped (PostgreSQL), or the claim waits for SQLite's single writer. The partial index
# ix_task_claim holds only claimable tasks (CLAIMABLE, written as the index says it), in the
# claim's order; run_at is checked as well, so a task is never taken early whatever
# `delayed` says.
_DUE = (
    select(task.c.task_id)
    .with_hint(task, _seek("ix_task_claim"), dialect_name="sqlite")
    .where(CLAIMABLE, task.c.run_at <= _NOW, _UNPAUSED)
    .order_by(task.c.priority.desc(), task.c.task_id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
    .cte("due")
)

#: What a claim writes into each task it takes.
_CLAIMED: dict[str, Any] = {
    "status": PROCESSING,
    "worker_id": _WORKER,
    "lease_expires_at": bindparam("expires", type_=UtcDateTime()),
    "attempts": task.c.attempts + 1,
    "date_modified": _NOW,
    "claim_token": bindparam("token", type_=String()),
    "progress": None,  # a new attempt starts with no progress
    "progress_message": None,
}
#: Take due tasks: one statement that also records the owner, the lease and the attempt.
CLAIM = (
    update(task)
    .where(task.c.task_id == _DUE.c.task_id)
    .values(**_CLAIMED)
    .returning(*task.c)
)


def _due_in(queue: str) -> Select[tuple[int, int]]:
    """The claim's seek in one queue (index ix_task_queue_claim): its first `limit` due
    tasks unless it is paused, rows other runners are claiming skipped (PostgreSQL)."""
    return (
        select(task.c.task_id, task.c.priority)
        .with_hint(task, _seek("ix_task_queue_claim"), dialect_name="sqlite")
        .where(task.c.queue == _unless_paused(queue), CLAIMABLE, task.c.run_at <= _NOW)
        .order_by(task.c.priority.desc(), task.c.task_id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )


@functools.cache  # a worker asks for the same queues each time: one statement, compiled once
def claim_in(queues: tuple[str, ...]) -> Update:
    """CLAIM restricted to these queues: one seek per queue, each taking at most `limit`
    tasks, then the best `limit` of them over all (priority, then id). A queue's seek may
    lock rows that another queue's better tasks leave unclaimed: they are free again at
    commit, and meanwhile another runner's claim skips them."""
    seeks = [_due_in(queue).subquery(f"q{n}") for n, queue in enumerate(queues)]
    found = union_all(*(select(seek.c.task_id, seek.c.priority) for seek in seeks)).subquery()
    due = (select(found.c.task_id).order_by(found.c.priority.desc(), found.c.task_id)
           .limit(bindparam("limit")).cte("due"))
    return (update(task).where(task.c.task_id == due.c.task_id).values(**_CLAIMED)
            .returning(*task.c))


#: The task, only while the runner `worker` still holds this claim of it (the fencing of
#: finish.py's statements and of SET_PROGRESS).
OWNED = (
    task.c.task_id == bindparam("id"),
    task.c.worker_id == _WORKER,
    task.c.status == PROCESSING,
    task.c.claim_token == bindparam("token", type_=String()),
)
#: What a running attempt reports: one UPDATE, only while its claim holds the task.
SET_PROGRESS = (
    update(task)
    .where(*OWNED)
    .values(progress=bindparam("percent", type_=Integer()),
            progress_message=bindparam("message", type_=Text()))
)


def owned(worker_id: str, token: str,
          task_ids: Sequence[int]) -> tuple[ColumnElement[bool], ...]:
    """These tasks, only while `worker_id` holds them by the claim with this token."""
    return (
        task.c.task_id.in_(task_ids),
        task.c.worker_id == worker_id,
        task.c.status == PROCESSING,
        task.c.claim_token == token,
    )


class SqlClaimVerbs(SqlVerbs):
    def claim(self, worker_id: str, *, lease_seconds: float, limit: int = 1,
              queues: Sequence[str] | None = None) -> list[Task]:
        with self.db.write(self.db.runner_writer) as conn:
            return self._claim(conn, worker_id, NextClaim(limit, lease_seconds, queues))

    def _claim(self, conn: Connection, worker_id: str, order: NextClaim, *,
               alone: bool = False) -> list[Task]:
        claim, params = self._claim_statement(conn, worker_id, order, self.db.clock(),
                                              alone=alone)
        with driver_cursor(conn) as cursor:
            cursor.execute(claim.sql, params)
            return claimed_tasks(claim, cursor.fetchall())

    def _claim_statement(self, conn: Connection, worker_id: str, order: NextClaim,
                         now: datetime, *, alone: bool = False) -> tuple[RawStatement, Any]:
        """The claim's statement and parameters, due delayed tasks promoted and held tasks
        admitted first. `alone`: `conn` commits each statement (PostgreSQL's one-statement
        finish), so the admission takes a transaction of its own (its lock, then its count)."""
        if self.db.promotions.due(now):
            self._promote(conn, now)
        if self.db.admissions.due(now):
            if alone and self.db.postgres and self.db.bound is None:
                self._admit_alone(conn, now, order.limit)
            else:
                admit(self.db, conn, now, order.limit)
        return self._claim_of(worker_id, order, now)

    def _admit_alone(self, conn: Connection, now: datetime, wanted: int) -> None:
        """The admission in a transaction of its own on `conn`, whose statements otherwise
        commit alone (PostgreSQL's one-statement finish): its keys' locks last until its
        COMMIT. On the same connection, so that a runner thread never holds two."""
        with driver_cursor(conn) as cursor:
            cursor.execute("BEGIN")
            try:
                admit_on(self.db, cursor, now, wanted, conn)
            except BaseException:
                with suppress(Exception):  # a connection gone: its transaction went with it
                    cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def _claim_of(self, worker_id: str, order: NextClaim,
                  now: datetime) -> tuple[RawStatement, Any]:
        params = {"now": now, "worker": worker_id, "limit": order.limit,
                  "token": order.token or uuid.uuid4().hex,
                  "expires": now + timedelta(seconds=order.lease_seconds)}
        queues = None if order.queues is None else tuple(sorted(set(order.queues)))
        statement = CLAIM if queues is None else claim_in(queues)
        claim = self.db.raw(statement, task.c)
        return claim, claim.params(params)

    def _promote(self, conn: Connection, now: datetime) -> None:
        """Make every delayed task that is due claimable: all of them, so that the claim's
        order holds among every due task. Usually one probe finds none; a claim probes only
        when db.promotions says so (promotions.py)."""
        probe = self.db.raw(NEXT_DELAYED, [NEXT_DELAYED.selected_columns[0]])
        with driver_cursor(conn) as cursor:
            cursor.execute(probe.sql, probe.params({}))
            earliest = probe.rows(cursor.fetchall())[0][probe.names[0]]
        self.db.promotions.probed(now, earliest)
        if earliest is None or earliest > now:
            return
        while True:
            due = conn.execute(DUE_DELAYED, {"now": now}).scalars().all()
            if due:
                conn.execute(PROMOTE, {"ids": list(due)})
            if len(due) < PROMOTE_CHUNK:
                return

    def heartbeat(self, runner_info: RunnerInfo, claims: Sequence[ClaimKey], *,
                  lease_seconds: float) -> int:
        now = self.db.clock()
        expires = now + timedelta(seconds=lease_seconds)
        worker_id = runner_info.runner_id
        with self.db.write(self.db.runner_writer) as conn:
            seen = conn.execute(
                update(runner).where(runner.c.runner_id == worker_id).values(last_seen_at=now)
            ).rowcount
            if not seen:  # forgotten while it was paused: it is alive, so it is listed again
                upsert_host(conn, runner_info.hostname, now)
                conn.execute(insert(runner).values(runner_row(runner_info, last_seen_at=now)))
            return sum(
                conn.execute(
                    update(task)
                    .where(*owned(worker_id, token, some))
                    .values(lease_expires_at=expires)
                ).rowcount
                for token, some in _by_token(claims)
            )

    def set_progress(self, worker_id: str, claim: ClaimKey, percent: int,
                     message: str) -> bool:
        owner = {"id": claim.task_id, "worker": worker_id, "token": claim.token}
        with self.db.write(self.db.runner_writer) as conn:
            changed = conn.execute(SET_PROGRESS,
                                   {**owner, "percent": percent, "message": message}).rowcount
        return bool(changed == 1)

    def release(self, worker_id: str, claims: Sequence[ClaimKey]) -> int:
        values = {"status": Status.PENDING.value, "worker_id": None, "lease_expires_at": None,
                  "attempts": task.c.attempts - 1, "date_modified": self.db.clock(),
                  "claim_token": None, "progress": None, "progress_message": None,
                  "held": HELD_AGAIN}  # a limited task waits for a slot again
        with self.db.write(self.db.runner_writer) as conn:
            released = sum(
                conn.execute(update(task).where(*owned(worker_id, token, some))
                             .values(values)).rowcount
                for token, some in _by_token(claims)
            )
        self.db.admissions.forget()  # slots freed, tasks held again
        return released

    def prune(self, *, retention_seconds: float, limit: int = PRUNE_CHUNK) -> int:
        before = self.db.clock() - timedelta(seconds=retention_seconds)
        doomed = (select(task.c.task_id)
                  .where(task.c.status == Status.COMPLETE.value, task.c.date_modified < before)
                  .limit(limit).with_for_update(skip_locked=True))
        with self.db.write(self.db.runner_writer) as conn:
            prune_starts(conn, self.db.clock())
            return conn.execute(delete(task).where(task.c.task_id.in_(doomed))).rowcount


def claimed_tasks(claim: RawStatement, fetched: Sequence[Sequence[Any]]) -> list[Task]:
    """The claimed rows as Tasks, in the claim's order (priority, then id)."""
    claimed = [task_from_row(row) for row in claim.rows(fetched)]
    return sorted(claimed, key=lambda t: (-t.priority, t.task_id))


def _by_token(claims: Sequence[ClaimKey]) -> Iterator[tuple[str, Sequence[int]]]:
    """Claims grouped by token (a batch claim gives all its tasks one), in chunks."""
    groups: dict[str, list[int]] = {}
    for key in dict.fromkeys(claims):
        groups.setdefault(key.token, []).append(key.task_id)
    for token, task_ids in groups.items():
        for some in chunks(task_ids):
            yield token, some
