"""What the end of a workflow's task does to its children, over SQL, inside the transaction
that ended it (finish.py, recovery.py, and cancel_dependents for the cancel verb). The rules
are store/workflows.py's:

- PostgreSQL: SETTLE_PG, CTEs spliced into finish.py's one statement after a CTE
  `ended(id, outcome, text)`: every part runs in that statement. Concurrent parents of one
  child serialise on the child's workflow_task row (`lowered`: UPDATE … RETURNING re-reads the
  row a concurrent statement committed, at READ COMMITTED), so exactly one of them sees 0 and
  releases it. The waiting descendants of a failed parent are found by one recursive CTE.
- SQLite (one writer at a time): the same steps as statements on the driver's cursor, one
  parent at a time (settle_sqlite).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    String,
    Text,
    bindparam,
    delete,
    literal_column,
    select,
    update,
)

from taskdesk.models.workflows import CANCELLED_BY_PARENT, WAITING_FOR_PARENTS
from taskdesk.store.notify import CHANNEL
from taskdesk.store.sql.raw import RawStatements, driver_cursor
from taskdesk.store.sql.schema import UtcDateTime, task, task_dependency, workflow_task

if TYPE_CHECKING:
    from taskdesk.store.sql.connections import SqlConnections

#: (task id, outcome: complete, failed or cancelled, response) of a task that ended for good.
Ended = tuple[int, str, str | None]

SETTLE_PG = f"""
noted AS (
    UPDATE workflow_task AS w SET outcome = ended.outcome, response = ended.text,
        date_ended = %(now)s
    FROM ended WHERE w.task_id = ended.id
    RETURNING w.task_id, w.outcome
),
doomed (id) AS (
    SELECT d.child_id FROM noted
        JOIN task_dependency AS d ON d.parent_id = noted.task_id AND d.parent_outcome IS NULL
        JOIN workflow_task AS c ON c.task_id = d.child_id
        JOIN task AS t ON t.task_id = d.child_id AND t.status IN ('pending', 'paused')
    WHERE noted.outcome <> 'complete' AND NOT c.run_on_failure AND c.outcome IS NULL
    UNION
    SELECT d.child_id FROM doomed
        JOIN task_dependency AS d ON d.parent_id = doomed.id AND d.parent_outcome IS NULL
        JOIN workflow_task AS c ON c.task_id = d.child_id
        JOIN task AS t ON t.task_id = d.child_id AND t.status IN ('pending', 'paused')
    WHERE NOT c.run_on_failure AND c.outcome IS NULL
),
cancelled AS (
    UPDATE task SET status = 'cancelled', response = %(cancelled_text)s, run_at = %(now)s,
        delayed = false, date_modified = %(now)s
    FROM doomed WHERE task.task_id = doomed.id AND task.status IN ('pending', 'paused')
    RETURNING task.task_id
),
doomed_noted AS (
    UPDATE workflow_task AS w SET outcome = 'cancelled', response = %(cancelled_text)s,
        date_ended = %(now)s
    FROM doomed WHERE w.task_id = doomed.id
    RETURNING w.task_id
),
settled AS (
    UPDATE task_dependency AS d SET parent_outcome = p.outcome
    FROM (SELECT task_id AS id, outcome FROM noted
          UNION ALL SELECT id, 'cancelled' FROM doomed) AS p
    WHERE d.parent_id = p.id AND d.parent_outcome IS NULL
    RETURNING d.child_id, d.parent_outcome
),
counted AS (
    SELECT s.child_id, count(*) AS n FROM settled AS s
        JOIN workflow_task AS c ON c.task_id = s.child_id
    WHERE (s.parent_outcome = 'complete' OR c.run_on_failure) AND c.outcome IS NULL
        AND s.child_id NOT IN (SELECT id FROM doomed)
    GROUP BY s.child_id
),
lowered AS (
    UPDATE workflow_task AS w SET parents_left = w.parents_left - counted.n
    FROM counted WHERE w.task_id = counted.child_id
    RETURNING w.task_id, w.parents_left, w.run_at
),
released AS (
    UPDATE task SET delayed = coalesce(l.run_at > %(now)s, false),
        run_at = greatest(coalesce(l.run_at, %(now)s), %(now)s), date_modified = %(now)s
    FROM lowered AS l
    WHERE l.parents_left = 0 AND task.task_id = l.task_id AND task.status = 'pending'
        AND task.run_at >= %(sentinel)s
    RETURNING task.task_id, pg_notify('{CHANNEL}', '')
)"""

#: The cascade alone on PostgreSQL, from tasks that ended with one outcome (a recovery that
#: failed them, the cancel verb): its rows are the tasks it cancelled.
SETTLE_ALONE_PG = f"""WITH RECURSIVE ended AS (
    SELECT id, %(outcome)s::text AS outcome, %(text)s::text AS text
    FROM unnest(%(ids)s::bigint[]) AS e(id)
),{SETTLE_PG}
SELECT task_id FROM cancelled"""


def settle_params(now: datetime) -> dict[str, Any]:
    """SETTLE_PG's parameters besides `now` (naive UTC, as finish.py binds it)."""
    return {"sentinel": WAITING_FOR_PARENTS.replace(tzinfo=None),
            "cancelled_text": CANCELLED_BY_PARENT}


