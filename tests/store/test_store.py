"""The Store contract: every backend (memory, SQLite, PostgreSQL) must pass every test here.

The `store` fixture runs each test once per backend, over a FakeClock (`clock`) that moves
only when a test advances it. Times are therefore exact: a lease ends `lease_seconds` after the
claim, to the microsecond.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskdesk.errors import BadStatus, TaskNotFound
from taskdesk.models.runners import ClaimKey, RunnerInfo
from taskdesk.models.tasks import (
    InstalledModule,
    JsonObject,
    LogEntry,
    NewTask,
    Outcome,
    Status,
    Task,
    TaskFilter,
)
from taskdesk.store import Store
from tests.support import FakeClock

LEASE = 30.0
RETAIN = 3600.0
EVERYTHING = TaskFilter()
TOP_PRIORITY = 1_000_000


# -- helpers --------------------------------------------------------------------------------
def new(
    code: str,
    *,
    action: str = "tests.support.handlers:record",
    args: JsonObject | None = None,
    priority: int = 0,
    run_at: datetime | None = None,
    max_attempts: int = 3,
    queue: str = "default",
) -> NewTask:
    """A NewTask as the registry hands it to a store: max_attempts already resolved."""
    return NewTask(code=code, action=action, args=args or {}, priority=priority,
                   run_at=run_at, max_attempts=max_attempts, queue=queue)


def add_one(store: Store, code: str, **fields: Any) -> Task:
    [added] = store.add([new(code, **fields)], replace=False)
    return added


def add_many(store: Store, *codes: str) -> list[Task]:
    return store.add([new(code) for code in codes], replace=False)


def ids(tasks: Sequence[Task]) -> list[int]:
    return [t.task_id for t in tasks]


def ids_of_entries(entries: Sequence[LogEntry]) -> list[int | None]:
    return [e.task_id for e in entries]


def codes(tasks: Sequence[Task]) -> list[str]:
    return [t.code for t in tasks]


def outcome(
    status: Status = Status.COMPLETE,
    *,
    response: str | None = "ok",
    comment: str = "done",
    duration: float = 1.25,
    retry_at: datetime | None = None,
) -> Outcome:
    return Outcome(status=status, response=response, comment=comment, duration=duration,
                   retry_at=retry_at)


def claim_one(store: Store, worker_id: str = "w1", lease: float = LEASE) -> Task:
    [claimed] = store.claim(worker_id, lease_seconds=lease)
    return claimed


def current(store: Store, task: Task) -> Task:
    found = store.get(task.task_id)
    assert found is not None, f"task {task.task_id} vanished"
    return found


def with_status(store: Store, code: str, status: Status) -> Task:
    """A task of `code` in `status`, reached through the verbs only."""
    if status is Status.PROCESSING:  # the top priority makes the claim take this one only
        [added] = store.add([new(code, priority=TOP_PRIORITY)], replace=False)
        claimed = claim_one(store, f"holder-{code}")
        assert claimed.task_id == added.task_id
        return claimed
    added = add_one(store, code)
    if status is Status.PENDING:
        return added
    store.set_status([added.task_id], status)
    return current(store, added)


def runner_info(runner_id: str, started_at: datetime, *, hostname: str = "host-1",
                pid: int = 4242) -> RunnerInfo:
    return RunnerInfo(runner_id=runner_id, hostname=hostname, pid=pid,
                      started_at=started_at, last_seen_at=started_at)


def runner_named(runner_id: str) -> RunnerInfo:
    """The RunnerInfo a runner hands to its heartbeats (started before any test's clock)."""
    return runner_info(runner_id, datetime(2025, 12, 31, tzinfo=UTC))


def keys(tasks: Sequence[Task]) -> list[ClaimKey]:
    """The claim keys of tasks as claims returned them."""
    return [ClaimKey.of(t) for t in tasks]


# -- add ------------------------------------------------------------------------------------
def test_add_returns_pending_tasks_with_increasing_ids_in_batch_order(
    store: Store, clock: FakeClock,
) -> None:
    added = store.add([new("b.second"), new("a.first", priority=5), new("c.third")])

    assert codes(added) == ["b.second", "a.first", "c.third"]
    assert ids(added) == sorted(ids(added))
    assert len(set(ids(added))) == 3
    for t in added:
        assert t.status is Status.PENDING
        assert t.attempts == 0
        assert t.max_attempts == 3
        assert t.response is None
        assert t.worker_id is None
        assert t.lease_expires_at is None
        assert t.date_added == clock.now
        assert t.date_modified == clock.now
        assert current(store, t) == t
    assert added[1].priority == 5


def test_add_defaults_run_at_to_now_and_keeps_an_explicit_run_at(
    store: Store, clock: FakeClock,
) -> None:
    later = clock.now + timedelta(hours=2, microseconds=123)
    now_task, later_task = store.add([new("now"), new("later", run_at=later)])

    assert now_task.run_at == clock.now
    assert later_task.run_at == later
    assert current(store, later_task).run_at == later


def test_add_keeps_the_instant_of_a_run_at_given_in_another_timezone(
    store: Store, clock: FakeClock,
) -> None:
    tokyo = timezone(timedelta(hours=9))
    run_at = (clock.now + timedelta(seconds=30)).astimezone(tokyo)
    added = add_one(store, "tz", run_at=run_at)

    assert current(store, added).run_at == run_at  # the same instant
    clock.advance(29)
    assert store.claim("w1", lease_seconds=LEASE) == []
    clock.advance(1)
    assert claim_one(store).task_id == added.task_id


def test_add_round_trips_nested_unicode_args(store: Store) -> None:
    args: JsonObject = {
        "name": "Zoë — 東京 🚀",
        "nested": {"list": [1, 2.5, None, True, False, {"deep": ["x", {"y": []}]}]},
        "empty": {},
        "quote\"and\\slash": "line\nbreak\ttab\u0000nul",
        "big": 2**62,
        "negative": -17,
    }
    added = add_one(store, "unicode", args=args, action="pkg.mod:fn")

    assert added.args == args
    assert current(store, added).args == args
    assert current(store, added).action == "pkg.mod:fn"


def test_add_with_replace_deletes_waiting_tasks_of_the_same_code(store: Store) -> None:
    waiting = [with_status(store, "job", status)
               for status in (Status.PENDING, Status.PAUSED, Status.FAILED)]
    other = add_one(store, "job.other")  # a longer code that contains the same text

    [fresh] = store.add([new("job", args={"v": 2})], replace=True)

    for t in waiting:
        assert store.get(t.task_id) is None
    assert current(store, fresh).args == {"v": 2}
    assert store.get(other.task_id) == other
    assert sorted(ids(store.list_tasks(EVERYTHING))) == sorted([other.task_id, fresh.task_id])


def test_add_with_replace_keeps_processing_and_complete_tasks(store: Store) -> None:
    running = with_status(store, "job", Status.PROCESSING)
    done = with_status(store, "job", Status.COMPLETE)

    [fresh] = store.add([new("job")], replace=True)

    assert current(store, running) == running
    assert current(store, done) == done
    assert store.count(TaskFilter(code="job")) == 3
    assert current(store, fresh).status is Status.PENDING


def test_add_without_replace_keeps_existing_tasks_of_the_same_code(store: Store) -> None:
    first = add_one(store, "job")
    paused = with_status(store, "job", Status.PAUSED)

    [second] = store.add([new("job")], replace=False)

    assert current(store, first) == first
    assert current(store, paused) == paused
    assert store.count(TaskFilter(code="job")) == 3
    assert second.task_id > paused.task_id


def test_add_with_replace_within_one_batch_keeps_the_last_task_of_a_code(store: Store) -> None:
    added = store.add(
        [new("dup", args={"n": 1}), new("solo"), new("dup", args={"n": 2})], replace=True,
    )

    assert sorted(codes(added)) == ["dup", "solo"]
    [dup] = [t for t in added if t.code == "dup"]
    assert dup.args == {"n": 2}
    stored = store.list_tasks(EVERYTHING)
    assert sorted(codes(stored)) == ["dup", "solo"]
    assert [t.args for t in stored if t.code == "dup"] == [{"n": 2}]


def test_add_without_replace_keeps_every_task_of_a_batch(store: Store) -> None:
    added = store.add([new("dup", args={"n": 1}), new("dup", args={"n": 2})], replace=False)

    assert [t.args for t in added] == [{"n": 1}, {"n": 2}]
    assert store.count(TaskFilter(code="dup")) == 2


@pytest.mark.parametrize("replace_codes", [True, False], ids=["replace", "keep"])
def test_a_batch_larger_than_one_statement_keeps_its_order_and_ids(
        store: Store, clock: FakeClock, replace_codes: bool) -> None:
    waiting = add_one(store, "big.7")
    later = clock.now + timedelta(hours=1)
    news = [new(f"big.{n % 1100}", args={"n": n}, priority=n % 7,
                run_at=later if n % 3 == 0 else None) for n in range(1234)]

    added = store.add(news, replace=replace_codes)

    expected = list({t.code: t for t in news}.values()) if replace_codes else news
    assert [(t.code, t.args, t.priority) for t in added] == [
        (t.code, t.args, t.priority) for t in expected]
    assert ids(added) == sorted(ids(added))
    assert ids(added)[0] > waiting.task_id
    assert store.list_tasks(EVERYTHING, cursor=waiting.task_id, limit=1000) == added[:1000]
    assert [store.get(t.task_id) for t in added[1000:]] == added[1000:]
    assert (store.get(waiting.task_id) is None) is replace_codes
    assert {t.run_at for t in added} == {clock.now, later}


def test_an_added_task_equals_the_task_read_back(store: Store, clock: FakeClock) -> None:
    clock.advance(0.000123)  # microseconds, and a run_at given in another time zone
    run_at = datetime(2031, 2, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=2)))
    [added] = store.add([new("eq", args={"t": [1, "ü"], "x": 1.5}, run_at=run_at)])

    assert added == store.get(added.task_id)
    assert added.args == {"t": [1, "ü"], "x": 1.5}
    assert added.run_at == run_at
    assert added.date_added == added.date_modified == clock.now


