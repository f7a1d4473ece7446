"""Extensions > Queues: the named queues (waiting, running, failed, the oldest waiting
task's age, paused, who serves each) with Pause and Resume, and their JSON twins. A pause is
stored in the database and obeyed by every runner's claim; each is audited (who, from where)."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from taskdesk.views import QueueView
from taskdesk.web.render import render
from taskdesk.web.security import actor_of, desk_of
from taskdesk.web.table import RouteList

routes = RouteList()


@routes.get("/api/queues", "tasks:access")
def list_queues(request: Request) -> list[QueueView]:
    """Every queue that holds tasks, is paused, or is served by name by a live runner."""
    return desk_of(request).queues.list()


@routes.post("/api/queues/{name}/pause", "tasks:modify")
def pause_queue(request: Request, name: str) -> QueueView:
    """Pause a queue (it need not hold tasks): no runner claims its tasks until it is
    resumed; running ones finish."""
    return desk_of(request).queues.pause(name, by=actor_of(request))


@routes.post("/api/queues/{name}/resume", "tasks:modify")
def resume_queue(request: Request, name: str) -> QueueView:
    """Resume a queue: its tasks are claimed again at once."""
    return desk_of(request).queues.resume(name, by=actor_of(request))


@routes.get("/queues", "tasks:access", page=True)
def queues_page(request: Request) -> Response:
    return render(request, "queues.html", queues=desk_of(request).queues.list())
