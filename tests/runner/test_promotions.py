"""A claim looks for due delayed tasks at most every PROBE_SECONDS (store/sql/promotions.py): a
task this store delayed is claimable the moment it is due; one another store delayed, at most
PROBE_SECONDS after its run_at; and claims in between do not look."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection

from taskdesk.models.runners import Finished
from taskdesk.models.tasks import NewTask, Outcome, Status
from taskdesk.store import SqlStore, open_store
from taskdesk.store.sql.promotions import PROBE_SECONDS
from tests.support import FakeClock

LEASE = 30.0


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


@pytest.fixture
def other(database_url: str, clock: FakeClock) -> Iterator[SqlStore]:
    """Another store on the same database: another process, as far as ours can tell."""
    store = open_store(database_url, clock=clock)
    yield store
    store.close()


def new(code: str, **fields: object) -> NewTask:
    return NewTask(code=code, action="tests.support.handlers:record", args={}, max_attempts=3,
                   **fields)  # type: ignore[arg-type]


def probes(store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The times at which the store's claims look for due delayed tasks."""
    seen: list[datetime] = []
    promote = store._promote

    def counted(conn: Connection, now: datetime) -> None:
        seen.append(now)
        promote(conn, now)

    monkeypatch.setattr(store, "_promote", counted)
    return seen


def test_a_task_delayed_elsewhere_is_claimed_within_the_probe_interval(
    store: SqlStore, other: SqlStore, clock: FakeClock,
) -> None:
    assert store.claim("w1", lease_seconds=LEASE) == []  # probes: nothing delayed
    [later] = other.add([new("later", run_at=clock.now + timedelta(seconds=PROBE_SECONDS / 2))])

    clock.advance(PROBE_SECONDS / 2)  # due, but this store may not have looked since
    claimed = store.claim("w1", lease_seconds=LEASE)
    clock.advance(PROBE_SECONDS / 2)
    claimed += store.claim("w1", lease_seconds=LEASE)

    assert [t.task_id for t in claimed] == [later.task_id]


def test_a_task_this_store_delays_is_claimed_the_moment_it_is_due(
    store: SqlStore, clock: FakeClock,
) -> None:
    assert store.claim("w1", lease_seconds=LEASE) == []
    [later] = store.add([new("later", run_at=clock.now + timedelta(seconds=0.001))])
    clock.advance(0.001)

    assert [t.task_id for t in store.claim("w1", lease_seconds=LEASE)] == [later.task_id]


def test_a_retry_this_store_delays_is_claimed_the_moment_it_is_due(
    store: SqlStore, clock: FakeClock,
) -> None:
    [added] = store.add([new("retry")])
    [claimed] = store.claim("w1", lease_seconds=LEASE)
    retry_at = clock.now + timedelta(seconds=0.01)
    retry = Outcome(status=Status.PENDING, response="again", comment="again", duration=0.0,
                    retry_at=retry_at)
    store.finish_many("w1", [Finished(claimed, retry)], retention_seconds=60)
    assert store.claim("w1", lease_seconds=LEASE) == []  # probes; the retry waits

    clock.advance(0.01)
    assert [t.task_id for t in store.claim("w1", lease_seconds=LEASE)] == [added.task_id]


def test_claims_between_probes_do_not_look_for_delayed_tasks(
    store: SqlStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    store.add([new(f"t{n}") for n in range(3)])
    seen = probes(store, monkeypatch)
    store.claim("w1", lease_seconds=LEASE)  # after the add: probes
    assert len(seen) == 1
    seen.clear()

    store.claim("w1", lease_seconds=LEASE)
    clock.advance(PROBE_SECONDS / 2)
    store.claim("w1", lease_seconds=LEASE)
    assert seen == []
    clock.advance(PROBE_SECONDS / 2)
    store.claim("w1", lease_seconds=LEASE)
    assert len(seen) == 1


def test_a_clock_that_went_back_probes_at_once(
    store: SqlStore, other: SqlStore, clock: FakeClock,
) -> None:
    assert store.claim("w1", lease_seconds=LEASE) == []  # probes: nothing delayed
    clock.advance(-60)  # the machine's clock stepped back a minute
    [later] = other.add([new("later", run_at=clock.now + timedelta(seconds=1))])
    clock.advance(1)

    assert [t.task_id for t in store.claim("w1", lease_seconds=LEASE)] == [later.task_id]
