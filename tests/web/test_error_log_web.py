"""System > Maintenance > Error logs and /api/error-log over the database: every host's lines,
newest last, filtered by host and task, paged back by keyset, the task linked; a task's page
links to its lines; the download is the database's lines as text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.models.error_lines import ErrorLineFilter
from tests.web.conftest import Browser

HOSTILE = '<b>bold</b>\x1b[31m\u202e"\''


@pytest.fixture
def host_b(desk: Taskdesk, tmp_path: Path) -> Iterator[Taskdesk]:
    """A second host: its own home (disk), the same database, its own name."""
    other = Taskdesk(home=tmp_path / "home-b", database_url=desk.settings.database_url,
                     host_name="host-b")
    yield other
    other.close()


def _messages(browser: Browser, query: str = "") -> list[str]:
    return [line["message"] for line in browser.get(f"/api/error-log{query}").json()["lines"]]


def test_every_hosts_lines_newest_last_with_host_pid_and_task(
        admin: Browser, desk: Taskdesk, host_b: Taskdesk) -> None:
    desk.error_log.write("from a")
    host_b.error_log.for_task(42).write("from b")
    lines = admin.get("/api/error-log").json()["lines"]
    assert [(line["host"], line["task_id"], line["message"]) for line in lines] == [
        (desk.settings.host_name, None, "from a"), ("host-b", 42, "from b")]
    page = admin.get("/error-log").text
    assert page.index("from a") < page.index("from b")
    assert "host-b" in page
    assert '<a href="/tasks/42">42</a>' in page
    assert "host-b" in page.split('id="error-log-host"')[1]  # a host to filter by


def test_filters_by_host_and_task_in_the_api_and_the_page(
        admin: Browser, desk: Taskdesk, host_b: Taskdesk) -> None:
    desk.error_log.for_task(1).write("written a1")
    host_b.error_log.for_task(1).write("written b1")
    host_b.error_log.for_task(2).write("written b2")
    assert _messages(admin, "?host=host-b") == ["written b1", "written b2"]
    assert _messages(admin, "?task=1") == ["written a1", "written b1"]
    assert _messages(admin, "?host=host-b&task=2") == ["written b2"]
    page = admin.get("/error-log?task=2").text
    assert "written b2" in page
    assert "written b1" not in page
    assert "written a1" not in page
    assert "No lines match." in admin.get("/error-log?host=nowhere").text
    assert admin.get("/api/error-log?task=0").status_code == 422


def test_keyset_pages_back_in_the_api_and_the_page(admin: Browser, desk: Taskdesk) -> None:
    for n in range(5):
        desk.error_log.write(f"line {n}")
    first = admin.get("/api/error-log?limit=2").json()
    assert [line["message"] for line in first["lines"]] == ["line 3", "line 4"]
    second = admin.get(f"/api/error-log?limit=2&cursor={first['next_cursor']}").json()
    assert [line["message"] for line in second["lines"]] == ["line 1", "line 2"]
    third = admin.get(f"/api/error-log?limit=2&cursor={second['next_cursor']}").json()
    assert [line["message"] for line in third["lines"]] == ["line 0"]
    assert third["next_cursor"] is None
    page = admin.get("/error-log?limit=2").text
    assert f"cursor={first['next_cursor']}" in page
    assert "Older" in page
    older = admin.get(f"/error-log?limit=2&cursor={first['next_cursor']}").text
    assert "line 1" in older
    assert "line 4" not in older
    assert "Newest" in older


def test_a_tasks_page_links_to_the_lines_it_wrote(admin: Browser, desk: Taskdesk) -> None:
    task = desk.tasks.add("noisy", "tests.support.handlers:noop", {})
    assert f'href="/error-log?task={task.task_id}"' in admin.get(f"/tasks/{task.task_id}").text


@pytest.mark.hostile
def test_hostile_lines_are_text_in_the_page_the_api_and_the_download(
        admin: Browser, desk: Taskdesk, host_b: Taskdesk) -> None:
    Taskdesk(home=host_b.settings.home, database_url=desk.settings.database_url,
             host_name="<i>evil</i>\x1b").error_log.write(HOSTILE)
    page = admin.get("/error-log").text
    assert "<b>bold</b>" not in page
    assert "<i>evil" not in page
    assert "\x1b" not in page
    assert "\u202e" not in page
    assert "\\x1b[31m\\u202e" in page
    [line] = admin.get("/api/error-log").json()["lines"]
    assert (line["message"], line["host"]) == (HOSTILE, "<i>evil</i>\\x1b")
    download = admin.get("/error-log/download").text
    assert "\x1b" not in download
    assert download.endswith("- <b>bold</b>\\x1b[31m\\u202e\"'\n")


def test_clear_deletes_every_hosts_lines_and_is_audited(
        admin: Browser, desk: Taskdesk, host_b: Taskdesk) -> None:
    host_b.error_log.write("b")
    desk.error_log.write("a")
    assert admin.act("DELETE", "/api/error-log").status_code == 200
    assert host_b.error_log.page(ErrorLineFilter(), 10) == []
    assert desk.error_log.read() == ""
    [entry] = [entry for entry in Admin(desk).audit.entries()
               if entry["action"] == "error_log.clear"]
    assert (entry["actor"], entry["target"]) == ("admin", "2 lines")
