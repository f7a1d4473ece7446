"""Limits by key over SQL: the admission of held tasks, and `holding` (why a task waits).

The design is a semaphore in the task table, so that the claim's statement stays as it was:

- A limited task is added `held`: outside the claim's partial indexes (schema.CLAIMABLE), as a
  delayed task is. Every write that makes a task pending again (a retry, a recovery, a
  release, a status set by hand) holds it again (schema.HELD_AGAIN).
- Before a claim, an admission (when admissions.py says so) lets held tasks in while their
  key has a free slot: a task admitted (not held, pending) or running (processing) holds one
  of its key's slots until it ends, fails, is retried, released, recovered or deleted. With a
  rate, each admission is a start, written to `limit_start` and counted over the last
  period (a sliding window: at most N in any period), pruned as it ages.
- Only an admission ever takes a slot, and on PostgreSQL it first takes its key's lock
  (a transaction-scoped advisory lock, tried: a key another runner is admitting is skipped,
  never waited on), then counts the key's slots in a later statement, whose snapshot sees
  every admission committed before the lock was ours. So two runners never admit one key's
  tasks beyond its limit, a batch claim cannot take more than the free slots (only admitted
  tasks are claimable), and keys never wait for each other. SQLite has one writer.

Why not check the limit in the claim itself: the claim would count each key's running tasks
for every candidate it meets and lock a row per key, in the statement every task of every
application goes through; here an unlimited claim pays nothing, and a limited task pays a
few indexed statements at its admission.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    false,
    func,
    insert,
    select,
    text,
    true,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from taskdesk.models.limits import PERIODS, LimitHold, Rate, parse_rate
from taskdesk.models.tasks import Status
from taskdesk.store.sql.connections import SqlConnections
from taskdesk.store.sql.schema import PROCESSING, limit_start, queue_pause, task

ADMIT_CHUNK = 64  # tasks a key admits at most per admission (the next admits more)
MAX_KEYS = 1_000  # keys looked at per full admission
ADVISORY_NAMESPACE = 0x7A5E  # the first key of the limits' advisory locks (postgres.py: 0x7A5D)
_PENDING = Status.PENDING.value

#: A key's slots: its tasks admitted or running.
_IN_SLOT = (task.c.held == false(), task.c.status.in_([_PENDING, PROCESSING]))


def _keys_sql(postgres: bool) -> str:
    """Every key that has held tasks, one index probe each (a loose scan of ix_task_held)."""
    true = "true" if postgres else "1"
    return (
        "WITH RECURSIVE k(key) AS ("
        f" SELECT min(limit_key) FROM task WHERE held = {true}"
        " UNION ALL"
        f" SELECT (SELECT min(t.limit_key) FROM task t WHERE t.held = {true}"
        " AND t.limit_key > k.key) FROM k WHERE k.key IS NOT NULL"
        f") SELECT key FROM k WHERE key IS NOT NULL LIMIT {MAX_KEYS}")


_LOCK_KEYS = text(
    "SELECT key FROM unnest(CAST(:keys AS text[])) AS key "
    "WHERE pg_try_advisory_xact_lock(:namespace, hashtext(key))")


def _waiting(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Held tasks that an admission may let in: due, of a queue that is not paused."""
    return (task.c.held == true(), task.c.status == _PENDING, task.c.run_at <= now,
            task.c.queue.not_in(select(queue_pause.c.queue)))


def admit(db: SqlConnections, conn: Connection, now: datetime) -> int:
    """Let held tasks in while their keys have free slots (see the module doc); the number
    admitted. Idle runners are told when some were."""
    full, keys = db.admissions.take(now)
    if full:
        keys |= set(conn.execute(text(_keys_sql(db.postgres))).scalars())
    if not keys:
        return 0
    ordered = sorted(keys)
    if db.postgres:
        ordered = list(conn.execute(_LOCK_KEYS, {"keys": ordered,
                                                 "namespace": ADVISORY_NAMESPACE}).scalars())
    admitted: list[int] = []
    starts: list[dict[str, Any]] = []
    running = _running(conn, ordered)
    for key in ordered:
        ids = _admit_key(conn, key, running.get(key, 0), now)
        admitted.extend(ids)
        starts.extend({"limit_key": key, "started_at": now} for _ in ids)
    if admitted:
        conn.execute(update(task).where(task.c.task_id.in_(admitted)).values(held=False))
        if starts:
            conn.execute(insert(limit_start), starts)
        _announce(db, conn)
    return len(admitted)


