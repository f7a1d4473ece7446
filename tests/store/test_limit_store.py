"""The Store contract of limits by key, on every backend: a key's tasks never hold more slots
than its concurrency_limit (a batch claim, the claim after finish_many, which PostgreSQL
splices into one statement), a slot is freed when a task ends, is retried, released or
recovered; different keys do not wait for each other; a rate lets at most N start in any
period; `store.limits.holding` says which key holds a task, how many run and when the rate
frees the next start."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from taskdesk.models.limits import TaskLimit
from taskdesk.models.runners import ClaimKey, Finished, NextClaim
from taskdesk.models.tasks import Outcome, Status, Task
from taskdesk.store import Store
from tests.store.test_store import LEASE, add_one, new
from tests.support import FakeClock


def limited(store: Store, code: str, key: str = "k", *, concurrency: int | None = 1,
            rate: str | None = None, priority: int = 0) -> Task:
    limit = TaskLimit(key=key, concurrency=concurrency, rate=rate)
    [added] = store.add([replace(new(code, priority=priority), limit=limit)], replace=False)
    return added


def done() -> Outcome:
    return Outcome(status=Status.COMPLETE, response="ok", comment="", duration=0.01)


def codes(tasks: list[Task]) -> list[str]:
    return sorted(t.code for t in tasks)


def test_a_batch_claim_takes_no_more_than_the_free_slots(store: Store) -> None:
    for n in range(5):
        limited(store, f"a{n}", "a", concurrency=2)
    add_one(store, "plain")

    claimed = store.claim("w1", lease_seconds=LEASE, limit=10)
    assert codes(claimed) == ["a0", "a1", "plain"]
    assert store.claim("w2", lease_seconds=LEASE, limit=10) == []
    assert [t.limit for t in claimed if t.code == "a0"] == [
        TaskLimit(key="a", concurrency=2, rate=None)]


def test_different_keys_run_side_by_side(store: Store) -> None:
    for key in ("x", "y", "z"):
        limited(store, f"{key}1", key)
        limited(store, f"{key}2", key)

    assert codes(store.claim("w1", lease_seconds=LEASE, limit=10)) == ["x1", "y1", "z1"]


def test_a_slot_is_freed_when_the_task_ends_and_passes_to_the_next(store: Store) -> None:
    limited(store, "first", priority=1)
    limited(store, "second")
    [first] = store.claim("w1", lease_seconds=LEASE, limit=5)
    assert first.code == "first"
    assert store.claim("w2", lease_seconds=LEASE, limit=5) == []

    kept, claimed = store.finish_many("w1", [Finished(first, done())], retention_seconds=3600,
                                      then_claim=NextClaim(5, LEASE))
    assert kept == [True]
    assert codes(claimed) == ["second"]


def test_a_retry_release_and_recovery_give_the_slot_back(store: Store, clock: FakeClock) -> None:
    limited(store, "one")
    limited(store, "two")
    [one] = store.claim("w1", lease_seconds=LEASE)
    store.release("w1", [ClaimKey.of(one)])  # back to waiting: no slot kept
    [again] = store.claim("w1", lease_seconds=LEASE)
    assert again.code == "one"

    retry = Outcome(status=Status.PENDING, response=None, comment="retry", duration=0.1,
                    retry_at=clock() + timedelta(seconds=60))
    _, claimed = store.finish_many("w1", [Finished(again, retry)], retention_seconds=3600,
                                   then_claim=NextClaim(1, LEASE))
    assert codes(claimed) == ["two"]  # the retry waits, and freed its slot

    clock.advance(LEASE + 1)  # w1 died holding "two": its lease ends
    assert [e.task_id for e in store.recover(lease_seconds=LEASE)] == [claimed[0].task_id]
    [back] = store.claim("w2", lease_seconds=LEASE, limit=5)
    assert back.code in ("one", "two")
    assert store.claim("w3", lease_seconds=LEASE, limit=5) == []


def test_without_a_concurrency_limit_a_rate_holds_starts_per_period(
        store: Store, clock: FakeClock) -> None:
    for n in range(5):
        limited(store, f"r{n}", "r", concurrency=None, rate="2/m")
    assert codes(store.claim("w1", lease_seconds=LEASE, limit=10)) == ["r0", "r1"]
    clock.advance(30)
    assert store.claim("w1", lease_seconds=LEASE, limit=10) == []
    hold = store.limits.holding(limited(store, "r5", "r", concurrency=None, rate="2/m").task_id)
    assert hold is not None
    assert (hold.key, hold.running, hold.rate_limit, hold.started) == ("r", 2, "2/m", 2)
    assert hold.next_slot_at is not None
    assert hold.next_slot_at - clock() == timedelta(seconds=30)

    clock.advance(31)  # a minute after the first two started
    assert codes(store.claim("w1", lease_seconds=LEASE, limit=10)) == ["r2", "r3"]


def test_holding_names_the_key_and_its_running_tasks(store: Store) -> None:
    running = limited(store, "running", "mail:ann", concurrency=1)
    waiting = limited(store, "waiting", "mail:ann", concurrency=1)
    free = limited(store, "free", "mail:bob", concurrency=1)
    plain = add_one(store, "plain")
    assert store.limits.holding(running.task_id) is None  # a free slot: not held by it
    [claimed] = store.claim("w1", lease_seconds=LEASE, limit=1)
    assert claimed.code == "running"

    hold = store.limits.holding(waiting.task_id)
    assert hold is not None
    assert (hold.key, hold.running, hold.concurrency_limit, hold.next_slot_at) == (
        "mail:ann", 1, 1, None)
    assert store.limits.holding(claimed.task_id) is None  # running: not waiting
    assert store.limits.holding(plain.task_id) is None
    assert store.limits.holding(free.task_id) is None
    assert store.limits.holding(10**9) is None


def test_a_retried_or_reset_task_waits_for_a_slot_again(store: Store) -> None:
    limited(store, "runs")
    second = limited(store, "second")
    [runs] = store.claim("w1", lease_seconds=LEASE)
    store.set_status([second.task_id], Status.FAILED)
    store.retry([second.task_id])  # pending again: still behind the running one
    assert store.claim("w2", lease_seconds=LEASE, limit=5) == []
    store.finish_many("w1", [Finished(runs, done())], retention_seconds=3600)
    assert codes(store.claim("w2", lease_seconds=LEASE, limit=5)) == ["second"]

