"""The admin mounted inside another ASGI app at a prefix (`host.mount("/tasks",
admin_app(desk, authenticate=…))`): every link, form, live region, script call, redirect and
cookie of every page stays under the prefix and answers; the host's users come in through the
hook with their role, change things only with the CSRF token, and are named in the audit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.web import HostUser, admin_app
from tests.web.conftest import PASSWORD, csrf_of

PREFIX = "/tasks"
HOST_ROLES = {"alice": "admin", "vic": "viewer", "mallory": "root", "../x": "admin"}
#: Attributes whose value is a URL of the admin (data-action's and data-json-form's after
#: their method).
URL_ATTRIBUTE = re.compile(r'\s(href|src|action|hx-get|data-live|data-source|data-then|'
                           r'data-action|data-json-form)="([^"]*)"')
FETCHED = ("href", "src", "hx-get", "data-live", "data-source", "data-then")


def host_user(request: Request) -> HostUser | None:
    """The host's hook: its user (a cookie here, the host's session in a real app)."""
    name = request.cookies.get("host_user")
    return None if name is None or name not in HOST_ROLES else (name, HOST_ROLES[name])


def host_app(desk: Taskdesk) -> FastAPI:
    host = FastAPI()

    @host.get("/")
    def home() -> dict[str, str]:
        return {"app": "the host's own page"}

    host.mount(PREFIX, admin_app(desk, authenticate=host_user))
    return host


@pytest.fixture
def host(desk: Taskdesk) -> FastAPI:
    for n, action in enumerate(("tests.support.handlers:noop", "tests.support.handlers:noop")):
        desk.tasks.add(f"mounted-{n}", action, run_at="2099-01-01T00:00:00Z")
    return host_app(desk)


@pytest.fixture
def alice(host: FastAPI) -> Iterator[TestClient]:
    with TestClient(host, cookies={"host_user": "alice"}) as client:
        yield client


def urls_of(page: str) -> list[tuple[str, str]]:
    """(attribute, URL) of every admin URL a page holds, HTML entities decoded."""
    found = []
    for attribute, value in URL_ATTRIBUTE.findall(page):
        value = unescape(value)
        if attribute in ("data-action", "data-json-form"):
            value = value.split(" ", 1)[1]
        found.append((attribute, value))
    return found


def is_elsewhere(url: str) -> bool:
    return url in ("", "#") or url.startswith(("#", "http://", "https://"))


def crawl(client: TestClient, start: str, limit: int = 80) -> dict[str, str]:
    """Every admin page reachable by GET links from `start`, by URL: its HTML."""
    pages: dict[str, str] = {}
    waiting = [start]
    while waiting and len(pages) < limit:
        url = waiting.pop(0)
        if url in pages:
            continue
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.text[:200])
        pages[url] = response.text if "html" in response.headers["content-type"] else ""
        waiting += [link for attribute, link in urls_of(pages[url])
                    if attribute in FETCHED and not is_elsewhere(link)
                    and "download" not in link and link not in pages]
    return pages


def test_every_url_of_every_page_is_under_the_prefix_and_answers(alice: TestClient,
                                                                 desk: Taskdesk) -> None:
    pages = crawl(alice, f"{PREFIX}/")

    assert {f"{PREFIX}/", f"{PREFIX}/tasks", f"{PREFIX}/tasks/1", f"{PREFIX}/static/admin.js",
            f"{PREFIX}/users", f"{PREFIX}/audit", f"{PREFIX}/error-log"} <= set(pages)
    outside = {(page, link) for page, html in pages.items() for _, link in urls_of(html)
               if not is_elsewhere(link) and not link.startswith(f"{PREFIX}/")}
    assert outside == set()


def test_every_change_a_page_offers_reaches_its_route_under_the_prefix(
        alice: TestClient) -> None:
    """Each data-action / data-json-form / post form, sent without its CSRF token, is refused
    by its route's guard (403), never a 404 or 405 of a path that missed the prefix."""
    changes = set()
    for html in crawl(alice, f"{PREFIX}/").values():
        for method, url in re.findall(r'data-(?:action|json-form)="(\w+) ([^"]+)"', html):
            changes.add((method, unescape(url).replace("{}", "mail")))
        changes |= {("POST", unescape(url)) for url in
                    re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', html)}
    assert len(changes) > 10
    for method, url in sorted(changes):
        answer = alice.request(method, url, json={})
        assert answer.status_code == 403, (method, url, answer.status_code)
        assert "CSRF" in answer.text or url.endswith("/upload"), (method, url)


def test_the_hooks_user_changes_with_the_pages_token_and_is_named_in_the_audit(
        alice: TestClient, desk: Taskdesk) -> None:
    page = alice.get(f"{PREFIX}/tasks/1")
    assert "alice · admin" in page.text
    assert "Log out" not in page.text  # the host's users log out of the host
    cookie = page.headers["set-cookie"]
    assert "taskdesk_csrf=" in cookie
    assert f"Path={PREFIX}" in cookie
    assert "samesite=strict" in cookie.lower()
    assert "httponly" in cookie.lower()

    assert alice.post(f"{PREFIX}/api/tasks/1/cancel").status_code == 403
    assert alice.post(f"{PREFIX}/api/tasks/1/cancel",
                      headers={"X-CSRF-Token": "x" * 43}).status_code == 403
    done = alice.post(f"{PREFIX}/api/tasks/1/cancel", headers={"X-CSRF-Token": csrf_of(page.text)})

    assert done.status_code == 200
    assert desk.tasks.get(1).status == "cancelled"
    entry = Admin(desk).audit.entries(limit=1)[0]
    assert (entry["actor"], entry["action"], entry["target"]) == (
        "alice", "tasks.cancel", "tasks 1")


def test_the_token_stays_the_browsers_across_pages(alice: TestClient) -> None:
    first = csrf_of(alice.get(f"{PREFIX}/tasks").text)

    assert csrf_of(alice.get(f"{PREFIX}/queues").text) == first
    assert "set-cookie" not in alice.get(f"{PREFIX}/queues").headers


@pytest.mark.parametrize("planted", ["short", "<b>" * 20, "x" * 44])
def test_a_token_cookie_of_another_shape_is_replaced(host: FastAPI, planted: str) -> None:
    with TestClient(host, cookies={"host_user": "alice", "taskdesk_csrf": planted}) as client:
        page = client.get(f"{PREFIX}/tasks")

    token = csrf_of(page.text)
    assert token != planted
    assert len(token) == 43
    assert f"taskdesk_csrf={token}" in page.headers["set-cookie"]


def test_a_viewer_from_the_hook_may_look_but_not_change(host: FastAPI) -> None:
    with TestClient(host, cookies={"host_user": "vic"}) as vic:
        page = vic.get(f"{PREFIX}/tasks/1")
        assert page.status_code == 200
        refused = vic.post(f"{PREFIX}/api/tasks/1/retry",
                           headers={"X-CSRF-Token": csrf_of(page.text)})

    assert refused.status_code == 403
    assert "vic (viewer) lacks the permission tasks:modify" in refused.json()["detail"]


@pytest.mark.parametrize(("name", "message"), [("mallory", "unknown role 'root'"),
                                               ("../x", "bad user name")])
def test_a_bad_user_from_the_hook_is_one_clear_error_and_no_way_in(
        host: FastAPI, name: str, message: str) -> None:
    with TestClient(host, cookies={"host_user": name}) as client:
        answer = client.get(f"{PREFIX}/api/tasks")

    assert answer.status_code == 400
    assert message in answer.json()["detail"]


def test_the_admins_own_login_works_under_the_prefix(host: FastAPI) -> None:
    with TestClient(host) as client:
        away = client.get(f"{PREFIX}/tasks?status=failed", follow_redirects=False)
        assert away.headers["location"] == f"{PREFIX}/login?next=%2Ftasks%2Ftasks%3Fstatus%3Dfailed"
        form = client.get(away.headers["location"]).text
        assert f'action="{PREFIX}/login"' in form
        assert 'value="/tasks/tasks?status=failed"' in form

        login = client.post(f"{PREFIX}/login", follow_redirects=False, data={
            "name": "admin", "password": PASSWORD, "next": "/tasks/tasks?status=failed"})
        assert login.status_code == 303
        assert login.headers["location"] == "/tasks/tasks?status=failed"
        assert f"Path={PREFIX}" in login.headers["set-cookie"]
        page = client.get(f"{PREFIX}/tasks")
        assert "admin · admin" in page.text
        assert "Log out" in page.text

        out = client.post(f"{PREFIX}/logout", data={"csrf_token": csrf_of(page.text)},
                          follow_redirects=False)
        assert out.headers["location"] == f"{PREFIX}/login"
        assert f"Path={PREFIX}" in out.headers["set-cookie"]


@pytest.mark.parametrize("target", ["/elsewhere", "//evil.example", "https://evil.example/",
                                    "/tasks/logout", "/tasksx"])
def test_a_login_lands_only_on_the_admins_own_pages(host: FastAPI, target: str) -> None:
    with TestClient(host) as client:
        login = client.post(f"{PREFIX}/login", follow_redirects=False, data={
            "name": "admin", "password": PASSWORD, "next": target})

    assert login.headers["location"] == f"{PREFIX}/"


def test_a_live_region_of_an_anonymous_tab_is_sent_to_the_login_under_the_prefix(
        host: FastAPI) -> None:
    with TestClient(host) as client:
        answer = client.get(f"{PREFIX}/tasks", headers={
            "HX-Request": "true", "HX-Current-URL": "http://testserver/tasks/tasks?queue=mail"})

    assert answer.status_code == 401
    assert answer.headers["HX-Redirect"] == f"{PREFIX}/login?next=%2Ftasks%2Ftasks%3Fqueue%3Dmail"


def test_the_api_health_and_static_files_answer_under_the_prefix(host: FastAPI) -> None:
    with TestClient(host) as client:
        assert client.get(f"{PREFIX}/api/tasks").status_code == 401
        assert client.get(f"{PREFIX}/healthz").json()["ok"] is True
        script = client.get(f"{PREFIX}/static/admin.js")
        assert script.status_code == 200
        assert "no-store" not in script.headers.get("cache-control", "")
        assert client.get("/").json() == {"app": "the host's own page"}
        assert client.get(PREFIX, follow_redirects=False).headers["location"].endswith(
            f"{PREFIX}/")


def test_the_json_api_answers_under_the_prefix_and_its_description_says_where(
        alice: TestClient) -> None:
    assert [task["code"] for task in alice.get(f"{PREFIX}/api/tasks").json()["tasks"]] == [
        "mounted-1", "mounted-0"]
    description = alice.get(f"{PREFIX}/openapi.json").json()

    assert description["servers"] == [{"url": PREFIX}]
    assert "/api/tasks" in description["paths"]


def test_an_upload_under_the_prefix_keeps_its_larger_limit(alice: TestClient) -> None:
    """The body limit tells the upload route by its path inside the admin."""
    body = b"x" * (2 * 1024 * 1024)
    upload = alice.post(f"{PREFIX}/api/extensions/upload", content=body,
                        headers={"content-type": "application/octet-stream"})
    other = alice.post(f"{PREFIX}/api/tasks", content=body,
                       headers={"content-type": "application/json"})

    assert upload.status_code != 413
    assert other.status_code == 413
    assert urlsplit(str(upload.url)).path == f"{PREFIX}/api/extensions/upload"
