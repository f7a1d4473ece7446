"""The Store contract of paused queues, on every backend: a pause is stored and listed, every
claim skips a paused queue's tasks (a claim over every queue, one given queues, and the claim
that follows finish_many, which PostgreSQL splices into one statement), running tasks finish,
and a resume lets them be claimed again at once. Queues are names: an empty one can be
paused. Each queue's counts come from its tasks."""

from __future__ import annotations

from datetime import timedelta

from taskdesk.models.runners import Finished, NextClaim, RunnerInfo
from taskdesk.models.tasks import Outcome, Status
from taskdesk.store import Store
from tests.store.test_store import LEASE, add_one
from tests.support import FakeClock


def done() -> Outcome:
    return Outcome(status=Status.COMPLETE, response="ok", comment="", duration=0.01)


def test_a_pause_is_stored_once_and_listed_until_resumed(store: Store) -> None:
    assert store.queues.pause("mail", paused_by="ann") is True
    assert store.queues.pause("mail", paused_by="bob") is False  # the first pause is kept
    assert store.queues.pause("empty") is True  # no task ever had that queue

    paused = store.queues.paused()
    assert [(p.queue, p.paused_by) for p in paused] == [("empty", None), ("mail", "ann")]
    assert paused[1].paused_at == store.clock()

    assert store.queues.resume("mail") is True
    assert store.queues.resume("mail") is False
    assert [p.queue for p in store.queues.paused()] == ["empty"]


def test_every_claim_skips_a_paused_queue(store: Store) -> None:
    add_one(store, "mail-1", queue="mail", priority=9)
    add_one(store, "plain-1")
    store.queues.pause("mail")

    assert [t.code for t in store.claim("w1", lease_seconds=LEASE, limit=10)] == ["plain-1"]
    assert store.claim("w1", lease_seconds=LEASE, limit=10) == []
    assert store.claim("w1", lease_seconds=LEASE, limit=10, queues=["mail"]) == []
    assert store.claim("w1", lease_seconds=LEASE, limit=10, queues=["mail", "default"]) == []
    [mail] = [counts for counts in store.queues.counts() if counts.queue == "mail"]
    assert (mail.waiting, mail.running) == (1, 0)


def test_the_claim_after_finish_many_skips_a_paused_queue(store: Store) -> None:
    add_one(store, "first")
    add_one(store, "mail-1", queue="mail")
    add_one(store, "plain-2")
    [first] = store.claim("w1", lease_seconds=LEASE)
    store.queues.pause("mail")

    kept, claimed = store.finish_many("w1", [Finished(first, done())], retention_seconds=3600,
                                      then_claim=NextClaim(5, LEASE))
    assert kept == [True]
    assert [t.code for t in claimed] == ["plain-2"]
    _, claimed = store.finish_many("w1", [], retention_seconds=3600,
                                   then_claim=NextClaim(5, LEASE, ("mail", "default")))
    assert claimed == []
    assert store.get(2).status is Status.PENDING  # type: ignore[union-attr]


def test_a_running_task_of_a_paused_queue_finishes(store: Store) -> None:
    add_one(store, "mail-1", queue="mail")
    [running] = store.claim("w1", lease_seconds=LEASE)
    store.queues.pause("mail")

    assert store.finish(running, "w1", done(), retention_seconds=3600) is True
    assert store.get(running.task_id).status is Status.COMPLETE  # type: ignore[union-attr]


def test_a_resumed_queue_is_claimed_again_at_once(store: Store) -> None:
    add_one(store, "mail-1", queue="mail")
    add_one(store, "mail-2", queue="mail")
    store.queues.pause("mail")
    assert store.claim("w1", lease_seconds=LEASE) == []

    store.queues.resume("mail")

    assert [t.code for t in store.claim("w1", lease_seconds=LEASE)] == ["mail-1"]
    assert [t.code for t in store.claim("w1", lease_seconds=LEASE, queues=["mail"])] == [
        "mail-2"]


def test_a_pause_in_an_atomic_block_that_fails_is_not_kept(store: Store) -> None:
    try:
        with store.atomic() as bound:
            bound.queues.pause("mail")
            raise RuntimeError("the audit entry failed")
    except RuntimeError:
        pass
    assert store.queues.paused() == []


def test_counts_per_queue(store: Store, clock: FakeClock) -> None:
    first = add_one(store, "a1", queue="a")
    clock.advance(5)
    add_one(store, "a2", queue="a")
    add_one(store, "b1", queue="b")
    add_one(store, "b2", queue="b")
    [running] = store.claim("w1", lease_seconds=LEASE, queues=["b"])
    store.set_status([4], Status.FAILED)
    add_one(store, "c1", queue="c")
    store.set_status([5], Status.COMPLETE)

    counts = {c.queue: c for c in store.queues.counts()}

    assert sorted(counts) == ["a", "b"]  # c holds only a completed task
    assert (counts["a"].waiting, counts["a"].running, counts["a"].failed) == (2, 0, 0)
    assert counts["a"].oldest_waiting_at == first.date_added == clock() - timedelta(seconds=5)
    assert (counts["b"].waiting, counts["b"].running, counts["b"].failed) == (0, 1, 1)
    assert counts["b"].oldest_waiting_at is None
    assert running.code == "b1"


def test_a_runner_s_queues_are_recorded_with_their_caps(store: Store) -> None:
    """What `queue list` shows of who serves a queue: `--queue mail:2 --queue reports`."""
    now = store.clock()
    store.register_runner(RunnerInfo(
        runner_id="h:1:a", hostname="h", pid=1, started_at=now, last_seen_at=now,
        queues=("mail", "reports"), caps=(("mail", 2),)))
    store.register_runner(RunnerInfo(runner_id="h:2:b", hostname="h", pid=2, started_at=now,
                                     last_seen_at=now))

    served = {info.runner_id: (info.queues, info.caps) for info in store.runners()}

    assert served == {"h:1:a": (("mail", "reports"), (("mail", 2),)), "h:2:b": (None, ())}


def test_ahead_counts_the_due_tasks_a_claim_takes_first(store: Store, clock: FakeClock) -> None:
    """A task's place in line: due pending tasks of its queue with a higher priority, or the
    same priority and a lower id; never a later, running, other queue's or newer task."""
    add_one(store, "older")
    add_one(store, "urgent", priority=3)
    add_one(store, "plain")
    add_one(store, "elsewhere", queue="mail", priority=9)
    add_one(store, "later", priority=9, run_at=clock.now + timedelta(minutes=1))
    mine = add_one(store, "mine")
    add_one(store, "newer")
    store.claim("w1", lease_seconds=LEASE, queues=["mail"])  # takes "elsewhere"
    [running] = store.claim("w1", lease_seconds=LEASE)

    assert running.code == "urgent"
    assert store.queues.ahead("default", mine.priority, mine.task_id) == 2  # older, plain
    assert store.queues.ahead("default", 5, mine.task_id) == 0
    assert store.queues.ahead("mail", 0, 1) == 0
    clock.advance(61)
    assert store.queues.ahead("default", mine.priority, mine.task_id) == 3  # later is due
