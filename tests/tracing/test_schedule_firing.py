"""A schedule's firing is an enqueue: its task stores the firing's span context, so the task's
first attempt is that span's child; a runner that lost the race for a firing says so on its
span, and adds nothing."""

from __future__ import annotations

from datetime import timedelta

from taskdesk import Taskdesk
from taskdesk.clock import utcnow
from tests.support import FakeClock
from tests.tracing.conftest import Spans
from tests.tracing.test_spans import is_child_of, stored, traceparent


def test_a_firing_is_an_enqueue_span_and_its_task_s_attempt_its_child(
    desk: Taskdesk, spans: Spans,
) -> None:
    desk.schedules.add("tick", "traced.ok", every="minute")
    desk.store.clock = FakeClock(utcnow() + timedelta(minutes=2))  # the firing is due

    (fired,) = desk.schedules.fire_due()

    assert fired.claimed
    assert fired.task_id is not None
    [enqueue] = spans.named("enqueue")
    assert enqueue.name == "enqueue traced.ok"
    assert enqueue.attributes is not None
    assert enqueue.attributes["taskdesk.schedule.code"] == "tick"
    assert enqueue.attributes["taskdesk.schedule.claimed"] is True
    assert enqueue.attributes["taskdesk.task.id"] == fired.task_id
    assert stored(desk, fired.task_id).trace_context == traceparent(enqueue)
    desk.runner().drain()
    [attempt] = spans.named("run")
    assert is_child_of(attempt, enqueue)


def test_a_runner_that_lost_the_firing_says_so_and_adds_nothing(
    desk: Taskdesk, spans: Spans,
) -> None:
    desk.schedules.add("tick", "traced.ok", every="minute")
    now = utcnow() + timedelta(minutes=2)
    desk.store.clock = FakeClock(now)
    [due] = desk.store.schedules.due(now)  # what two racing runners both read

    won, lost = desk.schedules.firings.fire(due), desk.schedules.firings.fire(due)

    assert won.claimed
    assert not lost.claimed
    first, second = spans.named("enqueue")
    assert first.attributes is not None
    assert second.attributes is not None
    assert first.attributes["taskdesk.schedule.claimed"] is True
    assert second.attributes["taskdesk.schedule.claimed"] is False
    assert "taskdesk.task.id" not in second.attributes
    assert desk.tasks.count(code="tick") == 1
