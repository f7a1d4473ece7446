"""The admin web and its JSON API: `create_app(desk)` builds them for one Taskdesk (what
`taskdesk serve` runs), and `admin_app(desk, authenticate=…)` for mounting inside another
ASGI app (`host.mount("/tasks", admin_app(desk))`; docs/admin.md, "Inside your app").

Everything here reaches taskdesk through the front door (`Taskdesk`, for the application's
tasks, and `Admin`, the admin's services), `taskdesk.views` and the bottom layers (models,
errors, clock, text, config); state lives on `app.state`, never in module globals, so
several apps can share a process.
"""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles

from taskdesk.admin import Admin, LoginThrottle
from taskdesk.app import Taskdesk
from taskdesk.web.crashes import UnhandledErrors
from taskdesk.web.deadline import HealthProbe
from taskdesk.web.failures import install_failures
from taskdesk.web.headers import SecurityHeaders
from taskdesk.web.host import Authenticate, HostUser
from taskdesk.web.limits import BodyLimit
from taskdesk.web.proxies import Network, TrustedProxies, trusted_from_env
from taskdesk.web.render import environment
from taskdesk.web.routes import ROUTES
from taskdesk.web.security import guarded_route
from taskdesk.web.table import UPLOAD, Route
from taskdesk.web.timeouts import BodyDeadline, protocol_with_head_deadline

__all__ = ["Authenticate", "HostUser", "admin_app", "create_app", "protocol_with_head_deadline"]

STATIC = Path(__file__).parent / "static"
API_DESCRIPTION = (
    "taskdesk's JSON API: the same views as the CLI's `--json`. Authenticate with "
    "`Authorization: Bearer TOKEN` (`taskdesk user token NAME`) or the admin's session "
    "cookie plus its CSRF token in `X-CSRF-Token` on every change.")


def admin_app(desk: Taskdesk, *, authenticate: Authenticate | None = None,
              throttle: LoginThrottle | None = None,
              trusted_proxies: tuple[Network, ...] = ()) -> FastAPI:
    """The admin, to mount inside another ASGI app at any prefix: its links, redirects and
    cookies follow the prefix. `authenticate(request)` returns the host app's user as
    `(name, role)`, or None (then the admin's own login applies): see taskdesk.web.host.
    No proxy is trusted by default: the host's server has already told the client apart."""
    return create_app(desk, throttle=throttle, trusted_proxies=trusted_proxies,
                      authenticate=authenticate)


def create_app(desk: Taskdesk, *, throttle: LoginThrottle | None = None,
               trusted_proxies: tuple[Network, ...] | None = None,
               authenticate: Authenticate | None = None) -> FastAPI:
    """The app; proxies trusted with X-Forwarded-For are FORWARDED_ALLOW_IPS' unless given."""
    app = FastAPI(title="taskdesk", version="0.1.0", description=API_DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url=None)  # /openapi.json is a route
    app.state.desk = desk
    app.state.authenticate = authenticate
    app.state.admin = admin = Admin(desk)
    app.state.templates = environment()
    app.state.throttle = throttle or admin.login_throttle()
    app.state.password_checks = threading.BoundedSemaphore(desk.settings.login_checks)
    app.state.health = HealthProbe(admin.health, desk.settings.health_timeout_seconds)
    for route in ROUTES:
        _add(app, route)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodyLimit, upload_bytes=desk.settings.package_max_file_bytes,
                       upload_paths=frozenset(route.path for route in ROUTES
                                              if route.permission == UPLOAD))
    app.add_middleware(BodyDeadline, read_seconds=desk.settings.read_timeout_seconds,
                       body_seconds=desk.settings.body_timeout_seconds)
    app.add_middleware(UnhandledErrors)  # inside the headers: a 500 carries them too
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TrustedProxies, trusted=trusted_from_env() if trusted_proxies is None
                       else trusted_proxies)  # outermost: every layer sees the real client
    install_failures(app)
    return app


def _add(app: FastAPI, route: Route) -> None:
    app.router.add_api_route(
        route.path, route.endpoint, methods=[route.method],
        route_class_override=guarded_route(route), status_code=route.status_code,
        include_in_schema=route.path.startswith("/api/") and not route.page,
        response_class=HTMLResponse if route.page else JSONResponse,
        **route.extra)

