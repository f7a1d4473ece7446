"""Log in and out: a session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) that names a
session kept in the database, so logging out or changing a password ends it everywhere."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from taskdesk.web.render import render
from taskdesk.web.security import (
    SESSION_COOKIE,
    Forbidden,
    caller_of,
    client_address,
    desk_of,
)
from taskdesk.web.table import LOGGED_IN, PUBLIC, RouteList
from taskdesk.web.throttle import LoginThrottle, login_keys

routes = RouteList()


def safe_next(target: str | None) -> str:
    """Only a path on this site: never `//elsewhere` or `https://elsewhere`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
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
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", next=safe_next(next), error=None, name="")


@routes.post("/login", PUBLIC, page=True)
def login(request: Request, name: Annotated[str, Form(max_length=256)] = "",
          password: Annotated[str, Form(max_length=4096)] = "",
          next: Annotated[str, Form(max_length=2048)] = "/") -> Response:
    if from_another_site(request):
        raise Forbidden("this login was posted by another site's page: log in on this "
                        "site's own login page")
    desk = desk_of(request)
    throttle: LoginThrottle = request.app.state.throttle
    address = client_address(request)
    keys = login_keys(name, address)
    wait = throttle.wait(*keys)
    if wait > 0:
        response = render(request, "login.html", status_code=429, next=safe_next(next),
                          name=name, error=f"Too many failed logins: try again in "
                                           f"{int(wait) + 1} s.")
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    user = desk.accounts.authenticate(name, password)
    if user is None:
        throttle.failed(*keys)
        return render(request, "login.html", status_code=401, next=safe_next(next), name=name,
                      error="Wrong user name or password.")
    throttle.succeeded(*keys)
    desk.accounts.end_session(request.cookies.get(SESSION_COOKIE, ""))  # this browser's last
    desk.accounts.prune_sessions()  # expired ones go: the table never grows without bound
    session = desk.accounts.start_session(user["name"], address=address)
    desk.audit.record(actor=user["name"], action="session.login", address=address)
    redirect = RedirectResponse(safe_next(next), status_code=303)
    redirect.set_cookie(SESSION_COOKIE, session["secret"], httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/",
                        max_age=int(desk.settings.session_seconds))
    return redirect


@routes.post("/logout", LOGGED_IN, page=True)
def logout(request: Request) -> Response:
    caller = caller_of(request)
    desk = desk_of(request)
    if caller.session is not None:
        desk.accounts.end_session(request.cookies.get(SESSION_COOKIE, ""))
    desk.audit.record(actor=caller.name, action="session.logout",
                      address=client_address(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
