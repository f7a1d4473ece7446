"""The Store contract of set_progress, on every backend: written only while the caller's
claim holds the task (lease fencing, as heartbeat), cleared by the next claim, 100 once
complete, the last report kept when the attempt failed."""

from __future__ import annotations

import pytest

from taskdesk.models.runners import ClaimKey
from taskdesk.models.tasks import Status, TaskFilter
from taskdesk.store import Store
from taskdesk.task_progress import MESSAGE_BYTES
from taskdesk.text import storable
from tests.store.test_store import (
    LEASE,
    RETAIN,
    add_one,
    claim_one,
    current,
    outcome,
    with_status,
)
from tests.support import FakeClock


def test_set_progress_stores_it_and_leaves_the_lease_and_date_modified_alone(
    store: Store, clock: FakeClock,
) -> None:
    add_one(store, "job")
    claimed = claim_one(store, "w1")
    clock.advance(3)

    assert store.set_progress("w1", ClaimKey.of(claimed), 42, "copied 42 of 100 rows")

    stored = current(store, claimed)
    assert (stored.progress, stored.progress_message) == (42, "copied 42 of 100 rows")
    assert stored.date_modified == claimed.date_modified
    assert stored.lease_expires_at == claimed.lease_expires_at
    assert stored.status is Status.PROCESSING
    [listed] = store.list_tasks(TaskFilter(), preview=10)
    assert (listed.progress, listed.progress_message) == (42, "copied 42 of 100 rows")


def test_a_new_task_has_no_progress(store: Store) -> None:
    added = add_one(store, "job")

    assert (added.progress, added.progress_message) == (None, None)
    assert current(store, added).progress is None


def test_only_the_claim_that_holds_the_task_writes_its_progress(
    store: Store, clock: FakeClock,
) -> None:
    add_one(store, "job")
    stale = claim_one(store, "w1", lease=5)
    clock.advance(10)
    store.recover(lease_seconds=LEASE)
    fresh = claim_one(store, "w1")  # the same runner, a new claim: a new token
    store.set_progress("w1", ClaimKey.of(fresh), 10, "fresh")

    assert not store.set_progress("w1", ClaimKey.of(stale), 90, "stale")
    assert not store.set_progress("w2", ClaimKey.of(fresh), 80, "another runner")
    assert not store.set_progress("w1", ClaimKey(999_999, fresh.claim_token or ""), 70, "?")
    stored = current(store, fresh)
    assert (stored.progress, stored.progress_message) == (10, "fresh")


@pytest.mark.parametrize("status", [Status.PENDING, Status.PAUSED, Status.FAILED])
def test_a_task_that_is_not_running_takes_no_progress(store: Store, status: Status) -> None:
    task = with_status(store, "job", status)

    assert not store.set_progress("w1", ClaimKey(task.task_id, "no-claim"), 50, "")
    assert current(store, task) == task


def test_a_finished_attempt_writes_no_more_progress(store: Store) -> None:
    add_one(store, "job")
    claimed = claim_one(store, "w1")
    store.finish(claimed, "w1", outcome(Status.FAILED), retention_seconds=RETAIN)
    finished = current(store, claimed)

    assert not store.set_progress("w1", ClaimKey.of(claimed), 99, "late")
    assert current(store, claimed) == finished


def test_complete_shows_100_and_keeps_the_last_message(store: Store) -> None:
    add_one(store, "job")
    claimed = claim_one(store, "w1")
    store.set_progress("w1", ClaimKey.of(claimed), 60, "almost")

    store.finish(claimed, "w1", outcome(Status.COMPLETE), retention_seconds=RETAIN)

    stored = current(store, claimed)
    assert (stored.status, stored.progress, stored.progress_message) == (
        Status.COMPLETE, 100, "almost")


def test_failed_keeps_the_last_report(store: Store) -> None:
    add_one(store, "job")
    claimed = claim_one(store, "w1")
    store.set_progress("w1", ClaimKey.of(claimed), 30, "stuck at table 3")

    store.finish(claimed, "w1", outcome(Status.FAILED), retention_seconds=RETAIN)

    stored = current(store, claimed)
    assert (stored.status, stored.progress, stored.progress_message) == (
        Status.FAILED, 30, "stuck at table 3")


def test_the_next_attempt_starts_without_progress(store: Store, clock: FakeClock) -> None:
    add_one(store, "job")
    first = claim_one(store, "w1")
    store.set_progress("w1", ClaimKey.of(first), 30, "first attempt")
    store.finish(first, "w1", outcome(Status.PENDING, retry_at=clock.now),
                 retention_seconds=RETAIN)
    assert current(store, first).progress == 30  # waiting for its retry: as it was left

    second = claim_one(store, "w2")

    assert second.task_id == first.task_id
    assert (second.progress, second.progress_message) == (None, None)
    assert current(store, second).progress is None


def test_release_clears_progress(store: Store) -> None:
    add_one(store, "job")
    claimed = claim_one(store, "w1")
    store.set_progress("w1", ClaimKey.of(claimed), 5, "started")

    assert store.release("w1", [ClaimKey.of(claimed)]) == 1

    stored = current(store, claimed)
    assert (stored.status, stored.progress, stored.progress_message) == (
        Status.PENDING, None, None)


def test_a_hostile_message_made_storable_round_trips(store: Store) -> None:
    add_one(store, "job")
    claimed = claim_one(store, "w1")
    message = storable("\x00nul \ud800 lone \x1b[31m red\r\n" + "é" * 100_000, MESSAGE_BYTES)

    assert store.set_progress("w1", ClaimKey.of(claimed), 0, message)

    stored = current(store, claimed).progress_message
    assert stored == message
    assert len(stored.encode("utf-8")) <= MESSAGE_BYTES