def _running(conn: Connection, keys: Sequence[str]) -> dict[str, int]:
    counted = (select(task.c.limit_key, func.count()).where(task.c.limit_key.in_(keys),
                                                          *_IN_SLOT)
               .group_by(task.c.limit_key))
    return {key: int(count) for key, count in conn.execute(counted).all()}


def _admit_key(conn: Connection, key: str, running: int, now: datetime) -> list[int]:
    """The ids of the key's next held tasks that fit its free slots, its starts counted."""
    found = conn.execute(
        select(task.c.task_id, task.c.concurrency_limit, task.c.rate_limit)
        .where(task.c.limit_key == key, *_waiting(now))
        .order_by(task.c.priority.desc(), task.c.task_id).limit(ADMIT_CHUNK)).all()
    if not found:
        return []
    concurrency, rate_text = found[0][1], found[0][2]  # the first in line's limits rule
    free = ADMIT_CHUNK if concurrency is None else concurrency - running
    if rate_text is not None and free > 0:
        rate = parse_rate(rate_text)
        free = min(free, rate.count - len(_starts(conn, key, rate, now, prune=True)))
    return [row[0] for row in found[:max(free, 0)]]


def _starts(conn: Connection, key: str, rate: Rate, now: datetime, *,
            prune: bool) -> list[datetime]:
    """The key's starts in the rate's window, oldest first; older ones deleted (`prune`)."""
    since = now - timedelta(seconds=rate.seconds)
    if prune:
        conn.execute(delete(limit_start).where(limit_start.c.limit_key == key,
                                               limit_start.c.started_at <= since))
    return list(conn.execute(
        select(limit_start.c.started_at).where(limit_start.c.limit_key == key,
                                               limit_start.c.started_at > since)
        .order_by(limit_start.c.started_at)).scalars())


def _announce(db: SqlConnections, conn: Connection) -> None:
    """Idle runners look again: at the commit (PostgreSQL), or now (SQLite, whose woken
    claim waits for this transaction's write lock)."""
    if db.postgres:
        db.announce_in(conn)
    else:
        db.announce_after()


def prune_starts(conn: Connection, now: datetime) -> int:
    """Starts older than the longest period, of keys no admission has pruned since."""
    before = now - timedelta(seconds=max(PERIODS.values()))
    return conn.execute(delete(limit_start).where(limit_start.c.started_at < before)).rowcount


_HOLD_ROW = select(task.c.limit_key, task.c.concurrency_limit, task.c.rate_limit,
                   task.c.held, task.c.status).where(task.c.task_id == bindparam("id"))


class SqlLimitStore:
    """store.limits over SQL (store/limits.py)."""

    def __init__(self, db: SqlConnections) -> None:
        self.db = db

    def holding(self, task_id: int) -> LimitHold | None:
        now = self.db.clock()
        with self.db.read() as conn:
            row = conn.execute(_HOLD_ROW, {"id": task_id}).first()
            if row is None or not row.held or row.status != _PENDING:
                return None
            rate = None if row.rate_limit is None else parse_rate(row.rate_limit)
            starts = [] if rate is None else _starts(conn, row.limit_key, rate, now,
                                                    prune=False)
            running = _running(conn, [row.limit_key]).get(row.limit_key, 0)
        full = rate is not None and len(starts) >= rate.count
        concurrency = row.concurrency_limit
        if not full and (concurrency is None or running < concurrency):
            return None  # a free slot: the next admission lets it in
        next_slot = None
        if full and rate is not None:
            next_slot = starts[len(starts) - rate.count] + timedelta(seconds=rate.seconds)
        return LimitHold(key=row.limit_key, running=running,
                         concurrency_limit=concurrency, rate_limit=row.rate_limit,
                         started=len(starts), next_slot_at=next_slot)
