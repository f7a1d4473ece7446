"""Extensions > Queues and its API: the queues with their counts, paused or not, and the live
runners serving each with their caps; Pause and Resume (the modify permission, the CSRF
token, an audit entry each); a bad name is one 4xx that changes nothing; hostile values
(a runner's host name, a name in the URL) are shown literally."""

from __future__ import annotations

from datetime import timedelta

import pytest
from markupsafe import escape

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.clock import utcnow
from taskdesk.models.runners import RunnerInfo
from taskdesk.models.tasks import NewTask
from taskdesk.text import visible
from tests.web.conftest import Browser

pytestmark = pytest.mark.hostile
HOSTILE_HOST = '<script>alert("x")</script>\n\x1b[31mred'
LEASE = 30.0  # the desk's lease (Settings' default)


def add(desk: Taskdesk, code: str, queue: str) -> None:
    desk.store.add([NewTask(code=code, action="tests.support.handlers:ok", max_attempts=3,
                            queue=queue)])


def serving(desk: Taskdesk, host: str, *, queues: tuple[str, ...] | None,
            caps: tuple[tuple[str, int], ...] = (), ago: float = 0.0) -> None:
    seen = utcnow() - timedelta(seconds=ago)
    desk.store.register_runner(RunnerInfo(
        runner_id=f"{host}:1:abcd1234", hostname=host, pid=1, started_at=seen,
        last_seen_at=seen, lease_seconds=LEASE, queues=queues, caps=caps))


def test_api_lists_queues_with_counts_pauses_and_caps(admin: Browser, desk: Taskdesk) -> None:
    add(desk, "m1", "mail")
    add(desk, "r1", "reports")
    serving(desk, "alpha", queues=("mail", "reports"), caps=(("mail", 2),))
    serving(desk, "beta", queues=None)  # every queue
    serving(desk, "gone", queues=("mail",), ago=LEASE * 3)  # not alive: serves nothing

    paused = admin.act("POST", "/api/queues/mail/pause")
    listed = {q["queue"]: q for q in admin.get("/api/queues").json()}

    assert paused.status_code == 200
    assert paused.json()["paused"] is True
    assert paused.json()["paused_by"] == "admin"
    assert sorted(listed) == ["mail", "reports"]
    assert (listed["mail"]["waiting"], listed["mail"]["paused"]) == (1, True)
    assert listed["reports"]["paused"] is False
    assert [(s["hostname"], s["cap"]) for s in listed["mail"]["served_by"]] == [
        ("alpha", 2), ("beta", None)]
    assert [(s["hostname"], s["cap"]) for s in listed["reports"]["served_by"]] == [
        ("alpha", None), ("beta", None)]


def test_pause_and_resume_are_audited_and_obeyed_by_the_claim(admin: Browser,
                                                              desk: Taskdesk) -> None:
    add(desk, "m1", "mail")
    admin.act("POST", "/api/queues/mail/pause")
    assert desk.store.claim("w", lease_seconds=LEASE) == []

    resumed = admin.act("POST", "/api/queues/mail/resume")

    assert resumed.json()["paused"] is False
    assert [t.code for t in desk.store.claim("w", lease_seconds=LEASE)] == ["m1"]
    entries = Admin(desk).audit.entries(limit=10)
    assert [(e["action"], e["target"], e["actor"]) for e in entries[:2]] == [
        ("queue.resume", "queue mail", "admin"), ("queue.pause", "queue mail", "admin")]


def test_a_bad_name_is_one_clear_error_and_changes_nothing(admin: Browser,
                                                           desk: Taskdesk) -> None:
    before = len(Admin(desk).audit.entries(limit=100))
    for name in ("no%20spaces", "%3Cscript%3E", "x" * 65):
        response = admin.act("POST", f"/api/queues/{name}/pause")
        assert response.status_code == 400, name
        assert "bad queue name" in response.json()["detail"]
    assert desk.store.queues.paused() == []
    assert len(Admin(desk).audit.entries(limit=100)) == before


def test_the_operator_may_pause_and_the_viewer_may_not(browsers: dict[str, Browser],
                                                       desk: Taskdesk) -> None:
    refused = browsers["viewer"].act("POST", "/api/queues/mail/pause")
    no_csrf = browsers["admin"].post("/api/queues/mail/pause")
    assert (refused.status_code, no_csrf.status_code) == (403, 403)
    assert desk.store.queues.paused() == []

    assert browsers["operator"].act("POST", "/api/queues/mail/pause").status_code == 200
    assert [p.queue for p in desk.store.queues.paused()] == ["mail"]
    assert browsers["viewer"].get("/api/queues").status_code == 200


def test_the_page_shows_queues_their_buttons_and_hostile_values_literally(
        browsers: dict[str, Browser], desk: Taskdesk) -> None:
    add(desk, "m1", "mail")
    add(desk, "r1", "reports")
    serving(desk, HOSTILE_HOST, queues=None)
    browsers["admin"].act("POST", "/api/queues/mail/pause")

    page = browsers["admin"].get("/queues")
    viewer_page = browsers["viewer"].get("/queues").text

    assert page.status_code == 200
    assert '<a class="dropdown-item active" href="/queues">Queues</a>' in page.text
    assert 'data-action="POST /api/queues/mail/resume"' in page.text
    assert 'data-action="POST /api/queues/reports/pause"' in page.text
    assert "<script>alert" not in page.text
    assert "\x1b" not in page.text
    assert str(escape(visible(HOSTILE_HOST))) in page.text
    assert "paused" in page.text
    assert "/api/queues/mail/resume" not in viewer_page  # no buttons without modify
    assert "reports" in viewer_page


def test_the_page_says_so_when_there_is_no_queue(admin: Browser) -> None:
    assert "No queue holds tasks" in admin.get("/queues").text


def test_the_routes_are_in_the_openapi_description(admin: Browser) -> None:
    paths = admin.get("/openapi.json").json()["paths"]

    assert "get" in paths["/api/queues"]
    assert "post" in paths["/api/queues/{name}/pause"]
    assert "post" in paths["/api/queues/{name}/resume"]
