"""The Store contract of failures by cause, on every backend: each failed attempt's finish
stores its error class (finish, and finish_many with its claim, which PostgreSQL runs as one
statement), a completed attempt clears it, an expired lease's recovery records `lease
expired`; failed tasks group by class with their count, first and last failure and the latest
as the example; retrying or cancelling a class by filter touches that class's failed tasks
only."""

from __future__ import annotations

from taskdesk.models.failures import LEASE_EXPIRED
from taskdesk.models.runners import Finished, NextClaim
from taskdesk.models.tasks import Outcome, Status, Task, TaskFilter
from taskdesk.store import Store
from tests.store.test_store import LEASE, RETAIN, add_one
from tests.support import FakeClock

HOSTILE = "[red]Bad[/red]\x1b[2J<script>x</script>" + "é" * 50


def failed(error_class: str | None, text: str = "boom") -> Outcome:
    return Outcome(status=Status.FAILED, response=text, comment=text, duration=0.01,
                   error_class=error_class)


def fail(store: Store, code: str, error_class: str | None, text: str = "boom") -> Task:
    add_one(store, code, max_attempts=1)
    [claimed] = store.claim("w1", lease_seconds=LEASE)
    assert claimed.code == code
    assert store.finish(claimed, "w1", failed(error_class, text), retention_seconds=RETAIN)
    task = store.get(claimed.task_id)
    assert task is not None
    return task


def test_failed_tasks_group_by_class_with_counts_first_last_and_example(
        store: Store, clock: FakeClock) -> None:
    first = fail(store, "a1", "ValueError", "ValueError: first")
    clock.advance(5)
    fail(store, "b1", "app.errors.Gone", "Gone: b")
    clock.advance(5)
    latest = fail(store, "a2", "ValueError", "ValueError: latest\nTraceback ...")
    fail(store, "none", None)  # a failure with no class recorded

    groups = store.error_classes.groups()
    assert [(g.error_class, g.count) for g in groups] == [
        ("ValueError", 2), (None, 1), ("app.errors.Gone", 1)]
    values = groups[0]
    assert values.first_seen == first.date_modified
    assert values.last_seen == latest.date_modified == clock()
    assert values.example_task_id == latest.task_id
    assert values.example_response == "ValueError: latest\nTraceback ..."
    assert store.get(first.task_id).error_class == "ValueError"  # type: ignore[union-attr]
    assert store.error_classes.groups(limit=1) == groups[:1]


def test_only_failed_tasks_are_grouped_and_a_completed_attempt_clears_the_class(
        store: Store) -> None:
    add_one(store, "retried", max_attempts=3)
    [claimed] = store.claim("w1", lease_seconds=LEASE)
    again = Outcome(status=Status.PENDING, response="x", comment="x", duration=0.01,
                    retry_at=store.clock(), error_class="KeyError")
    assert store.finish(claimed, "w1", again, retention_seconds=RETAIN)
    assert store.get(claimed.task_id).error_class == "KeyError"  # type: ignore[union-attr]
    assert store.error_classes.groups() == []  # waiting for its retry: not failed

    [claimed] = store.claim("w1", lease_seconds=LEASE)
    done = Outcome(status=Status.COMPLETE, response="ok", comment="ok", duration=0.01)
    assert store.finish(claimed, "w1", done, retention_seconds=RETAIN)
    assert store.get(claimed.task_id).error_class is None  # type: ignore[union-attr]


def test_finish_many_and_its_claim_store_each_class(store: Store) -> None:
    add_one(store, "x", max_attempts=1)
    add_one(store, "y", max_attempts=1)
    add_one(store, "z", max_attempts=1)
    first = store.claim("w1", lease_seconds=LEASE, limit=2)
    kept, claimed = store.finish_many(
        "w1", [Finished(first[0], failed("OSError")), Finished(first[1], failed(HOSTILE))],
        retention_seconds=RETAIN, then_claim=NextClaim(5, LEASE))
    assert kept == [True, True]
    assert [t.code for t in claimed] == ["z"]
    groups = {(g.error_class, g.count) for g in store.error_classes.groups()}
    assert groups == {("OSError", 1), (HOSTILE, 1)}  # the hostile name stored as it was
    assert store.list_tasks(TaskFilter(error_class=HOSTILE))[0].code == "y"


def test_an_expired_lease_records_lease_expired(store: Store, clock: FakeClock) -> None:
    add_one(store, "lost", max_attempts=1)
    add_one(store, "again", max_attempts=2)
    store.claim("w1", lease_seconds=LEASE, limit=2)
    clock.advance(LEASE + 1)
    assert len(store.recover(lease_seconds=LEASE)) == 2
    tasks = {t.code: t for t in store.list_tasks(TaskFilter())}
    assert (tasks["lost"].status, tasks["lost"].error_class) == (Status.FAILED, LEASE_EXPIRED)
    assert (tasks["again"].status, tasks["again"].error_class) == (Status.PENDING,
                                                                   LEASE_EXPIRED)
    [group] = store.error_classes.groups()
    assert (group.error_class, group.count) == (LEASE_EXPIRED, 1)


def test_retry_and_cancel_by_class_touch_that_class_only(store: Store) -> None:
    a1 = fail(store, "a1", "ValueError")
    a2 = fail(store, "a2", "ValueError")
    b = fail(store, "b", "KeyError")
    add_one(store, "waiting")
    of_a = TaskFilter(status=Status.FAILED, error_class="ValueError")

    assert store.set_status_matching(of_a, Status.CANCELLED) == 2
    statuses = {t.code: t.status for t in store.list_tasks(TaskFilter())}
    assert statuses == {"a1": Status.CANCELLED, "a2": Status.CANCELLED, "b": Status.FAILED,
                        "waiting": Status.PENDING}
    assert [g.error_class for g in store.error_classes.groups()] == ["KeyError"]

    assert store.retry_matching(TaskFilter(status=Status.FAILED, error_class="KeyError")) == 1
    retried = store.get(b.task_id)
    assert retried is not None
    assert (retried.status, retried.attempts) == (Status.PENDING, 0)
    assert store.error_classes.groups() == []
    assert {store.get(t.task_id).status for t in (a1, a2)} == {  # type: ignore[union-attr]
        Status.CANCELLED}
