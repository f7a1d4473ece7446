"""Extensions > Workflows: the workflows with their tasks' counts by status, and one
workflow's tasks in order (parents first), each with its status and parents, linked to the
task pages; and their JSON twins, what `taskdesk workflow list|show --json` print."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from taskdesk.views import WorkflowSummaryView, WorkflowView
from taskdesk.web.render import render
from taskdesk.web.security import desk_of
from taskdesk.web.table import RouteList

routes = RouteList()
LIMIT = 100  # the newest workflows listed


@routes.get("/api/workflows", "tasks:access")
def list_workflows(request: Request) -> list[WorkflowSummaryView]:
    """The newest workflows first, with how many of their tasks have each status."""
    return desk_of(request).workflows.list(limit=LIMIT)


@routes.get("/api/workflows/{workflow_id}", "tasks:access")
def get_workflow(request: Request, workflow_id: int) -> WorkflowView:
    """One workflow's tasks, parents first, each with its status and parents."""
    return desk_of(request).workflows.get(workflow_id)


@routes.get("/workflows", "tasks:access", page=True)
def workflows_page(request: Request) -> Response:
    return render(request, "workflows.html",
                  workflows=desk_of(request).workflows.list(limit=LIMIT))


@routes.get("/workflows/{workflow_id}", "tasks:access", page=True)
def workflow_page(request: Request, workflow_id: int) -> Response:
    return render(request, "workflow.html", workflow=desk_of(request).workflows.get(workflow_id))
