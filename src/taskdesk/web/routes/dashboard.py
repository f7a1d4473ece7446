"""The dashboard: tasks per status, the runners grouped by host with each host's health (up,
lost since when, stopped), and a chart of tasks completed and failed per minute over the last
hour. Its parts refresh on their own."""

from __future__ import annotations

from fastapi import Request
from pydantic import BaseModel
from starlette.responses import Response

from taskdesk.errors import HostNotFound
from taskdesk.text import visible
from taskdesk.views import ActivityView, HostView, RunnerView
from taskdesk.web.render import render
from taskdesk.web.routes.answers import Message
from taskdesk.web.security import actor_of, admin_of
from taskdesk.web.table import RouteList

routes = RouteList()
CHART_MINUTES = 60


class DashboardView(BaseModel):
    counts: dict[str, int]
    runners: list[RunnerView]
    hosts: list[HostView]  # the same runners, grouped by host, and the hosts lost or stopped
    activity: list[ActivityView]
    lease_expired: int = 0  # processing tasks whose lease ended, not yet recovered


def dashboard_view(request: Request) -> DashboardView:
    admin = admin_of(request)
    hosts = admin.hosts()
    return DashboardView(counts=admin.insights.status_counts(),
                         runners=[runner for host in hosts for runner in host["runners"]],
                         hosts=hosts,
                         activity=admin.insights.activity(minutes=CHART_MINUTES),
                         lease_expired=admin.insights.lease_expired())


@routes.get("/api/dashboard", "dashboard:access")
def dashboard(request: Request) -> DashboardView:
    return dashboard_view(request)


@routes.get("/api/runners", "dashboard:access")
def runners(request: Request) -> list[RunnerView]:
    """Runners that registered and have not stopped; `alive` if seen within a lease."""
    return admin_of(request).runners()


@routes.get("/api/hosts", "dashboard:access")
def hosts(request: Request) -> list[HostView]:
    """Hosts by name, each with its runners and health: up, lost (its runners stopped
    heartbeating without a clean stop; `last_seen_at` says when) or stopped; and the attempts
    its runners logged. The same view as `taskdesk hosts --json`."""
    return admin_of(request).hosts()


@routes.delete("/api/hosts/{hostname}", "tasks:modify")
def forget_host(request: Request, hostname: str) -> Message:
    """Forget a host (lost or stopped) and its counters (audited); 404 if unknown. A runner
    that starts there later records it again."""
    if not admin_of(request).forget_host(hostname, by=actor_of(request)):
        raise HostNotFound(f"no host {visible(hostname)} is known")
    return Message(message=f"forgot host {visible(hostname)}")


@routes.get("/", "dashboard:access", page=True)
def dashboard_page(request: Request) -> Response:
    template = "dashboard_live.html" if request.headers.get("HX-Request") else "dashboard.html"
    return render(request, template, view=dashboard_view(request))