def test_add_of_an_empty_batch_returns_nothing_and_changes_nothing(store: Store) -> None:
    existing = add_one(store, "keep")

    assert store.add([], replace=True) == []
    assert store.add([], replace=False) == []
    assert store.list_tasks(EVERYTHING) == [existing]


def test_add_refuses_a_task_without_max_attempts_and_stores_nothing(store: Store) -> None:
    waiting = add_one(store, "job")
    unresolved = NewTask(code="other", action="pkg.mod:fn")

    with pytest.raises(ValueError, match="max_attempts"):
        store.add([new("job"), unresolved], replace=True)

    assert store.list_tasks(EVERYTHING) == [waiting]


def test_task_ids_are_never_reused_after_a_delete(store: Store, clock: FakeClock) -> None:
    [finished] = finished_attempts(store, clock, 1)
    newest = add_one(store, "newest")
    store.delete([finished.task_id, newest.task_id])

    again = add_one(store, "again")

    assert again.task_id > newest.task_id
    assert store.log(task_id=again.task_id) == []  # the old task's log is not inherited


# -- get, list_tasks, count -----------------------------------------------------------------
def test_get_of_a_missing_task_returns_none(store: Store) -> None:
    assert store.get(1) is None
    added = add_one(store, "job")
    assert store.get(added.task_id + 1000) is None


def test_list_tasks_filters_codes_by_case_insensitive_substring(store: Store) -> None:
    add_many(store, "Report.Daily", "report.weekly", "cleanup", "xREPORTx")

    found = store.list_tasks(TaskFilter(code="rEpOrT"))

    assert codes(found) == ["Report.Daily", "report.weekly", "xREPORTx"]
    assert codes(store.list_tasks(TaskFilter(code="daily"))) == ["Report.Daily"]
    assert store.list_tasks(TaskFilter(code="nothing")) == []


def test_list_tasks_code_filter_treats_like_wildcards_literally(store: Store) -> None:
    add_many(store, "a_b", "axb", "a%b", "aXYb", "a/b", "plain")

    assert codes(store.list_tasks(TaskFilter(code="_"))) == ["a_b"]
    assert codes(store.list_tasks(TaskFilter(code="%"))) == ["a%b"]
    assert codes(store.list_tasks(TaskFilter(code="a_b"))) == ["a_b"]
    assert codes(store.list_tasks(TaskFilter(code="a%b"))) == ["a%b"]
    assert codes(store.list_tasks(TaskFilter(code="/"))) == ["a/b"]
    assert store.list_tasks(TaskFilter(code="\\")) == []
    assert store.count(TaskFilter(code="%")) == 1
    assert store.count(TaskFilter(code="_")) == 1


def test_list_tasks_filters_by_status_and_code_together(store: Store) -> None:
    pending = add_one(store, "mail.send")
    paused = with_status(store, "mail.bounce", Status.PAUSED)
    other_paused = with_status(store, "cleanup", Status.PAUSED)

    assert store.list_tasks(TaskFilter(status=Status.PENDING)) == [pending]
    assert ids(store.list_tasks(TaskFilter(status=Status.PAUSED))) == [
        paused.task_id, other_paused.task_id,
    ]
    assert store.list_tasks(TaskFilter(code="mail", status=Status.PAUSED)) == [paused]
    assert store.list_tasks(TaskFilter(status=Status.FAILED)) == []


def test_list_tasks_pages_ascending_by_keyset_cursor(store: Store) -> None:
    all_ids = ids(add_many(store, *(f"t{n}" for n in range(7))))

    first = store.list_tasks(EVERYTHING, limit=3)
    second = store.list_tasks(EVERYTHING, cursor=first[-1].task_id, limit=3)
    third = store.list_tasks(EVERYTHING, cursor=second[-1].task_id, limit=3)

    assert ids(first) == all_ids[:3]
    assert ids(second) == all_ids[3:6]
    assert ids(third) == all_ids[6:]
    assert store.list_tasks(EVERYTHING, cursor=all_ids[-1]) == []
    assert ids(store.list_tasks(EVERYTHING)) == all_ids  # default limit covers them


def test_list_tasks_pages_descending_by_keyset_cursor(store: Store) -> None:
    all_ids = ids(add_many(store, *(f"t{n}" for n in range(7))))
    newest_first = all_ids[::-1]

    first = store.list_tasks(EVERYTHING, limit=3, descending=True)
    second = store.list_tasks(EVERYTHING, cursor=first[-1].task_id, limit=3, descending=True)
    third = store.list_tasks(EVERYTHING, cursor=second[-1].task_id, limit=3, descending=True)

    assert ids(first) == newest_first[:3]
    assert ids(second) == newest_first[3:6]
    assert ids(third) == newest_first[6:]
    assert store.list_tasks(EVERYTHING, cursor=all_ids[0], descending=True) == []


def test_list_tasks_cursor_skips_deleted_ids(store: Store) -> None:
    tasks = add_many(store, "a", "b", "c", "d")
    store.delete([tasks[1].task_id])

    assert ids(store.list_tasks(EVERYTHING, cursor=tasks[0].task_id, limit=1)) == [
        tasks[2].task_id
    ]
    assert ids(store.list_tasks(EVERYTHING, cursor=tasks[2].task_id, limit=5,
                                descending=True)) == [tasks[0].task_id]


def test_list_tasks_cursor_combines_with_filters(store: Store) -> None:
    tasks = add_many(store, "mail.1", "other", "mail.2", "mail.3")

    found = store.list_tasks(TaskFilter(code="mail"), cursor=tasks[0].task_id, limit=1)

    assert ids(found) == [tasks[2].task_id]


