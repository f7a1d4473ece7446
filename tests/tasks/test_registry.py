"""TaskRegistry over MemoryStore: validation before the store, defaults, and add's replace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest

from taskdesk.config import Settings
from taskdesk.errors import BadAction, BadArgs, BadCode, BadInput, BadStatus, TaskNotFound
from taskdesk.models.tasks import NewTask, Status
from taskdesk.registry import MAX_PAGE, TaskRegistry
from taskdesk.store import MemoryStore
from taskdesk.views import task_view
from tests.support import FakeClock

ACTION = "tests.support.handlers:noop"


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock)


@pytest.fixture
def registry(store: MemoryStore, settings: Settings) -> TaskRegistry:
    return TaskRegistry(store, settings)


def codes(registry: TaskRegistry, **filters: Any) -> list[str]:
    return [task.code for task in registry.list_tasks(**filters)]


# -- add ------------------------------------------------------------------------------

def test_add_fills_defaults(registry: TaskRegistry, clock: FakeClock) -> None:
    task = registry.add("job", ACTION)

    assert task.task_id == 1
    assert task.code == "job"
    assert task.action == ACTION
    assert task.args == {}
    assert task.status is Status.PENDING
    assert task.priority == 0
    assert task.attempts == 0
    assert task.max_attempts == 3
    assert task.run_at == clock.now
    assert task.date_added == clock.now
    assert registry.get(task.task_id) == task


def test_max_attempts_default_comes_from_settings(store: MemoryStore, settings: Settings) -> None:
    registry = TaskRegistry(store, settings.evolve(max_attempts=8))

    assert registry.add("job", ACTION).max_attempts == 8
    assert registry.add("other", ACTION, max_attempts=2).max_attempts == 2


def test_add_keeps_what_it_was_given(registry: TaskRegistry) -> None:
    run_at = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)

    task = registry.add("job.1:x-y_z", "task/catalog/test_module.task", {"pages": 3},
                        priority=-2, run_at=run_at, max_attempts=1)

    assert task.code == "job.1:x-y_z"
    assert task.action == "task/catalog/test_module.task"
    assert task.args == {"pages": 3}
    assert task.priority == -2
    assert task.run_at == run_at
    assert task.max_attempts == 1


def test_longest_code_is_accepted(registry: TaskRegistry) -> None:
    assert registry.add("c" * 128, ACTION).code == "c" * 128


BAD_INPUT = {
    "code-empty": ({"code": ""}, BadCode),
    "code-129-chars": ({"code": "c" * 129}, BadCode),
    "code-space": ({"code": "two words"}, BadCode),
    "code-slash": ({"code": "a/b"}, BadCode),
    "code-tab": ({"code": "tab\there"}, BadCode),
    "code-non-ascii": ({"code": "é"}, BadCode),
    "code-int": ({"code": 12}, BadCode),
    "action-empty": ({"action": ""}, BadAction),
    "action-spaces": ({"action": "no colon"}, BadAction),
    "action-bad-side": ({"action": "task/shop/x.y"}, BadAction),
    "args-list": ({"args": [1, 2]}, BadArgs),
    "args-empty-list": ({"args": []}, BadArgs),
    "args-str": ({"args": "{}"}, BadArgs),
    "args-int-key": ({"args": {1: "x"}}, BadArgs),
    "args-nan": ({"args": {"a": float("nan")}}, BadArgs),
    "priority-bool": ({"priority": True}, BadInput),
    "priority-str": ({"priority": "1"}, BadInput),
    "priority-float": ({"priority": 1.0}, BadInput),
    "max_attempts-0": ({"max_attempts": 0}, BadInput),
    "max_attempts-negative": ({"max_attempts": -1}, BadInput),
    "max_attempts-bool": ({"max_attempts": False}, BadInput),
    "max_attempts-str": ({"max_attempts": "3"}, BadInput),
    "run_at-naive": ({"run_at": datetime(2030, 1, 1)}, BadInput),
}


@pytest.mark.parametrize(("kwargs", "error"), list(BAD_INPUT.values()), ids=list(BAD_INPUT))
def test_bad_input_adds_nothing(registry: TaskRegistry, kwargs: dict[str, Any],
                                error: type[BadInput]) -> None:
    values: dict[str, Any] = {"code": "job", "action": ACTION, **kwargs}
    code, action = values.pop("code"), values.pop("action")
    args = values.pop("args", None)

    with pytest.raises(error) as caught:
        registry.add(code, action, args, **values)

    assert type(caught.value) is error
    assert registry.count() == 0


def test_bad_code_message_names_the_code(registry: TaskRegistry) -> None:
    with pytest.raises(BadCode, match="bad code 'a/b': A task code must be 1 to 128"):
        registry.add("a/b", ACTION)


def test_add_many_is_all_or_nothing(registry: TaskRegistry) -> None:
    with pytest.raises(BadCode):
        registry.add_many([NewTask(code="good", action=ACTION),
                           NewTask(code="bad code", action=ACTION)])

    assert registry.count() == 0

    added = registry.add_many([NewTask(code="one", action=ACTION),
                               NewTask(code="two", action=ACTION, max_attempts=1)])

    assert [(task.code, task.max_attempts) for task in added] == [("one", 3), ("two", 1)]


def test_add_replaces_a_waiting_task_with_the_same_code(registry: TaskRegistry) -> None:
    old = registry.add("job", ACTION, {"v": 1})

    new = registry.add("job", ACTION, {"v": 2})

    assert new.task_id != old.task_id
    assert [task.args for task in registry.list_tasks(code="job")] == [{"v": 2}]
    with pytest.raises(TaskNotFound):
        registry.get(old.task_id)


@pytest.mark.parametrize("status", [Status.PAUSED, Status.FAILED])
def test_add_replaces_paused_and_failed_tasks(registry: TaskRegistry, status: Status) -> None:
    old = registry.add("job", ACTION)
    registry.set_status(status, [old.task_id])

    registry.add("job", ACTION)

    assert registry.count(code="job") == 1
    assert registry.count(status=status) == 0


def test_add_never_replaces_a_processing_task(registry: TaskRegistry,
                                              store: MemoryStore) -> None:
    running = registry.add("job", ACTION)
    [claimed] = store.claim("worker-1", lease_seconds=30)
    assert claimed.task_id == running.task_id

    registry.add("job", ACTION)

    tasks = registry.list_tasks(code="job")
    assert [task.status for task in tasks] == [Status.PROCESSING, Status.PENDING]
    assert tasks[0].task_id == running.task_id


def test_add_without_replace_keeps_both(registry: TaskRegistry) -> None:
    registry.add("job", ACTION)
    registry.add("job", ACTION, replace=False)

    assert registry.count(code="job") == 2


# -- get / set_status -----------------------------------------------------------------

def test_get_unknown_task(registry: TaskRegistry) -> None:
    with pytest.raises(TaskNotFound, match="no task with id 42"):
        registry.get(42)


def test_set_status_by_name(registry: TaskRegistry) -> None:
    task = registry.add("job", ACTION)

    assert registry.set_status(" Paused ", [task.task_id]) == 1
    assert registry.get(task.task_id).status is Status.PAUSED
    assert registry.set_status(Status.PENDING, [task.task_id]) == 1
    assert registry.get(task.task_id).status is Status.PENDING


def test_set_status_unknown_changes_nothing(registry: TaskRegistry) -> None:
    task = registry.add("job", ACTION)

    with pytest.raises(BadStatus, match="unknown status 'done'"):
        registry.set_status("done", [task.task_id])

    assert registry.get(task.task_id) == task


def test_set_status_processing_is_refused(registry: TaskRegistry) -> None:
    task = registry.add("job", ACTION)

    with pytest.raises(BadStatus):
        registry.set_status("processing", [task.task_id])

    assert registry.get(task.task_id).status is Status.PENDING


def test_set_status_leaves_a_running_task_alone(registry: TaskRegistry,
                                                store: MemoryStore) -> None:
    task = registry.add("job", ACTION)
    store.claim("worker-1", lease_seconds=30)

    assert registry.set_status("paused", [task.task_id]) == 0
    assert registry.get(task.task_id).status is Status.PROCESSING


def test_set_status_of_an_unknown_id(registry: TaskRegistry) -> None:
    task = registry.add("job", ACTION)

    with pytest.raises(TaskNotFound):
        registry.set_status("paused", [task.task_id, 999])

    assert registry.get(task.task_id).status is Status.PENDING


# -- list / count ---------------------------------------------------------------------

@pytest.fixture
def filled(registry: TaskRegistry) -> TaskRegistry:
    for code in ("backup_db", "backup_files", "mail", "Backup_Logs", "report"):
        registry.add(code, ACTION)
    registry.set_status("paused", [2])
    registry.set_status("failed", [3])
    return registry


def test_list_in_id_order(filled: TaskRegistry) -> None:
    assert codes(filled) == ["backup_db", "backup_files", "mail", "Backup_Logs", "report"]
    assert codes(filled, descending=True) == [
        "report", "Backup_Logs", "mail", "backup_files", "backup_db",
    ]


def test_list_and_count_by_code_substring(filled: TaskRegistry) -> None:
    assert codes(filled, code="backup") == ["backup_db", "backup_files", "Backup_Logs"]
    assert filled.count(code="backup") == 3
    assert filled.count(code="") == 5
    assert filled.count(code="nothing") == 0


@pytest.mark.parametrize("status", [Status.PAUSED, "paused", " PAUSED"])
def test_list_and_count_by_status(filled: TaskRegistry, status: Status | str) -> None:
    assert codes(filled, status=status) == ["backup_files"]
    assert filled.count(status=status) == 1


def test_filters_combine(filled: TaskRegistry) -> None:
    assert codes(filled, code="backup", status="pending") == ["backup_db", "Backup_Logs"]
    assert filled.count(code="backup", status="pending") == 2


def test_unknown_status_filter(filled: TaskRegistry) -> None:
    with pytest.raises(BadStatus):
        filled.list_tasks(status="done")
    with pytest.raises(BadStatus):
        filled.count(status="done")


def test_keyset_pages(filled: TaskRegistry) -> None:
    first = filled.list_tasks(limit=2)
    second = filled.list_tasks(limit=2, cursor=first[-1].task_id)
    third = filled.list_tasks(limit=2, cursor=second[-1].task_id)

    assert [t.task_id for t in first + second + third] == [1, 2, 3, 4, 5]
    assert [t.task_id for t in filled.list_tasks(limit=2, cursor=4, descending=True)] == [3, 2]


@pytest.mark.parametrize("limit", [0, -1, MAX_PAGE + 1, True])
def test_bad_limits(filled: TaskRegistry, limit: int) -> None:
    with pytest.raises(BadInput, match="limit"):
        filled.list_tasks(limit=limit)
    with pytest.raises(BadInput, match="limit"):
        filled.log(limit=limit)


@pytest.mark.parametrize("limit", [1, MAX_PAGE])
def test_limits_at_the_edges(filled: TaskRegistry, limit: int) -> None:
    assert len(filled.list_tasks(limit=limit)) == min(limit, 5)


# -- delete ---------------------------------------------------------------------------

def test_delete_by_code_checks_the_code(filled: TaskRegistry) -> None:
    with pytest.raises(BadCode):
        filled.delete_by_code("not a code")

    assert filled.delete_by_code("mail") == 1
    assert filled.count() == 4


def test_delete_and_clear_leave_running_tasks(registry: TaskRegistry,
                                              store: MemoryStore) -> None:
    running = registry.add("running", ACTION, priority=5)
    waiting = registry.add("waiting", ACTION)
    store.claim("worker-1", lease_seconds=30)

    assert registry.delete([running.task_id, waiting.task_id]) == 1
    registry.add("again", ACTION)
    assert registry.clear() == 1
    assert codes(registry) == ["running"]


def test_naive_run_at_message(registry: TaskRegistry) -> None:
    with pytest.raises(BadInput, match="timezone"):
        registry.add("job", ACTION, run_at=datetime(2030, 1, 1))


def test_aware_run_at_in_another_zone_is_kept(registry: TaskRegistry) -> None:
    moment = datetime(2030, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))

    task = registry.add("job", ACTION, run_at=moment)

    assert task.run_at == datetime(2030, 1, 1, 7, 0, tzinfo=UTC)
    assert task_view(task)["run_at"] == "2030-01-01T07:00:00Z"


def test_log_is_empty_at_first(registry: TaskRegistry) -> None:
    assert registry.log() == []
    assert registry.count_log() == 0
    assert registry.clear_log() == 0


def test_bad_code_type_is_reported_not_crashed(registry: TaskRegistry) -> None:
    with pytest.raises(BadCode):
        registry.add(cast(str, None), ACTION)
