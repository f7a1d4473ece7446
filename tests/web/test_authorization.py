"""The authorisation matrix, generated from the route table, so that a new route cannot
escape it: every route but the public ones refuses the anonymous; every state-changing route
refuses a session's call without the CSRF token; every route refuses a role that lacks its
permission. The refusals come before the endpoint: nothing changes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.models.error_lines import MAX_PAGE, ErrorLineFilter
from taskdesk.web import create_app
from taskdesk.web.routes import ROUTES
from taskdesk.web.table import LOGGED_IN, PUBLIC, Route
from tests.web.conftest import ROLES, Browser, logged_in, make_desk

GUARDED = [route for route in ROUTES if route.permission != PUBLIC]
CHANGING = [route for route in GUARDED if route.changes_state]
PUBLIC_PATHS = {"/login", "/healthz", "/metrics"}


# Every test here is refused before anything changes (each checks that), so the module shares
# one desk and one set of logged-in clients: hundreds of cases cost one set-up.
@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Taskdesk]:
    desk = make_desk(tmp_path_factory.mktemp("matrix") / "home")
    desk.error_log.write("a line that a refused clear keeps")  # in the database and the file
    desk.schedules.add("viewer", "tests.support.handlers:noop", every="hour")  # {name}'s
    yield desk
    desk.close()


@pytest.fixture(scope="module")
def app(desk: Taskdesk) -> FastAPI:
    return create_app(desk)


@pytest.fixture(scope="module")
def anonymous(app: FastAPI) -> Iterator[Browser]:
    with Browser(app) as client:
        yield client


@pytest.fixture(scope="module")
def browsers(app: FastAPI) -> Iterator[dict[str, Browser]]:
    with logged_in(app) as clients:
        yield clients


def url_of(route: Route) -> str:
    """The route's path with a value in each parameter (the guard answers before any lookup)."""
    return re.sub(r"\{[^}]+\}", lambda match: {"{task_id}": "1", "{code}": "test_module",
                                               "{name}": "viewer", "{token_id}": "1",
                                               "{hostname}": "some-host"}
                  [match.group(0)], route.path)


def call(client: Browser, route: Route, *, csrf: bool = True) -> int:
    headers = {"X-CSRF-Token": client.csrf} if csrf and client.csrf else {}
    response = client.request(route.method, url_of(route), headers=headers,
                              follow_redirects=False)
    status: int = response.status_code
    return status


def snapshot(desk: Taskdesk) -> tuple[object, ...]:
    return (desk.tasks.count(), [user["name"] for user in Admin(desk).accounts.users()],
            desk.error_log.size(), len(desk.error_log.page(ErrorLineFilter(), MAX_PAGE)),
            len(Admin(desk).audit.entries(limit=1000)), desk.store.queues.paused(),
            desk.schedules.list_schedules())


def test_the_table_has_every_page_and_the_public_routes_are_only_the_expected_ones() -> None:
    public = {route.path for route in ROUTES if route.permission == PUBLIC}
    assert public == PUBLIC_PATHS
    paths = {route.path for route in ROUTES}
    for page in ("/", "/tasks", "/tasks/{task_id}", "/tasks/log", "/installer", "/extensions",
                 "/error-log", "/users", "/audit", "/queues", "/api/queues",
                 "/api/queues/{name}/pause", "/api/queues/{name}/resume", "/schedules",
                 "/tasks/failures", "/api/failures", "/api/failures/retry",
                 "/api/failures/cancel"):
        assert page in paths
    assert len(GUARDED) >= 40


@pytest.mark.parametrize("route", GUARDED, ids=lambda route: route.name)
def test_the_anonymous_are_refused(anonymous: Browser, desk: Taskdesk, route: Route) -> None:
    before = snapshot(desk)
    response = anonymous.request(route.method, url_of(route), follow_redirects=False)
    if route.page:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    else:
        assert response.status_code == 401
        assert response.json()["detail"]
    assert snapshot(desk) == before


@pytest.mark.parametrize("route", CHANGING, ids=lambda route: route.name)
def test_a_session_call_without_the_csrf_token_is_refused(
        browsers: dict[str, Browser], desk: Taskdesk, route: Route) -> None:
    before = snapshot(desk)
    for form in (False, True):  # as JSON, and as a plain HTML form post
        data = {"name": "x"} if form else None
        response = browsers["admin"].request(route.method, url_of(route), data=data,
                                             follow_redirects=False)
        assert response.status_code == 403, route.name
        assert "CSRF" in response.text
    assert snapshot(desk) == before


@pytest.mark.parametrize("route", [route for route in GUARDED if route.permission != LOGGED_IN],
                         ids=lambda route: route.name)
def test_a_role_without_the_permission_is_refused(
        browsers: dict[str, Browser], desk: Taskdesk, route: Route) -> None:
    before = snapshot(desk)
    lacking = [role for role in ROLES
               if route.permission not in Admin(desk).accounts.get_user(role)["permissions"]]
    for role in lacking:
        assert call(browsers[role], route) == 403, f"{role} reached {route.name}"
    assert snapshot(desk) == before


def test_a_viewer_can_change_nothing(browsers: dict[str, Browser]) -> None:
    viewer = browsers["viewer"]
    reached = [route.name for route in CHANGING
               if route.permission != LOGGED_IN and call(viewer, route) != 403]
    assert reached == []


def test_only_the_upload_permission_may_upload(browsers: dict[str, Browser],
                                               desk: Taskdesk) -> None:
    upload = next(route for route in ROUTES if route.path == "/api/extensions/upload")
    assert upload.permission == "installer:upload"
    allowed = [role for role in ROLES
               if "installer:upload" in Admin(desk).accounts.get_user(role)["permissions"]]
    assert allowed == ["admin"]  # operators may remove packages, but not add code
    response = browsers["operator"].post(
        "/api/extensions/upload", headers={"X-CSRF-Token": browsers["operator"].csrf},
        files={"file": ("test_module.zip", b"PK\x05\x06" + bytes(18))})
    assert response.status_code == 403
    assert "installer:upload" in response.json()["detail"]
