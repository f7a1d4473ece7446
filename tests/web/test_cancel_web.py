"""Cancel in the admin and its API: POST /api/tasks/{task_id}/cancel (a waiting task, a
running one whose outcome is then refused, a complete one left alone, an unknown one 404 with
nothing changed), the bulk POST /api/tasks/cancel by ids and by filter, each audited as
`tasks.cancel` with the task log naming the admin user; a viewer may not cancel; the buttons
on the list, its bulk actions and the task page; cancelled tasks in the list's JSON, the
status filter and the dashboard's counts."""

from __future__ import annotations

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.models.runners import ClaimKey
from taskdesk.models.tasks import Outcome, Status
from tests.web.conftest import Browser

NOOP = "tests.support.handlers:noop"


def test_cancel_one_waiting_task_audited_and_logged(admin: Browser, desk: Taskdesk) -> None:
    task = desk.tasks.add("one", NOOP)

    answer = admin.act("POST", f"/api/tasks/{task.task_id}/cancel")

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"changed": 1, "message": "the task is cancelled"}
    assert desk.tasks.get(task.task_id).status is Status.CANCELLED
    [entry] = desk.tasks.log(task_id=task.task_id)
    assert entry.comment.startswith("cancelled by admin user admin")
    audit = Admin(desk).audit.entries()[0]
    assert (audit["actor"], audit["action"], audit["target"], audit["detail"]) == (
        "admin", "tasks.cancel", f"tasks {task.task_id}", "1 cancelled")
    again = admin.act("POST", f"/api/tasks/{task.task_id}/cancel").json()
    assert again == {"changed": 0, "message": "the task had ended: not cancelled"}


def test_a_running_task_cancelled_over_http_has_its_outcome_refused(
        admin: Browser, desk: Taskdesk) -> None:
    task = desk.tasks.add("running", NOOP)
    [claimed] = desk.store.claim("host:1:abc", lease_seconds=60)

    assert admin.act("POST", f"/api/tasks/{task.task_id}/cancel").json()["changed"] == 1

    outcome = Outcome(status=Status.COMPLETE, response="ok", comment="ok", duration=0.1)
    assert desk.store.finish(claimed, "host:1:abc", outcome, retention_seconds=60) is False
    assert desk.store.set_progress("host:1:abc", ClaimKey.of(claimed), 5, "") is False
    shown = admin.get(f"/api/tasks/{task.task_id}").json()
    assert shown["task"]["status"] == "cancelled"
    assert "while running attempt 1 on runner host:1:abc" in shown["log"][-1]["comment"]


def test_unknown_and_complete_tasks_change_nothing(admin: Browser, desk: Taskdesk) -> None:
    done = desk.tasks.add("done", NOOP)
    desk.runner().drain()
    entries = len(Admin(desk).audit.entries())

    assert admin.act("POST", "/api/tasks/999/cancel").status_code == 404
    assert admin.act("POST", f"/api/tasks/{done.task_id}/cancel").json()["changed"] == 0
    refused = admin.act("POST", "/api/tasks/cancel", json={"filter": {"status": "complete"}})
    assert refused.status_code == 400
    assert "complete tasks cannot be cancelled" in refused.json()["detail"]
    assert admin.act("POST", "/api/tasks/cancel", json={"task_ids": [done.task_id, 999]}
                     ).status_code == 404
    assert admin.act("POST", "/api/tasks/cancel", json={}).status_code == 400

    assert desk.tasks.get(done.task_id).status is Status.COMPLETE
    assert len(Admin(desk).audit.entries()) == entries + 1  # only the one that changed nothing


def test_bulk_cancel_by_ids_and_by_filter(admin: Browser, desk: Taskdesk) -> None:
    ids = [desk.tasks.add(f"bulk-{n}", NOOP).task_id for n in range(3)]
    many = [desk.tasks.add(f"many-{n}", NOOP, queue="mail").task_id for n in range(3)]

    by_ids = admin.act("POST", "/api/tasks/cancel", json={"task_ids": ids[:2]}).json()
    by_filter = admin.act("POST", "/api/tasks/cancel",
                          json={"filter": {"queue": "mail"}}).json()

    assert by_ids == {"changed": 2, "message": "2 task(s) cancelled"}
    assert by_filter["changed"] == 3
    statuses = {t["task_id"]: t["status"] for t in admin.get("/api/tasks").json()["tasks"]}
    assert statuses == {**{i: "cancelled" for i in [*ids[:2], *many]}, ids[2]: "pending"}
    audit = Admin(desk).audit.entries()[0]
    assert (audit["action"], audit["target"], audit["detail"]) == (
        "tasks.cancel", "tasks matching queue=mail", "3 cancelled")
    listed = admin.get("/api/tasks?status=cancelled").json()["tasks"]
    assert len(listed) == 5
    assert admin.get("/api/dashboard").json()["counts"]["cancelled"] == 5
    by_status = admin.act("POST", "/api/tasks/status",  # setting `cancelled` is a cancel
                          json={"task_ids": [ids[2]], "status": "cancelled"}).json()
    assert by_status["changed"] == 1
    assert desk.tasks.log(task_id=ids[2])[0].comment.startswith("cancelled by admin user")


def test_a_viewer_may_not_cancel(browsers: dict[str, Browser], desk: Taskdesk) -> None:
    task = desk.tasks.add("kept", NOOP)
    viewer = browsers["viewer"]

    assert viewer.act("POST", f"/api/tasks/{task.task_id}/cancel").status_code == 403
    assert viewer.act("POST", "/api/tasks/cancel",
                      json={"task_ids": [task.task_id]}).status_code == 403
    assert "/cancel" not in viewer.get(f"/tasks/{task.task_id}").text
    assert "/cancel" not in viewer.get("/tasks").text
    assert desk.tasks.get(task.task_id).status is Status.PENDING
    operator = browsers["operator"]
    assert operator.act("POST", f"/api/tasks/{task.task_id}/cancel").json()["changed"] == 1


def test_the_buttons_are_where_a_task_can_be_cancelled(admin: Browser, desk: Taskdesk) -> None:
    waiting = desk.tasks.add("waiting", NOOP)
    done = desk.tasks.add("done", NOOP)
    desk.store.claim("host:1:abc", lease_seconds=60)  # `waiting` runs now
    desk.tasks.cancel([done.task_id])

    page = admin.get("/tasks").text
    assert f'data-action="POST /api/tasks/{waiting.task_id}/cancel"' in page
    assert f'data-action="POST /api/tasks/{done.task_id}/cancel"' not in page
    assert f'data-action="POST /api/tasks/{done.task_id}/retry"' in page  # cancelled: retry
    assert 'data-action="POST /api/tasks/cancel" data-selection="tasks"' in page
    running_page = admin.get(f"/tasks/{waiting.task_id}").text
    assert f'data-action="POST /api/tasks/{waiting.task_id}/cancel"' in running_page
    cancelled_page = admin.get(f"/tasks/{done.task_id}").text
    assert "/cancel" not in cancelled_page
    assert 'value="cancelled"' in admin.get("/tasks?status=cancelled").text
