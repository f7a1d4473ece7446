"""Issue 14, item 27: a traceback or a multi-line response keeps its line breaks on the task
page, in its attempts table, on the list and in the task log, while every other control
character is still shown as an escape."""

from __future__ import annotations

import html

from taskdesk.app import Taskdesk
from taskdesk.models.tasks import Outcome, Status
from taskdesk.testing import run_due
from tests.web.conftest import Browser

RESPONSE = "first line\nsecond line\r\nthird\x1b[2J\rline\u200b"


def _finish_with(desk: Taskdesk, response: str) -> int:
    """A task whose attempt ended failed with `response`, stored as a runner stores it."""
    task = desk.tasks.add("multi", "tests.support.handlers:noop")
    [claimed] = desk.store.claim("w", lease_seconds=30)
    desk.store.finish(claimed, "w", Outcome(status=Status.FAILED, response=response,
                                            comment=response, duration=0.1),
                      retention_seconds=60)
    return task.task_id


def test_a_response_keeps_its_line_breaks_and_escapes_the_rest(admin: Browser,
                                                               desk: Taskdesk) -> None:
    task_id = _finish_with(desk, RESPONSE)
    shown = "first line\nsecond line\nthird\\x1b[2J\\rline\\u200b"
    for path in (f"/tasks/{task_id}", "/tasks", "/tasks/log"):
        page = html.unescape(admin.get(path).text)
        assert shown in page, path
        assert "\\n" not in page.split("<main", 1)[1], path
        assert "\x1b" not in page, path
        assert "\u200b" not in page, path


def test_a_traceback_reads_line_by_line(admin: Browser, desk: Taskdesk) -> None:
    task = desk.tasks.add("boom", "tests.support.handlers:boom", {"message": "bad\nworse"},
                          max_attempts=1)
    run_due(desk)
    page = html.unescape(admin.get(f"/tasks/{task.task_id}").text)
    assert "Traceback (most recent call last):\n" in page
    assert "RuntimeError: bad\nworse" in page
