"""The Store contract of named queues, on every backend: a task keeps its queue, the claim
takes only the queues it is given (all of them when none), in one order over them (priority,
then id), and lists filter by queue."""

from __future__ import annotations

from taskdesk.models.tasks import Status, TaskFilter
from taskdesk.store import Store
from tests.store.test_store import LEASE, add_one


def test_a_task_keeps_its_queue_and_defaults_to_default(store: Store) -> None:
    mailed = add_one(store, "mail", queue="mail")
    plain = add_one(store, "plain")

    assert (mailed.queue, plain.queue) == ("mail", "default")
    assert [t.queue for t in store.list_tasks(TaskFilter())] == ["mail", "default"]


def test_a_claim_given_queues_takes_only_their_tasks(store: Store) -> None:
    add_one(store, "a1", queue="a")
    add_one(store, "b1", queue="b", priority=9)
    add_one(store, "c1", queue="c")

    claimed = store.claim("w1", lease_seconds=LEASE, limit=10, queues=["a", "c"])

    assert sorted(t.code for t in claimed) == ["a1", "c1"]
    assert all(t.status is Status.PROCESSING for t in claimed)
    assert store.claim("w1", lease_seconds=LEASE, limit=10, queues=["a", "c"]) == []
    [left] = store.list_tasks(TaskFilter(status=Status.PENDING))
    assert left.code == "b1"


def test_a_claim_orders_by_priority_then_id_over_its_queues(store: Store) -> None:
    add_one(store, "a-low", queue="a", priority=1)
    add_one(store, "b-high", queue="b", priority=5)
    add_one(store, "a-high", queue="a", priority=5)
    add_one(store, "b-low", queue="b", priority=1)

    taken = [t.code for t in store.claim("w1", lease_seconds=LEASE, limit=3,
                                         queues=["a", "b"])]

    assert taken == ["b-high", "a-high", "a-low"]


def test_a_claim_without_queues_takes_every_queue(store: Store) -> None:
    add_one(store, "a1", queue="a")
    add_one(store, "d1")

    claimed = store.claim("w1", lease_seconds=LEASE, limit=10)

    assert sorted(t.code for t in claimed) == ["a1", "d1"]


def test_a_claim_of_queues_with_nothing_due_takes_nothing(store: Store) -> None:
    add_one(store, "a1", queue="a")

    assert store.claim("w1", lease_seconds=LEASE, queues=["nothing-here"]) == []
    assert store.claim("w1", lease_seconds=LEASE, queues=["a"])[0].code == "a1"


def test_lists_and_counts_filter_by_queue(store: Store) -> None:
    add_one(store, "a1", queue="a")
    add_one(store, "b1", queue="b")
    add_one(store, "a2", queue="a")

    assert [t.code for t in store.list_tasks(TaskFilter(queue="a"))] == ["a1", "a2"]
    assert store.count(TaskFilter(queue="b")) == 1
    assert store.delete_matching(TaskFilter(queue="a")) == 2
    assert [t.code for t in store.list_tasks(TaskFilter())] == ["b1"]
