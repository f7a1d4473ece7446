"""desk.schedules and @desk.periodic over a memory store: rules, missed firings, bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from taskdesk.app import Taskdesk
from taskdesk.config import Settings
from taskdesk.errors import ActionNotAllowed, BadSchedule, ScheduleNotFound
from taskdesk.models.schedule_rules import Rule
from taskdesk.store import MemoryStore
from tests.support import FakeClock

START = datetime(2026, 1, 31, 12, 0, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def desk(settings: Settings, clock: FakeClock) -> Taskdesk:
    return Taskdesk(settings, store=MemoryStore(clock=clock))


@pytest.mark.parametrize(("options", "message"), [
    ({"cron": "61 * * * *"}, "bad cron expression"),
    ({"cron": "* * * *"}, "bad cron expression"),
    ({"cron": "0 0 30 2 *"}, "never fires"),
    ({"every": "fortnight"}, "unknown cycle"),
    ({"every": "day", "interval": 0}, "interval"),
    ({"cron": "* * * * *", "every": "day"}, "not both"),
    ({}, "neither"),
    ({"every": "day", "missed": "catch-up"}, "missed-firing policy"),
])
def test_bad_rules_give_one_error_and_store_nothing(desk: Taskdesk, options: dict[str, object],
                                                    message: str) -> None:
    with pytest.raises(BadSchedule, match=message):
        desk.schedules.add("tick", "tests.support.handlers:noop", **options)  # type: ignore[arg-type]
    assert desk.schedules.list_schedules() == []


def test_an_action_off_the_allow_list_is_refused(desk: Taskdesk) -> None:
    with pytest.raises(ActionNotAllowed):
        desk.schedules.add("tick", "os:system", {"command": "true"}, every="minute")
    assert desk.schedules.list_schedules() == []


def test_cycles_start_at_the_next_whole_unit_and_keep_month_ends() -> None:
    assert Rule.parse(every="hour").first(START) == datetime(2026, 1, 31, 13, tzinfo=UTC)
    assert Rule.parse(every="week").first(START) == datetime(2026, 2, 2, tzinfo=UTC)
    monthly = Rule.parse(every="month")
    assert monthly.first(START) == datetime(2026, 2, 1, tzinfo=UTC)
    assert monthly.after(START) == datetime(2026, 2, 28, 12, 0, 30, tzinfo=UTC)
    assert Rule.parse(cron="*/5 * * * *").first(START) == datetime(2026, 1, 31, 12, 5,
                                                                   tzinfo=UTC)


@pytest.mark.parametrize(("missed", "tasks"), [("run-once", 1), ("skip", 0)])
def test_missed_firings_follow_the_policy(desk: Taskdesk, clock: FakeClock, missed: str,
                                          tasks: int) -> None:
    desk.schedules.add("tick", "tests.support.handlers:noop", every="minute", interval=2,
                       missed=missed)
    clock.advance(10 * 60)  # runners down for five periods
    (fired,) = desk.schedules.fire_due()
    assert fired.claimed
    assert desk.tasks.count(code="tick") == tasks
    assert desk.schedules.show("tick")["next_run_at"] == "2026-01-31T12:11:00Z"
    assert desk.schedules.fire_due() == []


def test_an_on_time_firing_adds_a_task_under_either_policy(desk: Taskdesk,
                                                           clock: FakeClock) -> None:
    desk.schedules.add("tick", "tests.support.handlers:noop", {"n": 1}, every="minute",
                       missed="skip")
    clock.advance(45)
    desk.schedules.fire_due()
    (task,) = desk.tasks.list_tasks(code="tick")
    assert (task.action, task.args) == ("tests.support.handlers:noop", {"n": 1})


def test_disable_enable_delete(desk: Taskdesk, clock: FakeClock) -> None:
    desk.schedules.add("tick", "tests.support.handlers:noop", cron="* * * * *")
    assert desk.schedules.disable("tick")["enabled"] is False
    clock.advance(120)
    assert desk.schedules.fire_due() == []
    assert desk.schedules.enable("tick")["enabled"] is True
    desk.schedules.delete("tick")
    with pytest.raises(ScheduleNotFound):
        desk.schedules.show("tick")
    with pytest.raises(ScheduleNotFound):
        desk.schedules.delete("tick")


def test_periodic_registers_the_task_and_sync_writes_its_schedule(desk: Taskdesk,
                                                                  clock: FakeClock) -> None:
    @desk.periodic(every="minute", name="tests.tidy")
    def tidy() -> None: ...

    assert "tests.tidy" in desk.handlers
    desk.schedules.fire_due()  # a runner's first round writes the schedules defined in code
    desk.schedules.sync()  # and writing them again changes nothing
    (view,) = desk.schedules.list_schedules()
    assert (view["code"], view["rule"], view["next_run_at"]) == (
        "tests.tidy", "every minute", "2026-01-31T12:01:00Z")


def test_periodic_refuses_a_bad_rule_at_once(desk: Taskdesk) -> None:
    with pytest.raises(BadSchedule):
        desk.periodic(cron="every day")
