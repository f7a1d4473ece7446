"""The admin's front door over MemoryStore: the registry's filters and bulk changes checked
before the store, tasks.attempts(), and desk.insights' views."""

from __future__ import annotations

from typing import Any

import pytest

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.config import Settings
from taskdesk.errors import BadArgs, BadInput, BadStatus
from taskdesk.insights import DURATION_BUCKETS
from taskdesk.models.tasks import Outcome, Status
from taskdesk.store import MemoryStore
from taskdesk.testing import in_memory
from tests.support import FakeClock

ACTION = "tests.support.handlers:record"


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock)


@pytest.fixture
def desk(store: MemoryStore, settings: Settings) -> Taskdesk:
    return Taskdesk(settings, store=store)


def run(desk: Taskdesk, store: MemoryStore, clock: FakeClock, status: Status,
        duration: float, *, code: str = "job") -> int:
    """Add a task and end one attempt of it `duration` seconds after its claim."""
    task_id = desk.tasks.add(code, ACTION, {"n": 1}).task_id
    [claimed] = store.claim("w1", lease_seconds=30)
    clock.advance(duration)
    store.finish(claimed, "w1", Outcome(status=status, response="r", comment=f"{status}",
                                        duration=duration), retention_seconds=3600)
    return task_id


@pytest.mark.parametrize(("filters", "error"), [
    ({"args": "[1]"}, BadArgs), ({"args": "{bad"}, BadArgs), ({"args": [1]}, BadArgs),
    ({"args": {"a": "\x00"}}, BadArgs), ({"args": {"a": [[[[[[[[[1]]]]]]]]]}}, BadArgs),
    ({"args": {str(n): n for n in range(101)}}, BadArgs), ({"status": "done"}, BadStatus),
    ({"code": "x" * 256}, BadInput), ({"action": 5}, BadInput),
])
def test_bad_filters_raise_one_clear_error(desk: Taskdesk, filters: dict[str, Any],
                                           error: type[Exception]) -> None:
    with pytest.raises(error):
        desk.tasks.list_tasks(**filters)
    with pytest.raises(error):
        desk.tasks.count(**filters)


def test_args_filter_accepts_json_text_and_empty_means_everything(desk: Taskdesk) -> None:
    wanted = desk.tasks.add("a", ACTION, {"user_id": 42}).task_id
    desk.tasks.add("b", ACTION, {"user_id": 7})

    assert [t.task_id for t in desk.tasks.list_tasks(args='{"user_id": 42}')] == [wanted]
    assert desk.tasks.count(args={}) == desk.tasks.count(args="") == 2
    assert desk.tasks.count(action="TESTS.support.handlers", code="a", code_exact=True) == 1


def test_bulk_changes_need_a_filter_and_never_target_processing(desk: Taskdesk) -> None:
    desk.tasks.add("a", ACTION)
    with pytest.raises(BadInput, match="needs a filter"):
        desk.tasks.delete_matching()
    with pytest.raises(BadInput, match="needs a filter"):
        desk.tasks.set_status_matching("paused", args={})
    with pytest.raises(BadInput, match="needs a filter"):
        desk.tasks.retry_matching(code="")
    with pytest.raises(BadStatus):
        desk.tasks.delete_matching(status="processing")
    with pytest.raises(BadStatus):
        desk.tasks.set_status_matching("processing", code="a")
    assert desk.tasks.count() == 1


def test_set_status_matching_then_delete_matching(desk: Taskdesk) -> None:
    for n in range(3):
        desk.tasks.add(f"mail.{n}", ACTION, {"batch": n % 2})

    assert desk.tasks.set_status_matching("paused", args={"batch": 0}) == 2
    assert desk.tasks.count(status="paused") == 2
    assert desk.tasks.delete_matching(status=Status.PAUSED, code="mail") == 2
    assert [t.code for t in desk.tasks.list_tasks()] == ["mail.1"]


