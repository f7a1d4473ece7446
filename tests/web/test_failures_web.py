"""Tasks > Failures and its API: failed tasks grouped by error class (count, first and last
seen, the latest's traceback), Retry all and Cancel all of a class (the modify permission, the
CSRF token, an audit entry each, only that class's failed tasks touched); bad input one 4xx
that changes nothing; a hostile class name and traceback shown literally."""

from __future__ import annotations

import pytest
from markupsafe import escape

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.models.tasks import NewTask, Outcome, Status
from taskdesk.text import visible
from tests.web.conftest import Browser

pytestmark = pytest.mark.hostile
HOSTILE = '<script>alert("x")</script>\n\x1b[31mred'
LEASE = 30.0


def fail(desk: Taskdesk, code: str, error_class: str, text: str = "boom") -> int:
    [task] = desk.store.add([NewTask(code=code, action="tests.support.handlers:boom",
                                     max_attempts=1)])
    [claimed] = desk.store.claim("w", lease_seconds=LEASE)
    assert claimed.task_id == task.task_id
    outcome = Outcome(status=Status.FAILED, response=text, comment=text, duration=0.01,
                      error_class=error_class)
    assert desk.store.finish(claimed, "w", outcome, retention_seconds=3600)
    return task.task_id


def statuses(desk: Taskdesk) -> dict[str, str]:
    return {t.code: t.status.value for t in desk.tasks.list_tasks()}


def test_api_groups_failed_tasks_by_class(admin: Browser, desk: Taskdesk) -> None:
    fail(desk, "a1", "ValueError")
    latest = fail(desk, "a2", "ValueError", "ValueError: x\nTraceback (most recent call last)")
    fail(desk, "b", "KeyError")

    groups = admin.get("/api/failures").json()

    assert [(g["error_class"], g["count"]) for g in groups] == [("ValueError", 2),
                                                                ("KeyError", 1)]
    assert groups[0]["example_task_id"] == latest
    assert groups[0]["example_response"].endswith("Traceback (most recent call last)")
    assert groups[0]["first_seen"] <= groups[0]["last_seen"]
    assert groups[0]["example_cut"] is False


def test_retry_all_and_cancel_all_touch_that_class_only_and_are_audited(
        admin: Browser, desk: Taskdesk) -> None:
    fail(desk, "a1", "ValueError")
    fail(desk, "a2", "ValueError")
    fail(desk, "b", "KeyError")
    fail(desk, "c", "OSError")

    retried = admin.act("POST", "/api/failures/retry", json={"error_class": "ValueError"})
    cancelled = admin.act("POST", "/api/failures/cancel", json={"error_class": "KeyError"})

    assert retried.json() == {"message": "2 failed task(s) retried", "changed": 2}
    assert cancelled.json() == {"message": "1 failed task(s) cancelled", "changed": 1}
    assert statuses(desk) == {"a1": "pending", "a2": "pending", "b": "cancelled",
                              "c": "failed"}
    entries = Admin(desk).audit.entries(limit=10)
    assert [(e["action"], e["target"], e["detail"]) for e in entries[:2]] == [
        ("tasks.cancel", "failed tasks of error class KeyError", "1 cancelled"),
        ("tasks.retry", "failed tasks of error class ValueError", "2 retried")]
    assert [g["error_class"] for g in admin.get("/api/failures").json()] == ["OSError"]


def test_bad_input_is_one_clear_error_and_changes_nothing(admin: Browser,
                                                          desk: Taskdesk) -> None:
    fail(desk, "a", "ValueError")
    before = len(Admin(desk).audit.entries(limit=100))
    for body in ({}, {"error_class": ""}, {"error_class": "x" * 256}, {"error_class": 5},
                 {"error_class": "a\x00b"}):
        for verb in ("retry", "cancel"):
            response = admin.act("POST", f"/api/failures/{verb}", json=body)
            assert 400 <= response.status_code < 500, (verb, body)
            assert response.json()["detail"]
    assert statuses(desk) == {"a": "failed"}
    assert len(Admin(desk).audit.entries(limit=100)) == before


def test_the_operator_may_retry_and_the_viewer_may_not(browsers: dict[str, Browser],
                                                       desk: Taskdesk) -> None:
    fail(desk, "a", "ValueError")
    body = {"error_class": "ValueError"}
    for verb in ("retry", "cancel"):
        refused = browsers["viewer"].act("POST", f"/api/failures/{verb}", json=body)
        no_csrf = browsers["admin"].post(f"/api/failures/{verb}", json=body)
        assert (refused.status_code, no_csrf.status_code) == (403, 403)
    assert statuses(desk) == {"a": "failed"}
    assert browsers["viewer"].get("/api/failures").status_code == 200

    assert browsers["operator"].act("POST", "/api/failures/cancel", json=body).json()[
        "changed"] == 1


def test_the_page_shows_classes_buttons_and_hostile_values_literally(
        browsers: dict[str, Browser], desk: Taskdesk) -> None:
    fail(desk, "a", "ValueError", "ValueError: plain")
    fail(desk, "h", HOSTILE, f"{HOSTILE}: <b>message</b>\nTraceback")

    page = browsers["admin"].get("/tasks/failures")
    viewer_page = browsers["viewer"].get("/tasks/failures").text

    assert page.status_code == 200
    assert 'href="/tasks/failures">Failures</a>' in page.text
    assert page.text.count('data-action="POST /api/failures/retry"') == 2
    assert page.text.count('data-action="POST /api/failures/cancel"') == 2
    assert "data-confirm=" in page.text
    assert "<script>alert" not in page.text
    assert "<b>message" not in page.text
    assert "\x1b" not in page.text
    assert str(escape(visible(HOSTILE))) in page.text
    assert "<details>" in page.text
    assert "/api/failures/retry" not in viewer_page  # no buttons without modify
    assert "ValueError" in viewer_page
    assert 'href="/tasks/failures">Failures</a>' in browsers["admin"].get("/tasks").text


def test_the_tasks_list_filters_by_error_class(admin: Browser, desk: Taskdesk) -> None:
    a = fail(desk, "a", "ValueError")
    b = fail(desk, "b", "KeyError")

    listed = admin.get("/api/tasks", params={"error_class": "KeyError"}).json()["tasks"]
    page = admin.get("/tasks", params={"status": "failed", "error_class": "KeyError"}).text

    assert [(t["code"], t["error_class"]) for t in listed] == [("b", "KeyError")]
    assert f'data-task-id="{b}"' in page
    assert f'data-task-id="{a}"' not in page


def test_the_page_says_so_when_nothing_failed(admin: Browser) -> None:
    assert "No task has failed." in admin.get("/tasks/failures").text


def test_the_routes_are_in_the_openapi_description(admin: Browser) -> None:
    paths = admin.get("/openapi.json").json()["paths"]

    assert "get" in paths["/api/failures"]
    assert "post" in paths["/api/failures/retry"]
    assert "post" in paths["/api/failures/cancel"]
