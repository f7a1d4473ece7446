"""The Store contract of the cancel (store.cancels), on every backend: waiting tasks become
cancelled and are never claimed; a running one loses its claim, so that its heartbeat,
progress and finish are refused (finish_many too, which PostgreSQL runs as one statement, and
the finish that claims the next task); complete ones and unknown ids are left alone, the
latter with a clear error before anything changes; each cancel is logged, saying by whom;
`retry` brings a cancelled task back; `cancelled_among` tells a cancel from a lost lease; a
finish that waits on a cancel's transaction (PostgreSQL's row lock, SQLite's write lock) is
refused once the cancel commits, by its delete and by its update alike."""

from __future__ import annotations

import threading
import time

import pytest

from taskdesk.errors import TaskNotFound
from taskdesk.models.runners import ClaimKey, Finished, NextClaim, RunnerInfo
from taskdesk.models.tasks import Outcome, Status, Task, TaskFilter
from taskdesk.store import Store
from tests.store.test_store import LEASE, add_one


def done() -> Outcome:
    return Outcome(status=Status.COMPLETE, response="ok", comment="ok", duration=0.01)


def info(store: Store, runner_id: str = "w1") -> RunnerInfo:
    now = store.clock()
    runner = RunnerInfo(runner_id=runner_id, hostname="h", pid=1, started_at=now,
                        last_seen_at=now)
    store.register_runner(runner)
    return runner


def test_waiting_tasks_are_cancelled_logged_and_never_claimed(store: Store) -> None:
    pending, paused, failed = (add_one(store, code) for code in ("a", "b", "c"))
    store.set_status([paused.task_id], Status.PAUSED)
    store.set_status([failed.task_id], Status.FAILED)

    ids = [failed.task_id, pending.task_id, paused.task_id]
    assert store.cancels.cancel(ids, by="ann") == sorted(ids)

    assert {store.get(i).status for i in ids} == {Status.CANCELLED}  # type: ignore[union-attr]
    assert store.claim("w1", lease_seconds=LEASE, limit=10) == []
    [entry] = store.log(task_id=paused.task_id)
    assert (entry.status, entry.comment) == (Status.CANCELLED, "cancelled by ann (was paused)")
    assert store.count(TaskFilter(status=Status.CANCELLED)) == 3
    assert store.status_counts()[Status.CANCELLED] == 3
    assert store.cancels.cancel(ids, by="ann") == []  # already cancelled: left alone


def test_complete_tasks_stay_and_unknown_ids_change_nothing(store: Store) -> None:
    task = add_one(store, "a")
    other = add_one(store, "b")
    [claimed] = store.claim("w1", lease_seconds=LEASE, limit=1)
    store.finish(claimed, "w1", done(), retention_seconds=3600)

    assert store.cancels.cancel([task.task_id], by="ann") == []
    assert store.get(task.task_id).status is Status.COMPLETE  # type: ignore[union-attr]
    with pytest.raises(TaskNotFound, match="999"):
        store.cancels.cancel([other.task_id, 999], by="ann")
    assert store.get(other.task_id).status is Status.PENDING  # type: ignore[union-attr]
    assert store.log(task_id=other.task_id) == []


def test_missing_ok_skips_tasks_deleted_meanwhile(store: Store) -> None:
    task = add_one(store, "a")

    assert store.cancels.cancel([task.task_id, 999], by="ann", missing_ok=True) == [
        task.task_id]
    assert store.get(task.task_id).status is Status.CANCELLED  # type: ignore[union-attr]


