"""Issue 16, item 0, on every backend (memory, SQLite, PostgreSQL): a runner's registration
carries its lease, stale rows are forgotten by their own lease (a host with a short lease
never forgets a live one with a longer lease), and the processing tasks whose lease ended are
counted (what the housekeeper reports when recovery could not take them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from taskdesk.models.runners import RunnerInfo
from taskdesk.models.tasks import NewTask
from taskdesk.store import Store
from tests.support import FakeClock

SHORT, LONG = 2.0, 30.0


def registered(store: Store, runner_id: str, seen: datetime,
               lease: float | None) -> RunnerInfo:
    info = RunnerInfo(runner_id=runner_id, hostname=f"host-{runner_id}", pid=7,
                      started_at=seen, last_seen_at=seen, lease_seconds=lease)
    store.register_runner(info)
    return info


def listed(store: Store) -> list[str]:
    return [info.runner_id for info in store.runners()]


def test_a_registration_keeps_its_lease(store: Store, clock: FakeClock) -> None:
    info = registered(store, "a", clock.now, SHORT)
    old = registered(store, "b", clock.now + timedelta(seconds=1), None)

    assert store.runners() == [info, old]
    assert [r.lease_seconds for r in store.runners()] == [SHORT, None]


def test_recovery_forgets_each_runner_by_its_own_lease(store: Store, clock: FakeClock) -> None:
    registered(store, "short", clock.now, SHORT)
    registered(store, "long", clock.now, LONG)
    clock.advance(10)  # the short one is dead, the long one within its lease

    store.recover(lease_seconds=SHORT)  # the short-lease host's pass
    assert listed(store) == ["long"]

    clock.advance(LONG)
    store.recover(lease_seconds=SHORT)
    assert listed(store) == []


def test_a_long_lease_pass_forgets_a_dead_short_lease_runner(
    store: Store, clock: FakeClock,
) -> None:
    registered(store, "short", clock.now, SHORT)
    clock.advance(SHORT + 1)

    store.recover(lease_seconds=LONG)

    assert listed(store) == []


def test_a_runner_without_a_recorded_lease_is_judged_by_the_callers(
    store: Store, clock: FakeClock,
) -> None:
    registered(store, "old", clock.now, None)
    clock.advance(10)

    store.recover(lease_seconds=LONG)
    assert listed(store) == ["old"]
    store.recover(lease_seconds=SHORT)
    assert listed(store) == []


def test_lease_expired_counts_processing_tasks_past_their_lease(
    store: Store, clock: FakeClock,
) -> None:
    store.add([NewTask(code=f"t{n}", action="tests.support.handlers:record", max_attempts=3)
               for n in range(3)], replace=False)
    claimed_at = clock.now
    store.claim("w1", lease_seconds=LONG, limit=2)
    assert store.lease_expired() == 0

    clock.advance(LONG + 1)

    assert store.lease_expired() == 2  # the pending one has no lease
    assert store.lease_expired(before=claimed_at + timedelta(seconds=LONG)) == 0
    assert len(store.recover(lease_seconds=LONG)) == 2
    assert store.lease_expired() == 0
