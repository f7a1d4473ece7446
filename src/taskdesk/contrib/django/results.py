"""A Django TaskResult read from a taskdesk task and its log.

What maps to what:

- status: pending and paused → READY (a retry waits READY too), processing → RUNNING,
  complete → SUCCESSFUL, failed and cancelled → FAILED (a timeout fails its attempt);
- enqueued_at: when the task was added; started_at: when its first attempt began;
  last_attempted_at: when its latest began; finished_at: when it completed or failed;
- worker_ids: the runner of each attempt (so `attempts` counts them), the running one last;
- errors: one TaskError per failed attempt: the exception's class path (`builtins.ValueError`
  for a builtin; taskdesk's cause, such as `lease expired`, where no exception was raised)
  and its traceback, from the task log;
- return value: the JSON the worker stored as the task's response.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from taskdesk.models.failures import TIMEOUT
from taskdesk.models.tasks import LogEntry, Status, Task

from . import compat

#: taskdesk's status → Django's.
STATUSES = {
    Status.PENDING: compat.TaskResultStatus.READY,
    Status.PAUSED: compat.TaskResultStatus.READY,
    Status.PROCESSING: compat.TaskResultStatus.RUNNING,
    Status.COMPLETE: compat.TaskResultStatus.SUCCESSFUL,
    Status.FAILED: compat.TaskResultStatus.FAILED,
    Status.CANCELLED: compat.TaskResultStatus.FAILED,
}
FAILED_ATTEMPT = frozenset({Status.PENDING, Status.FAILED})  # a log entry's status
TRACEBACK_HEADER = "Traceback (most recent call last):"
CLASS_PATH = re.compile(r"[A-Za-z_][\w.]*")
RETRY_NOTE = re.compile(r"\nretry \d+ of \d+ at [^\n]* UTC\Z")  # runner/execute.py
#: Causes of a failure that are not an exception's class path, as Django names them.
CAUSES = {TIMEOUT: "builtins.TimeoutError"}


def task_result(django_task: compat.Task, row: Task, log: Sequence[LogEntry], *,
                backend: str) -> compat.TaskResult:
    """Django's view of a task: `log` is its task log, in any order."""
    attempts = sorted((entry for entry in log if entry.worker_id), key=_order)
    starts = [_start(entry) for entry in attempts]
    running = row.status is Status.PROCESSING
    if running:
        starts.append(row.date_modified)
    call = _call(row.args)
    result = compat.TaskResult(
        task=django_task.using(priority=row.priority, queue_name=row.queue, backend=backend),
        id=str(row.task_id), status=STATUSES[row.status], enqueued_at=row.date_added,
        started_at=starts[0] if starts else None,
        last_attempted_at=starts[-1] if starts else None,
        finished_at=_finished(row, attempts), args=call[0], kwargs=call[1], backend=backend,
        errors=_errors(row, attempts),
        worker_ids=[str(entry.worker_id) for entry in attempts]
        + ([row.worker_id or ""] if running else []))
    if row.status is Status.COMPLETE:
        object.__setattr__(result, "_return_value", _return_value(row.response))
    return result


def _order(entry: LogEntry) -> tuple[int, int]:
    return entry.attempt, entry.task_log_id


def _start(entry: LogEntry) -> datetime:
    return entry.date_added - timedelta(seconds=entry.duration or 0.0)


def _call(args: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The positional and keyword arguments as enqueued ({"args": [...], "kwargs": {...}})."""
    positional, named = args.get("args", []), args.get("kwargs", {})
    return (positional if isinstance(positional, list) else [],
            named if isinstance(named, dict) else {})


def _finished(row: Task, attempts: Sequence[LogEntry]) -> datetime | None:
    if row.status not in (Status.COMPLETE, Status.FAILED, Status.CANCELLED):
        return None
    return attempts[-1].date_added if attempts else row.date_modified


def _errors(row: Task, attempts: Sequence[LogEntry]) -> list[compat.TaskError]:
    failed = [entry for entry in attempts if entry.status in FAILED_ATTEMPT]
    errors = []
    for n, entry in enumerate(failed):
        latest = row.error_class if n == len(failed) - 1 else None
        errors.append(compat.TaskError(exception_class_path=class_path(entry.comment, latest),
                                       traceback=traceback_of(entry.comment)))
    return errors


def traceback_of(comment: str) -> str:
    """The traceback a failed attempt's log entry keeps, as format_exception wrote it: without
    the `Kind: message` line before it and the `retry N of M at …` line after it."""
    comment = RETRY_NOTE.sub("", comment)
    start = comment.find(TRACEBACK_HEADER)
    return comment[start:] if start >= 0 else comment


def class_path(comment: str, error_class: str | None) -> str:
    """The class path of the exception a failed attempt's log entry tells of: read from its
    traceback's exception line (which names the module, as Django's class paths do), else
    from the task's error_class; builtins as `builtins.Name`."""
    lines = comment.splitlines()
    headers = [n for n, line in enumerate(lines) if line == TRACEBACK_HEADER]
    for line in lines[headers[-1] + 1:] if headers else []:
        if line and not line.startswith(" "):
            name = line.partition(":")[0].strip()
            if CLASS_PATH.fullmatch(name):
                return name if "." in name else f"builtins.{name}"
            break
    name = error_class or "builtins.Exception"
    if name in CAUSES:
        return CAUSES[name]
    return f"builtins.{name}" if CLASS_PATH.fullmatch(name) and "." not in name else name


def _return_value(response: str | None) -> Any:
    """The worker stores the return value as JSON text (see runs.py)."""
    if response is None:
        return None
    try:
        return json.loads(response)
    except ValueError:  # a response this backend's worker did not write
        return response
