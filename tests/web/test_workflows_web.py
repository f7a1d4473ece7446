"""Extensions > Workflows and its API: the workflows with their tasks' counts by status, one
workflow's tasks in order with their status and parents, linked to the task pages; the task
page names its workflow and parents and never shows the sentinel run_at of a task that waits
for them; an unknown workflow is a 404; a hostile name is shown literally."""

from __future__ import annotations

import pytest
from markupsafe import escape

from taskdesk.app import Taskdesk
from taskdesk.text import visible
from tests.web.conftest import Browser

pytestmark = pytest.mark.hostile
HOSTILE = '<script>alert("x")</script>\n\x1b[31mred'


def diamond(desk: Taskdesk, name: str = "nightly") -> list[int]:
    @desk.task(name="web.step")
    def step(n: int) -> int:
        return n

    wf = desk.workflow(name)
    a = wf.add(step, 1)
    b, c = wf.add(step, 2, after=[a]), wf.add(step, 3, after=[a])
    d = wf.add(step, 4, after=[b, c])
    wf.enqueue()
    return [node.task_id or 0 for node in (a, b, c, d)]


def test_api_lists_workflows_and_shows_one(admin: Browser, desk: Taskdesk) -> None:
    a, b, c, d = diamond(desk)

    [listed] = admin.get("/api/workflows").json()
    shown = admin.get(f"/api/workflows/{listed['workflow_id']}").json()
    task = admin.get(f"/api/tasks/{d}").json()

    assert (listed["name"], listed["total"], listed["counts"]) == ("nightly", 4, {"pending": 4})
    assert [(t["task_id"], t["parents"], t["waiting_for_parents"]) for t in shown["tasks"]] == [
        (a, [], False), (b, [a], True), (c, [a], True), (d, [b, c], True)]
    assert task["task"]["run_at"] is None
    assert task["workflow"]["parents"] == [b, c]
    assert admin.get("/api/workflows/999").status_code == 404


def test_pages_show_the_workflow_and_the_task_names_it(admin: Browser, desk: Taskdesk) -> None:
    _a, b, c, d = diamond(desk, HOSTILE)

    listing = admin.get("/workflows")
    page = admin.get("/workflows/1")
    task_page = admin.get(f"/tasks/{d}")

    assert '<a class="dropdown-item active" href="/workflows">Workflows</a>' in listing.text
    assert str(escape(visible(HOSTILE))) in listing.text
    assert "<script>alert" not in listing.text
    assert f'<a href="/tasks/{b}">{b}</a>, <a href="/tasks/{c}">{c}</a>' in page.text
    assert "waits for 2 of its parents" in page.text
    assert "when its workflow parents have ended" in task_page.text
    assert '<a href="/workflows/1">' in task_page.text
    assert "9000" not in task_page.text
    assert admin.get("/workflows/999").status_code == 404