# -- SQLite: one statement at a time ----------------------------------------------------------
_NOW = bindparam("now", type_=UtcDateTime())
NOTE = (update(workflow_task).where(workflow_task.c.task_id == bindparam("id"))
        .values(outcome=bindparam("outcome", type_=String()),
                response=bindparam("text", type_=Text()), date_ended=_NOW)
        .returning(workflow_task.c.task_id))
EDGES = (update(task_dependency)
         .where(task_dependency.c.parent_id == bindparam("id"),
                task_dependency.c.parent_outcome.is_(None))
         .values(parent_outcome=bindparam("outcome", type_=String()))
         .returning(task_dependency.c.child_id))
NODE = select(workflow_task.c.run_on_failure, workflow_task.c.outcome).where(
    workflow_task.c.task_id == bindparam("id"))
LOWER = (update(workflow_task).where(workflow_task.c.task_id == bindparam("id"))
         .values(parents_left=workflow_task.c.parents_left - 1)
         .returning(workflow_task.c.parents_left, workflow_task.c.run_at))
RELEASE = (update(task)
           .where(task.c.task_id == bindparam("id"), task.c.status == literal_column("'pending'"),
                  task.c.run_at >= bindparam("sentinel", type_=UtcDateTime()))
           .values(delayed=bindparam("delayed"), run_at=bindparam("run_at", type_=UtcDateTime()),
                   date_modified=_NOW)
           .returning(task.c.task_id))
CANCEL = (update(task)
          .where(task.c.task_id == bindparam("id"),
                 task.c.status.in_([literal_column("'pending'"), literal_column("'paused'")]))
          .values(status="cancelled", response=CANCELLED_BY_PARENT, run_at=_NOW,
                  delayed=False, date_modified=_NOW)
          .returning(task.c.task_id))
_LOWERED = [workflow_task.c.parents_left, workflow_task.c.run_at]


def settle_sqlite(raw: RawStatements, cursor: Any, ended: Sequence[Ended],
                  now: datetime) -> tuple[list[int], list[datetime]]:
    """The cascade for these ended tasks on SQLite's cursor; returns the ids cancelled and
    the run_ats of the tasks released (now, or later: promotions must know)."""
    cancelled: list[int] = []
    released: list[datetime] = []
    queue = list(ended)
    while queue:
        task_id, outcome, text = queue.pop(0)
        if not _run(raw, cursor, NOTE, id=task_id, outcome=outcome, text=text, now=now):
            continue  # not a workflow's task
        for (child,) in _run(raw, cursor, EDGES, id=task_id, outcome=outcome):
            found = _run(raw, cursor, NODE, id=child)
            if not found or found[0][1] is not None:  # (run_on_failure, outcome): ended
                continue
            if outcome == "complete" or found[0][0]:
                lowered = raw(LOWER, _LOWERED)
                cursor.execute(lowered.sql, lowered.params({"id": child}))
                left = lowered.rows(cursor.fetchall())[0]
                if left["parents_left"] == 0:
                    released.extend(_release(raw, cursor, child, left["run_at"], now))
            elif _run(raw, cursor, CANCEL, id=child, now=now):
                cancelled.append(child)
                queue.append((child, "cancelled", CANCELLED_BY_PARENT))
    return cancelled, released


