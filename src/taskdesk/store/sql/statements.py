"""Statements of SqlStore, written once in SQLAlchemy Core for both dialects.

The runner's hot path (claim, finish, the log row) is built here once, with bind parameters:
per task, SQLAlchemy then only binds values, instead of rebuilding the statement and
computing its cache key. Bind parameters never take a column's name, which UPDATE reserves.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    Text,
    Update,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from taskdesk.models.actions import SIDES as ROUTE_SIDES
from taskdesk.models.tasks import WAITING, Status, TaskFilter
from taskdesk.store.schema import CLAIMABLE, UtcDateTime, extension, task, task_log

PENDING = Status.PENDING.value
PROCESSING = Status.PROCESSING.value
WAITING_VALUES = sorted(status.value for status in WAITING)

_NOW = bindparam("now", type_=UtcDateTime())
_WORKER = bindparam("worker", type_=String())

#: Before each claim, delayed tasks whose run_at has come join the claimable ones. NEXT_DELAYED
#: reads the earliest run_at from the index (delayed, run_at): one index probe, whatever the
#: planner's statistics, and the claim usually stops there. When some are due, DUE_DELAYED
#: takes them a chunk at a time and PROMOTE updates them by id. Rows another runner is
#: promoting are skipped (PostgreSQL).
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
# Due pending tasks, highest priority first, then oldest; rows other runners are claiming
# are skipped (PostgreSQL), or the claim waits for SQLite's single writer. The partial index
# ix_task_claim holds only claimable tasks (CLAIMABLE, written as the index says it), in the
# claim's order (SQLite is told to use it, see _seek); run_at is checked as well, so
# a task is never taken early whatever `delayed` says.
#: SQLite, without statistics, would rather read every pending task through
#: ix_task_status_task_id and sort them: each claim's seek names its index (INDEXED BY, an
#: error if SQLite cannot use it, never a silent full read). Other dialects ignore the hint.
def _seek(index: str) -> str:
    return f"INDEXED BY {index}"


_DUE = (
    select(task.c.task_id)
    .with_hint(task, _seek("ix_task_claim"), dialect_name="sqlite")
    .where(CLAIMABLE, task.c.run_at <= _NOW)
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

#: The task, only while the runner `worker` still holds this claim of it.
_OWNED = (
    task.c.task_id == bindparam("id"),
    task.c.worker_id == _WORKER,
    task.c.status == PROCESSING,
    task.c.claim_token == bindparam("token", type_=String()),
)
#: Finish an attempt (returning the id only when this claim still held the task).
FINISH_DELETE = delete(task).where(*_OWNED).returning(task.c.task_id)
FINISH_UPDATE = (
    update(task)
    .where(*_OWNED)
    .values(
        status=bindparam("outcome"),
        response=bindparam("text"),
        worker_id=None,
        lease_expires_at=None,
        run_at=func.coalesce(bindparam("retry_at", type_=UtcDateTime()), task.c.run_at),
        date_modified=_NOW,
        claim_token=None,
        delayed=bindparam("delayed"),
        # 100 when complete (the runner binds it), else what the attempt reported last.
        progress=func.coalesce(bindparam("done", type_=Integer()), task.c.progress),
    )
    .returning(task.c.task_id)
)
#: What a running attempt reports: one UPDATE, only while its claim holds the task.
SET_PROGRESS = (
    update(task)
    .where(*_OWNED)
    .values(progress=bindparam("percent", type_=Integer()),
            progress_message=bindparam("message", type_=Text()))
)
LOG = insert(task_log)
#: One attempt's log row, every column bound by name (the runner's hot path runs it raw).
LOG_ATTEMPT = insert(task_log).values(
    {column.name: bindparam(column.name, type_=column.type)
     for column in task_log.c if column.name != "task_log_id"})


def _due_in(queue: str) -> Select[tuple[int, int]]:
    """The claim's seek in one queue (index ix_task_queue_claim): its first `limit` due
    tasks, rows other runners are claiming skipped (PostgreSQL)."""
    return (
        select(task.c.task_id, task.c.priority)
        .with_hint(task, _seek("ix_task_queue_claim"), dialect_name="sqlite")
        .where(task.c.queue == queue, CLAIMABLE, task.c.run_at <= _NOW)
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


def filtered(where: TaskFilter) -> list[ColumnElement[bool]]:
    """The conditions of list and count but args (a dialect's, see SqlConnections.args_match):
    code and action as literal, case-insensitive substrings; an exact code uses the index
    (code, task_id)."""
    conditions: list[ColumnElement[bool]] = []
    if where.code and where.code_exact:
        conditions.append(task.c.code == where.code)
    elif where.code:
        conditions.append(task.c.code.icontains(where.code, autoescape=True))
    if where.action:
        conditions.append(task.c.action.icontains(where.action, autoescape=True))
    if where.status is not None:
        conditions.append(task.c.status == where.status.value)
    if where.extension is not None:
        conditions.append(task.c.extension == where.extension)
    if where.queue is not None:
        conditions.append(task.c.queue == where.queue)
    return conditions


def task_columns(preview: int | None = None) -> list[ColumnElement[Any]]:
    """The task's columns; with `preview`, only the response's first characters."""
    if preview is None:
        return list(task.c)
    return [func.substr(column, 1, preview).label(column.name) if column.name == "response"
            else column for column in task.c]


def of_extension(code: str) -> ColumnElement[bool]:
    """Tasks an extension added, or whose action is one of its routes."""
    return or_(task.c.extension == code,
               *(task.c.action.startswith(f"task/{side}/{code}.", autoescape=True)
                 for side in ROUTE_SIDES))


def idle(task_ids: Sequence[int]) -> tuple[ColumnElement[bool], ...]:
    """These tasks, unless a runner holds them."""
    return (task.c.task_id.in_(task_ids), task.c.status != PROCESSING)


def owned(worker_id: str, token: str,
          task_ids: Sequence[int]) -> tuple[ColumnElement[bool], ...]:
    """These tasks, only while `worker_id` holds them by the claim with this token."""
    return (
        task.c.task_id.in_(task_ids),
        task.c.worker_id == worker_id,
        task.c.status == PROCESSING,
        task.c.claim_token == token,
    )


def attempts_logged(worker_id: str,
                    task_ids: Sequence[int]) -> tuple[ColumnElement[bool], ...]:
    """The log rows of these tasks' attempts by `worker_id` (a recovery's row has no
    duration: it is not the attempt's own)."""
    return (task_log.c.task_id.in_(task_ids), task_log.c.worker_id == worker_id,
            task_log.c.duration.is_not(None))


def delayed_after(now: datetime) -> ColumnElement[bool]:
    """Whether a task written as pending now must wait for its run_at."""
    return case((task.c.run_at > now, True), else_=False)


def module(extension_code: str, type_: str, code: str) -> tuple[ColumnElement[bool], ...]:
    return (extension.c.extension == extension_code, extension.c.type == type_,
            extension.c.code == code)