def test_count_matches_filters(store: Store) -> None:
    assert store.count(EVERYTHING) == 0
    add_many(store, "mail.a", "mail.b", "cleanup")
    with_status(store, "mail.c", Status.FAILED)

    assert store.count(EVERYTHING) == 4
    assert store.count(TaskFilter(code="MAIL")) == 3
    assert store.count(TaskFilter(status=Status.FAILED)) == 1
    assert store.count(TaskFilter(code="mail", status=Status.PENDING)) == 2
    assert store.count(TaskFilter(code="")) == 4
    assert store.count(TaskFilter(code="zzz")) == 0


# -- set_status, delete, delete_by_code, clear ----------------------------------------------
def test_set_status_changes_status_and_date_modified(store: Store, clock: FakeClock) -> None:
    a, b = add_many(store, "a", "b")
    clock.advance(60)

    assert store.set_status([a.task_id, b.task_id], Status.PAUSED) == 2

    for t in (a, b):
        stored = current(store, t)
        assert stored.status is Status.PAUSED
        assert stored.date_modified == clock.now
        assert stored.date_added == t.date_added
    assert store.set_status([a.task_id], Status.PENDING) == 1
    assert current(store, a).status is Status.PENDING


@pytest.mark.parametrize("status", [Status.COMPLETE, Status.FAILED, Status.PAUSED])
def test_set_status_to_any_status_but_processing(store: Store, status: Status) -> None:
    added = add_one(store, "job")

    assert store.set_status([added.task_id], status) == 1

    assert current(store, added).status is status


def test_set_status_leaves_processing_tasks_alone(store: Store) -> None:
    running = with_status(store, "running", Status.PROCESSING)
    idle = add_one(store, "idle")

    changed = store.set_status([running.task_id, idle.task_id], Status.PAUSED)

    assert changed == 1
    assert current(store, running) == running
    assert current(store, idle).status is Status.PAUSED


def test_set_status_refuses_processing(store: Store) -> None:
    added = add_one(store, "job")

    with pytest.raises(BadStatus):
        store.set_status([added.task_id], Status.PROCESSING)

    assert current(store, added) == added


def test_set_status_with_an_unknown_id_raises_and_changes_nothing(store: Store) -> None:
    a, b = add_many(store, "a", "b")
    missing = b.task_id + 100

    with pytest.raises(TaskNotFound, match=str(missing)):
        store.set_status([a.task_id, missing, b.task_id], Status.PAUSED)

    assert current(store, a) == a
    assert current(store, b) == b


def test_set_status_of_no_ids_changes_nothing(store: Store) -> None:
    added = add_one(store, "job")

    assert store.set_status([], Status.PAUSED) == 0
    assert current(store, added) == added


def test_delete_removes_idle_tasks_and_spares_processing_ones(store: Store) -> None:
    pending = add_one(store, "pending")
    failed = with_status(store, "failed", Status.FAILED)
    running = with_status(store, "running", Status.PROCESSING)
    kept = add_one(store, "kept")

    deleted = store.delete([pending.task_id, failed.task_id, running.task_id])

    assert deleted == 2
    assert store.get(pending.task_id) is None
    assert store.get(failed.task_id) is None
    assert current(store, running) == running
    assert current(store, kept) == kept


def test_delete_with_an_unknown_id_raises_and_deletes_nothing(store: Store) -> None:
    a, b = add_many(store, "a", "b")
    missing = b.task_id + 100

    with pytest.raises(TaskNotFound, match=str(missing)):
        store.delete([a.task_id, missing])

    assert store.list_tasks(EVERYTHING) == [a, b]


def test_delete_by_code_matches_the_exact_code_and_spares_processing(store: Store) -> None:
    pending = add_one(store, "job")
    paused = with_status(store, "job", Status.PAUSED)
    complete = with_status(store, "job", Status.COMPLETE)
    running = with_status(store, "job", Status.PROCESSING)
    longer, upper = add_many(store, "job.more", "JOB")

    deleted = store.delete_by_code("job")

    assert deleted == 3
    for t in (pending, paused, complete):
        assert store.get(t.task_id) is None
    assert current(store, running) == running
    assert current(store, longer) == longer
    assert current(store, upper) == upper
    assert store.delete_by_code("absent") == 0


def test_clear_deletes_every_task_that_is_not_processing(store: Store) -> None:
    for status in (Status.PENDING, Status.PAUSED, Status.COMPLETE, Status.FAILED):
        with_status(store, f"job.{status.value}", status)
    running = with_status(store, "running", Status.PROCESSING)

    assert store.clear() == 4

    assert store.list_tasks(EVERYTHING) == [running]
    assert store.clear() == 0


@pytest.mark.parametrize("size", [3, 300], ids=["few", "across-chunks"])
def test_set_status_counts_a_repeated_id_once(store: Store, size: int) -> None:
    tasks = store.add([new(f"d{n}") for n in range(size)], replace=False)

    assert store.set_status(ids(tasks) * 2, Status.PAUSED) == size

    assert store.count(TaskFilter(status=Status.PAUSED)) == size


@pytest.mark.parametrize("size", [3, 300], ids=["few", "across-chunks"])
def test_delete_counts_a_repeated_id_once(store: Store, size: int) -> None:
    tasks = store.add([new(f"d{n}") for n in range(size)], replace=False)

    assert store.delete(ids(tasks) * 2) == size

    assert store.count(EVERYTHING) == 0


def test_verbs_handle_more_ids_than_one_statement_takes(store: Store) -> None:
    size = 1201  # more than two chunks of 500 ids
    tasks = store.add([new(f"big{n}") for n in range(size)], replace=False)
    all_ids = ids(tasks)

    assert store.set_status(all_ids, Status.PAUSED) == size
    assert store.set_status(all_ids, Status.PENDING) == size
    claimed = keys(store.claim("w1", lease_seconds=LEASE, limit=size))
    assert len(claimed) == size
    assert store.heartbeat(runner_named("w1"), claimed, lease_seconds=2 * LEASE) == size
    assert store.count(TaskFilter(status=Status.PROCESSING)) == size
    assert store.release("w1", claimed) == size
    assert store.delete(all_ids) == size
    assert store.count(EVERYTHING) == 0


# -- claim ----------------------------------------------------------------------------------
def test_claim_takes_highest_priority_first_then_oldest(store: Store) -> None:
    low_old = add_one(store, "low.old", priority=0)
    high_new = add_one(store, "high.new", priority=10)
    low_new = add_one(store, "low.new", priority=0)
    negative = add_one(store, "negative", priority=-5)
    high_newer = add_one(store, "high.newer", priority=10)

    first = store.claim("w1", lease_seconds=LEASE, limit=3)
    rest = store.claim("w1", lease_seconds=LEASE, limit=10)

    assert ids(first) == [high_new.task_id, high_newer.task_id, low_old.task_id]
    assert ids(rest) == [low_new.task_id, negative.task_id]


def test_claim_marks_tasks_processing_with_owner_lease_and_attempt(
    store: Store, clock: FakeClock,
) -> None:
    added = add_one(store, "job", args={"k": "v"})
    clock.advance(5)

    claimed = claim_one(store, "worker-7", lease=42.5)

    assert claimed.task_id == added.task_id
    assert claimed.status is Status.PROCESSING
    assert claimed.worker_id == "worker-7"
    assert claimed.lease_expires_at == clock.now + timedelta(seconds=42.5)
    assert claimed.attempts == 1
    assert claimed.date_modified == clock.now
    assert claimed.args == {"k": "v"}
    assert claimed.run_at == added.run_at
    assert current(store, added) == claimed


def test_claim_waits_until_run_at_is_due(store: Store, clock: FakeClock) -> None:
    later = add_one(store, "later", run_at=clock.now + timedelta(seconds=60), priority=99)
    now = add_one(store, "now")

    assert ids(store.claim("w1", lease_seconds=LEASE, limit=10)) == [now.task_id]
    clock.advance(59)
    assert store.claim("w1", lease_seconds=LEASE, limit=10) == []
    clock.advance(1)  # run_at == now is due
    assert ids(store.claim("w1", lease_seconds=LEASE, limit=10)) == [later.task_id]


