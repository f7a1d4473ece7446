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

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    TextClause,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    true,
    update,
)

from taskdesk.models.limits import PERIODS, LimitHold, Rate, parse_rate
from taskdesk.models.tasks import Status
from taskdesk.store.sql.connections import SqlConnections
from taskdesk.store.sql.raw import driver_cursor
from taskdesk.store.sql.schema import (
    IN_SLOT,
    UtcDateTime,
    limit_start,
    queue_pause,
    task,
)

ADMIT_CHUNK = 64  # tasks a key admits at most per admission (the next admits more)
MAX_KEYS = 1_000  # keys looked at per full admission
ADVISORY_NAMESPACE = 0x7A5E  # the first key of the limits' advisory locks (postgres.py: 0x7A5D)
_PENDING = Status.PENDING.value
_NOW = bindparam("now", type_=UtcDateTime())
_KEY = bindparam("key", type_=String())

#: A key's slots: its tasks admitted or running.
_IN_SLOT = (IN_SLOT,)


def _keys_sql(postgres: bool) -> TextClause:
    """Every key with due held tasks, one index probe each (a loose scan of ix_task_held)."""
    true_, hint = ("true", "") if postgres else ("1", " INDEXED BY ix_task_held")
    due = f"held = {true_} AND run_at <= :now"
    return text(
        "WITH RECURSIVE k(key) AS ("
        f" SELECT min(limit_key) FROM task{hint} WHERE {due}"
        " UNION ALL"
        f" SELECT (SELECT min(limit_key) FROM task{hint} WHERE {due} AND limit_key > k.key)"
        f" FROM k WHERE k.key IS NOT NULL) SELECT key FROM k WHERE key IS NOT NULL"
        f" LIMIT {MAX_KEYS}").bindparams(_NOW)


_HELD_KEYS = {postgres: _keys_sql(postgres) for postgres in (False, True)}
_LOCK_KEYS = text(
    "SELECT key FROM unnest(CAST(:keys AS text[])) AS key "
    "WHERE pg_try_advisory_xact_lock(:namespace, hashtext(key))")

#: The key's slots taken (its tasks admitted or running), and the limit they were added with.
_SLOTS = select(task.c.limit_key, func.count(), func.min(task.c.concurrency_limit)).where(
    task.c.limit_key.in_(bindparam("keys", expanding=True)), *_IN_SLOT,
).group_by(task.c.limit_key)
_TAKEN = (select(func.count()).where(task.c.limit_key == _KEY, *_IN_SLOT)
          .scalar_subquery().label("taken"))
#: The key's next held tasks that an admission may let in (due, of a queue that is not
#: paused, in the claim's order), with their limits and the key's slots taken: one statement.
_NEXT_HELD = (
    select(task.c.task_id, task.c.concurrency_limit, task.c.rate_limit, _TAKEN)
    .where(task.c.limit_key == _KEY, task.c.held == true(), task.c.status == _PENDING,
           task.c.run_at <= _NOW, task.c.queue.not_in(select(queue_pause.c.queue)))
    .order_by(task.c.priority.desc(), task.c.task_id).limit(bindparam("chunk"))
)
_ADMIT = update(task).where(task.c.task_id == bindparam("id")).values(held=False)
_SINCE = bindparam("since", type_=UtcDateTime())
_FORGET_STARTS = delete(limit_start).where(limit_start.c.limit_key == _KEY,
                                           limit_start.c.started_at <= _SINCE)
_STARTS = (select(limit_start.c.started_at)
           .where(limit_start.c.limit_key == _KEY, limit_start.c.started_at > _SINCE)
           .order_by(limit_start.c.started_at))
_START = insert(limit_start).values(limit_key=_KEY, started_at=_NOW)


def admit(db: SqlConnections, conn: Connection, now: datetime, wanted: int = 0) -> int:
    """admit_on, on a SQLAlchemy connection's transaction."""
    with driver_cursor(conn) as cursor:
        return admit_on(db, cursor, now, wanted, conn)


