"""Extensions > Schedules: the recurring schedules with their next firings and the task their
last firing added, with Run now, Enable/Disable and Delete. The API gives the CLI's views
(`taskdesk schedule list --json`) and verbs; every change goes through the admin's
ScheduleChanges, which writes its audit entry in the change's own transaction. Schedules are
tasks' plans, so they take the tasks' permissions."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from taskdesk.views import ScheduleView, TaskView, task_view
from taskdesk.web.render import render
from taskdesk.web.routes.answers import Message
from taskdesk.web.security import actor_of, admin_of, desk_of
from taskdesk.web.table import RouteList

routes = RouteList()


class RunAnswer(Message):
    task: TaskView


class ScheduleAnswer(Message):
    schedule: ScheduleView


@routes.get("/api/schedules", "tasks:access")
def list_schedules(request: Request) -> list[ScheduleView]:
    """Every schedule by code: what `taskdesk schedule list --json` prints."""
    return desk_of(request).schedules.list_schedules()


@routes.post("/api/schedules/{name}/run", "tasks:modify", status_code=201)
def run_now(request: Request, name: str) -> RunAnswer:
    """Add the schedule's task now, as a firing does (a waiting task with its code is
    replaced); its next firing stays where it was."""
    task = admin_of(request).schedule_changes.run_now(actor_of(request), name)
    return RunAnswer(message=f"added task {task.task_id} of schedule {name}",
                     task=task_view(task))


@routes.post("/api/schedules/{name}/enable", "tasks:modify")
def enable(request: Request, name: str) -> ScheduleAnswer:
    """What `taskdesk schedule enable` does: a firing missed meanwhile follows the
    schedule's missed policy."""
    changed = admin_of(request).schedule_changes.enable(actor_of(request), name)
    return ScheduleAnswer(message=f"enabled schedule {name}", schedule=changed)


@routes.post("/api/schedules/{name}/disable", "tasks:modify")
def disable(request: Request, name: str) -> ScheduleAnswer:
    """What `taskdesk schedule disable` does: no firing until enabled."""
    changed = admin_of(request).schedule_changes.disable(actor_of(request), name)
    return ScheduleAnswer(message=f"disabled schedule {name}", schedule=changed)


@routes.delete("/api/schedules/{name}", "tasks:modify")
def delete(request: Request, name: str) -> Message:
    """What `taskdesk schedule delete` does: the tasks it added stay."""
    admin_of(request).schedule_changes.delete(actor_of(request), name)
    return Message(message=f"deleted schedule {name}")


@routes.get("/schedules", "tasks:access", page=True)
def schedules_page(request: Request) -> Response:
    return render(request, "schedules.html", rows=admin_of(request).schedule_changes.rows())
