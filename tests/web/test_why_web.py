"""`GET /api/tasks/{task_id}/why` and the task page's "Why isn't it running?" panel: the
first reason with its facts and what to do; a viewer may read it, an anonymous caller may
not; an unknown task is a 404; a hostile runner id is shown escaped, never as markup."""

from __future__ import annotations

import pytest
from markupsafe import escape

from taskdesk.app import Taskdesk
from taskdesk.clock import utcnow
from taskdesk.models.runners import RunnerInfo
from taskdesk.models.tasks import NewTask, Task
from taskdesk.text import visible
from tests.web.conftest import Browser

HOSTILE_HOST = '<script>alert("x")</script>\n\x1b[31mred'


def add(desk: Taskdesk, code: str, queue: str = "default") -> Task:
    [task] = desk.store.add([NewTask(code=code, action="tests.support.handlers:ok",
                                     max_attempts=3, queue=queue)])
    return task


def test_the_viewer_reads_why_and_an_anonymous_caller_may_not(
    browsers: dict[str, Browser], anonymous: Browser, desk: Taskdesk,
) -> None:
    task = add(desk, "m", "mail")
    desk.queues.pause("mail")

    found = browsers["viewer"].get(f"/api/tasks/{task.task_id}/why")

    assert found.status_code == 200
    assert found.json()["reason"] == "paused_queue"
    assert found.json()["hint"] == "taskdesk queue resume mail"
    assert set(found.json()) == {"task_id", "status", "waiting", "reason", "text", "facts",
                                 "hint"}
    assert anonymous.get(f"/api/tasks/{task.task_id}/why").status_code == 401


def test_an_unknown_task_is_a_404(admin: Browser) -> None:
    missing = admin.get("/api/tasks/99/why")

    assert missing.status_code == 404
    assert "no task with id 99" in missing.text


def test_the_task_page_shows_the_panel(admin: Browser, desk: Taskdesk) -> None:
    task = add(desk, "m", "mail")

    page = admin.get(f"/tasks/{task.task_id}").text

    assert 'id="why" data-reason="no_runner"' in page
    assert "Why isn&#39;t it running?" in page
    assert "no live runner serves its queue mail" in page
    assert "start one: taskdesk worker" in page


@pytest.mark.hostile
def test_a_hostile_runner_id_is_escaped_in_the_panel(admin: Browser, desk: Taskdesk) -> None:
    now = utcnow()
    runner = RunnerInfo(runner_id=f"{HOSTILE_HOST}:1:abcd1234", hostname=HOSTILE_HOST, pid=1,
                        started_at=now, last_seen_at=now, lease_seconds=30.0)
    desk.store.register_runner(runner)
    task = add(desk, "r")
    desk.store.claim(runner.runner_id, lease_seconds=30.0)

    page = admin.get(f"/tasks/{task.task_id}").text
    found = admin.get(f"/api/tasks/{task.task_id}/why").json()

    assert 'data-reason="running"' in page
    assert "<script>alert" not in page
    assert str(escape(visible(HOSTILE_HOST))) in page
    assert found["facts"]["runner"] == runner.runner_id  # JSON carries the value itself


def test_the_panels_facts_read_as_the_page_does(admin: Browser, desk: Taskdesk) -> None:
    """Labels in words, times as the page's other times (the JSON keeps its keys and ISO)."""
    [task] = desk.store.add([NewTask(code="done", action="tests.support.handlers:noop",
                                     max_attempts=3)])
    desk.runner().drain()
    found = admin.get(f"/api/tasks/{task.task_id}/why").json()

    page = admin.get(f"/tasks/{task.task_id}").text

    assert found["reason"] == "complete", found
    stored = found["facts"]["complete_at"]
    assert stored.endswith("Z")
    assert "T" in stored
    assert '<dt class="col-sm-3 fw-normal text-body-secondary" data-fact="complete_at">' \
           "Complete at</dt>" in page
    assert f">{stored[:10]} {stored[11:19]}</dd>" in page
    assert stored not in page.split('id="why"', 1)[1].split("</dl>", 1)[0]
