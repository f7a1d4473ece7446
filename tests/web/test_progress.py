"""Progress in the admin: a processing task's status cell on the Tasks list holds a progress
bar (a <progress> element: the CSP forbids style attributes) with its message as text, the
task's page shows it, and the API returns it; a hostile message is shown as text."""

from __future__ import annotations

import re

from taskdesk.app import Taskdesk
from taskdesk.models.runners import ClaimKey
from taskdesk.models.tasks import NewTask, Outcome, Status, Task
from tests.web.conftest import Browser

RUNNER = "runner-1"
HOSTILE = '<script>alert(1)</script>\x1b[31m"'
BAR = re.compile(r'<progress class="task-progress-bar" max="100" value="(\d+)"')


def running(desk: Taskdesk, code: str, percent: int, message: str) -> Task:
    """A task claimed by RUNNER whose attempt reported `percent` and `message`."""
    store = desk.store
    store.add([NewTask(code=code, action="tests.support.handlers:noop", max_attempts=3)])
    [claimed] = store.claim(RUNNER, lease_seconds=300)
    assert store.set_progress(RUNNER, ClaimKey.of(claimed), percent, message)
    return claimed


def finished(desk: Taskdesk, task: Task) -> None:
    desk.store.finish(task, RUNNER, Outcome(status=Status.COMPLETE, response=None,
                                            comment="ok", duration=1.0),
                      retention_seconds=3600)


def test_the_tasks_list_shows_a_bar_in_the_status_cell_of_running_tasks_only(
    admin: Browser, desk: Taskdesk,
) -> None:
    finished(desk, running(desk, "done", 30, "finished"))
    running(desk, "busy", 42, HOSTILE)

    page = admin.get("/tasks").text
    fragment = admin.get("/tasks", headers={"HX-Request": "true", "HX-Target": "task-list"})

    assert BAR.findall(page) == ["42"]
    assert BAR.findall(fragment.text) == ["42"]
    assert "42% &lt;script&gt;alert(1)&lt;/script&gt;\\x1b[31m&#34;" in page
    assert "<script>alert" not in page
    assert " style=" not in page


def test_the_task_page_and_the_api_show_progress(admin: Browser, desk: Taskdesk) -> None:
    busy = running(desk, "busy", 7, "row 7 of 100")
    done = running(desk, "done", 60, "nearly")
    finished(desk, done)

    busy_page = admin.get(f"/tasks/{busy.task_id}").text
    done_page = admin.get(f"/tasks/{done.task_id}").text
    busy_json = admin.get(f"/api/tasks/{busy.task_id}").json()

    assert BAR.findall(busy_page) == ["7"]
    assert "7% row 7 of 100" in busy_page
    assert BAR.findall(done_page) == ["100"]
    assert (busy_json["task"]["progress"], busy_json["task"]["progress_message"]) == (
        7, "row 7 of 100")