def test_claim_respects_the_limit(store: Store) -> None:
    add_many(store, *(f"t{n}" for n in range(5)))

    assert len(store.claim("w1", lease_seconds=LEASE, limit=2)) == 2
    assert len(store.claim("w1", lease_seconds=LEASE)) == 1  # the default limit is one
    assert len(store.claim("w1", lease_seconds=LEASE, limit=10)) == 2
    assert store.claim("w1", lease_seconds=LEASE, limit=10) == []


def test_claim_never_returns_an_already_claimed_task(store: Store) -> None:
    a, b = add_many(store, "a", "b")

    by_w1 = claim_one(store, "w1")
    by_w2 = claim_one(store, "w2")

    assert {by_w1.task_id, by_w2.task_id} == {a.task_id, b.task_id}
    assert store.claim("w3", lease_seconds=LEASE, limit=10) == []
    assert current(store, by_w1).worker_id == "w1"
    assert current(store, by_w2).worker_id == "w2"


def test_claim_never_takes_paused_failed_or_complete_tasks(store: Store) -> None:
    for status in (Status.PAUSED, Status.FAILED, Status.COMPLETE):
        with_status(store, f"job.{status.value}", status)

    assert store.claim("w1", lease_seconds=LEASE, limit=10) == []
    assert store.count(TaskFilter(status=Status.PROCESSING)) == 0


def test_claim_on_an_empty_store_returns_nothing(store: Store) -> None:
    assert store.claim("w1", lease_seconds=LEASE, limit=5) == []


def test_a_task_set_back_to_pending_is_claimed_again(store: Store) -> None:
    paused = with_status(store, "job", Status.PAUSED)

    store.set_status([paused.task_id], Status.PENDING)

    assert claim_one(store).task_id == paused.task_id


# -- heartbeat ------------------------------------------------------------------------------
def test_heartbeat_extends_only_the_leases_the_worker_holds(
    store: Store, clock: FakeClock,
) -> None:
    add_many(store, "a", "b", "c")
    mine_a, mine_b = store.claim("w1", lease_seconds=LEASE, limit=2)
    theirs = claim_one(store, "w2")
    clock.advance(10)

    extended = store.heartbeat(
        runner_named("w1"), [*keys([mine_a, mine_b, theirs]), ClaimKey(999_999, "x")],
        lease_seconds=100,
    )

    assert extended == 2
    for t in (mine_a, mine_b):
        stored = current(store, t)
        assert stored.lease_expires_at == clock.now + timedelta(seconds=100)
        assert stored.worker_id == "w1"
        assert stored.status is Status.PROCESSING
    assert current(store, theirs) == theirs


def test_heartbeat_does_not_touch_a_task_that_is_no_longer_processing(
    store: Store, clock: FakeClock,
) -> None:
    add_one(store, "job")
    claimed = claim_one(store, "w1")
    store.finish(claimed, "w1", outcome(Status.FAILED), retention_seconds=RETAIN)
    finished = current(store, claimed)
    clock.advance(5)

    assert store.heartbeat(runner_named("w1"), keys([claimed]), lease_seconds=LEASE) == 0
    assert current(store, claimed) == finished


def test_heartbeat_marks_the_runner_seen(store: Store, clock: FakeClock) -> None:
    started = clock.now
    store.register_runner(runner_info("w1", started))
    store.register_runner(runner_info("w2", started))
    clock.advance(12)

    assert store.heartbeat(runner_info("w1", started), [], lease_seconds=LEASE) == 0

    seen = {info.runner_id: info for info in store.runners()}
    assert seen["w1"].last_seen_at == clock.now
    assert seen["w1"].started_at == started
    assert seen["w2"].last_seen_at == started


def test_heartbeat_keeps_a_task_from_being_recovered(store: Store, clock: FakeClock) -> None:
    add_one(store, "job")
    claimed = claim_one(store, "w1")
    clock.advance(LEASE - 1)
    store.heartbeat(runner_named("w1"), keys([claimed]), lease_seconds=LEASE)
    clock.advance(LEASE - 1)  # past the first lease, inside the extended one

    assert store.recover(lease_seconds=LEASE) == []
    assert current(store, claimed).status is Status.PROCESSING


def test_heartbeat_with_a_zero_lease_lets_recover_take_the_task_at_once(
    store: Store, clock: FakeClock,
) -> None:
    add_one(store, "job")
    claimed = claim_one(store, "w1", lease=LEASE)

    assert store.heartbeat(runner_named("w1"), keys([claimed]), lease_seconds=0) == 1
    assert current(store, claimed).lease_expires_at == clock.now
    clock.advance(0.001)

    assert ids_of_entries(store.recover(lease_seconds=LEASE)) == [claimed.task_id]


@pytest.mark.parametrize("size", [3, 300], ids=["few", "across-chunks"])
def test_heartbeat_counts_a_repeated_id_once(store: Store, size: int) -> None:
    store.add([new(f"d{n}") for n in range(size)], replace=False)
    claimed = keys(store.claim("w1", lease_seconds=LEASE, limit=size))

    assert store.heartbeat(runner_named("w1"), claimed * 2, lease_seconds=LEASE) == size


# -- finish ---------------------------------------------------------------------------------
def test_finish_complete_keeps_the_task_with_its_response_when_retained(
    store: Store, clock: FakeClock,
) -> None:
    add_one(store, "job")
    claimed = claim_one(store)
    clock.advance(3)

    kept = store.finish(claimed, "w1", outcome(response="all good"), retention_seconds=RETAIN)

    assert kept is True
    stored = current(store, claimed)
    assert stored.status is Status.COMPLETE
    assert stored.response == "all good"
    assert stored.worker_id is None
    assert stored.lease_expires_at is None
    assert stored.attempts == 1
    assert stored.date_modified == clock.now


def test_finish_complete_without_retention_deletes_the_task(store: Store) -> None:
    add_one(store, "job")
    claimed = claim_one(store)

    assert store.finish(claimed, "w1", outcome(), retention_seconds=0) is True

    assert store.get(claimed.task_id) is None
    [entry] = store.log()
    assert entry.task_id == claimed.task_id
    assert entry.status is Status.COMPLETE


def test_finish_failed_keeps_the_task_even_without_retention(store: Store) -> None:
    add_one(store, "job")
    claimed = claim_one(store)

    kept = store.finish(claimed, "w1", outcome(Status.FAILED, response="boom"),
                        retention_seconds=0)

    assert kept is True
    stored = current(store, claimed)
    assert stored.status is Status.FAILED
    assert stored.response == "boom"
    assert stored.worker_id is None
    assert stored.lease_expires_at is None
    assert store.claim("w1", lease_seconds=LEASE) == []


def test_finish_pending_with_retry_at_reschedules_the_task(
    store: Store, clock: FakeClock,
) -> None:
    added = add_one(store, "job")
    claimed = claim_one(store)
    retry_at = clock.now + timedelta(seconds=90)

    kept = store.finish(claimed, "w1", outcome(Status.PENDING, response="try again",
                                               retry_at=retry_at), retention_seconds=RETAIN)

    assert kept is True
    stored = current(store, claimed)
    assert stored.status is Status.PENDING
    assert stored.run_at == retry_at
    assert stored.response == "try again"
    assert stored.attempts == 1
    assert stored.worker_id is None
    assert stored.lease_expires_at is None
    assert store.claim("w1", lease_seconds=LEASE) == []
    clock.advance(90)
    again = claim_one(store)
    assert again.task_id == added.task_id
    assert again.attempts == 2


def test_finish_pending_without_retry_at_keeps_run_at(store: Store, clock: FakeClock) -> None:
    added = add_one(store, "job")
    claimed = claim_one(store)
    clock.advance(10)

    store.finish(claimed, "w1", outcome(Status.PENDING), retention_seconds=RETAIN)

    assert current(store, claimed).run_at == added.run_at


