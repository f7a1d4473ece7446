"""Extensions > Schedules and its API, on SQLite and PostgreSQL: the page lists each schedule
with its next firings and its last firing's task; Run now, Enable/Disable and Delete do what
the CLI's verbs do, each audited; an unknown schedule is one clear 404; a viewer sees the page
and changes nothing; a schedule's hostile args read as text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from tests.conftest import TEST_ACTIONS
from tests.web.conftest import FAST_PASSWORDS, PASSWORD, ROLES, Browser

NOOP = "tests.support.handlers:noop"
HOSTILE = '<b>bold</b>\x1b[31m"\'&'


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Taskdesk]:
    desk = Taskdesk(home=tmp_path / "home", database_url=database_url,
                    allowed_actions=TEST_ACTIONS)
    desk.init()
    Admin(desk).accounts.passwords = FAST_PASSWORDS
    for role in ROLES:
        Admin(desk).accounts.add_user(role, PASSWORD, role=role)
    yield desk
    desk.close()


def row_of(page: str, code: str) -> str:
    found = re.search(rf'<tr data-schedule="{re.escape(code)}">(.*?)</tr>', page, re.S)
    assert found, f"no row for {code}"
    return found.group(1)


def audit_actions(desk: Taskdesk) -> list[str]:
    return [entry["action"] for entry in Admin(desk).audit.entries(limit=100)]


def test_the_page_lists_each_schedule_with_its_rule_and_next_three_firings(
        admin: Browser, desk: Taskdesk) -> None:
    desk.schedules.add("hourly", NOOP, cron="0 * * * *")
    desk.schedules.add("every_other_day", NOOP, every="day", interval=2)
    page = admin.get("/schedules")
    assert page.status_code == 200
    assert '<a class="dropdown-item active" href="/schedules">Schedules</a>' in page.text
    hourly = row_of(page.text, "hourly")
    assert "cron 0 * * * *" in hourly
    times = re.findall(r"<div>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)</div>", hourly)
    assert len(times) == 3
    assert all(time.endswith(":00:00") for time in times)
    assert times[0] == str(desk.schedules.show("hourly")["next_run_at"]).replace("T", " ")[:19]
    assert len(set(times)) == 3
    other = row_of(page.text, "every_other_day")
    assert "every 2 days" in other
    assert len(re.findall(r"<div>\d{4}-\d\d-\d\d 00:00:00</div>", other)) == 3
    assert "never" in other
    assert ">yes<" in other
    for button in ("Run now", "Disable", "Delete"):
        assert button in hourly


def test_the_api_lists_what_the_cli_prints_with_json(admin: Browser, desk: Taskdesk) -> None:
    desk.schedules.add("b_tick", NOOP, {"n": 1}, every="minute")
    desk.schedules.add("a_tick", NOOP, cron="*/5 * * * *", missed="skip")
    answer = admin.get("/api/schedules")
    assert answer.status_code == 200
    assert answer.json() == desk.schedules.list_schedules()
    assert [one["code"] for one in answer.json()] == ["a_tick", "b_tick"]


def test_run_now_adds_the_task_and_the_page_links_it(admin: Browser, desk: Taskdesk) -> None:
    added = desk.schedules.add("tick", NOOP, {"n": 7}, every="hour")
    answer = admin.act("POST", "/api/schedules/tick/run")
    assert answer.status_code == 201, answer.text
    task = answer.json()["task"]
    assert answer.json()["message"] == f"added task {task['task_id']} of schedule tick"
    stored = desk.tasks.get(task["task_id"])
    assert (stored.code, stored.action, stored.args) == ("tick", NOOP, {"n": 7})
    assert desk.schedules.show("tick")["next_run_at"] == added["next_run_at"]  # series kept
    assert audit_actions(desk)[0] == "schedules.run"
    row = row_of(admin.get("/schedules").text, "tick")
    assert f'<a href="/tasks/{task["task_id"]}">{task["task_id"]}</a>' in row
    again = admin.act("POST", "/api/schedules/tick/run").json()["task"]
    assert desk.tasks.count(code="tick", code_exact=True) == 1  # the waiting one replaced
    assert f'<a href="/tasks/{again["task_id"]}">' in row_of(admin.get("/schedules").text,
                                                            "tick")


def test_disable_then_enable(admin: Browser, desk: Taskdesk) -> None:
    desk.schedules.add("tick", NOOP, every="hour")
    answer = admin.act("POST", "/api/schedules/tick/disable")
    assert answer.status_code == 200
    assert answer.json()["message"] == "disabled schedule tick"
    assert answer.json()["schedule"]["enabled"] is False
    assert desk.schedules.show("tick")["enabled"] is False
    row = row_of(admin.get("/schedules").text, "tick")
    assert ">no<" in row
    assert "Enable</button>" in row
    assert "Disable</button>" not in row
    answer = admin.act("POST", "/api/schedules/tick/enable")
    assert answer.json()["message"] == "enabled schedule tick"
    assert desk.schedules.show("tick")["enabled"] is True
    assert audit_actions(desk)[:2] == ["schedules.enable", "schedules.disable"]


def test_delete_forgets_the_schedule_and_keeps_its_tasks(admin: Browser,
                                                         desk: Taskdesk) -> None:
    desk.schedules.add("tick", NOOP, every="hour")
    admin.act("POST", "/api/schedules/tick/run")
    answer = admin.act("DELETE", "/api/schedules/tick")
    assert answer.status_code == 200
    assert answer.json() == {"message": "deleted schedule tick"}
    assert desk.schedules.list_schedules() == []
    assert desk.tasks.count(code="tick", code_exact=True) == 1
    assert audit_actions(desk)[0] == "schedules.delete"
    page = admin.get("/schedules").text
    assert "No schedule yet" in page
    assert "@desk.periodic" in page
    assert "taskdesk schedule add" in page


@pytest.mark.parametrize(("method", "url"), [("POST", "/api/schedules/nope/run"),
                                             ("POST", "/api/schedules/nope/enable"),
                                             ("POST", "/api/schedules/nope/disable"),
                                             ("DELETE", "/api/schedules/nope")])
def test_an_unknown_schedule_is_one_clear_404(admin: Browser, desk: Taskdesk, method: str,
                                              url: str) -> None:
    desk.schedules.add("tick", NOOP, every="hour")
    before = (desk.schedules.list_schedules(), desk.tasks.count(), audit_actions(desk))
    answer = admin.act(method, url)
    assert answer.status_code == 404
    assert answer.json()["detail"] == "no schedule with code 'nope'"
    assert (desk.schedules.list_schedules(), desk.tasks.count(), audit_actions(desk)) == before


def test_a_viewer_sees_the_page_without_buttons_and_cannot_change(
        browsers: dict[str, Browser], desk: Taskdesk) -> None:
    desk.schedules.add("tick", NOOP, every="hour")
    viewer = browsers["viewer"]
    row = row_of(viewer.get("/schedules").text, "tick")
    assert "every hour" in row
    assert "<button" not in row
    before = (desk.schedules.list_schedules(), desk.tasks.count())
    for method, url in (("POST", "/api/schedules/tick/run"),
                        ("POST", "/api/schedules/tick/disable"),
                        ("DELETE", "/api/schedules/tick")):
        assert viewer.act(method, url).status_code == 403
    assert (desk.schedules.list_schedules(), desk.tasks.count()) == before
    assert browsers["operator"].act("POST", "/api/schedules/tick/disable").status_code == 200


def test_hostile_args_are_shown_literally(admin: Browser, desk: Taskdesk) -> None:
    desk.schedules.add("tick", NOOP, {"note": HOSTILE}, every="hour")
    row = row_of(admin.get("/schedules").text, "tick")
    assert "<b>" not in row
    assert "&lt;b&gt;bold&lt;/b&gt;\\u001b[31m" in row  # JSON text, read as text
    assert "\x1b" not in row


def test_openapi_lists_the_schedule_routes(admin: Browser) -> None:
    paths = admin.get("/openapi.json").json()["paths"]
    assert set(paths["/api/schedules"]) == {"get"}
    assert set(paths["/api/schedules/{name}"]) == {"delete"}
    for verb in ("run", "enable", "disable"):
        assert set(paths[f"/api/schedules/{{name}}/{verb}"]) == {"post"}
