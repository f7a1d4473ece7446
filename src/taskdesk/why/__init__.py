"""Why isn't this task running? An ordered list of small reason checks, each a function
`check(scene: Scene) -> Reason | None`; the first that holds is the answer.

    reason = explain(Scene(task=task, store=store, now=now, lease_seconds=30.0,
                           check_action=handlers.check, extension=catalogue.get))
    reason.text   # "its queue mail is paused (since 2026-12-04T14:00:00Z by ann)"

The order matters: the task's own state first (it is cancelled, complete, running, failed),
then what holds a pending task back, from what an operator set (a paused queue, a run_at)
to what is missing (an allowed action, a usable extension, a runner), and last its place in
line. A new reason is one more function in CHECKS at its place.
"""

from __future__ import annotations

from collections.abc import Sequence

from taskdesk.models.why import Reason
from taskdesk.why.scene import Check, Scene
from taskdesk.why.states import (
    attempts_used_up,
    cancelled,
    complete,
    failed,
    held_by_lost_runner,
    paused_task,
    running,
)
from taskdesk.why.waits import (
    action_refused,
    extension_broken,
    future_run_at,
    held_by_limit,
    no_runner,
    paused_queue,
    place_in_line,
    waiting_for_parents,
)

__all__ = ["CHECKS", "Check", "Scene", "explain"]

CHECKS: tuple[Check, ...] = (
    # the task's own state
    cancelled,
    complete,
    held_by_lost_runner,  # before running: a running task whose runner went silent
    running,
    attempts_used_up,
    failed,
    paused_task,
    # what holds a pending task back
    paused_queue,
    waiting_for_parents,  # before run_at: a workflow task waits with a placeholder run_at
    future_run_at,
    held_by_limit,
    action_refused,
    extension_broken,
    no_runner,
    place_in_line,
)


def explain(scene: Scene, checks: Sequence[Check] = CHECKS) -> Reason:
    """The first reason in `checks` that holds for the scene's task."""
    for check in checks:
        reason = check(scene)
        if reason is not None:
            return reason
    return Reason(code="unknown", text=f"no reason found for a {scene.task.status} task")