def test_finish_writes_one_log_entry_for_the_attempt(store: Store, clock: FakeClock) -> None:
    add_one(store, "job.logged")
    claimed = claim_one(store, "w9")
    clock.advance(7)

    store.finish(claimed, "w9", outcome(Status.FAILED, comment="it broke", duration=6.5),
                 retention_seconds=RETAIN)

    [entry] = store.log()
    assert entry.task_id == claimed.task_id
    assert entry.code == "job.logged"
    assert entry.status is Status.FAILED
    assert entry.comment == "it broke"
    assert entry.duration == 6.5
    assert entry.attempt == 1
    assert entry.worker_id == "w9"
    assert entry.date_added == clock.now
    assert store.count_log() == 1


def test_finish_records_the_attempt_number_of_each_attempt(
    store: Store, clock: FakeClock,
) -> None:
    add_one(store, "job")
    first = claim_one(store)
    store.finish(first, "w1", outcome(Status.PENDING), retention_seconds=RETAIN)
    second = claim_one(store)
    store.finish(second, "w1", outcome(), retention_seconds=RETAIN)

    assert [e.attempt for e in store.log()] == [2, 1]
    assert [e.status for e in store.log()] == [Status.COMPLETE, Status.PENDING]


def test_finish_after_the_lease_was_lost_returns_false_and_leaves_the_task(
    store: Store, clock: FakeClock,
) -> None:
    add_one(store, "job")
    by_w1 = claim_one(store, "w1")
    clock.advance(LEASE + 1)
    store.recover(lease_seconds=LEASE)
    by_w2 = claim_one(store, "w2")
    assert by_w2.task_id == by_w1.task_id

    kept = store.finish(by_w1, "w1", outcome(comment="late"), retention_seconds=0)

    assert kept is False
    assert current(store, by_w1) == by_w2
    newest = store.log()[0]
    assert newest.worker_id == "w1"
    assert newest.attempt == 1
    assert newest.comment.startswith("late")
    assert "(lease lost" in newest.comment
    assert store.finish(by_w2, "w2", outcome(), retention_seconds=RETAIN) is True
    assert current(store, by_w2).status is Status.COMPLETE


def test_finish_by_a_worker_that_never_held_the_task_returns_false(store: Store) -> None:
    add_one(store, "job")
    claimed = claim_one(store, "w1")

    assert store.finish(claimed, "intruder", outcome(), retention_seconds=0) is False

    assert current(store, claimed) == claimed
    assert "(lease lost" in store.log()[0].comment


def test_finish_of_a_recovered_but_unclaimed_task_returns_false(
    store: Store, clock: FakeClock,
) -> None:
    add_one(store, "job")
    claimed = claim_one(store, "w1")
    clock.advance(LEASE + 1)
    store.recover(lease_seconds=LEASE)
    recovered = current(store, claimed)

    assert store.finish(claimed, "w1", outcome(), retention_seconds=RETAIN) is False

    assert current(store, claimed) == recovered
    assert recovered.status is Status.PENDING


# -- release --------------------------------------------------------------------------------
def test_release_returns_tasks_to_pending_as_if_never_claimed(
    store: Store, clock: FakeClock,
) -> None:
    a, b = add_many(store, "a", "b")
    claimed = store.claim("w1", lease_seconds=LEASE, limit=2)
    clock.advance(2)

    assert store.release("w1", keys(claimed)) == 2

    for t in (a, b):
        stored = current(store, t)
        assert stored.status is Status.PENDING
        assert stored.attempts == 0
        assert stored.worker_id is None
        assert stored.lease_expires_at is None
        assert stored.run_at == t.run_at
    assert ids(store.claim("w2", lease_seconds=LEASE, limit=2)) == [a.task_id, b.task_id]
    assert store.count_log() == 0


def test_release_only_gives_back_tasks_the_worker_holds(store: Store) -> None:
    add_many(store, "a", "b", "c")
    mine = claim_one(store, "w1")
    theirs = claim_one(store, "w2")
    idle = store.list_tasks(TaskFilter(status=Status.PENDING))[0]

    released = store.release("w1", [*keys([mine, theirs]), ClaimKey(idle.task_id, "x"),
                                    ClaimKey(999_999, "x")])

    assert released == 1
    assert current(store, mine).status is Status.PENDING
    assert current(store, theirs) == theirs
    assert current(store, idle) == idle


@pytest.mark.parametrize("size", [3, 300], ids=["few", "across-chunks"])
def test_release_counts_a_repeated_id_once(store: Store, size: int) -> None:
    store.add([new(f"d{n}") for n in range(size)], replace=False)
    claimed = keys(store.claim("w1", lease_seconds=LEASE, limit=size))

    assert store.release("w1", claimed * 2) == size

    assert all(t.attempts == 0 for t in store.list_tasks(EVERYTHING, limit=size))


# -- recover --------------------------------------------------------------------------------
def test_recover_returns_expired_tasks_to_pending_with_a_logged_reason(
    store: Store, clock: FakeClock,
) -> None:
    add_one(store, "job", max_attempts=3)
    claimed = claim_one(store, "w1")
    clock.advance(LEASE + 0.5)

    entries = store.recover(lease_seconds=LEASE)

    [entry] = entries
    assert entry.task_id == claimed.task_id
    assert entry.code == "job"
    assert entry.status is Status.PENDING
    assert entry.attempt == 1
    assert entry.worker_id == "w1"
    assert entry.duration is None
    assert entry.date_added == clock.now
    assert "lease" in entry.comment
    assert "expired" in entry.comment
    assert "w1" in entry.comment
    assert store.log() == entries
    stored = current(store, claimed)
    assert stored.status is Status.PENDING
    assert stored.response == entry.comment
    assert stored.worker_id is None
    assert stored.lease_expires_at is None
    assert stored.attempts == 1
    assert stored.run_at == clock.now
    assert stored.date_modified == clock.now


def test_recover_fails_a_task_that_has_used_its_attempts(
    store: Store, clock: FakeClock,
) -> None:
    add_one(store, "job", max_attempts=2)
    for attempt in (1, 2):
        claimed = claim_one(store, f"w{attempt}")
        assert claimed.attempts == attempt
        clock.advance(LEASE + 1)
        [entry] = store.recover(lease_seconds=LEASE)

    assert entry.status is Status.FAILED
    assert entry.attempt == 2
    assert "lease" in entry.comment
    assert "expired" in entry.comment
    stored = current(store, claimed)
    assert stored.status is Status.FAILED
    assert stored.response == entry.comment
    assert stored.worker_id is None
    assert store.claim("w3", lease_seconds=LEASE) == []
    assert [e.status for e in store.log()] == [Status.FAILED, Status.PENDING]


def test_recover_is_idempotent(store: Store, clock: FakeClock) -> None:
    add_many(store, "a", "b")
    store.claim("w1", lease_seconds=LEASE, limit=2)
    clock.advance(LEASE + 1)

    first = store.recover(lease_seconds=LEASE)
    after_first = store.list_tasks(EVERYTHING)

    assert len(first) == 2
    assert store.recover(lease_seconds=LEASE) == []
    assert store.list_tasks(EVERYTHING) == after_first
    assert store.count_log() == 2


def test_recover_leaves_tasks_with_a_valid_lease_alone(store: Store, clock: FakeClock) -> None:
    add_many(store, "short", "long")
    short = claim_one(store, "w1", lease=10)
    long = claim_one(store, "w2", lease=100)
    clock.advance(10)  # the short lease ends exactly now: not yet expired

    assert store.recover(lease_seconds=LEASE) == []
    clock.advance(1)
    [entry] = store.recover(lease_seconds=LEASE)

    assert entry.task_id == short.task_id
    assert current(store, long) == long
    assert current(store, short).status is Status.PENDING


