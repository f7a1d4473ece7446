"""Every JSON shape taskdesk shows: built once here, printed by the CLI's `--json` and returned
by the HTTP API alike, so the two can never disagree.

Names follow OpenCart's columns where they exist (`task_id`, `code`, `action`, `args`,
`status`, `response`, `date_added`, `date_modified`); ours stand beside them. Times are ISO
8601 in UTC with a `Z`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from typing_extensions import TypedDict  # pydantic (the API's schemas) needs it on 3.11

from taskdesk.clock import isoformat
from taskdesk.extensions.catalogue import Extension, ModuleRef
from taskdesk.extensions.hook_process import AuditNote as AuditNote  # who asked for a change
from taskdesk.models.account_rules import check_password as check_password  # checked before init
from taskdesk.models.account_rules import check_user_name as check_user_name
from taskdesk.models.accounts import ApiToken, AuditEntry, User
from taskdesk.models.roles import PAGES as PAGES  # the admin web's pages
from taskdesk.models.roles import ROLES as ROLES
from taskdesk.models.roles import permissions_of as permissions_of
from taskdesk.models.runners import RunnerInfo
from taskdesk.models.schedules import Schedule
from taskdesk.models.tasks import JsonObject, LogEntry, Status, Task
from taskdesk.models.tasks import parse_args as parse_args  # how the CLI and the API read args
from taskdesk.text import json_safe as json_safe  # how the CLI prints JSON to a terminal
from taskdesk.text import os_error_text as os_error_text  # what the file system refused
from taskdesk.text import visible as visible  # how the CLI shows text that came from outside

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
    run_at: str | None
    worker_id: str | None
    lease_expires_at: str | None
    date_added: str | None
    date_modified: str | None
    extension: str | None
    progress: int | None  # 0-100, what the running attempt reported last (100 once complete)
    progress_message: str | None
    queue: str  # the named queue it waits in


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


class ActivityView(TypedDict):
    """Attempts that ended in one minute (its UTC start)."""

    minute: str
    complete: int
    failed: int


class BucketView(TypedDict):
    le: str  # the bucket's upper bound in seconds, as Prometheus writes it ("+Inf" last)
    count: int  # entries at most that long (cumulative)


class HistogramView(TypedDict):
    buckets: list[BucketView]
    sum: float
    count: int


class MetricsView(TypedDict):
    """What /metrics shows. The counters are counted from the task log, so they drop when
    the log is pruned (log_retention) or cleared."""

    tasks: dict[str, int]  # tasks by status, every status present
    log: dict[str, int]  # task log entries by status, every status present
    processed: int  # attempts that ended: complete + failed + retried (pending) entries
    failed: int  # failed entries
    duration: HistogramView  # attempt durations in seconds


class ModuleView(TypedDict):
    type: str
    code: str
    installed: bool


class ExtensionView(TypedDict):
    code: str
    name: str
    version: str
    description: str
    author: str
    link: str
    requires: list[str]
    source: str
    modules: list[ModuleView]
    problem: str | None


class UninstallView(TypedDict):
    modules: list[str]  # TYPE/CODE of the modules whose uninstall() ran
    tasks_deleted: int  # waiting tasks of the extension removed with its last module


class RunningTaskView(TypedDict):
    task_id: int
    code: str
    action: str
    attempt: int
    running_seconds: float  # since its claim: a task that never returns shows here


class RunnerView(TypedDict):
    runner_id: str
    hostname: str
    pid: int
    started_at: str | None
    last_seen_at: str | None
    alive: bool
    running: list[RunningTaskView]


class RunStartView(TypedDict):
    started: bool  # False: a runner was already working, and none was added
    pid: int | None  # the runner started, or the one already working
    message: str


class HealthView(TypedDict):
    ok: bool
    detail: str


class DatabaseView(TypedDict):
    database: str
    schema: str
    home: str


class UserView(TypedDict):
    user_id: int
    name: str
    role: str
    permissions: list[str]  # sorted: "PAGE:access", "PAGE:modify", "installer:upload"
    date_added: str | None
    date_modified: str | None


class TokenView(TypedDict):
    token_id: int
    user: str
    label: str
    date_added: str | None
    last_used_at: str | None  # to the minute: a token's use is written once a minute at most
    revoked: bool
    expires_at: str | None  # None: never
    read_only: bool  # only the owner's `access` permissions


class SessionView(TypedDict):
    secret: str  # the cookie's value: only in start_session's result, "" otherwise
    user: UserView
    csrf_token: str
    expires_at: str | None


class AuditView(TypedDict):
    audit_id: int
    date_added: str | None
    actor: str  # a user's name, or "cli"
    address: str | None
    action: str  # e.g. "tasks.retry"
    target: str  # e.g. "task 12"
    detail: str


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
        run_at=isoformat(task.run_at),
        worker_id=task.worker_id,
        lease_expires_at=isoformat(task.lease_expires_at),
        date_added=isoformat(task.date_added),
        date_modified=isoformat(task.date_modified),
        extension=task.extension,
        progress=task.progress,
        progress_message=task.progress_message,
        queue=task.queue,
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


def task_with_log_view(task: Task, entries: list[LogEntry]) -> dict[str, Any]:
    """`task show --json`: the task and its newest log entries."""
    return {**task_view(task), "log": [log_entry_view(entry) for entry in entries]}


def extension_view(extension: Extension, installed: set[ModuleRef]) -> ExtensionView:
    """An extension with its modules, each marked installed or not."""
    manifest = extension.manifest
    return ExtensionView(
        code=manifest.code, name=manifest.name, version=manifest.version,
        description=manifest.description, author=manifest.author, link=manifest.link,
        requires=list(manifest.requires), source=extension.source,
        modules=[ModuleView(type=ref.type, code=ref.code, installed=ref in installed)
                 for ref in extension.modules],
        problem=extension.problem,
    )


def running_task_view(task: Task, *, now: datetime) -> RunningTaskView:
    """A processing task: its claim set date_modified, which heartbeats leave alone."""
    return RunningTaskView(task_id=task.task_id, code=task.code, action=task.action,
                           attempt=task.attempts,
                           running_seconds=max((now - task.date_modified).total_seconds(), 0.0))


def runner_view(info: RunnerInfo, *, now: datetime, lease_seconds: float,
                running: list[Task] | None = None) -> RunnerView:
    """A runner is alive while it was seen within one lease; `running`: the tasks it holds."""
    return RunnerView(
        runner_id=info.runner_id,
        hostname=info.hostname,
        pid=info.pid,
        started_at=isoformat(info.started_at),
        last_seen_at=isoformat(info.last_seen_at),
        alive=(now - info.last_seen_at).total_seconds() <= lease_seconds,
        running=[running_task_view(task, now=now) for task in running or []],
    )


def user_view(user: User) -> UserView:
    """A user without its password hash, with what its role permits."""
    return UserView(user_id=user.user_id, name=user.name, role=user.role,
                    permissions=sorted(permissions_of(user.role)),
                    date_added=isoformat(user.date_added),
                    date_modified=isoformat(user.date_modified))


def token_view(token: ApiToken) -> TokenView:
    return TokenView(token_id=token.token_id, user=token.user, label=token.label,
                     date_added=isoformat(token.date_added),
                     last_used_at=isoformat(token.last_used_at),
                     revoked=token.revoked_at is not None,
                     expires_at=isoformat(token.expires_at), read_only=token.read_only)


def audit_view(entry: AuditEntry) -> AuditView:
    return AuditView(audit_id=entry.audit_id, date_added=isoformat(entry.date_added),
                     actor=entry.actor, address=entry.address, action=entry.action,
                     target=entry.target, detail=entry.detail or "")


class ScheduleView(TypedDict):
    schedule_id: int
    code: str
    action: str
    args: JsonObject
    cron: str | None
    every: str | None  # the cycle: minute, hour, day, week, month
    interval: int
    rule: str  # "cron */5 * * * *", "every minute", "every 2 hours"
    missed: str  # run-once or skip
    enabled: bool
    next_run_at: str | None
    last_run_at: str | None
    date_added: str | None
    date_modified: str | None


def schedule_view(found: Schedule) -> ScheduleView:
    rule = found.rule
    return ScheduleView(
        schedule_id=found.schedule_id, code=found.code, action=found.action, args=found.args,
        cron=rule.cron, every=rule.every.value if rule.every else None, interval=rule.interval,
        rule=rule.describe(), missed=found.missed.value, enabled=found.enabled,
        next_run_at=isoformat(found.next_run_at),
        last_run_at=isoformat(found.last_run_at),
        date_added=isoformat(found.date_added), date_modified=isoformat(found.date_modified))
