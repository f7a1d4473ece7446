"""The Store contract of workflows, on every backend: a task waits for its parents (never
claimed before), is released by the end of its last parent (finish, finish_many, with the
tasks deleted at completion too) and reads their responses; a parent that fails for good or
is cancelled cancels its waiting dependents transitively, while run_on_failure ones run; a
recovered task that used its attempts counts as failed; a workflow lists its tasks in order,
with their status and parents."""

from __future__ import annotations

from datetime import timedelta

from taskdesk.models.runners import Finished, NextClaim
from taskdesk.models.tasks import Status
from taskdesk.models.workflows import CANCELLED_BY_PARENT, NewNode
from taskdesk.store import Store
from tests.store.test_store import LEASE, RETAIN, add_one, current, new, outcome
from tests.support import FakeClock


def diamond(store: Store, **d_fields: object) -> list[int]:
    """a → b, a → c, (b, c) → d; returns their ids."""
    _, tasks = store.workflows.add("diamond", [
        NewNode(task=new("a")), NewNode(task=new("b"), parents=(0,)),
        NewNode(task=new("c"), parents=(0,)),
        NewNode(task=new("d", **d_fields), parents=(1, 2))])  # type: ignore[arg-type]
    return [t.task_id for t in tasks]


def run(store: Store, code: str, response: str = "ok", *, retain: float = RETAIN,
        status: Status = Status.COMPLETE) -> int:
    """Claim the one claimable task, check it is `code`, and end it."""
    claimed = store.claim("w1", lease_seconds=LEASE, limit=10)
    assert [t.code for t in claimed] == [code]
    assert store.finish(claimed[0], "w1", outcome(status, response=response),
                        retention_seconds=retain)
    return claimed[0].task_id


def test_a_diamond_runs_in_order_and_d_reads_b_and_c(store: Store) -> None:
    a, b, c, d = diamond(store)
    assert current(store, store.get(d)).status is Status.PENDING  # type: ignore[arg-type]
    run(store, "a", "1")
    claimed = store.claim("w1", lease_seconds=LEASE, limit=10)
    assert sorted(t.code for t in claimed) == ["b", "c"]  # d waits for both
    for task in claimed:
        store.finish(task, "w1", outcome(response=f'"{task.code}"'), retention_seconds=0)
    assert store.get(b) is None  # completed and deleted: the results stay with the workflow
    run(store, "d")
    assert store.workflows.parent_results(d) == {b: '"b"', c: '"c"'}
    assert store.workflows.parent_results(b) == {a: "1"}
    assert store.workflows.parent_results(a) == {}


def test_a_child_waits_until_its_last_parent_in_one_batch(store: Store) -> None:
    _a, _b, _c, d = diamond(store)
    run(store, "a")
    first, second = store.claim("w1", lease_seconds=LEASE, limit=10)
    store.finish(first, "w1", outcome(), retention_seconds=RETAIN)
    assert store.claim("w1", lease_seconds=LEASE) == []  # one parent left
    kept, _claimed = store.finish_many("w1", [Finished(second, outcome())],
                                      retention_seconds=RETAIN)
    assert kept == [True]
    [node] = [n for n in store.workflows.get(1).nodes if n.task_id == d]  # type: ignore[union-attr]
    assert (node.parents_left, node.waiting_for_parents) == (0, False)
    run(store, "d")


def test_a_released_child_keeps_the_run_at_it_asked_for(store: Store, clock: FakeClock) -> None:
    later = clock() + timedelta(minutes=5)
    _a, _b, _c, d = diamond(store, run_at=later)
    run(store, "a")
    for task in store.claim("w1", lease_seconds=LEASE, limit=10):
        store.finish(task, "w1", outcome(), retention_seconds=RETAIN)
    assert store.claim("w1", lease_seconds=LEASE) == []
    assert current(store, store.get(d)).run_at == later  # type: ignore[arg-type]
    clock.advance(300)
    run(store, "d")