def test_recover_ignores_tasks_that_are_not_processing(store: Store, clock: FakeClock) -> None:
    snapshot = [with_status(store, f"job.{s.value}", s)
                for s in (Status.PENDING, Status.PAUSED, Status.COMPLETE, Status.FAILED)]
    clock.advance(10 * LEASE)

    assert store.recover(lease_seconds=LEASE) == []
    assert store.list_tasks(EVERYTHING) == snapshot


def test_a_recovered_task_is_claimed_again_with_its_next_attempt(
    store: Store, clock: FakeClock,
) -> None:
    add_one(store, "job")
    claim_one(store, "w1")
    clock.advance(LEASE + 1)
    store.recover(lease_seconds=LEASE)

    again = claim_one(store, "w2")

    assert again.attempts == 2
    assert again.worker_id == "w2"
    assert again.lease_expires_at == clock.now + timedelta(seconds=LEASE)


def test_recover_forgets_runners_not_seen_within_the_lease(
    store: Store, clock: FakeClock,
) -> None:
    start = clock.now
    store.register_runner(runner_info("dead", start))
    store.register_runner(runner_info("alive", start + timedelta(seconds=1)))
    clock.advance(20)
    store.heartbeat(runner_info("alive", start + timedelta(seconds=1)), [],
                    lease_seconds=LEASE)
    clock.advance(LEASE - 20)  # "dead" was last seen exactly one lease ago: still kept

    store.recover(lease_seconds=LEASE)
    assert [info.runner_id for info in store.runners()] == ["dead", "alive"]

    clock.advance(1)
    assert store.recover(lease_seconds=LEASE) == []
    assert [info.runner_id for info in store.runners()] == ["alive"]


# -- prune ----------------------------------------------------------------------------------
def test_prune_deletes_only_complete_tasks_older_than_the_retention(
    store: Store, clock: FakeClock,
) -> None:
    add_many(store, "old.done", "old.failed")
    old_done, old_failed = store.claim("w1", lease_seconds=LEASE, limit=2)
    store.finish(old_done, "w1", outcome(), retention_seconds=RETAIN)
    store.finish(old_failed, "w1", outcome(Status.FAILED), retention_seconds=RETAIN)
    old_paused = with_status(store, "old.paused", Status.PAUSED)
    old_pending = add_one(store, "old.pending")
    clock.advance(100)
    add_one(store, "new.done", priority=1)  # claimed before old.pending
    new_done = claim_one(store)
    store.finish(new_done, "w1", outcome(), retention_seconds=RETAIN)

    assert store.prune(retention_seconds=100) == 0  # exactly the retention: not older
    assert store.prune(retention_seconds=99) == 1

    assert store.get(old_done.task_id) is None
    for kept in (old_failed, old_paused, old_pending, new_done):
        assert store.get(kept.task_id) is not None
    assert store.count_log() == 3  # pruning tasks keeps their log
    clock.advance(1)
    assert store.prune(retention_seconds=0) == 1
    assert store.get(new_done.task_id) is None


# -- the task log ---------------------------------------------------------------------------
def finished_attempts(store: Store, clock: FakeClock, count: int) -> list[Task]:
    """`count` tasks each finished once as failed, one second apart: `count` log entries."""
    tasks = add_many(store, *(f"logged.{n}" for n in range(count)))
    for _ in tasks:
        claimed = claim_one(store)
        store.finish(claimed, "w1", outcome(Status.FAILED, comment=claimed.code),
                     retention_seconds=RETAIN)
        clock.advance(1)
    return tasks


def test_log_lists_newest_first_and_pages_by_cursor(store: Store, clock: FakeClock) -> None:
    finished_attempts(store, clock, 5)

    everything = store.log()
    first = store.log(limit=2)
    second = store.log(cursor=first[-1].task_log_id, limit=2)
    third = store.log(cursor=second[-1].task_log_id, limit=2)

    assert [e.comment for e in everything] == [f"logged.{n}" for n in range(4, -1, -1)]
    log_ids = [e.task_log_id for e in everything]
    assert log_ids == sorted(log_ids, reverse=True)
    assert first + second + third == everything
    assert len(third) == 1
    assert store.log(cursor=everything[-1].task_log_id) == []


def test_log_filters_by_task(store: Store, clock: FakeClock) -> None:
    tasks = finished_attempts(store, clock, 3)
    target = tasks[1]
    store.set_status([target.task_id], Status.PENDING)
    again = claim_one(store)
    store.finish(again, "w1", outcome(comment="second"), retention_seconds=RETAIN)

    mine = store.log(task_id=target.task_id)

    assert [e.comment for e in mine] == ["second", target.code]
    assert [e.attempt for e in mine] == [1, 1]  # set back to pending: a fresh budget
    assert store.log(task_id=target.task_id, limit=1) == mine[:1]
    assert store.log(task_id=target.task_id, cursor=mine[0].task_log_id) == mine[1:]
    assert store.count_log(task_id=target.task_id) == 2
    assert store.count_log() == 4
    assert store.log(task_id=999_999) == []
    assert store.count_log(task_id=999_999) == 0


def test_log_outlives_the_task_it_describes(store: Store, clock: FakeClock) -> None:
    [task] = finished_attempts(store, clock, 1)

    store.delete([task.task_id])

    [entry] = store.log(task_id=task.task_id)
    assert entry.code == task.code


def test_clear_log_deletes_every_entry_and_returns_the_count(
    store: Store, clock: FakeClock,
) -> None:
    assert store.clear_log() == 0
    tasks = finished_attempts(store, clock, 3)

    assert store.clear_log() == 3

    assert store.log() == []
    assert store.count_log() == 0
    assert len(store.list_tasks(EVERYTHING)) == len(tasks)  # tasks stay


# -- runners --------------------------------------------------------------------------------
def test_register_and_unregister_runners(store: Store, clock: FakeClock) -> None:
    assert store.runners() == []
    info = runner_info("w1", clock.now, hostname="box.example", pid=31337)

    store.register_runner(info)
    assert store.runners() == [info]

    store.unregister_runner("w1")
    assert store.runners() == []
    store.unregister_runner("never-registered")  # a no-op
    assert store.runners() == []


def test_runners_are_listed_oldest_first(store: Store, clock: FakeClock) -> None:
    newest = runner_info("newest", clock.now + timedelta(seconds=20))
    oldest = runner_info("oldest", clock.now)
    middle = runner_info("middle", clock.now + timedelta(seconds=10))
    for info in (newest, oldest, middle):
        store.register_runner(info)

    assert store.runners() == [oldest, middle, newest]


# -- installed extension modules ------------------------------------------------------------
def module_keys(modules: Sequence[InstalledModule]) -> list[tuple[str, str, str]]:
    return [(m.extension, m.type, m.code) for m in modules]


def test_mark_installed_records_a_module_once(store: Store, clock: FakeClock) -> None:
    assert store.installed_modules() == []

    assert store.mark_installed("shop", "task", "report") is True
    clock.advance(5)
    assert store.mark_installed("shop", "task", "report") is False

    assert store.installed_modules() == [
        InstalledModule(extension="shop", type="task", code="report",
                        date_added=clock.now - timedelta(seconds=5)),
    ]


def test_installed_modules_lists_in_install_order_and_filters_by_extension(
    store: Store,
) -> None:
    installs = [("shop", "task", "report"), ("blog", "task", "report"),
                ("shop", "event", "report"), ("shop", "task", "cleanup")]
    for key in installs:
        assert store.mark_installed(*key) is True

    assert module_keys(store.installed_modules()) == installs
    assert module_keys(store.installed_modules("shop")) == [
        key for key in installs if key[0] == "shop"
    ]
    assert module_keys(store.installed_modules("blog")) == [("blog", "task", "report")]
    assert store.installed_modules("absent") == []