def test_attempts_show_every_attempt_oldest_first_with_timings(
        desk: Taskdesk, store: MemoryStore, clock: FakeClock) -> None:
    task_id = run(desk, store, clock, Status.PENDING, 2.5)
    [_again] = store.claim("w2", lease_seconds=1)
    clock.advance(10)
    store.recover(lease_seconds=1)

    first, second = desk.tasks.attempts(task_id)

    assert first == {"attempt": 1, "status": "pending", "started_at": "2026-01-01T12:00:00Z",
                     "finished_at": "2026-01-01T12:00:02.500000Z", "duration": 2.5,
                     "worker_id": "w1", "comment": "pending"}
    assert (second["attempt"], second["worker_id"], second["started_at"]) == (2, "w2", None)
    assert desk.tasks.attempts(task_id + 1) == []


def test_status_counts_name_every_status(desk: Taskdesk) -> None:
    desk.tasks.add("a", ACTION)

    assert Admin(desk).insights.status_counts() == {"pending": 1, "processing": 0, "paused": 0,
                                             "complete": 0, "failed": 0, "cancelled": 0}


def test_activity_has_every_minute_oldest_first(
        desk: Taskdesk, store: MemoryStore, clock: FakeClock) -> None:
    run(desk, store, clock, Status.COMPLETE, 1.0)  # 12:00
    clock.advance(120)
    run(desk, store, clock, Status.FAILED, 1.0)  # 12:02
    run(desk, store, clock, Status.COMPLETE, 1.0)

    activity = Admin(desk).insights.activity(minutes=4)

    assert activity == [
        {"minute": "2026-01-01T11:59:00Z", "complete": 0, "failed": 0},
        {"minute": "2026-01-01T12:00:00Z", "complete": 1, "failed": 0},
        {"minute": "2026-01-01T12:01:00Z", "complete": 0, "failed": 0},
        {"minute": "2026-01-01T12:02:00Z", "complete": 1, "failed": 1},
    ]
    assert len(Admin(desk).insights.activity()) == 60
    for bad in (0, 1441, True, "5"):
        with pytest.raises(BadInput):
            Admin(desk).insights.activity(minutes=bad)  # type: ignore[arg-type]


def test_metrics_count_from_the_log_and_histogram_durations(
        desk: Taskdesk, store: MemoryStore, clock: FakeClock) -> None:
    run(desk, store, clock, Status.COMPLETE, 0.2)
    run(desk, store, clock, Status.FAILED, 7.0, code="other")
    run(desk, store, clock, Status.PENDING, 500.0, code="third")

    metrics = Admin(desk).insights.metrics()

    assert metrics["tasks"]["failed"] == 1
    assert metrics["tasks"]["pending"] == 1
    assert (metrics["processed"], metrics["failed"]) == (3, 1)
    assert metrics["log"] == {"pending": 1, "processing": 0, "paused": 0, "complete": 1,
                              "failed": 1, "cancelled": 0}
    buckets = {bucket["le"]: bucket["count"] for bucket in metrics["duration"]["buckets"]}
    assert len(buckets) == len(DURATION_BUCKETS) + 1
    assert (buckets["0.1"], buckets["0.25"], buckets["5"], buckets["10"]) == (0, 1, 1, 2)
    assert (buckets["300"], buckets["+Inf"]) == (2, 3)
    assert metrics["duration"]["sum"] == 507.2
    assert metrics["duration"]["count"] == 3
    desk.tasks.clear_log()  # the counters never fall (issue 14 #10)
    assert Admin(desk).insights.metrics()["processed"] == 3
    assert Admin(desk).insights.metrics()["duration"]["count"] == 3


def test_every_admin_of_a_desk_shares_its_services_until_the_store_changes(
        desk: Taskdesk) -> None:
    first, second = Admin(desk), Admin(desk)
    accounts = first.accounts
    assert accounts is second.accounts
    assert first.insights is second.insights  # one counts cache per desk, not per caller

    with in_memory(desk):  # another store: services built on it, not on the old one
        assert Admin(desk).accounts is not accounts
        assert Admin(desk).accounts.store is desk.store
    assert Admin(desk).accounts.store is desk.store
