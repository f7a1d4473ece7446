"""desk.tasks.cancel_matching, a chunk per transaction on every backend: waiting and running
tasks of every cancellable status, several chunks, the total given to `then` once, in the
last chunk's transaction; a filter is required; complete and cancelled are refused as
statuses; set_status("cancelled") is a cancel."""

from __future__ import annotations

import pytest

from taskdesk import registry
from taskdesk.config import Settings
from taskdesk.errors import BadInput, BadStatus
from taskdesk.models.tasks import Status
from taskdesk.registry import TaskRegistry
from taskdesk.store import Store

NOOP = "tests.support.handlers:noop"


@pytest.fixture
def tasks(store: Store, settings: Settings) -> TaskRegistry:
    return TaskRegistry(store, settings)


def test_every_status_in_chunks_with_one_then(tasks: TaskRegistry, store: Store,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "MATCH_CHUNK", 2)
    ids = [tasks.add(f"job-{n}", NOOP).task_id for n in range(7)]
    tasks.add("other", NOOP)
    tasks.set_status("paused", ids[:2])
    tasks.set_status("failed", ids[2:3])
    store.claim("w1", lease_seconds=30, limit=1)  # ids[3] runs
    tasks.set_status("complete", ids[6:])
    totals: list[int] = []

    cancelled = tasks.cancel_matching(code="job", by="ann",
                                      then=lambda bound, total: totals.append(total))

    assert cancelled == 6
    assert totals == [6]
    assert [tasks.get(i).status for i in ids] == [Status.CANCELLED] * 6 + [Status.COMPLETE]
    assert tasks.get(ids[0] + 7).status is Status.PENDING  # "other"
    assert tasks.cancel_matching(status="processing") == 0


def test_bad_filters_are_refused(tasks: TaskRegistry) -> None:
    with pytest.raises(BadInput, match="needs a filter"):
        tasks.cancel_matching()
    for status in ("complete", "cancelled"):
        with pytest.raises(BadStatus, match=f"{status} tasks cannot be cancelled"):
            tasks.cancel_matching(status=status)


def test_setting_cancelled_is_a_cancel(tasks: TaskRegistry, store: Store) -> None:
    task = tasks.add("a", NOOP)
    [running] = store.claim("w1", lease_seconds=30, limit=1)

    assert tasks.set_status("cancelled", [task.task_id]) == 1
    assert tasks.get(task.task_id).status is Status.CANCELLED
    assert running.task_id == task.task_id
    assert tasks.log(task_id=task.task_id)[0].comment.startswith(
        "cancelled by the application while running")
