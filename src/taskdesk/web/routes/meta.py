"""Routes for machines: /healthz for load balancers, /metrics for Prometheus (to a token or a
session, or to anyone with TASKDESK_METRICS_PUBLIC=1), and /openapi.json, the API's
description. What went wrong with the database (its URL, a driver's message) is told only to
a caller who is logged in: the anonymous get a generic detail."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from taskdesk.errors import StoreUnavailable, TaskdeskError
from taskdesk.views import HealthView
from taskdesk.web.metrics import prometheus_text
from taskdesk.web.paths import root_of
from taskdesk.web.security import NotLoggedIn, admin_of
from taskdesk.web.table import LOGGED_IN, PUBLIC, RouteList

routes = RouteList()

NOT_FIT = "not fit to work: log in or send a bearer token to see why"
UNAVAILABLE = "the database is unavailable"


@routes.get("/healthz", PUBLIC, responses={503: {"description": "not fit to work"}})
def healthz(request: Request) -> Response:
    """200 when the database answers and its schema is current; 503 otherwise, within
    TASKDESK_HEALTH_TIMEOUT_SECONDS whatever the database does."""
    health: HealthView = request.app.state.health()
    if not health["ok"] and request.state.caller is None:
        health = HealthView(ok=False, detail=NOT_FIT)
    return JSONResponse(health, status_code=200 if health["ok"] else 503)


@routes.get("/metrics", PUBLIC)
def metrics(request: Request) -> Response:
    """Prometheus text; to a bearer token or a session, or to anyone if made public."""
    admin = admin_of(request)
    anonymous = request.state.caller is None
    if anonymous and not admin.settings.metrics_public:
        raise NotLoggedIn("send a bearer token or log in (or set TASKDESK_METRICS_PUBLIC=1)")
    try:
        counted, hosts = admin.insights.metrics(), admin.hosts()
    except TaskdeskError:
        if anonymous:
            raise StoreUnavailable(UNAVAILABLE) from None
        raise
    return PlainTextResponse(prometheus_text(counted, hosts),
                             media_type="text/plain; version=0.0.4; charset=utf-8")


@routes.get("/openapi.json", LOGGED_IN)
def openapi(request: Request) -> Response:
    """The API's description; mounted at a prefix, its server is the prefix, so a client
    reaches `/api/…` under it."""
    schema = request.app.openapi()
    root = root_of(request.scope)
    return JSONResponse({**schema, "servers": [{"url": root}]} if root else schema)
