"""Extensions > Tasks > Failures: the failed tasks grouped by the class of what failed them
(count, first and last failure, the latest's traceback), with Retry all and Cancel all of a
class, and their JSON twins. Every change goes through the admin's TaskChanges, which writes
its audit entry in the change's own transaction."""

from __future__ import annotations

from fastapi import Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from taskdesk.views import FailureView, failure_view
from taskdesk.web.render import render
from taskdesk.web.routes.answers import Changed
from taskdesk.web.security import actor_of, admin_of, desk_of
from taskdesk.web.table import RouteList

routes = RouteList()


class ErrorClassBody(BaseModel):
    error_class: str = Field(min_length=1, max_length=255,
                             description="as GET /api/failures names it")


def _failures(request: Request) -> list[FailureView]:
    return [failure_view(group) for group in desk_of(request).tasks.failures()]


@routes.get("/api/failures", "tasks:access")
def list_failures(request: Request) -> list[FailureView]:
    """The failed tasks grouped by error class, most tasks first (at most 100 classes): what
    `taskdesk task list --by-error --json` prints."""
    return _failures(request)


@routes.post("/api/failures/retry", "tasks:modify")
def retry_class(request: Request, body: ErrorClassBody) -> Changed:
    """Retry every failed task of this error class (a fresh attempt budget, due now)."""
    changed = admin_of(request).task_changes.retry_failed(actor_of(request), body.error_class)
    return Changed(changed=changed, message=f"{changed} failed task(s) retried")


@routes.post("/api/failures/cancel", "tasks:modify")
def cancel_class(request: Request, body: ErrorClassBody) -> Changed:
    """Cancel every failed task of this error class (each keeps its history; a retry brings
    it back)."""
    changed = admin_of(request).task_changes.cancel_failed(actor_of(request), body.error_class)
    return Changed(changed=changed, message=f"{changed} failed task(s) cancelled")


@routes.get("/tasks/failures", "tasks:access", page=True)
def failures_page(request: Request) -> Response:
    return render(request, "failures.html", failures=_failures(request))
