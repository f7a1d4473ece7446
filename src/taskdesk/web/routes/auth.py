"""Log in and out: a session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) that names a
session kept in the database, so logging out or changing a password ends it everywhere."""

from __future__ import annotations

import threading
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from taskdesk.admin import Actor, LoginThrottle
from taskdesk.web.paths import cookie_path, root_of, url_in
from taskdesk.web.render import render
from taskdesk.web.security import (
    SESSION_COOKIE,
    Forbidden,
    actor_of,
    admin_of,
    caller_of,
    client_address,
)
from taskdesk.web.table import LOGGED_IN, PUBLIC, RouteList

routes = RouteList()
BUSY_SECONDS = 1  # Retry-After of a login refused because the checks are all busy


#: Pages a login must not land on: they answer only a post (a link to them is a 405 page).
NOT_AFTER_LOGIN = ("/logout", "/login")


def safe_next(target: str | None, root: str = "") -> str:
    """Only a page of this admin (under `root`, where it is mounted): never `//elsewhere`
    or `https://elsewhere`, and never one that answers only a post (a session that expired
    on the logout button came back with next=/logout)."""
    home = root + "/"
    if not target or not target.startswith(home) or target.startswith(("//", "/\\")):
        return home
    if urlsplit(target).path.removeprefix(root).rstrip("/") in NOT_AFTER_LOGIN:
        return home
    return target


def from_another_site(request: Request) -> bool:
    """A post made by another site's page (login CSRF: the login form has no session, so no
    CSRF token): the browser says so, or its Origin names another host, or none ("null").
    Clients that send neither header (curl) are not browsers a page can drive."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin")
    ours = {request.headers.get("host"), request.headers.get("x-forwarded-host")}
    return origin is not None and urlsplit(origin).netloc not in ours - {None}


@routes.get("/login", PUBLIC, page=True)
def login_page(request: Request, next: str | None = None) -> Response:
    if getattr(request.state, "caller", None) is not None:
        return RedirectResponse(safe_next(next, root_of(request.scope)), status_code=303)
    return render(request, "login.html", next=safe_next(next, root_of(request.scope)),
                  error=None, name="")


@routes.post("/login", PUBLIC, page=True)
def login(request: Request, name: Annotated[str, Form(max_length=256)] = "",
          password: Annotated[str, Form(max_length=4096)] = "",
          next: Annotated[str, Form(max_length=2048)] = "/") -> Response:
    """Each password check holds argon2id's 64 MiB while it runs: at most
    TASKDESK_LOGIN_CHECKS run at once, and a login beyond them is a 503 at once, for known
    and unknown names alike (the same path, the same cost)."""
    if from_another_site(request):
        raise Forbidden("this login was posted by another site's page: log in on this "
                        "site's own login page")
    checks: threading.Semaphore = request.app.state.password_checks
    if not checks.acquire(blocking=False):
        return _refused(request, 503, BUSY_SECONDS, name, next,
                        "Too many logins at this moment: try again in a moment.")
    try:
        return _checked_login(request, name, password, next)
    finally:
        checks.release()


def _checked_login(request: Request, name: str, password: str, next: str) -> Response:
    admin = admin_of(request)
    throttle: LoginThrottle = request.app.state.throttle
    address = client_address(request)
    wait = throttle.reserve(name, address)  # counted before the check: parallel guesses too
    if wait > 0:
        return _refused(request, 429, int(wait) + 1, name, next,
                        f"Too many failed logins: try again in {int(wait) + 1} s.")
    user = admin.accounts.authenticate(name, password)
    if user is None:
        return render(request, "login.html", status_code=401, name=name,
                      next=safe_next(next, root_of(request.scope)),
                      error="Wrong user name or password.")
    throttle.succeeded(name, address)
    admin.accounts.end_session(request.cookies.get(SESSION_COOKIE, ""))  # this browser's last
    admin.accounts.prune_sessions()  # expired ones go: the table never grows without bound
    session = admin.accounts.start_session(user["name"], address=address,
                                           by=Actor(user["name"], address))
    redirect = RedirectResponse(safe_next(next, root_of(request.scope)), status_code=303)
    redirect.set_cookie(SESSION_COOKIE, session["secret"], httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path=cookie_path(request),
                        max_age=int(admin.settings.session_seconds))
    return redirect


def _refused(request: Request, status_code: int, seconds: int, name: str, next: str,
             error: str) -> Response:
    response = render(request, "login.html", status_code=status_code, name=name,
                      next=safe_next(next, root_of(request.scope)), error=error)
    response.headers["Retry-After"] = str(seconds)
    return response


@routes.post("/logout", LOGGED_IN, page=True)
def logout(request: Request) -> Response:
    caller = caller_of(request)
    ended = request.cookies.get(SESSION_COOKIE, "") if caller.session is not None else ""
    admin_of(request).accounts.end_session(ended, by=actor_of(request))
    response = RedirectResponse(url_in(request, "/login"), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=cookie_path(request))
    return response
