"""`taskdesk task retry` (issue 7 item 21) and `task show` of a running task (item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from taskdesk import Status
from taskdesk.store import Store
from tests.cli.hostile_support import FAIL_WITH, Home, ok, one_error_line

pytestmark = pytest.mark.hostile


def test_retry_by_id_and_by_filter_gives_a_fresh_attempt_budget(tmp_path: Path) -> None:
    home = Home.create(tmp_path)
    with home.desk() as desk:
        first = desk.tasks.add("first", FAIL_WITH, {"message": "boom"})
        second = desk.tasks.add("second", FAIL_WITH, {"message": "boom"})
        desk.runner().drain()
        assert (desk.tasks.get(first.task_id).status, desk.tasks.get(first.task_id).attempts) \
            == (Status.FAILED, 1)

    assert ok(home.run("task", "retry", str(first.task_id))).strip() == "1 retried"
    retried = json.loads(ok(home.run("task", "show", str(first.task_id), "--json")))
    assert (retried["status"], retried["attempts"]) == ("pending", 0)

    assert ok(home.run("task", "retry", "--status", "failed")).strip() == "1 retried"
    with home.desk() as desk:
        assert desk.tasks.get(second.task_id).status is Status.PENDING


def test_retry_wants_ids_or_a_filter_but_not_both(tmp_path: Path) -> None:
    home = Home.create(tmp_path)

    assert "not both" in one_error_line(home.run("task", "retry"), 2)
    assert "not both" in one_error_line(home.run("task", "retry", "1", "--status", "failed"), 2)
    assert "running" in one_error_line(home.run("task", "retry", "--status", "processing"), 2)
    assert "no task with id 7" in one_error_line(home.run("task", "retry", "7"), 3)


def test_show_says_how_long_a_running_task_has_run(tmp_path: Path) -> None:
    home = Home.create(tmp_path)
    with home.desk() as desk:
        task = desk.tasks.add("endless", "tests.support.handlers:noop")
        store: Store = desk.store
        [claimed] = store.claim("host:1:abc", lease_seconds=60)
        assert claimed.task_id == task.task_id

    shown = ok(home.run("task", "show", str(task.task_id)))

    assert "running for" in shown
    assert "on runner host:1:abc" in shown