def test_a_failed_parent_cancels_its_dependents_but_run_on_failure_runs(store: Store) -> None:
    _, tasks = store.workflows.add("fails", [
        NewNode(task=new("a")), NewNode(task=new("b"), parents=(0,)),
        NewNode(task=new("c"), parents=(1,)),
        NewNode(task=new("cleanup"), parents=(2,), run_on_failure=True),
        NewNode(task=new("other")),
        NewNode(task=new("joined"), parents=(1, 4))])
    a, b, c, cleanup, other, joined = (t.task_id for t in tasks)
    claimed = store.claim("w1", lease_seconds=LEASE, limit=10)
    assert sorted(t.code for t in claimed) == ["a", "other"]
    [first] = [t for t in claimed if t.code == "a"]
    store.finish(first, "w1", outcome(Status.FAILED, response="boom"), retention_seconds=RETAIN)
    for task_id in (b, c, joined):
        cancelled = current(store, store.get(task_id))  # type: ignore[arg-type]
        assert (cancelled.status, cancelled.response) == (Status.CANCELLED, CANCELLED_BY_PARENT)
    claimed = store.claim("w1", lease_seconds=LEASE, limit=10)
    assert sorted(t.code for t in claimed) == ["cleanup"]  # other is held by w1 already
    assert store.workflows.parent_results(cleanup) == {c: None}
    statuses = {n.task_id: n.status for n in store.workflows.get(1).nodes}  # type: ignore[union-attr]
    assert statuses == {a: "failed", b: "cancelled", c: "cancelled", cleanup: "processing",
                        other: "processing", joined: "cancelled"}


def test_a_retried_attempt_is_not_an_end(store: Store, clock: FakeClock) -> None:
    _a, b, _c, _d = diamond(store)
    [first] = store.claim("w1", lease_seconds=LEASE)
    store.finish(first, "w1", outcome(Status.PENDING, retry_at=clock()), retention_seconds=RETAIN)
    assert current(store, store.get(b)).status is Status.PENDING  # type: ignore[arg-type]
    run(store, "a")
    assert len(store.claim("w1", lease_seconds=LEASE, limit=10)) == 2


def test_cancel_dependents_cascades_from_a_cancelled_task(store: Store) -> None:
    a, b, c, d = diamond(store)
    assert store.set_status([a], Status.CANCELLED) == 1
    assert sorted(store.workflows.cancel_dependents([a])) == [b, c, d]
    assert store.claim("w1", lease_seconds=LEASE, limit=10) == []


def test_a_recovered_task_without_attempts_left_cancels_its_dependents(
        store: Store, clock: FakeClock) -> None:
    _, tasks = store.workflows.add("recovered", [
        NewNode(task=new("a", max_attempts=1)), NewNode(task=new("b"), parents=(0,))])
    store.claim("w1", lease_seconds=LEASE)
    clock.advance(LEASE + 1)
    store.recover(lease_seconds=LEASE)
    assert current(store, tasks[1]).status is Status.CANCELLED


def test_a_workflow_lists_its_tasks_in_order_with_parents(store: Store) -> None:
    a, b, c, d = diamond(store)
    store.workflows.add("second", [NewNode(task=new("solo"))])
    first, second = sorted(store.workflows.list(), key=lambda w: w.workflow_id)
    assert (first.name, second.name) == ("diamond", "second")
    assert [n.task_id for n in first.nodes] == [a, b, c, d]
    assert [n.parents for n in first.nodes] == [(), (a,), (a,), (b, c)]
    assert [n.waiting_for_parents for n in first.nodes] == [False, True, True, True]
    assert first.counts() == {"pending": 4}
    found = store.workflows.of_task(d)
    assert found is not None
    assert (found.name, found.parents) == ("diamond", (b, c))
    assert store.workflows.of_task(9999) is None
    assert store.workflows.get(9999) is None


def test_workflow_tasks_claimed_by_a_finish_release_their_children(store: Store) -> None:
    """The claim that follows finish_many (PostgreSQL: one statement, which also tells
    whether what it claimed belongs to a workflow) takes a root, whose own finish then
    releases its child — and that release is claimed by the same call."""
    add_one(store, "plain")
    store.workflows.add("after", [NewNode(task=new("a")), NewNode(task=new("b"), parents=(0,))])
    [first] = store.claim("w1", lease_seconds=LEASE)
    _, [a] = store.finish_many("w1", [Finished(first, outcome())], retention_seconds=RETAIN,
                               then_claim=NextClaim(1, LEASE))
    _, [b] = store.finish_many("w1", [Finished(a, outcome(response="7"))],
                               retention_seconds=RETAIN, then_claim=NextClaim(1, LEASE))
    assert (first.code, a.code, b.code) == ("plain", "a", "b")
    assert store.workflows.parent_results(b.task_id) == {a.task_id: "7"}
