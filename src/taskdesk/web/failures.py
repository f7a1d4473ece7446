"""From a failure to one clear 4xx, the status its class carries (taskdesk/errors.py): JSON
`{"detail": message}` for the API, the error page for the admin's pages, and /login for an
anonymous visitor of a page."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from taskdesk.errors import TaskdeskError
from taskdesk.text import visible
from taskdesk.web.paths import root_of, route_path
from taskdesk.web.render import render
from taskdesk.web.security import Forbidden, NotLoggedIn


def install_failures(app: FastAPI) -> None:
    app.add_exception_handler(NotLoggedIn, _not_logged_in)
    for kind in (Forbidden, TaskdeskError):
        app.add_exception_handler(kind, _known)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http)


def is_page(request: Request) -> bool:
    """A page route; or, for a path no route took (404, 405), a browser's request outside
    the API (it asks for HTML)."""
    route = getattr(request.state, "route", None)
    if route is not None:
        return bool(route.page)
    in_api = (route_path(request.scope) + "/").startswith("/api/")
    return not in_api and "text/html" in request.headers.get("accept", "")


def answer(request: Request, message: str, status_code: int) -> Response:
    if is_page(request):
        return render(request, "error.html", status_code=status_code, message=message)
    return JSONResponse({"detail": message}, status_code=status_code)


async def _not_logged_in(request: Request, error: Exception) -> Response:
    if is_page(request) and request.headers.get("HX-Request") == "true":
        # A live region's refresh: htmx would swap the login page into it; send the tab there.
        shown = urlsplit(request.headers.get("HX-Current-URL", ""))
        target = (shown.path or "/") + (f"?{shown.query}" if shown.query else "")
        return Response(status_code=401, headers={"HX-Redirect": login_url(request, target)})
    if is_page(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(login_url(request, target), status_code=303)
    response = answer(request, str(error), 401)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def login_url(request: Request, target: str) -> str:
    """The login page, under the admin's root; `target` is a full path (the root included)."""
    return f"{root_of(request.scope)}/login?next={quote(target, safe='')}"


async def _known(request: Request, error: Exception) -> Response:
    """A TaskdeskError, Forbidden or NotLoggedIn: each class carries its status."""
    assert isinstance(error, TaskdeskError | Forbidden | NotLoggedIn)
    return answer(request, visible(str(error)), error.http_status)


async def _invalid(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return answer(request, validation_message(error), 422)


def validation_message(error: RequestValidationError) -> str:
    """The first problem, as one sentence: `query limit: Input should be ...`."""
    problems = error.errors()
    if not problems:
        return "the request is not valid"
    first = problems[0]
    where = " ".join(str(part) for part in first.get("loc", ()))
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return visible(f"{where}: {first.get('msg', 'not valid')}{more}")


async def _http(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    response = answer(request, str(error.detail), error.status_code)
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response
