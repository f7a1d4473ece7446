"""A row whose args are not a JSON object (written past taskdesk: by hand, by another tool, by
a damaged disk) never breaks a listing, the API or a runner: it shows its text under
`unreadable_args`, and its task fails alone."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from taskdesk.app import Taskdesk
from taskdesk.store import SqlStore
from taskdesk.testing import run_due
from tests.web.conftest import Browser

pytestmark = pytest.mark.hostile


def spoil(desk: Taskdesk, task_id: int, args: str) -> None:
    store = desk.store
    assert isinstance(store, SqlStore)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE task SET args = :args WHERE task_id = :id"),
                     {"args": args, "id": task_id})


def test_a_row_with_unreadable_args_is_listed_shown_and_fails_alone(admin: Browser,
                                                                    desk: Taskdesk) -> None:
    bad = desk.tasks.add("bad", "tests.support.handlers:noop")
    good = desk.tasks.add("good", "tests.support.handlers:noop")
    spoil(desk, bad.task_id, '{"half": ')
    listed = {task.code: task.args for task in desk.tasks.list_tasks()}
    assert listed["bad"] == {"unreadable_args": '{"half": '}
    assert admin.get("/api/tasks").status_code == 200
    assert "unreadable_args" in admin.get(f"/tasks/{bad.task_id}").text
    run_due(desk)
    assert desk.tasks.get(good.task_id).status == "complete"
    assert desk.tasks.get(bad.task_id).status in ("failed", "pending")
