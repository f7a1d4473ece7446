"""Issue 7, items 16 and 18: a runner forgotten while paused is listed again by its next
heartbeat; the runner's held set is keyed by claim, so a late attempt dropping its claim never
stops the heartbeats of the attempt that replaced it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from taskdesk.config import Settings
from taskdesk.models.runners import ClaimKey, RunnerInfo
from taskdesk.models.tasks import NewTask
from taskdesk.runner.lease import LeaseKeeper
from taskdesk.store import MemoryStore
from tests.support import FakeClock

pytestmark = pytest.mark.hostile

LEASE = 30.0


def make(clock: FakeClock) -> tuple[MemoryStore, RunnerInfo, LeaseKeeper]:
    store = MemoryStore(clock=clock)
    info = RunnerInfo(runner_id="w1", hostname="host", pid=1, started_at=clock.now,
                      last_seen_at=clock.now)
    return store, info, LeaseKeeper(store, info, Settings(lease_seconds=LEASE))


def test_a_heartbeat_lists_again_a_runner_forgotten_while_it_was_paused() -> None:
    clock = FakeClock()
    store, info, keeper = make(clock)
    store.register_runner(info)
    clock.advance(LEASE * 3)  # SIGSTOP, or the database was down
    store.recover(lease_seconds=LEASE)  # another runner forgets it
    assert store.runners() == []

    keeper.beat()

    [listed] = store.runners()
    assert (listed.runner_id, listed.started_at, listed.last_seen_at) == (
        "w1", info.started_at, clock.now)


def test_a_late_attempt_dropping_its_claim_keeps_the_next_attempt_heartbeated() -> None:
    clock = FakeClock()
    store, _info, keeper = make(clock)
    store.add([NewTask(code="job", action="pkg.mod:fn", max_attempts=3)])
    [first] = store.claim("w1", lease_seconds=LEASE)
    keeper.hold([first])
    clock.advance(LEASE + 1)  # attempt 1 outlives its lease
    store.recover(lease_seconds=LEASE)
    [second] = store.claim("w1", lease_seconds=LEASE)  # the same runner, attempt 2
    keeper.hold([second])

    keeper.drop([ClaimKey.of(first)])  # attempt 1 ends, late
    clock.advance(LEASE - 1)
    keeper.beat()

    assert keeper.held() == [ClaimKey.of(second)]
    stored = store.get(second.task_id)
    assert stored is not None
    assert stored.lease_expires_at == clock.now + timedelta(seconds=LEASE)