def test_mark_uninstalled_forgets_only_that_module(store: Store) -> None:
    store.mark_installed("shop", "task", "report")
    store.mark_installed("shop", "task", "cleanup")
    store.mark_installed("blog", "task", "report")

    assert store.mark_uninstalled("shop", "task", "report") is True
    assert store.mark_uninstalled("shop", "task", "report") is False
    assert store.mark_uninstalled("shop", "event", "cleanup") is False

    assert module_keys(store.installed_modules()) == [
        ("shop", "task", "cleanup"), ("blog", "task", "report"),
    ]
    assert store.mark_installed("shop", "task", "report") is True  # installs again, last
    assert module_keys(store.installed_modules("shop")) == [
        ("shop", "task", "cleanup"), ("shop", "task", "report"),
    ]


def test_atomic_rolls_back_module_installs(store: Store) -> None:
    store.mark_installed("shop", "task", "kept")

    def work(tx: Store) -> None:
        tx.mark_installed("shop", "task", "new")
        tx.mark_uninstalled("shop", "task", "kept")

    with pytest.raises(Boom):
        fail_inside_atomic(store, work)

    assert module_keys(store.installed_modules()) == [("shop", "task", "kept")]


def test_concurrent_installs_of_one_module_record_it_once(store: Store) -> None:
    workers, modules = 6, 20
    start = threading.Barrier(workers)

    def install_all(_: int) -> list[bool]:
        start.wait()
        return [store.mark_installed("race", "task", f"m{n}") for n in range(modules)]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(install_all, range(workers)))

    for n in range(modules):
        assert sum(result[n] for result in results) == 1, f"m{n} installed more than once"
    assert len(store.installed_modules("race")) == modules


# -- atomic ---------------------------------------------------------------------------------
def test_atomic_commits_every_verb_together(store: Store, clock: FakeClock) -> None:
    existing = add_one(store, "existing")

    with store.atomic() as tx:
        added = tx.add([new("inside")])
        tx.set_status([existing.task_id], Status.PAUSED)
        tx.register_runner(runner_info("w1", clock.now))
        assert current(tx, existing).status is Status.PAUSED  # reads see the block's writes
        assert tx.count(EVERYTHING) == 2

    assert current(store, existing).status is Status.PAUSED
    assert store.list_tasks(TaskFilter(code="inside")) == added
    assert [info.runner_id for info in store.runners()] == ["w1"]


class Boom(Exception):
    """Raised inside an atomic block to abort it."""


def fail_inside_atomic(store: Store, work: Callable[[Store], object]) -> None:
    with store.atomic() as tx:
        work(tx)
        raise Boom


def test_atomic_rolls_back_everything_when_the_block_raises(
    store: Store, clock: FakeClock,
) -> None:
    existing = add_one(store, "existing")
    running = with_status(store, "running", Status.PROCESSING)
    before_tasks = store.list_tasks(EVERYTHING)

    def work(tx: Store) -> None:
        tx.add([new("inside.a"), new("inside.b")])
        tx.set_status([existing.task_id], Status.PAUSED)
        tx.finish(running, running.worker_id or "", outcome(), retention_seconds=0)
        tx.register_runner(runner_info("w1", clock.now))
        tx.delete([existing.task_id])

    with pytest.raises(Boom):
        fail_inside_atomic(store, work)

    assert store.list_tasks(EVERYTHING) == before_tasks
    assert store.count(TaskFilter(code="inside")) == 0
    assert store.log() == []
    assert store.runners() == []


def test_atomic_rollback_keeps_what_was_committed_before(store: Store) -> None:
    with store.atomic() as tx:
        committed = tx.add([new("committed")])

    with pytest.raises(Boom):
        fail_inside_atomic(store, lambda tx: tx.clear())

    assert store.list_tasks(EVERYTHING) == committed


def test_store_is_usable_after_a_rolled_back_block(store: Store) -> None:
    with pytest.raises(Boom):
        fail_inside_atomic(store, lambda tx: tx.add([new("gone")]))

    [added] = store.add([new("after")])

    assert store.list_tasks(EVERYTHING) == [added]
    assert claim_one(store).task_id == added.task_id


# -- concurrency ----------------------------------------------------------------------------
def test_concurrent_claims_take_every_task_exactly_once(store: Store) -> None:
    total, workers = 300, 6
    store.add([new(f"c{n}") for n in range(total)], replace=False)
    start = threading.Barrier(workers)

    def drain(worker_id: str) -> list[int]:
        start.wait()
        taken: list[int] = []
        while batch := store.claim(worker_id, lease_seconds=LEASE, limit=7):
            assert all(t.worker_id == worker_id for t in batch)
            taken.extend(ids(batch))
        return taken

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(drain, [f"w{n}" for n in range(workers)]))

    every = [task_id for taken in results for task_id in taken]
    assert len(every) == total
    assert Counter(every).most_common(1)[0][1] == 1
    assert store.count(TaskFilter(status=Status.PROCESSING)) == total
    owners = {t.task_id: t.worker_id for t in store.list_tasks(EVERYTHING, limit=total)}
    for n, taken in enumerate(results):
        assert all(owners[task_id] == f"w{n}" for task_id in taken)


def test_concurrent_adds_with_replace_leave_one_waiting_task_per_code(store: Store) -> None:
    workers, rounds = 6, 10
    start = threading.Barrier(workers)

    def add_repeatedly(n: int) -> None:
        start.wait()
        for r in range(rounds):
            store.add([new("shared.a", args={"by": n, "round": r}),
                       new("shared.b", args={"by": n, "round": r})], replace=True)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(add_repeatedly, range(workers)))

    assert sorted(codes(store.list_tasks(EVERYTHING))) == ["shared.a", "shared.b"]


# -- properties -----------------------------------------------------------------------------
CODES = st.from_regex(r"[A-Za-z0-9_.:-]{1,128}", fullmatch=True)
JSON_SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)
ARGS = st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(st.tuples(CODES, ARGS, st.integers(-1000, 1000)), min_size=1, max_size=5))
def test_add_then_list_round_trips_any_code_and_args(
    store: Store, clock: FakeClock, batch: list[tuple[str, JsonObject, int]],
) -> None:
    store.clear()
    news = [new(code, args=args, priority=priority) for code, args, priority in batch]

    added = store.add(news, replace=False)

    assert [(t.code, t.args, t.priority) for t in added] == batch
    assert store.list_tasks(EVERYTHING, limit=len(batch)) == added
    assert store.list_tasks(EVERYTHING, limit=len(batch), descending=True) == added[::-1]
    for t in added:
        assert store.get(t.task_id) == t
        assert t.run_at == clock.now
        found = store.list_tasks(TaskFilter(code=t.code.swapcase()), limit=len(batch))
        assert t in found
        assert all(t.code.lower() in f.code.lower() for f in found)


def test_recover_log_entries_match_the_stored_log(store: Store, clock: FakeClock) -> None:
    add_many(store, "x", "y", "z")
    store.claim("w1", lease_seconds=LEASE, limit=3)
    clock.advance(LEASE + 1)

    entries: list[LogEntry] = store.recover(lease_seconds=LEASE)

    assert sorted(entries, key=lambda e: e.task_log_id, reverse=True) == store.log()


# -- issue 7: lease fencing, forgotten runners, delayed tasks, retries, retention ------------
def test_a_late_attempt_cannot_overwrite_the_next_attempt_of_the_same_runner(
    store: Store, clock: FakeClock,
) -> None:
    """Attempt 1 outlives its lease, the task is recovered and the same runner claims it
    again: attempt 1's finish, heartbeat and release are refused; attempt 2's outcome stands."""
    add_one(store, "job")
    first = claim_one(store, "w1")
    clock.advance(LEASE + 1)
    store.recover(lease_seconds=LEASE)
    second = claim_one(store, "w1")
    assert (second.task_id, second.attempts) == (first.task_id, 2)

    assert store.heartbeat(runner_named("w1"), keys([first]), lease_seconds=LEASE) == 0
    assert store.release("w1", keys([first])) == 0
    assert store.finish(first, "w1", outcome(Status.FAILED, response="late", comment="late"),
                        retention_seconds=RETAIN) is False
    assert current(store, second) == second

    assert store.finish(second, "w1", outcome(response="second", comment="on time"),
                        retention_seconds=RETAIN) is True
    stored = current(store, second)
    assert (stored.status, stored.response, stored.attempts) == (Status.COMPLETE, "second", 2)
    assert [e.comment for e in store.log(limit=2)] == [
        "on time", "late (lease lost: not stored)"]


