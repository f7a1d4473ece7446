"""Who is calling, and may they: the guard every route passes through before its endpoint.

A caller is a user with a bearer token (API clients; no CSRF token needed, since a browser
never sends one on its own), with a session cookie (the admin's pages and their fetches; a
state-changing call must also carry the session's CSRF token, in the X-CSRF-Token header or a
`csrf_token` form field), or, in an admin mounted in another app, a user the host's
`authenticate` hook names (taskdesk.web.host; changes carry its CSRF token the same way).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from taskdesk.admin import Actor, Admin
from taskdesk.app import Taskdesk
from taskdesk.errors import TaskdeskError
from taskdesk.views import SessionView, UserView
from taskdesk.web.deadline import TooSlow, within
from taskdesk.web.host import Authenticate, host_csrf, host_user, keep_csrf
from taskdesk.web.table import LOGGED_IN, PUBLIC, Route

SESSION_COOKIE = "taskdesk_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
ACCESS = ":access"


@dataclass(frozen=True)
class Caller:
    user: UserView
    via: Literal["session", "token", "host"]
    session: SessionView | None = None
    read_only: bool = False  # a read-only token: only the user's `access` permissions
    host_csrf: str = ""  # a host user's CSRF token (taskdesk.web.host)

    @property
    def name(self) -> str:
        return self.user["name"]

    @property
    def csrf_token(self) -> str:
        """The token a change must carry ("" for a bearer token, which needs none)."""
        return self.session["csrf_token"] if self.session else self.host_csrf

    def may(self, permission: str) -> bool:
        if permission in (PUBLIC, LOGGED_IN):
            return True
        readable = not self.read_only or permission.endswith(ACCESS)
        return readable and permission in self.user["permissions"]

    def refusal(self, permission: str) -> str:
        holder = "a read-only token of " if self.read_only else ""
        return (f"{holder}{self.name} ({self.user['role']}) lacks the permission "
                f"{permission}")


class NotLoggedIn(Exception):
    """Log in, or send a bearer token."""

    http_status = 401


class Forbidden(Exception):
    """The caller may not do this."""

    http_status = 403


def desk_of(request: Request) -> Taskdesk:
    desk: Taskdesk = request.app.state.desk
    return desk


def admin_of(request: Request) -> Admin:
    admin: Admin = request.app.state.admin
    return admin


def caller_of(request: Request) -> Caller:
    """The caller the guard let through (routes that are not public always have one)."""
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None:
        raise NotLoggedIn(NotLoggedIn.__doc__)
    return caller


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def actor_of(request: Request) -> Actor:
    """Who asked for a change, and from where: what its audit entry names."""
    return Actor(caller_of(request).name, client_address(request))


def guard(route: Route) -> Callable[[Request], Awaitable[None]]:
    """The check of one route's caller, which guarded_route runs before the body is read."""

    async def check(request: Request) -> None:
        request.state.route = route
        if route.permission == PUBLIC:  # a caller, if any, but never refused (database down)
            request.state.caller = await run_in_threadpool(identify_in_time, request)
            return
        caller = await run_in_threadpool(identify, request)
        request.state.caller = caller
        if caller is None:
            raise NotLoggedIn(NotLoggedIn.__doc__)
        if not caller.may(route.permission):  # first: a refused caller's form is never parsed
            raise Forbidden(caller.refusal(route.permission))
        if route.changes_state and caller.via != "token":
            await check_csrf(request, caller)

    return check


def guarded_route(route: Route) -> type[APIRoute]:
    """The APIRoute class of one route: its guard runs before FastAPI reads the body (as a
    dependency it would run after), so a refused caller's body is never read or validated."""
    check = guard(route)

    class Guarded(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def guarded(request: Request) -> Response:
                await check(request)
                response = await handler(request)
                keep_csrf(request, response)
                return response

            return guarded

    return Guarded


def identify(request: Request) -> Caller | None:
    """The caller by bearer token, else by session cookie, else by the host's hook; None for
    the anonymous."""
    accounts = admin_of(request).accounts
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        used = accounts.use_token(secret.strip())
        if used is not None:
            return Caller(used[0], "token", read_only=used[1]["read_only"])
        return None if authenticate_of(request) is None else by_host(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    session = accounts.session(cookie) if cookie else None
    return Caller(session["user"], "session", session) if session else by_host(request)


def authenticate_of(request: Request) -> Authenticate | None:
    hook: Authenticate | None = getattr(request.app.state, "authenticate", None)
    return hook


def by_host(request: Request) -> Caller | None:
    """The host app's user, when the admin is mounted with an `authenticate` hook."""
    hook = authenticate_of(request)
    user = host_user(hook, request) if hook is not None else None
    return None if user is None else Caller(user, "host", host_csrf=host_csrf(request))


def identify_in_time(request: Request) -> Caller | None:
    """The caller of a public route, or None when it has no credentials or the database
    cannot tell in time (down, or not answering: /healthz must answer all the same)."""
    if not has_credentials(request):
        return None
    try:
        return within(desk_of(request).settings.health_timeout_seconds,
                      lambda: identify(request))
    except (TaskdeskError, TooSlow):
        return None


def has_credentials(request: Request) -> bool:
    return bool(request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE)
                or authenticate_of(request) is not None)


async def check_csrf(request: Request, caller: Caller) -> None:
    expected = caller.csrf_token
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("the CSRF token is missing or wrong: reload the page and try again")
