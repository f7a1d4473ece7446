"""Routes for machines: /healthz for load balancers, /metrics for Prometheus (to a token or
from this machine), and /openapi.json, the API's description."""

from __future__ import annotations

from ipaddress import ip_address

from fastapi import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from taskdesk.views import HealthView
from taskdesk.web.metrics import prometheus_text
from taskdesk.web.security import NotLoggedIn, client_address, desk_of
from taskdesk.web.table import LOGGED_IN, PUBLIC, RouteList

routes = RouteList()


@routes.get("/healthz", PUBLIC, responses={503: {"description": "not fit to work"}})
def healthz(request: Request) -> Response:
    """200 when the database answers and its schema is current; 503 otherwise."""
    health: HealthView = desk_of(request).health()
    return JSONResponse(health, status_code=200 if health["ok"] else 503)


@routes.get("/metrics", PUBLIC)
def metrics(request: Request) -> Response:
    """Prometheus text; served to a bearer token or a session, or to a client on loopback."""
    if getattr(request.state, "caller", None) is None and not _loopback(request):
        raise NotLoggedIn("send a bearer token, or scrape from this machine")
    return PlainTextResponse(prometheus_text(desk_of(request).insights.metrics()),
                             media_type="text/plain; version=0.0.4; charset=utf-8")


def _loopback(request: Request) -> bool:
    address = client_address(request)
    try:
        return address is not None and ip_address(address).is_loopback
    except ValueError:
        return False


@routes.get("/openapi.json", LOGGED_IN)
def openapi(request: Request) -> Response:
    return JSONResponse(request.app.openapi())
