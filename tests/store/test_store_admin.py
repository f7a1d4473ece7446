"""The Store contract of the admin's verbs, on every backend: action, args and exact-code
filters, bulk changes over every matching task (chunked, running tasks left alone), and the
counts behind the dashboard and /metrics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from taskdesk.errors import BadStatus
from taskdesk.models.tasks import JsonObject, Outcome, Status, TaskFilter
from taskdesk.store import DURATION_BUCKETS, SqlStore, Store
from tests.store.test_store import (
    EVERYTHING,
    RETAIN,
    add_one,
    claim_one,
    current,
    ids,
    outcome,
    with_status,
)
from tests.support import FakeClock

HOSTILE_KEYS = ['a"b', "a.b", "$", "[0]", "50%_off", "it's", "ключ", "a\\b", " ", ""]


def listed(store: Store, where: TaskFilter) -> list[int]:
    found = ids(store.list_tasks(where))
    assert store.count(where) == len(found)
    return found


def args_task(store: Store, args: JsonObject) -> int:
    return add_one(store, "t", args=args).task_id


# -- filters ------------------------------------------------------------------------------
def test_action_filter_is_a_case_insensitive_substring_with_literal_wildcards(
        store: Store) -> None:
    mail = add_one(store, "a", action="app.mail:send_50%_off").task_id
    add_one(store, "b", action="app.mail:send_50xxoff")
    report = add_one(store, "c", action="task/catalog/report.task").task_id

    assert listed(store, TaskFilter(action="MAIL:SEND_50%_")) == [mail]
    assert listed(store, TaskFilter(action="report")) == [report]


def test_exact_code_matches_only_that_code(store: Store) -> None:
    exact = add_one(store, "backup").task_id
    longer = add_one(store, "backup.page2").task_id

    assert listed(store, TaskFilter(code="backup")) == [exact, longer]
    assert listed(store, TaskFilter(code="backup", code_exact=True)) == [exact]
    assert listed(store, TaskFilter(code="BACKUP", code_exact=True)) == []


def test_exact_code_pages_newest_first_by_cursor(store: Store) -> None:
    mine = [add_one(store, "mine").task_id for _ in range(5)]
    add_one(store, "other")
    where = TaskFilter(code="mine", code_exact=True)

    first = ids(store.list_tasks(where, limit=2, descending=True))
    rest = ids(store.list_tasks(where, cursor=first[-1], limit=10, descending=True))

    assert first + rest == mine[::-1]


def test_args_filter_matches_tasks_holding_every_key_with_an_equal_value(store: Store) -> None:
    both = args_task(store, {"user_id": 42, "x": 1})
    args_task(store, {"user_id": 43, "x": 1})
    args_task(store, {"x": 1})
    only = args_task(store, {"user_id": 42})

    assert listed(store, TaskFilter(args={"user_id": 42})) == [both, only]
    assert listed(store, TaskFilter(args={"user_id": 42, "x": 1})) == [both]
    assert listed(store, TaskFilter(args={"user_id": 42, "y": 1})) == []


def test_args_filter_compares_nested_values_whole_whatever_their_key_order(
        store: Store) -> None:
    task_id = args_task(store, {"opts": {"a": 1, "b": [1, {"c": None}]}, "n": 2})
    args_task(store, {"opts": {"a": 1, "b": [1, {"c": None}], "extra": True}})
    args_task(store, {"opts": {"a": 1, "b": [1]}})

    assert listed(store, TaskFilter(args={"opts": {"b": [1, {"c": None}], "a": 1}})) == [task_id]
    assert listed(store, TaskFilter(args={"opts": {"a": 1}})) == []
    assert listed(store, TaskFilter(args={"opts": {"a": 1, "b": [{"c": None}, 1]}})) == []


@pytest.mark.parametrize(("stored", "wanted", "match"), [
    (1, 1.0, True), (1.5, 1.5, True), (True, 1, False), (1, True, False), (False, 0, False),
    (None, None, True), (None, 0, False), ("1", 1, False), ("", None, False),
    ([], [], True), ({}, {}, True), ([], {}, False), (2**62, 2**62, True),
    ("O'Brien \"x\" \\ 100%_", "O'Brien \"x\" \\ 100%_", True), ("é", "e", False),
])
def test_args_filter_values_compare_as_json(store: Store, stored: Any, wanted: Any,
                                            match: bool) -> None:
    task_id = args_task(store, {"k": stored})

    assert listed(store, TaskFilter(args={"k": wanted})) == ([task_id] if match else [])


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_args_filter_takes_any_key_literally(store: Store, key: str) -> None:
    task_id = args_task(store, {key: "v", "plain": 1})
    args_task(store, {"plain": 1, "v": key})

    assert listed(store, TaskFilter(args={key: "v"})) == [task_id]


def test_args_filter_combines_with_the_other_filters(store: Store) -> None:
    wanted = with_status(store, "sync", Status.FAILED)
    with_status(store, "sync", Status.PAUSED)
    where = TaskFilter(code="SYN", status=Status.FAILED, args={})
    assert listed(store, where) == [wanted.task_id]
    assert listed(store, TaskFilter(status=Status.FAILED, args={"a": 1})) == []


def test_args_rows_that_are_not_json_objects_never_break_a_filtered_list(
        store: Store) -> None:
    if not isinstance(store, SqlStore):
        pytest.skip("the memory store holds parsed args only")
    good = args_task(store, {"k": 1})
    broken = [args_task(store, {"k": 1}) for _ in range(4)]
    texts = ['{"k": 1', '[{"k": 1}]', '"k"', '{"k": 1, "z": "\\u0000"}']
    with store.engine.begin() as conn:
        for task_id, args in zip(broken, texts, strict=True):
            conn.execute(text("UPDATE task SET args = :args WHERE task_id = :id"),
                         {"args": args, "id": task_id})

    found = listed(store, TaskFilter(args={"k": 1}))

    assert found[0] == good
    assert set(found) <= {good, broken[3]}  # SQLite's JSON holds NUL; jsonb refuses it


# -- bulk changes -------------------------------------------------------------------------
def test_set_status_matching_changes_every_match_in_chunks_and_spares_running_tasks(
        store: Store, clock: FakeClock) -> None:
    matching = [add_one(store, f"m.{n}", args={"batch": 7}) for n in range(5)]
    running = with_status(store, "m.run", Status.PROCESSING)
    other = add_one(store, "m.other", args={"batch": 8})
    clock.advance(5)

    changed = store.set_status_matching(TaskFilter(code="m."), Status.PAUSED, chunk=2)

    assert changed == 6
    assert {current(store, t).status for t in matching} == {Status.PAUSED}
    assert current(store, matching[0]).date_modified == clock.now
    assert current(store, other).status is Status.PAUSED
    assert current(store, running) == running
    assert store.set_status_matching(TaskFilter(args={"batch": 7}), Status.PENDING,
                                     chunk=2) == 5
    assert current(store, other).status is Status.PAUSED


def test_set_status_matching_to_pending_gives_a_fresh_attempt_budget(store: Store) -> None:
    task = add_one(store, "again")
    claimed = claim_one(store)
    store.finish(claimed, "w1", outcome(Status.FAILED), retention_seconds=RETAIN)

    assert store.set_status_matching(TaskFilter(status=Status.FAILED), Status.PENDING) == 1
    assert current(store, task).attempts == 0


def test_set_status_matching_refuses_processing(store: Store) -> None:
    add_one(store, "a")
    with pytest.raises(BadStatus):
        store.set_status_matching(EVERYTHING, Status.PROCESSING)
    assert store.status_counts() == {Status.PENDING: 1}


def test_delete_matching_deletes_every_match_in_chunks_and_spares_running_tasks(
        store: Store) -> None:
    doomed = [add_one(store, "old", args={"n": n % 2}) for n in range(7)]
    running = with_status(store, "old", Status.PROCESSING)
    kept = add_one(store, "new")

    assert store.delete_matching(TaskFilter(code="old", args={"n": 0}), chunk=3) == 4
    assert store.delete_matching(TaskFilter(code="old"), chunk=1) == 3

    assert all(store.get(t.task_id) is None for t in doomed)
    assert ids(store.list_tasks(EVERYTHING)) == [running.task_id, kept.task_id]


def test_retry_matching_takes_the_new_filters_and_chunks(store: Store) -> None:
    failed = [with_status(store, f"f.{n}", Status.FAILED) for n in range(3)]
    with_status(store, "f.x", Status.PROCESSING)

    assert store.retry_matching(TaskFilter(action="tests.support.handlers"), chunk=2) == 3
    assert {current(store, t).status for t in failed} == {Status.PENDING}


def test_bulk_changes_inside_atomic_roll_back_together(store: Store) -> None:
    tasks = [add_one(store, "a") for _ in range(3)]

    def delete_then_fail() -> None:
        with store.atomic() as inner:
            assert inner.delete_matching(TaskFilter(code="a"), chunk=1) == 3
            raise RuntimeError

    with pytest.raises(RuntimeError):
        delete_then_fail()
    assert [store.get(t.task_id) for t in tasks] == tasks


# -- counts -------------------------------------------------------------------------------
def test_status_counts_count_the_statuses_tasks_have(store: Store) -> None:
    assert store.status_counts() == {}
    with_status(store, "a", Status.FAILED)
    with_status(store, "b", Status.FAILED)
    with_status(store, "c", Status.PROCESSING)
    add_one(store, "d")

    assert store.status_counts() == {Status.FAILED: 2, Status.PROCESSING: 1,
                                      Status.PENDING: 1}


def finish_one(store: Store, status: Status, duration: float) -> None:
    add_one(store, f"run.{status}.{duration}")
    claimed = claim_one(store)
    store.finish(claimed, "w1", outcome(status, duration=duration),
                 retention_seconds=RETAIN)


def _buckets(store: Store) -> dict[float, int]:
    histogram = store.duration_histogram()
    assert histogram.bounds == DURATION_BUCKETS
    return dict(zip(histogram.bounds, histogram.counts, strict=True))


def test_log_counts_and_the_duration_histogram_come_from_the_log(
        store: Store, clock: FakeClock) -> None:
    for status, duration in [(Status.COMPLETE, 0.004), (Status.COMPLETE, 0.3),
                             (Status.FAILED, 2.0), (Status.PENDING, 400.0)]:
        finish_one(store, status, duration)
    claim_one(store, lease=1)  # the retried task, then recovered: a log entry, no duration
    clock.advance(5)
    store.recover(lease_seconds=1)

    histogram = store.duration_histogram()

    assert store.log_counts() == {Status.COMPLETE: 2, Status.FAILED: 1, Status.PENDING: 2}
    buckets = _buckets(store)
    assert (buckets[0.005], buckets[0.5], buckets[2.5], buckets[300.0]) == (1, 2, 3, 3)
    assert histogram.count == 4
    assert abs(histogram.total - 402.304) < 1e-9


def test_the_log_counters_never_fall_when_entries_are_pruned_or_cleared(
        store: Store, clock: FakeClock) -> None:
    """Issue 14 #10: pruning and `log clear` used to make /metrics' counters fall (a reset
    for Prometheus). Entries leave the log; the counters keep them, each counted once."""
    finish_one(store, Status.COMPLETE, 0.004)
    finish_one(store, Status.FAILED, 2.0)
    clock.advance(3600)  # past the lag that PostgreSQL's folds leave to late commits
    finish_one(store, Status.COMPLETE, 0.3)
    counts = {Status.COMPLETE: 2, Status.FAILED: 1}
    assert store.log_counts() == counts
    before = _buckets(store)

    assert store.prune_log(retention_seconds=60) == 2  # the two older entries
    assert store.count_log() == 1
    assert store.log_counts() == counts
    assert _buckets(store) == before
    assert store.prune_log(retention_seconds=60) == 0  # nothing counted twice
    assert store.log_counts() == counts

    assert store.clear_log() == 1
    assert store.count_log() == 0
    assert store.log_counts() == counts
    assert _buckets(store) == before
    assert store.duration_histogram().count == 3
    assert abs(store.duration_histogram().total - 2.304) < 1e-9

    finish_one(store, Status.FAILED, 0.004)
    assert store.log_counts() == {Status.COMPLETE: 2, Status.FAILED: 2}
    assert _buckets(store)[0.005] == before[0.005] + 1


def test_log_per_minute_counts_complete_and_failed_entries_since_a_time(
        store: Store, clock: FakeClock) -> None:
    start = clock.now.replace(second=0, microsecond=0)
    finish_one(store, Status.COMPLETE, 1.0)  # 12:00, before `since`
    clock.advance(61)
    finish_one(store, Status.COMPLETE, 1.0)
    clock.advance(30)
    finish_one(store, Status.FAILED, 1.0)
    finish_one(store, Status.PENDING, 1.0)  # a retry: not an outcome
    clock.advance(40)
    finish_one(store, Status.COMPLETE, 1.0)

    counts = store.log_per_minute(start + timedelta(minutes=1))

    assert counts == {(start + timedelta(minutes=1), Status.COMPLETE): 1,
                      (start + timedelta(minutes=1), Status.FAILED): 1,
                      (start + timedelta(minutes=2), Status.COMPLETE): 1}


@pytest.mark.hostile  # issue 7, item 22: a task set back to pending by hand gets a fresh budget
def test_a_failed_task_set_back_to_pending_by_hand_runs_again(store: Store) -> None:
    add_one(store, "job", max_attempts=1)
    claimed = claim_one(store)
    store.finish(claimed, "w1", Outcome(status=Status.FAILED, response="boom", comment="x",
                                        duration=0.1), retention_seconds=3600)

    store.set_status([claimed.task_id], Status.PENDING)
    again = claim_one(store)
    store.finish(again, "w1", Outcome(status=Status.FAILED, response="boom", comment="x",
                                      duration=0.1), retention_seconds=3600)

    assert again.attempts == 1  # within its budget of 1: not "attempt 2 of 1"
