"""The must-show: a schedule with a one-minute cycle fires exactly once per minute for three
minutes while three runners (threads, each on its own store connection) race to fire it, on
SQLite and PostgreSQL. The runners share a FakeClock that the test moves a minute at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from taskdesk.app import Taskdesk
from taskdesk.config import Settings
from taskdesk.models.schedules import Firing
from taskdesk.runner import Runner
from taskdesk.schedules.service import Schedules
from taskdesk.store import open_store
from tests.support import FakeClock

RUNNERS = 3
PERIODS = 3
DEADLINE_SECONDS = 10.0  # a generous bound for the runners to catch up, never a measure


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


class CountingFirings:
    """The desk's schedules, recording each firing its runner claimed."""

    def __init__(self, schedules: Schedules, claimed: list[Firing]) -> None:
        self.schedules = schedules
        self.claimed = claimed

    def fire_due(self) -> list[Firing]:
        fired = self.schedules.fire_due()
        self.claimed.extend(firing for firing in fired if firing.claimed)
        return fired


@contextmanager
def _running(desks: list[Taskdesk], claimed: list[Firing]) -> Iterator[list[Runner]]:
    stop = threading.Event()
    runners = [Runner(desk.store, desk.settings, resolver=desk.handlers, registry=desk.tasks,
                      schedules=CountingFirings(desk.schedules, claimed)) for desk in desks]
    threads = [threading.Thread(target=runner.run, args=(stop,)) for runner in runners]
    for thread in threads:
        thread.start()
    try:
        yield runners
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def _wait_for(condition: object, what: str) -> None:
    assert callable(condition)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def test_one_minute_cycle_fires_once_per_minute_with_three_runners(
        database_url: str, settings: Settings) -> None:
    clock = FakeClock(datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC))
    settings = settings.evolve(poll_seconds=0.01, lease_seconds=600)
    desks = [Taskdesk(settings, store=open_store(database_url, clock=clock))
             for _ in range(RUNNERS)]
    desks[0].schedules.add("tick", "tests.support.handlers:noop", every="minute")
    try:
        claimed: list[Firing] = []
        with _running(desks, claimed) as runners:
            for period in range(1, PERIODS + 1):
                before = [runner.schedule_keeper.rounds for runner in runners]
                clock.advance(60)
                _wait_for(lambda b=before: all(r.schedule_keeper.rounds >= n + 3
                                               for r, n in zip(runners, b, strict=True)),
                          "every runner to look at the schedules after the minute passed")
                _wait_for(lambda: desks[0].tasks.count(code="tick", status="pending") == 0
                          and desks[0].tasks.count(code="tick", status="processing") == 0,
                          "the firing's task to run")
                assert desks[0].tasks.count_log() == period
                assert len(claimed) == period
        entries = desks[0].tasks.log(limit=10)
        assert [entry.status.value for entry in entries] == ["complete"] * PERIODS
        assert len({entry.task_id for entry in entries}) == PERIODS
        assert sorted(firing.task_id or 0 for firing in claimed) == sorted(
            entry.task_id or 0 for entry in entries)
        assert desks[0].schedules.show("tick")["next_run_at"] == "2026-01-01T12:04:00Z"
    finally:
        for desk in desks:
            desk.close()


def test_a_runner_that_cannot_add_the_task_leaves_each_firing_to_one_that_can(
        database_url: str, settings: Settings) -> None:
    """Issue 14 #3: a runner without the application (here: an empty allow-list) looks at
    the due schedule first in every period; the firing must stay due for the runner that can
    add its task, so each period still adds exactly one task."""
    clock = FakeClock(datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC))
    without_app = Taskdesk(settings.evolve(allowed_actions=()),
                           store=open_store(database_url, clock=clock))
    with_app = Taskdesk(settings, store=open_store(database_url, clock=clock))
    with_app.schedules.add("tick", "tests.support.handlers:noop", every="minute")
    try:
        for period in range(1, PERIODS + 1):
            clock.advance(60)
            assert [firing.claimed for firing in without_app.schedules.fire_due()] == [False]
            assert [firing.claimed for firing in with_app.schedules.fire_due()] == [True]
            assert with_app.schedules.fire_due() == []
            assert without_app.schedules.fire_due() == []  # fired: nothing due any more
            added = with_app.tasks.list_tasks(code="tick")
            assert len(added) == 1
            assert added[0].task_id == period
        assert with_app.schedules.show("tick")["next_run_at"] == "2026-01-01T12:04:00Z"
    finally:
        without_app.close()
        with_app.close()
