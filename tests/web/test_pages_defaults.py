"""Issue 14, item 39: the new-user form offers the least privilege (viewer) first, a task that
is still processing offers no Retry (nor Delete: the store refuses both while it runs), and a
login never lands on a page that answers only a post."""

from __future__ import annotations

import re

import pytest

from taskdesk.app import Taskdesk
from tests.web.conftest import PASSWORD, Browser

NEW_USER_ROLE = re.compile(r'<select[^>]*id="u-role"[^>]*>(.*?)</select>', re.S)


def test_the_new_user_form_defaults_to_viewer(admin: Browser) -> None:
    found = NEW_USER_ROLE.search(admin.get("/users").text)
    assert found is not None
    assert re.findall(r"<option selected>(\w+)</option>", found.group(1)) == ["viewer"]


def test_a_processing_task_offers_no_retry(admin: Browser, desk: Taskdesk) -> None:
    task = desk.tasks.add("busy", "tests.support.handlers:noop")
    desk.store.claim("w", lease_seconds=30)
    page = admin.get(f"/tasks/{task.task_id}").text
    assert f"/api/tasks/{task.task_id}/retry" not in page
    assert f"DELETE /api/tasks/{task.task_id}" not in page


def test_a_waiting_task_still_offers_retry_and_delete(admin: Browser, desk: Taskdesk) -> None:
    task = desk.tasks.add("idle", "tests.support.handlers:noop")
    page = admin.get(f"/tasks/{task.task_id}").text
    assert f"/api/tasks/{task.task_id}/retry" in page
    assert f"DELETE /api/tasks/{task.task_id}" in page


@pytest.mark.parametrize("target", ["/logout", "/logout/", "/login?next=/logout", "/tasks"])
def test_a_login_lands_on_a_page_not_on_a_post_only_route(anonymous: Browser,
                                                           target: str) -> None:
    answer = anonymous.post("/login", data={"name": "admin", "password": PASSWORD,
                                            "next": target}, follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == ("/tasks" if target == "/tasks" else "/")
    assert anonymous.get(answer.headers["location"]).status_code == 200
