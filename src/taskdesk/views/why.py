"""The shape of "why isn't this running?": a task's first reason (taskdesk.models.why)."""

from __future__ import annotations

from typing_extensions import TypedDict

from taskdesk.models.tasks import Task
from taskdesk.models.why import Fact, Reason


class WhyView(TypedDict):
    task_id: int
    status: str
    waiting: bool  # False: it runs, or it is complete
    reason: str  # the reason's code: cancelled, paused_queue, run_at, no_runner, …
    text: str  # the reason in words (may hold text from outside: show it literally)
    facts: dict[str, Fact]  # the values behind it
    hint: str | None  # what to do about it, if anything: a command line


def why_view(task: Task, reason: Reason) -> WhyView:
    return WhyView(task_id=task.task_id, status=task.status.value, waiting=reason.waiting,
                   reason=reason.code, text=reason.text, facts=dict(reason.facts),
                   hint=reason.hint)
