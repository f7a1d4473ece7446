"""The schedule verbs on every backend (memory, SQLite, PostgreSQL), over a FakeClock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from taskdesk.errors import ScheduleExists
from taskdesk.models.schedule_rules import Missed, Rule
from taskdesk.models.schedules import NewSchedule
from taskdesk.models.tasks import NewTask, Status, TaskFilter
from taskdesk.store import Store
from tests.support import FakeClock

EVERY_MINUTE = Rule(every=None, cron="* * * * *")


def _new(clock: FakeClock, code: str = "tick", rule: Rule = EVERY_MINUTE) -> NewSchedule:
    return NewSchedule(code=code, action="tests.support.handlers:noop", args={"n": 1}, rule=rule,
                       missed=Missed.SKIP, next_run_at=rule.first(clock()))


def _task(code: str = "tick") -> NewTask:
    return NewTask(code=code, action="tests.support.handlers:noop", max_attempts=3)


def test_add_get_list_delete(store: Store, clock: FakeClock) -> None:
    added = store.schedules.add(_new(clock))
    store.schedules.add(_new(clock, "alpha"))
    assert store.schedules.get("tick") == added
    assert added.enabled
    assert added.last_run_at is None
    assert added.args == {"n": 1}
    assert [s.code for s in store.schedules.all()] == ["alpha", "tick"]
    assert store.schedules.delete("tick") is True
    assert store.schedules.delete("tick") is False
    assert store.schedules.get("tick") is None


def test_add_of_a_taken_code_changes_nothing(store: Store, clock: FakeClock) -> None:
    first = store.schedules.add(_new(clock))
    with pytest.raises(ScheduleExists):
        store.schedules.add(_new(clock, rule=Rule.parse(every="hour")))
    assert store.schedules.all() == [first]


def test_put_is_idempotent_and_keeps_the_next_firing(store: Store, clock: FakeClock) -> None:
    first = store.schedules.put(_new(clock))
    store.schedules.set_enabled("tick", False)
    clock.advance(3600)
    again = store.schedules.put(_new(clock))
    assert again.next_run_at == first.next_run_at
    assert not again.enabled
    changed = store.schedules.put(_new(clock, rule=Rule.parse(every="hour")))
    assert changed.rule.every is not None
    assert changed.next_run_at > first.next_run_at
    assert len(store.schedules.all()) == 1


def test_due_lists_enabled_schedules_whose_firing_came(store: Store, clock: FakeClock) -> None:
    store.schedules.add(_new(clock, "a"))
    store.schedules.add(_new(clock, "b"))
    assert store.schedules.due(clock()) == []
    clock.advance(60)
    store.schedules.set_enabled("b", False)
    assert [s.code for s in store.schedules.due(clock())] == ["a"]


def test_fire_claims_once_and_adds_the_task(store: Store, clock: FakeClock) -> None:
    store.schedules.add(_new(clock))
    clock.advance(60)
    (due,) = store.schedules.due(clock())
    later = due.next_run_at + timedelta(minutes=1)
    won = store.schedules.fire(due, later, _task())
    lost = store.schedules.fire(due, later, _task())
    assert won.claimed
    assert won.task_id is not None
    assert not lost.claimed
    assert lost.task_id is None
    assert store.count(TaskFilter(code="tick")) == 1
    stored = store.schedules.get("tick")
    assert stored is not None
    assert stored.next_run_at == later
    assert stored.last_run_at == clock()


def test_fire_replaces_the_waiting_task_of_the_previous_firing(store: Store,
                                                               clock: FakeClock) -> None:
    store.schedules.add(_new(clock))
    for _ in range(2):
        clock.advance(60)
        (due,) = store.schedules.due(clock())
        store.schedules.fire(due, due.next_run_at + timedelta(minutes=1), _task())
    (waiting,) = store.list_tasks(TaskFilter(code="tick"))
    assert waiting.status is Status.PENDING


def test_fire_without_a_task_only_moves_the_firing(store: Store, clock: FakeClock) -> None:
    store.schedules.add(_new(clock))
    clock.advance(60)
    (due,) = store.schedules.due(clock())
    assert store.schedules.fire(due, due.next_run_at + timedelta(hours=1), None).claimed
    assert store.count(TaskFilter()) == 0
    assert store.schedules.due(clock()) == []


def test_a_disabled_schedule_does_not_fire(store: Store, clock: FakeClock) -> None:
    store.schedules.add(_new(clock))
    clock.advance(60)
    (due,) = store.schedules.due(clock())
    store.schedules.set_enabled("tick", False)
    assert not store.schedules.fire(due, due.next_run_at + timedelta(minutes=1), _task()).claimed
    assert store.count(TaskFilter()) == 0
    assert store.schedules.set_enabled("nope", True) is None

