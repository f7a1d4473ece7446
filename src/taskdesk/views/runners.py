"""The shapes of runners: those registered, the tasks they hold, and a Run Tasks press."""

from __future__ import annotations

from datetime import datetime

from typing_extensions import TypedDict

from taskdesk.clock import isoformat
from taskdesk.models.runners import RunnerInfo
from taskdesk.models.tasks import Task


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
