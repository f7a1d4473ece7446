"""The shapes of tasks, their log entries and attempts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from typing_extensions import TypedDict  # pydantic (the API's schemas) needs it on 3.11

from taskdesk.clock import isoformat
from taskdesk.models.tasks import JsonObject, LogEntry, Status, Task
from taskdesk.models.workflows import waits_for_parents

#: OpenCart's five statuses, in the order a task meets them.
STATUSES: tuple[str, ...] = tuple(status.value for status in Status)


class TaskView(TypedDict):
    task_id: int
    code: str
    action: str
    args: JsonObject
    status: str
    response: str | None
    priority: int
    attempts: int
    max_attempts: int
    run_at: str | None  # None: it waits for its workflow parents
    worker_id: str | None
    lease_expires_at: str | None
    date_added: str | None
    date_modified: str | None
    extension: str | None
    progress: int | None  # 0-100, what the running attempt reported last (100 once complete)
    progress_message: str | None
    queue: str  # the named queue it waits in
    error_class: str | None  # what failed its latest failed attempt (models/failures.py)
    limit_key: str | None  # the key its limits count by (docs/queues.md); null: unlimited
    concurrency_limit: int | None
    rate_limit: str | None  # "N/s", "N/m" or "N/h"


class LogEntryView(TypedDict):
    task_log_id: int
    task_id: int | None
    code: str
    status: str
    comment: str
    duration: float | None
    attempt: int
    worker_id: str | None
    date_added: str | None


class AttemptView(TypedDict):
    """One attempt of a task, from its log entry: started_at is the entry's time less its
    duration (None when the duration is unknown, as for a recovered task)."""

    attempt: int
    status: str
    started_at: str | None
    finished_at: str | None
    duration: float | None
    worker_id: str | None
    comment: str


def task_view(task: Task) -> TaskView:
    return TaskView(
        task_id=task.task_id,
        code=task.code,
        action=task.action,
        args=task.args,
        status=task.status.value,
        response=task.response,
        priority=task.priority,
        attempts=task.attempts,
        max_attempts=task.max_attempts,
        run_at=None if waits_for_parents(task.run_at) else isoformat(task.run_at),
        worker_id=task.worker_id,
        lease_expires_at=isoformat(task.lease_expires_at),
        date_added=isoformat(task.date_added),
        date_modified=isoformat(task.date_modified),
        extension=task.extension,
        progress=task.progress,
        progress_message=task.progress_message,
        queue=task.queue,
        error_class=task.error_class,
        limit_key=None if task.limit is None else task.limit.key,
        concurrency_limit=None if task.limit is None else task.limit.concurrency,
        rate_limit=None if task.limit is None else task.limit.rate,
    )


def log_entry_view(entry: LogEntry) -> LogEntryView:
    return LogEntryView(
        task_log_id=entry.task_log_id,
        task_id=entry.task_id,
        code=entry.code,
        status=entry.status.value,
        comment=entry.comment,
        duration=entry.duration,
        attempt=entry.attempt,
        worker_id=entry.worker_id,
        date_added=isoformat(entry.date_added),
    )


def attempt_view(entry: LogEntry) -> AttemptView:
    started = None if entry.duration is None else (
        entry.date_added - timedelta(seconds=entry.duration))
    return AttemptView(attempt=entry.attempt, status=entry.status.value,
                       started_at=isoformat(started), finished_at=isoformat(entry.date_added),
                       duration=entry.duration, worker_id=entry.worker_id,
                       comment=entry.comment)


def task_with_log_view(task: Task, entries: list[LogEntry],
                       workflow: Any = None) -> dict[str, Any]:
    """`task show --json`: the task, its newest log entries, and the workflow it belongs to
    (views.workflows.TaskWorkflowView; None: none)."""
    return {**task_view(task), "log": [log_entry_view(entry) for entry in entries],
            "workflow": workflow}
