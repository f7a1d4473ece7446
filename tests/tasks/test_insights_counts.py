"""Issue 14, item 10: tasks per status cost one count of the task table per
TASKDESK_COUNTS_SECONDS and process, however many dashboards and scrapes ask, and callers that
arrive during a count share it instead of starting their own."""

from __future__ import annotations

import threading
import time

import pytest

from taskdesk.insights import Insights
from taskdesk.models.tasks import NewTask, Status
from taskdesk.store import MemoryStore


class CountingStore(MemoryStore):
    """Counts its task-table counts, each taking `pause` seconds."""

    def __init__(self, pause: float = 0.0) -> None:
        super().__init__()
        self.counted = 0
        self.pause = pause

    def status_counts(self) -> dict[Status, int]:
        self.counted += 1
        time.sleep(self.pause)
        return super().status_counts()


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


def test_one_count_serves_every_caller_for_its_seconds(clock: FakeMonotonic) -> None:
    store = CountingStore()
    insights = Insights(store, counts_seconds=2.0, monotonic=clock)
    store.add([NewTask(code="a", action="tests.support.handlers:noop", max_attempts=3)])

    assert insights.status_counts()["pending"] == 1
    store.add([NewTask(code="b", action="tests.support.handlers:noop", max_attempts=3)])
    clock.now += 1.9
    assert insights.status_counts()["pending"] == 1  # the shared count, at most 2 s old
    clock.now += 0.1
    assert insights.status_counts()["pending"] == 2
    assert store.counted == 2


def test_zero_seconds_counts_at_every_call(clock: FakeMonotonic) -> None:
    store = CountingStore()
    insights = Insights(store, counts_seconds=0.0, monotonic=clock)

    for _ in range(3):
        insights.status_counts()

    assert store.counted == 3


def test_callers_during_a_count_wait_for_it_and_share_it() -> None:
    store = CountingStore(pause=0.3)
    insights = Insights(store, counts_seconds=60.0)
    answers: list[dict[str, int]] = []
    callers = [threading.Thread(target=lambda: answers.append(insights.status_counts()))
               for _ in range(8)]

    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(10)

    assert len(answers) == 8
    assert store.counted == 1