def _release(raw: RawStatements, cursor: Any, child: int, wanted: datetime | None,
             now: datetime) -> list[datetime]:
    run_at = wanted if wanted is not None and wanted > now else now
    done = _run(raw, cursor, RELEASE, id=child, delayed=run_at > now, run_at=run_at,
                now=now, sentinel=WAITING_FOR_PARENTS)
    return [run_at] if done else []


def _run(raw: RawStatements, cursor: Any, statement: Any, **values: Any) -> list[Any]:
    compiled = raw(statement)
    cursor.execute(compiled.sql, compiled.params(values))
    return list(cursor.fetchall())


def settle_alone(raw: RawStatements, postgres: bool, cursor: Any, task_ids: Sequence[int],
                 outcome: str, text: str | None, now: datetime) -> list[int]:
    """The cascade from these tasks, which ended with `outcome`, on a transaction's driver
    cursor; returns the ids it cancelled."""
    if not task_ids:
        return []
    if postgres:
        naive = now.astimezone(UTC).replace(tzinfo=None)
        cursor.execute(SETTLE_ALONE_PG, {"ids": list(task_ids), "outcome": outcome,
                                         "text": text, "now": naive, **settle_params(now)})
        return [row[0] for row in cursor.fetchall()]
    cancelled, _ = settle_sqlite(raw, cursor, [(i, outcome, text) for i in task_ids], now)
    return cancelled


def cancel_dependents(db: SqlConnections, conn: Connection, task_ids: Sequence[int]) -> list[int]:
    """For the cancel verb, in its transaction (`conn`): these tasks were just cancelled, so
    their waiting dependents are cancelled, transitively, and run_on_failure ones released
    once all their parents have ended. Returns the ids cancelled."""
    with driver_cursor(conn) as cursor:
        return settle_alone(db.raw, db.postgres, cursor, task_ids, "cancelled", None,
                            db.clock())


def delete_waiting(db: SqlConnections, conn: Connection, *conditions: Any) -> int:
    """DELETE the tasks `conditions` select, in `conn`'s transaction. A workflow task among
    them that had not ended ends as cancelled first: its dependents are cancelled
    (run_on_failure ones released once their other parents end), never left waiting for a
    parent that is gone. Returns how many were deleted."""
    unended = list(conn.execute(
        select(task.c.task_id)
        .join(workflow_task, workflow_task.c.task_id == task.c.task_id)
        .where(*conditions, workflow_task.c.outcome.is_(None))).scalars())
    deleted: int = conn.execute(delete(task).where(*conditions)).rowcount
    if unended:
        cancel_dependents(db, conn, unended)
    return deleted


class PlainClaims:
    """Claim tokens whose tasks belong to no workflow, as the PostgreSQL statement that
    claimed them saw (finish.py): their finish needs neither the cascade nor a look to know
    it. Bounded: a token forgotten costs one look (ANY_NODES), never a wrong answer."""

    SIZE = 4096

    def __init__(self) -> None:
        self._tokens: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, token: str | None) -> None:
        if token is None:
            return
        with self._lock:
            self._tokens[token] = None
            while len(self._tokens) > self.SIZE:
                self._tokens.popitem(last=False)

    def cover(self, tokens: Iterable[str | None]) -> bool:
        """Whether every one of these claims is known to hold no workflow task."""
        with self._lock:
            return all(token is not None and token in self._tokens for token in tokens)
