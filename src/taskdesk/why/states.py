"""The reasons a task's own state gives: it is cancelled, complete, running (or held by a
runner that stopped heartbeating), failed, or paused. Each check: Scene → Reason | None."""

from __future__ import annotations

from taskdesk.clock import isoformat
from taskdesk.models.tasks import Status
from taskdesk.models.why import Reason
from taskdesk.why.scene import Scene, span, stamp


def cancelled(scene: Scene) -> Reason | None:
    task = scene.task
    if task.status is not Status.CANCELLED:
        return None
    return Reason(code="cancelled", text="it was cancelled: it will not run",
                  facts={"cancelled_at": isoformat(task.date_modified)},
                  hint=f"taskdesk task retry {task.task_id}")


def complete(scene: Scene) -> Reason | None:
    task = scene.task
    if task.status is not Status.COMPLETE:
        return None
    return Reason(code="complete", text=f"it is complete (at {stamp(task.date_modified)})",
                  waiting=False, facts={"complete_at": isoformat(task.date_modified),
                                        "attempts": task.attempts})


def held_by_lost_runner(scene: Scene) -> Reason | None:
    """Running on a runner that has not heartbeat within its lease: recovery frees it once
    the task's lease has expired."""
    task = scene.task
    if task.status is not Status.PROCESSING:
        return None
    runner = next((r for r in scene.runners if r.runner_id == task.worker_id), None)
    if runner is not None and runner.alive(scene.now, scene.lease_seconds):
        return None
    expires = task.lease_expires_at
    left = None if expires is None else round(scene.seconds_until(expires), 1)
    recovered = "at the next recovery" if not left else f"in {span(left)}"
    silent = None if runner is None else round(scene.seconds_since(runner.last_seen_at), 1)
    heard = "is no longer registered" if silent is None else \
        f"sent its last heartbeat {span(silent)} ago"
    return Reason(code="lost_runner",
                  text=f"it is held by runner {task.worker_id}, which {heard}; "
                       f"it is recovered {recovered}, when its lease expires",
                  facts={"runner": task.worker_id, "last_heartbeat_seconds": silent,
                         "lease_expires_at": isoformat(expires), "recovered_in_seconds": left})


def running(scene: Scene) -> Reason | None:
    task = scene.task
    if task.status is not Status.PROCESSING:
        return None
    since = isoformat(task.date_modified)
    return Reason(code="running", waiting=False,
                  text=f"it is running on runner {task.worker_id} since "
                       f"{stamp(task.date_modified)} "
                       f"(attempt {task.attempts} of {task.max_attempts})",
                  facts={"runner": task.worker_id, "since": since, "attempt": task.attempts,
                         "progress": task.progress})


def attempts_used_up(scene: Scene) -> Reason | None:
    task = scene.task
    if task.status is not Status.FAILED or task.attempts < task.max_attempts:
        return None
    return Reason(code="attempts_used_up",
                  text=f"it failed and has used all of its {task.max_attempts} attempts",
                  facts={"attempts": task.attempts, "max_attempts": task.max_attempts,
                         "failed_at": isoformat(task.date_modified)},
                  hint=f"taskdesk task retry {task.task_id}")


def failed(scene: Scene) -> Reason | None:
    """Failed with attempts left: set failed by hand, or by an error never retried."""
    task = scene.task
    if task.status is not Status.FAILED:
        return None
    return Reason(code="failed", text="it failed, and a failed task is not run again "
                                      "until it is retried",
                  facts={"attempts": task.attempts, "max_attempts": task.max_attempts,
                         "failed_at": isoformat(task.date_modified)},
                  hint=f"taskdesk task retry {task.task_id}")


def paused_task(scene: Scene) -> Reason | None:
    """The task's own status is `paused` (OpenCart's): no runner claims it."""
    task = scene.task
    if task.status is not Status.PAUSED:
        return None
    return Reason(code="paused_task", text="its status is paused: no runner claims it",
                  facts={"paused_at": isoformat(task.date_modified)},
                  hint=f"taskdesk task status pending {task.task_id}")
