"""Extensions > Tasks over HTTP: add (the allow-list applies), list with filters and keyset
pages, bulk changes by id or by filter, Run Tasks that never piles up runners, a task's page."""

from __future__ import annotations

import time

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.testing import run_due
from tests.web.conftest import Browser


def add(admin: Browser, code: str, action: str = "tests.support.handlers:noop",
        args: dict[str, object] | None = None) -> dict[str, object]:
    response = admin.act("POST", "/api/tasks",
                          json={"code": code, "action": action, "args": args or {}})
    assert response.status_code == 201, response.text
    task: dict[str, object] = response.json()
    return task


def test_an_action_off_the_allow_list_is_refused_over_http(admin: Browser,
                                                            desk: Taskdesk) -> None:
    response = admin.act("POST", "/api/tasks", json={
        "code": "x", "action": "os:system", "args": {"command": "touch /tmp/owned"}})
    assert response.status_code == 400
    assert "TASKDESK_ALLOWED_ACTIONS" in response.json()["detail"]
    assert desk.tasks.count() == 0


def test_bad_input_gets_one_clear_4xx(admin: Browser) -> None:
    noop = "tests.support.handlers:noop"
    for body, status in (({"code": "x"}, 422), ({"code": "", "action": noop}, 400),
                         ({"code": "x", "action": noop, "args": [1]}, 422)):
        response = admin.act("POST", "/api/tasks", json=body)
        assert response.status_code == status, response.text
        assert isinstance(response.json()["detail"], str)
    assert admin.get("/api/tasks?status=nope").status_code == 400
    assert admin.get("/api/tasks?args=[1]").status_code == 400
    assert admin.get("/api/tasks/99").status_code == 404


def test_the_list_filters_and_pages_newest_first(admin: Browser) -> None:
    for n in range(7):  # each its own code: a task replaces the waiting one of its code
        add(admin, f"page-{n}", args={"user_id": n, "tag": "x"})
    page = admin.get("/api/tasks?limit=3").json()
    assert [task["code"] for task in page["tasks"]] == ["page-6", "page-5", "page-4"]
    rest = admin.get(f"/api/tasks?limit=10&cursor={page['next_cursor']}").json()
    assert [task["code"] for task in rest["tasks"]] == ["page-3", "page-2", "page-1", "page-0"]
    assert rest["next_cursor"] is None
    exact = admin.get("/api/tasks?code=page-1&code_exact=true").json()["tasks"]
    assert [task["code"] for task in exact] == ["page-1"]
    found = admin.get('/api/tasks?args={"user_id": 4}').json()["tasks"]
    assert [task["args"]["user_id"] for task in found] == [4]
    assert admin.get("/api/tasks?action=handlers:noop&status=pending").json()["tasks"]


def test_bulk_changes_by_ids_and_by_filter(admin: Browser, desk: Taskdesk) -> None:
    ids = [add(admin, f"bulk-{n}")["task_id"] for n in range(4)]
    response = admin.act("POST", "/api/tasks/status",
                          json={"task_ids": ids[:2], "status": "paused"})
    assert response.json()["changed"] == 2
    response = admin.act("POST", "/api/tasks/delete", json={"filter": {"status": "paused"}})
    assert response.json()["changed"] == 2
    assert desk.tasks.count() == 2
    neither = admin.act("POST", "/api/tasks/delete", json={})
    assert neither.status_code == 400
    assert admin.act("POST", "/api/tasks/clear").json()["changed"] == 2
    actions = [entry["action"] for entry in Admin(desk).audit.entries()]
    assert actions[:3] == ["tasks.clear", "tasks.delete", "tasks.status"]
    assert Admin(desk).audit.entries()[0]["actor"] == "admin"


def test_run_tasks_starts_one_runner_and_a_second_press_says_one_is_working(
        admin: Browser, desk: Taskdesk) -> None:
    task = add(admin, "sleepy", "tests.support.handlers:sleep_once",
               {"marker": str(desk.settings.home / "marker"), "seconds": 1.5})
    first = admin.act("POST", "/api/tasks/run").json()
    second = admin.act("POST", "/api/tasks/run").json()
    assert first["started"] is True
    assert second == {"started": False, "pid": first["pid"],
                      "message": f"a runner is already working (pid {first['pid']})"}
    banner = admin.get("/tasks/runners").text
    assert "A runner is working" in banner
    deadline = time.monotonic() + 30
    while desk.tasks.get(int(str(task["task_id"]))).status != "complete":
        assert time.monotonic() < deadline, "the background runner did not finish"
        time.sleep(0.2)
    while Admin(desk).background.running():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert "No runner is working" in admin.get("/tasks/runners").text


def test_a_task_page_shows_args_response_attempts_and_its_log(admin: Browser,
                                                              desk: Taskdesk) -> None:
    task = add(admin, "boom", "tests.support.handlers:boom", {"message": "<b>bad</b>"})
    run_due(desk)
    detail = admin.get(f"/api/tasks/{task['task_id']}").json()
    assert detail["task"]["status"] in ("pending", "failed")
    assert detail["attempts"][0]["attempt"] == 1
    assert detail["attempts"][0]["duration"] is not None
    page = admin.get(f"/tasks/{task['task_id']}").text
    assert "&lt;b&gt;bad&lt;/b&gt;" in page
    assert "<b>bad</b>" not in page


def test_the_list_filters_by_queue(admin: Browser, desk: Taskdesk) -> None:
    desk.tasks.add("mail", "tests.support.handlers:noop", queue="mail")
    desk.tasks.add("other", "tests.support.handlers:noop")
    found = admin.get("/api/tasks?queue=mail").json()["tasks"]
    assert [(task["code"], task["queue"]) for task in found] == [("mail", "mail")]
    page = admin.get("/tasks?queue=mail").text
    assert ">mail<" in page
    assert ">other<" not in page
    assert admin.get("/api/tasks?queue=bad%20name").status_code == 400
