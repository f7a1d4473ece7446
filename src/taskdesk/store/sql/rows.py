"""Database rows to domain models and back, in one place for both SQL dialects."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from taskdesk.models.limits import TaskLimit
from taskdesk.models.runners import RunnerInfo
from taskdesk.models.tasks import JsonObject, LogEntry, NewTask, Status, Task

T = TypeVar("T")

MAX_SHOWN = 10_000  # characters of unreadable args kept in a listing


#: The key under which a row's args that are not a JSON object are shown (never run: no
#: handler takes it, so such a task fails with that name in its error).
UNREADABLE_ARGS = "unreadable_args"


def args_of(text: str) -> JsonObject:
    """A row's args. Text that is not a JSON object (written past taskdesk, by hand or by a
    damaged disk) is kept for the eye under UNREADABLE_ARGS, so one bad row never breaks a
    listing, and its task fails alone."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if isinstance(value, dict):
        return value
    return {UNREADABLE_ARGS: text[:MAX_SHOWN]}


def task_from_row(row: Mapping[Any, Any]) -> Task:
    return Task(
        task_id=row["task_id"],
        code=row["code"],
        action=row["action"],
        args=args_of(row["args"]),
        status=Status(row["status"]),
        response=row["response"],
        priority=row["priority"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        run_at=row["run_at"],
        worker_id=row["worker_id"],
        lease_expires_at=row["lease_expires_at"],
        date_added=row["date_added"],
        date_modified=row["date_modified"],
        claim_token=row["claim_token"],
        extension=row["extension"],
        progress=row["progress"],
        progress_message=row["progress_message"],
        queue=row["queue"],
        error_class=row["error_class"],
        limit=limit_from_row(row),
        trace_context=row["trace_context"],
    )


def limit_from_row(row: Mapping[Any, Any]) -> TaskLimit | None:
    key = row["limit_key"]
    return None if key is None else TaskLimit(key=key, concurrency=row["concurrency_limit"],
                                              rate=row["rate_limit"])


def limit_columns(new: NewTask) -> tuple[str | None, int | None, str | None, bool]:
    """A new task's limit_key, concurrency_limit, rate_limit and held (a limited task waits
    for a slot)."""
    limit = new.limit
    if limit is None:
        return None, None, None, False
    return limit.key, limit.concurrency, limit.rate, True


def log_entry_from_row(row: Mapping[Any, Any]) -> LogEntry:
    return LogEntry(
        task_log_id=row["task_log_id"],
        task_id=row["task_id"],
        code=row["code"],
        status=Status(row["status"]),
        comment=row["comment"],
        duration=row["duration"],
        attempt=row["attempt"],
        worker_id=row["worker_id"],
        date_added=row["date_added"],
    )


def new_task_row(new: NewTask, now: datetime) -> dict[str, Any]:
    """The column values of a task that `add` inserts."""
    if new.max_attempts is None:
        raise ValueError("NewTask.max_attempts must be set before it reaches the store")
    return {
        "code": new.code,
        "action": new.action,
        "args": json.dumps(new.args, separators=(",", ":")),
        "response": None,
        "status": Status.PENDING.value,
        "priority": new.priority,
        "attempts": 0,
        "max_attempts": new.max_attempts,
        "run_at": new.run_at or now,
        "worker_id": None,
        "lease_expires_at": None,
        "date_added": now,
        "date_modified": now,
        "claim_token": None,
        "delayed": bool(new.run_at and new.run_at > now),
        "extension": new.extension,
        "progress": None,
        "progress_message": None,
        "queue": new.queue,
        "error_class": None,
        **dict(zip(("limit_key", "concurrency_limit", "rate_limit", "held"),
                   limit_columns(new), strict=True)),
        "trace_context": new.trace_context,
    }


def runner_row(info: RunnerInfo, **changes: Any) -> dict[str, Any]:
    """The queues column: a line per queue served, `NAME` or `NAME:N` when capped."""
    caps = dict(info.caps)
    queues = None if info.queues is None else "\n".join(
        name if name not in caps else f"{name}:{caps[name]}" for name in info.queues)
    return {"runner_id": info.runner_id, "hostname": info.hostname, "pid": info.pid,
            "started_at": info.started_at, "last_seen_at": info.last_seen_at,
            "lease_seconds": info.lease_seconds, "queues": queues, **changes}


def runner_from_row(row: Any) -> RunnerInfo:
    lines = [] if row["queues"] is None else row["queues"].split("\n")
    served = [line.partition(":") for line in lines]  # a queue's name holds no colon
    return RunnerInfo(runner_id=row["runner_id"], hostname=row["hostname"], pid=row["pid"],
                      started_at=row["started_at"], last_seen_at=row["last_seen_at"],
                      lease_seconds=row["lease_seconds"],
                      queues=None if row["queues"] is None else tuple(n for n, _, _ in served),
                      caps=tuple((n, int(cap)) for n, _, cap in served if cap.isdigit()))


def chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """Lists small enough for any database's parameter limit, without repeated items (so
    that row counts summed over chunks count each row once)."""
    items = list(dict.fromkeys(items))
    for start in range(0, len(items), size):
        yield items[start : start + size]
