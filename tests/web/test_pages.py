"""The admin's pages: log in and out, security headers, every page for its role, hostile text
shown as text, the error log, /healthz, /metrics and /openapi.json."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from taskdesk.accounts.throttle import FREE_FAILURES, LoginThrottle
from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.models.runners import RunnerInfo
from taskdesk.web import create_app
from tests.support import FakeClock
from tests.web.conftest import PASSWORD, Browser, csrf_of

PAGES = ("/", "/tasks", "/tasks/log", "/installer", "/extensions", "/error-log", "/users",
         "/audit")
HOSTILE = '<script>alert(1)</script>\x1b[31m"\''


def test_logging_in_sets_a_safe_cookie_and_logging_out_ends_the_session(
        anonymous: Browser, desk: Taskdesk) -> None:
    page = anonymous.get("/tasks", follow_redirects=True)
    assert page.url.path == "/login"
    assert 'name="password"' in page.text
    response = anonymous.post("/login", data={"name": "admin", "password": PASSWORD,
                                              "next": "/tasks"}, follow_redirects=False)
    assert response.headers["location"] == "/tasks"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie
    token = csrf_of(anonymous.get("/tasks").text)
    out = anonymous.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert anonymous.get("/tasks", follow_redirects=False).status_code == 303
    assert [e["action"] for e in Admin(desk).audit.entries()[:2]] == ["session.logout",
                                                               "session.login"]


def test_the_cookie_is_secure_over_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://testserver") as client:
        response = client.post("/login", data={"name": "admin", "password": PASSWORD},
                               follow_redirects=False)
    assert "secure" in response.headers["set-cookie"].lower()


def test_next_never_leaves_the_site(anonymous: Browser) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = anonymous.post("/login", data={"name": "viewer", "password": PASSWORD,
                                                  "next": target}, follow_redirects=False)
        assert response.headers["location"] == "/"


def test_failed_logins_are_slowed_down_per_user_at_an_address_and_per_address(
        desk: Taskdesk) -> None:
    clock = FakeClock()
    app = create_app(desk, throttle=LoginThrottle(lambda: desk.store, clock=clock))
    with TestClient(app) as client:
        for _ in range(FREE_FAILURES):
            wrong = client.post("/login", data={"name": "admin", "password": "wrong-one"})
            assert wrong.status_code == 401
            assert "Wrong user name or password" in wrong.text
        slowed = client.post("/login", data={"name": "admin", "password": PASSWORD})
        assert slowed.status_code == 429
        assert "Retry-After" in slowed.headers
        other = client.post("/login", data={"name": "viewer", "password": PASSWORD})
        assert other.status_code == 429  # the same address waits too
        with TestClient(app, client=("192.0.2.8", 40000)) as elsewhere:  # not locked out
            assert elsewhere.post("/login", data={"name": "admin", "password": PASSWORD},
                                  follow_redirects=False).status_code == 303
        clock.advance(5)
        assert client.post("/login", data={"name": "admin", "password": PASSWORD},
                           follow_redirects=False).status_code == 303


def test_security_headers(admin: Browser) -> None:
    response = admin.get("/tasks")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "<script>" not in response.text.replace('<script src="', "")


def test_every_page_renders_for_the_admin_with_opencarts_menu(admin: Browser) -> None:
    for path in PAGES:
        response = admin.get(path)
        assert response.status_code == 200, path
        for label in ("Installer", "Extensions", "Tasks", "Error logs"):
            assert label in response.text
    assert admin.get("/static/vendor/htmx.min.js").status_code == 200


def test_a_viewer_sees_no_buttons_that_change_anything(browsers: dict[str, Browser]) -> None:
    viewer = browsers["viewer"]
    assert "Run Tasks" not in viewer.get("/tasks").text
    assert 'id="upload-form"' not in viewer.get("/installer").text
    assert "Users" not in viewer.get("/").text.split("<main")[0]  # not in its menu


def test_hostile_text_is_shown_as_text(admin: Browser, desk: Taskdesk) -> None:
    task = desk.tasks.add("hostile", "tests.support.handlers:noop", {"x": HOSTILE})
    desk.error_log.write(HOSTILE)
    for path in ("/tasks", f"/tasks/{task.task_id}", "/error-log"):
        page = admin.get(path).text
        assert "<script>alert(1)" not in page, path
        assert "\x1b" not in page
    lines = admin.get("/api/error-log?lines=5").json()["lines"]
    assert lines[-1]["message"] == HOSTILE  # JSON escapes it; read back, it is exact
    assert "\\x1b[31m" in admin.get("/error-log").text  # the page shows the escape


def test_the_error_log_downloads_whole_and_clears(admin: Browser, desk: Taskdesk) -> None:
    for n in range(300):
        desk.error_log.write(f"line {n}")
    assert len(admin.get("/api/error-log").json()["lines"]) == 200
    download = admin.get("/error-log/download")
    assert download.text.count("\n") == 300
    assert "attachment" in download.headers[
        "content-disposition"]
    assert admin.act("DELETE", "/api/error-log").status_code == 200
    assert desk.error_log.size() == 0
    assert admin.get("/api/error-log").json()["lines"] == []
    assert admin.get("/error-log/download").text == ""


def test_healthz(anonymous: Browser, desk: Taskdesk, tmp_path: object) -> None:
    assert anonymous.get("/healthz").json() == {"ok": True,
                                                "detail": "database reachable, schema current"}
    broken = Taskdesk(database_url="postgresql://nobody@127.0.0.1:1/none")
    with TestClient(create_app(broken)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["ok"] is False


def test_metrics_to_a_token_or_a_session_unless_made_public(app: FastAPI, anonymous: Browser,
                                                            admin: Browser,
                                                            desk: Taskdesk) -> None:
    assert anonymous.get("/metrics").status_code == 401
    with TestClient(app, client=("127.0.0.1", 50000)) as local:  # a same-host proxy's clients
        assert local.get("/metrics").status_code == 401
    secret, _ = Admin(desk).accounts.issue_token("viewer")
    text = anonymous.get("/metrics", headers={"Authorization": f"Bearer {secret}"}).text
    assert 'taskdesk_tasks{status="pending"} 0' in text
    assert admin.get("/metrics").status_code == 200
    public = Taskdesk(home=desk.settings.home, metrics_public=True)
    try:
        with TestClient(create_app(public)) as anyone:
            assert anyone.get("/metrics").status_code == 200
    finally:
        public.close()


def test_openapi_describes_the_api_with_schemas(admin: Browser) -> None:
    spec = admin.get("/openapi.json").json()
    for path in ("/api/tasks", "/api/tasks/{task_id}", "/api/tasks/run", "/api/tasks/log",
                 "/api/extensions/upload", "/api/error-log", "/api/runners"):
        assert path in spec["paths"], path
    assert "TaskView" in spec["components"]["schemas"]
    assert not any(path.startswith(("/tasks", "/login")) for path in spec["paths"])


def test_a_bearer_token_needs_no_csrf_and_a_revoked_one_is_refused(
        anonymous: Browser, desk: Taskdesk) -> None:
    secret, token = Admin(desk).accounts.issue_token("operator")
    headers = {"Authorization": f"Bearer {secret}"}
    added = anonymous.post("/api/tasks", headers=headers,
                           json={"code": "t", "action": "tests.support.handlers:noop"})
    assert added.status_code == 201
    Admin(desk).accounts.revoke_token(token["token_id"])
    assert anonymous.get("/api/tasks", headers=headers).status_code == 401


def test_users_page_changes_roles_and_the_last_admin_keeps_theirs(admin: Browser,
                                                                  desk: Taskdesk) -> None:
    assert 'data-role-from' in admin.get("/users").text
    demoted = admin.act("POST", "/api/users/operator/role", json={"role": "viewer"})
    assert demoted.json()["role"] == "viewer"
    refused = admin.act("POST", "/api/users/admin/role", json={"role": "viewer"})
    assert refused.status_code == 409
    assert Admin(desk).accounts.get_user("admin")["role"] == "admin"
    assert Admin(desk).audit.entries()[0]["action"] == "users.role"


def test_a_login_deletes_expired_sessions(anonymous: Browser, desk: Taskdesk) -> None:
    lifetime = Admin(desk).accounts.session_seconds
    Admin(desk).accounts.session_seconds = -60  # sessions that expired a minute ago
    Admin(desk).accounts.start_session("viewer")
    Admin(desk).accounts.start_session("operator")
    Admin(desk).accounts.session_seconds = lifetime
    anonymous.post("/login", data={"name": "admin", "password": PASSWORD})
    assert Admin(desk).accounts.prune_sessions() == 0  # the login already deleted both


def test_the_tasks_page_says_a_runner_is_working_from_its_first_render(
        admin: Browser, desk: Taskdesk) -> None:
    assert "No runner is working" in admin.get("/tasks").text
    now = desk.now()
    desk.store.register_runner(RunnerInfo(runner_id="r1", hostname="host-a", pid=4242,
                                          started_at=now, last_seen_at=now))
    page = admin.get("/tasks").text
    assert "A runner is working" in page
    assert "pid 4242 on host-a" in page


def test_the_dashboard_says_when_processing_tasks_outlived_their_lease(
        admin: Browser, desk: Taskdesk) -> None:
    assert "lease-expired" not in admin.get("/", headers={"HX-Request": "true"}).text
    desk.tasks.add("stuck", "tests.support.handlers:noop")
    desk.store.claim("dead-host", lease_seconds=0)  # its lease ends at once: never renewed

    assert admin.get("/api/dashboard").json()["lease_expired"] == 1
    live = admin.get("/", headers={"HX-Request": "true"}).text
    assert "1 processing task with an expired lease, not yet recovered" in live
