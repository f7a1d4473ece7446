"""A clock step is noticed: recovery holds off for a lease period after the store's clock
jumps forward, so that live leases are not taken for expired ones; on PostgreSQL the store's
clock measures the server's again when this machine's clock steps. The steps are made with
fake clocks, never by changing the machine's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine

from taskdesk.clock import StepWatch, utcnow
from taskdesk.config import Settings
from taskdesk.models.tasks import NewTask, Status
from taskdesk.runner.housekeeper import Housekeeper
from taskdesk.store import Store
from taskdesk.store.sql.postgres import ServerClock
from tests.support import FakeClock


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


def test_recovery_holds_for_a_lease_after_a_forward_step_then_resumes(
    store: Store, settings: Settings, clock: FakeClock,
) -> None:
    monotonic = FakeMonotonic()
    housekeeper = Housekeeper(store, settings, monotonic=monotonic)
    [task] = store.add([NewTask(code="live", action="tests.support.handlers:noop", max_attempts=3)])
    store.claim("a-live-runner", lease_seconds=settings.lease_seconds)
    assert housekeeper.recover() == 0  # its sweep at start: nothing expired

    clock.advance(2 * settings.lease_seconds)  # an NTP step: the monotonic clock stands still

    assert housekeeper.recover() == 0
    assert store.get(task.task_id).status is Status.PROCESSING  # type: ignore[union-attr]
    clock.advance(settings.lease_seconds - 1)  # the runner is dead after all: no heartbeats
    monotonic.now += settings.lease_seconds - 1
    assert housekeeper.recover() == 0
    clock.advance(2)
    monotonic.now += 2
    assert housekeeper.recover() == 1


def test_recovery_goes_on_when_time_passes_without_a_step(
    store: Store, settings: Settings, clock: FakeClock,
) -> None:
    monotonic = FakeMonotonic()
    housekeeper = Housekeeper(store, settings, monotonic=monotonic)
    store.add([NewTask(code="orphan", action="tests.support.handlers:noop", max_attempts=3)])
    store.claim("a-dead-runner", lease_seconds=settings.lease_seconds)
    assert housekeeper.recover() == 0

    clock.advance(settings.lease_seconds + 1)
    monotonic.now += settings.lease_seconds + 1

    assert housekeeper.recover() == 1


def test_a_step_is_told_once_and_slewing_is_not_a_step() -> None:
    wall, monotonic = FakeClock(), FakeMonotonic()
    watch = StepWatch(wall, monotonic=monotonic)
    wall.advance(3600)
    assert watch.step() == 0.0  # the first look only takes the baseline

    wall.advance(10.0005)
    monotonic.now += 10  # half a millisecond in ten seconds: NTP slewing
    assert watch.step() == 0.0
    wall.advance(-60)
    assert watch.step() == pytest.approx(-60)
    assert watch.step() == 0.0


@pytest.mark.postgres
def test_the_server_clock_is_measured_again_when_this_machines_clock_steps(
    postgres_url: str,
) -> None:
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    local = FakeClock(utcnow())
    try:
        server_clock = ServerClock(engine, local=local)
        assert abs(server_clock() - datetime.now(UTC)) < timedelta(seconds=5)

        local.advance(60)

        assert abs(server_clock() - datetime.now(UTC)) < timedelta(seconds=5)
    finally:
        engine.dispose()