def test_each_claim_gives_a_new_token_and_finishing_clears_it(store: Store) -> None:
    add_many(store, "a", "b")
    first = claim_one(store)
    second = claim_one(store)
    assert first.claim_token
    assert second.claim_token
    assert first.claim_token != second.claim_token
    assert current(store, first).claim_token == first.claim_token

    store.finish(first, "w1", outcome(Status.FAILED), retention_seconds=RETAIN)

    assert current(store, first).claim_token is None


def test_heartbeat_registers_again_a_runner_that_recover_forgot(
    store: Store, clock: FakeClock,
) -> None:
    """A runner paused longer than a lease (SIGSTOP, a database outage) is forgotten by
    another runner's recover(); its next heartbeat lists it again, as it was."""
    info = runner_info("paused", clock.now)
    store.register_runner(info)
    clock.advance(LEASE + 1)
    store.recover(lease_seconds=LEASE)
    assert store.runners() == []

    store.heartbeat(info, [], lease_seconds=LEASE)

    assert store.runners() == [replace(info, last_seen_at=clock.now)]


def test_claim_takes_delayed_tasks_once_due_in_priority_then_id_order(
    store: Store, clock: FakeClock,
) -> None:
    later = clock.now + timedelta(seconds=60)
    waits_high = add_one(store, "waits.high", priority=5, run_at=later)
    due_low = add_one(store, "due.low")
    due_high = add_one(store, "due.high", priority=5)
    waits_low = add_one(store, "waits.low", run_at=later)

    assert ids(store.claim("w1", lease_seconds=LEASE, limit=10)) == [due_high.task_id,
                                                                    due_low.task_id]
    clock.advance(60)
    now_high = add_one(store, "now.high", priority=5)

    assert ids(store.claim("w1", lease_seconds=LEASE, limit=10)) == [
        waits_high.task_id, now_high.task_id, waits_low.task_id]


def test_a_delayed_task_paused_and_set_back_to_pending_still_waits_for_run_at(
    store: Store, clock: FakeClock,
) -> None:
    waiting = add_one(store, "job", run_at=clock.now + timedelta(seconds=60))
    store.set_status([waiting.task_id], Status.PAUSED)
    store.set_status([waiting.task_id], Status.PENDING)

    assert store.claim("w1", lease_seconds=LEASE) == []
    clock.advance(60)
    assert claim_one(store).task_id == waiting.task_id


def test_set_status_pending_gives_a_fresh_attempt_budget(
    store: Store, clock: FakeClock,
) -> None:
    add_one(store, "job", max_attempts=1)
    claimed = claim_one(store)
    store.finish(claimed, "w1", outcome(Status.FAILED), retention_seconds=RETAIN)
    assert current(store, claimed).attempts == 1

    store.set_status([claimed.task_id], Status.PAUSED)
    assert current(store, claimed).attempts == 1  # only pending resets it
    store.set_status([claimed.task_id], Status.PENDING)

    assert current(store, claimed).attempts == 0
    assert claim_one(store).attempts == 1


def test_retry_gives_tasks_a_fresh_start_and_spares_running_ones(
    store: Store, clock: FakeClock,
) -> None:
    add_many(store, "failed")
    failed = claim_one(store)
    store.finish(failed, "w1", outcome(Status.FAILED), retention_seconds=RETAIN)
    waiting = add_one(store, "waiting", run_at=clock.now + timedelta(hours=1))
    running = with_status(store, "running", Status.PROCESSING)
    clock.advance(5)

    assert store.retry([failed.task_id, waiting.task_id, running.task_id]) == 2

    for t in (failed, waiting):
        stored = current(store, t)
        assert (stored.status, stored.attempts) == (Status.PENDING, 0)
        assert stored.run_at == stored.date_modified == clock.now
    assert current(store, running) == running
    assert ids(store.claim("w1", lease_seconds=LEASE, limit=5)) == [failed.task_id,
                                                                   waiting.task_id]


def test_retry_with_an_unknown_id_raises_and_changes_nothing(store: Store) -> None:
    failed = with_status(store, "job", Status.FAILED)

    with pytest.raises(TaskNotFound, match="999999"):
        store.retry([failed.task_id, 999_999])

    assert current(store, failed) == failed


def test_retry_matching_retries_what_the_same_filter_lists(store: Store) -> None:
    a = with_status(store, "import.a", Status.FAILED)
    b = with_status(store, "import.b", Status.FAILED)
    other = with_status(store, "export", Status.FAILED)
    paused = with_status(store, "import.c", Status.PAUSED)
    running = with_status(store, "import.d", Status.PROCESSING)
    where = TaskFilter(code="IMPORT", status=Status.FAILED)
    listed = ids(store.list_tasks(where))

    assert store.retry_matching(where) == 2

    assert listed == [a.task_id, b.task_id]
    assert {current(store, t).status for t in (a, b)} == {Status.PENDING}
    for untouched in (other, paused, running):
        assert current(store, untouched) == untouched
    assert store.retry_matching(TaskFilter(code="import")) == 3  # running: never


def test_prune_deletes_in_chunks_of_at_most_the_limit(store: Store, clock: FakeClock) -> None:
    store.add([new(f"done.{n}") for n in range(5)], replace=False)
    for claimed in store.claim("w1", lease_seconds=LEASE, limit=5):
        store.finish(claimed, "w1", outcome(), retention_seconds=RETAIN)
    clock.advance(10)

    assert [store.prune(retention_seconds=1, limit=2) for _ in range(4)] == [2, 2, 1, 0]
    assert store.count(EVERYTHING) == 0


def test_prune_log_deletes_entries_older_than_its_retention_in_chunks(
    store: Store, clock: FakeClock,
) -> None:
    finished_attempts(store, clock, 3)  # entries at 0 s, 1 s and 2 s; the clock is at 3 s
    clock.advance(7)  # 10 s, 9 s and 8 s old

    assert store.prune_log(retention_seconds=9) == 1  # older than 9 s: only the first
    assert [e.comment for e in store.log()] == ["logged.2", "logged.1"]
    assert store.prune_log(retention_seconds=0, limit=1) == 1
    assert [e.comment for e in store.log()] == ["logged.2"]
    assert store.count(EVERYTHING) == 3  # the tasks stay


def test_clock_offset_is_a_small_number_of_seconds(store: Store) -> None:
    assert abs(store.clock_offset()) < 5  # this machine and the test server agree


def test_claim_order_holds_when_more_delayed_tasks_fall_due_than_one_promotion_takes(
    store: Store, clock: FakeClock,
) -> None:
    later = clock.now + timedelta(seconds=60)
    store.add([new(f"later.{n}", run_at=later) for n in range(1_200)], replace=False)
    urgent = add_one(store, "urgent", priority=5, run_at=later + timedelta(seconds=1))
    clock.advance(61)

    assert claim_one(store).task_id == urgent.task_id


def test_a_list_with_a_preview_loads_only_the_start_of_each_response(store: Store) -> None:
    [long_one, empty] = add_many(store, "long", "empty")
    [claimed] = store.claim("w", lease_seconds=LEASE)
    store.finish(claimed, "w", outcome(response="é" * 10_000), retention_seconds=RETAIN)

    listed = store.list_tasks(EVERYTHING, preview=5)

    assert [(t.task_id, t.response) for t in listed] == [(long_one.task_id, "ééééé"),
                                                         (empty.task_id, None)]
    assert store.get(long_one.task_id).response == "é" * 10_000  # type: ignore[union-attr]