def test_a_running_task_loses_its_claim_and_its_outcome_is_refused(store: Store) -> None:
    runner = info(store)
    add_one(store, "a")
    add_one(store, "next")
    [running] = store.claim("w1", lease_seconds=LEASE, limit=1)
    claim = ClaimKey.of(running)

    assert store.cancels.cancel([running.task_id], by="ann") == [running.task_id]

    assert store.heartbeat(runner, [claim], lease_seconds=LEASE) == 0
    assert store.cancels.cancelled_among([running.task_id]) == [running.task_id]
    assert store.set_progress("w1", claim, 50, "half") is False
    kept, claimed = store.finish_many("w1", [Finished(running, done())],
                                      retention_seconds=0, then_claim=NextClaim(1, LEASE))
    assert kept == [False]
    assert [t.code for t in claimed] == ["next"]  # the claim that follows still works
    cancelled = store.get(running.task_id)
    assert cancelled is not None
    assert (cancelled.status, cancelled.worker_id, cancelled.claim_token) == (
        Status.CANCELLED, None, None)
    outcome, cancel = store.log(task_id=running.task_id)  # newest first
    assert cancel.status is Status.CANCELLED
    assert cancel.comment == ("cancelled by ann while running attempt 1 on runner w1: its "
                              "outcome will not be stored")
    assert outcome.comment.endswith("(lease lost: not stored)")


def test_finish_alone_is_refused_after_a_cancel(store: Store) -> None:
    add_one(store, "a")
    [running] = store.claim("w1", lease_seconds=LEASE, limit=1)
    store.cancels.cancel([running.task_id], by="ann")

    assert store.finish(running, "w1", done(), retention_seconds=3600) is False
    assert store.get(running.task_id).status is Status.CANCELLED  # type: ignore[union-attr]
    assert store.release("w1", [ClaimKey.of(running)]) == 0


def test_a_lost_lease_is_not_a_cancel(store: Store) -> None:
    runner = info(store)
    add_one(store, "a")
    [running] = store.claim("w1", lease_seconds=LEASE, limit=1)
    store.clock.advance(LEASE + 1)  # type: ignore[attr-defined]
    store.recover(lease_seconds=LEASE)

    assert store.heartbeat(runner, [ClaimKey.of(running)], lease_seconds=LEASE) == 0
    assert store.cancels.cancelled_among([running.task_id, 12345]) == []


def test_retry_brings_a_cancelled_task_back(store: Store) -> None:
    add_one(store, "a")
    [running] = store.claim("w1", lease_seconds=LEASE, limit=1)
    store.cancels.cancel([running.task_id], by="ann")

    assert store.retry([running.task_id]) == 1
    [again] = store.claim("w2", lease_seconds=LEASE, limit=1)
    assert (again.task_id, again.attempts) == (running.task_id, 1)
    assert store.finish(again, "w2", done(), retention_seconds=3600) is True


def test_a_cancel_commits_with_its_block_or_not_at_all(store: Store) -> None:
    task = add_one(store, "a")
    def cancel_then_fail() -> None:
        with store.atomic() as bound:
            bound.cancels.cancel([task.task_id], by="ann")
            raise RuntimeError("the audit failed")

    with pytest.raises(RuntimeError):
        cancel_then_fail()
    assert store.get(task.task_id).status is Status.PENDING  # type: ignore[union-attr]
    assert store.log(task_id=task.task_id) == []


@pytest.mark.parametrize("retention", [0.0, 3600.0])  # the finish deletes, or updates
def test_a_finish_waiting_on_a_cancels_transaction_is_refused(store: Store,
                                                              retention: float) -> None:
    add_one(store, "a")
    [running] = store.claim("w1", lease_seconds=LEASE, limit=1)
    answers: list[tuple[list[bool], list[Task]]] = []

    def finish() -> None:
        answers.append(store.finish_many("w1", [Finished(running, done())],
                                         retention_seconds=retention))

    finishing = threading.Thread(target=finish)
    with store.atomic() as bound:
        bound.cancels.cancel([running.task_id], by="ann")
        finishing.start()
        time.sleep(0.3)  # the finish now waits for the cancel's lock (its row, or SQLite's)
        assert finishing.is_alive()
    finishing.join(10)

    assert answers == [([False], [])]
    assert store.get(running.task_id).status is Status.CANCELLED  # type: ignore[union-attr]