def admit_on(db: SqlConnections, cursor: Any, now: datetime, wanted: int = 0,
             conn: Connection | None = None) -> int:
    """Let held tasks in while their keys have free slots (see the module doc), on the
    driver's cursor inside the claim's transaction (PostgreSQL: its `conn` too, for the
    keys' locks); the number admitted. Idle runners are told when more were let in than
    this claim `wanted`."""
    full, freed = db.admissions.take(now)
    keys = set(freed)
    if full:
        held = db.raw(_HELD_KEYS[db.postgres])
        cursor.execute(held.sql, held.params({"now": now}))
        keys |= {row[0] for row in cursor.fetchall()}
    if not keys:
        return 0
    ordered = sorted(keys)
    if conn is not None and db.postgres:
        ordered = list(conn.execute(_LOCK_KEYS, {"keys": ordered,
                                                 "namespace": ADVISORY_NAMESPACE}).scalars())
        if len(ordered) > 1:  # a full admission: one round trip for the keys that are full
            ordered = _not_full(conn, ordered)
    admitted: list[int] = []
    rated: list[str] = []  # a start per task let in of a key with a rate
    for key in ordered:
        ids, has_rate = _admit_key(db, cursor, key, now)
        admitted.extend(ids)
        rated.extend(key for _ in ids if has_rate)
    if admitted:
        _let_in(db, cursor, admitted, rated, now)
    if len(admitted) > wanted:
        _announce(db, conn)
    return len(admitted)


def _not_full(conn: Connection, keys: list[str]) -> list[str]:
    """The keys whose tasks in slots are fewer than the limit they were added with."""
    full = {key for key, taken, limit in conn.execute(_SLOTS, {"keys": keys}).all()
            if limit is not None and taken >= limit}
    return [key for key in keys if key not in full]


def _admit_key(db: SqlConnections, cursor: Any, key: str,
               now: datetime) -> tuple[list[int], bool]:
    """The ids of the key's next held tasks that fit its free slots and its rate (the first
    in line, whose limits rule, then as many more as there are free slots), and whether
    the key has a rate."""
    first = _next_held(db, cursor, key, now, 1)
    if not first:
        return [], False
    concurrency, rate_text = first[0]["concurrency_limit"], first[0]["rate_limit"]
    free = ADMIT_CHUNK if concurrency is None else concurrency - first[0]["taken"]
    if rate_text is not None and free > 0:
        rate = parse_rate(rate_text)
        free = min(free, rate.count - len(starts_of(db, cursor, key, rate, now, prune=True)))
    found = first if free <= 1 else _next_held(db, cursor, key, now, min(free, ADMIT_CHUNK))
    return [row["task_id"] for row in found[:max(free, 0)]], rate_text is not None


def _next_held(db: SqlConnections, cursor: Any, key: str, now: datetime,
               chunk: int) -> list[dict[str, Any]]:
    statement = db.raw(_NEXT_HELD, _NEXT_HELD.selected_columns)
    cursor.execute(statement.sql, statement.params({"key": key, "now": now, "chunk": chunk}))
    return statement.rows(cursor.fetchall())


def _let_in(db: SqlConnections, cursor: Any, admitted: list[int], rated: list[str],
            now: datetime) -> None:
    """Admit these tasks, and count a start for each key in `rated` (one per task)."""
    let_in, start = db.raw(_ADMIT), db.raw(_START)
    cursor.executemany(let_in.sql, [let_in.params({"id": task_id}) for task_id in admitted])
    if rated:
        cursor.executemany(start.sql, [start.params({"key": key, "now": now})
                                       for key in rated])


def starts_of(db: SqlConnections, cursor: Any, key: str, rate: Rate, now: datetime, *,
              prune: bool) -> list[datetime]:
    """The key's starts in the rate's window, oldest first; older ones deleted (`prune`)."""
    since = now - timedelta(seconds=rate.seconds)
    if prune:
        forget = db.raw(_FORGET_STARTS)
        cursor.execute(forget.sql, forget.params({"key": key, "since": since}))
    starts = db.raw(_STARTS, _STARTS.selected_columns)
    cursor.execute(starts.sql, starts.params({"key": key, "since": since}))
    return [row["started_at"] for row in starts.rows(cursor.fetchall())]


def _announce(db: SqlConnections, conn: Connection | None) -> None:
    """Idle runners look again: at the commit (PostgreSQL), or now (SQLite, whose woken
    claim waits for this transaction's write lock)."""
    if conn is not None and db.postgres:
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
            with driver_cursor(conn) as cursor:
                starts = [] if rate is None else starts_of(self.db, cursor, row.limit_key,
                                                           rate, now, prune=False)
            running = conn.execute(select(func.count()).where(
                task.c.limit_key == row.limit_key, *_IN_SLOT)).scalar_one()
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
