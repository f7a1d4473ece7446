"""The shapes of runners: those registered, grouped by host with the host's health, the tasks
they hold, and a Run Tasks press."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

from typing_extensions import TypedDict

from taskdesk.clock import isoformat
from taskdesk.models.runners import HOST_MEMORY_SECONDS, HostInfo, RunnerInfo
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
    last_seen_seconds: float  # since its last heartbeat
    alive: bool
    queues: list[str] | None  # what it serves: these queues (None: every queue)
    running: list[RunningTaskView]


HostState = Literal["up", "lost", "stopped"]


class HostView(TypedDict):
    """A host and its runners: `up` while one of them heartbeats; `lost` when none does and
    its last did not stop cleanly (it died, or lost the database), since `last_seen_at`;
    `stopped` when its last runner stopped cleanly."""

    hostname: str
    state: HostState
    lost: bool
    first_seen_at: str | None
    last_seen_at: str | None
    last_seen_seconds: float
    stopped_at: str | None
    runners: list[RunnerView]
    completed: int  # attempts its runners logged complete, ever (pruned entries included)
    failed: int
    lease_lost: int  # attempts whose outcome came after their lease was lost: not stored


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
        last_seen_seconds=_age(info.last_seen_at, now),
        alive=(now - info.last_seen_at).total_seconds() <= lease_seconds,
        queues=None if info.queues is None else list(info.queues),
        running=[running_task_view(task, now=now) for task in running or []],
    )


def host_views(hosts: Sequence[HostInfo], runners: Sequence[tuple[RunnerInfo, RunnerView]],
               counts: Mapping[str, Mapping[str, int]], *, now: datetime) -> list[HostView]:
    """Every known host (its record, or a runner's row from before hosts were recorded) with
    its runners and its counts, by name; a host without runners last seen more than
    HOST_MEMORY_SECONDS ago is left out."""
    known = {info.hostname: info for info in hosts}
    for info, _ in runners:
        known.setdefault(info.hostname, HostInfo(
            hostname=info.hostname, first_seen_at=info.started_at,
            last_seen_at=info.last_seen_at))
    views = [_host_view(record, [(i, v) for i, v in runners if i.hostname == name],
                        counts.get(name, {}), now)
             for name, record in sorted(known.items())]
    return [view for view in views  # past the bound, even before a recovery forgets it
            if view["runners"] or view["last_seen_seconds"] <= HOST_MEMORY_SECONDS]


def _host_view(record: HostInfo, runners: Sequence[tuple[RunnerInfo, RunnerView]],
               counts: Mapping[str, int], now: datetime) -> HostView:
    last_seen = max([record.last_seen_at, *(info.last_seen_at for info, _ in runners)])
    state: HostState = "up" if any(view["alive"] for _, view in runners) else (
        "stopped" if record.stopped_at is not None and not runners else "lost")
    return HostView(
        hostname=record.hostname, state=state, lost=state == "lost",
        first_seen_at=isoformat(record.first_seen_at), last_seen_at=isoformat(last_seen),
        last_seen_seconds=_age(last_seen, now),
        stopped_at=isoformat(record.stopped_at) if state == "stopped" else None,
        runners=[view for _, view in runners], completed=counts.get("complete", 0),
        failed=counts.get("failed", 0), lease_lost=counts.get("lease_lost", 0))


def _age(moment: datetime, now: datetime) -> float:
    return round(max((now - moment).total_seconds(), 0.0), 3)
