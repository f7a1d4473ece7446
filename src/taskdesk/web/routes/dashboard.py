"""The dashboard: tasks per status, the runners that are up, and a chart of tasks completed
and failed per minute over the last hour. Its parts refresh on their own."""

from __future__ import annotations

from fastapi import Request
from pydantic import BaseModel
from starlette.responses import Response

from taskdesk.views import ActivityView, RunnerView
from taskdesk.web.render import render
from taskdesk.web.security import admin_of
from taskdesk.web.table import RouteList

routes = RouteList()
CHART_MINUTES = 60


class DashboardView(BaseModel):
    counts: dict[str, int]
    runners: list[RunnerView]
    activity: list[ActivityView]
    lease_expired: int = 0  # processing tasks whose lease ended, not yet recovered


def dashboard_view(request: Request) -> DashboardView:
    admin = admin_of(request)
    return DashboardView(counts=admin.insights.status_counts(), runners=admin.runners(),
                         activity=admin.insights.activity(minutes=CHART_MINUTES),
                         lease_expired=admin.insights.lease_expired())


@routes.get("/api/dashboard", "dashboard:access")
def dashboard(request: Request) -> DashboardView:
    return dashboard_view(request)


@routes.get("/api/runners", "dashboard:access")
def runners(request: Request) -> list[RunnerView]:
    """Runners that registered and have not stopped; `alive` if seen within a lease."""
    return admin_of(request).runners()


@routes.get("/", "dashboard:access", page=True)
def dashboard_page(request: Request) -> Response:
    template = "dashboard_live.html" if request.headers.get("HX-Request") else "dashboard.html"
    return render(request, template, view=dashboard_view(request))
