"""TaskdeskBackend against Django's expectations of a backend (the shape of Django's own
tests/tasks backend cases), on SQLite and PostgreSQL, run by an in-process runner."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from taskdesk.contrib.django import TaskdeskBackend, compat
from tests.contrib.django.support import Shop, desk_of, run_due

Status = compat.TaskResultStatus


def test_the_backend_says_what_it_supports(alias: str) -> None:
    backend = compat.task_backends[alias]
    assert isinstance(backend, TaskdeskBackend)
    assert backend.alias == alias
    assert backend.queues == {"default", "mail"}
    assert (backend.supports_defer, backend.supports_async_task, backend.supports_get_result,
            backend.supports_priority) == (True, True, True, True)


def test_enqueue_returns_a_ready_result(alias: str, shop: Shop) -> None:
    for task in (shop.add, shop.double):
        result = task.enqueue(1, b=3) if task.func is shop.add.func else task.enqueue(x=1)
        assert result.status == Status.READY
        assert not result.is_finished
        assert result.task == task
        assert result.backend == alias
        assert (result.started_at, result.last_attempted_at, result.finished_at) == (
            None, None, None)
        assert result.enqueued_at is not None
        assert result.attempts == 0
        assert result.errors == []
        with pytest.raises(ValueError, match="Task has not finished yet"):
            result.return_value  # noqa: B018
    echoed = shop.echo.enqueue(1, (2, 3), two=b"x")
    assert (echoed.args, echoed.kwargs) == ([1, [2, 3]], {"two": "x"})


def test_get_result_reads_the_stored_task(alias: str, shop: Shop) -> None:
    result = shop.echo.enqueue(1, two=2)
    found = compat.task_backends[alias].get_result(result.id)
    assert found == result
    assert shop.echo.get_result(result.id).kwargs == {"two": 2}


def test_a_missing_result_does_not_exist(alias: str) -> None:
    backend = compat.task_backends[alias]
    for result_id in ("123456", "not a number", "99999999999999999999999"):
        with pytest.raises(compat.TaskResultDoesNotExist):
            backend.get_result(result_id)
    with pytest.raises(compat.TaskResultDoesNotExist):
        asyncio.run(backend.aget_result("123456"))


def test_a_task_that_is_not_djangos_is_no_result(alias: str, shop: Shop) -> None:
    desk = desk_of(alias)
    other = desk.tasks.add("other", shop.add.func.__module__ + ":add",
                           {"args": [1, 2], "kwargs": {}})
    assert compat.task_backends[alias].get_result(str(other.task_id)).status == Status.READY
    with pytest.raises(compat.TaskResultMismatch):
        shop.echo.get_result(str(other.task_id))


def test_aenqueue_and_aget_result(alias: str, shop: Shop) -> None:
    async def both() -> tuple[Any, Any]:
        result = await shop.double.aenqueue(21)
        return result, await compat.task_backends[alias].aget_result(result.id)

    result, found = asyncio.run(both())
    assert found == result
    assert found.status == Status.READY


def test_a_run_task_is_successful_with_its_return_value(alias: str, shop: Shop) -> None:
    result = shop.add.enqueue(2, 3)
    run_due(alias)
    result.refresh()
    assert result.status == Status.SUCCESSFUL
    assert result.is_finished
    assert result.return_value == 5
    assert result.started_at is not None
    assert result.finished_at is not None
    assert result.started_at <= result.finished_at
    assert result.last_attempted_at == result.started_at
    assert result.enqueued_at is not None
    assert result.enqueued_at <= result.started_at
    assert len(result.worker_ids) == 1
    assert result.attempts == 1
    assert result.errors == []


def test_json_values_round_trip(alias: str, shop: Shop) -> None:
    result = shop.echo.enqueue("é", None, [1.5, True], k={"n": [1, {"x": None}]})
    run_due(alias)
    value = shop.echo.get_result(result.id).return_value
    assert value == {"args": ["é", None, [1.5, True]], "kwargs": {"k": {"n": [1, {"x": None}]}}}


def test_an_async_task_runs(alias: str, shop: Shop) -> None:
    result = shop.double.enqueue(21)
    run_due(alias)
    assert shop.double.get_result(result.id).return_value == 42


def test_a_failing_task_is_failed_with_its_exception(alias: str, shop: Shop) -> None:
    result = shop.reserve.enqueue("apple")
    run_due(alias)
    result.refresh()
    assert result.status == Status.FAILED
    assert result.finished_at is not None
    with pytest.raises(ValueError, match="Task failed"):
        result.return_value  # noqa: B018
    [error] = result.errors
    assert error.exception_class_path == "tests.contrib.django.project.shop.tasks.OutOfStock"
    assert error.exception_class is shop.OutOfStock
    assert error.traceback.startswith("Traceback (most recent call last):")
    assert error.traceback.endswith(
        "tests.contrib.django.project.shop.tasks.OutOfStock: no apple left\n")


def test_a_task_that_exits_is_failed_with_system_exit(alias: str, shop: Shop) -> None:
    result = shop.leave.enqueue()
    run_due(alias)
    result.refresh()
    assert result.status == Status.FAILED
    [error] = result.errors
    assert error.exception_class is SystemExit
    assert error.traceback.endswith("SystemExit: This Task failed due to SystemExit\n")


def test_a_return_value_json_cannot_hold_fails_the_task(alias: str, shop: Shop) -> None:
    result = shop.not_json.enqueue()
    run_due(alias)
    result.refresh()
    assert result.status == Status.FAILED
    assert result.errors[0].exception_class is TypeError


def test_arguments_json_cannot_hold_are_refused_and_add_nothing(alias: str, shop: Shop) -> None:
    with pytest.raises((TypeError, ValueError)):
        shop.echo.enqueue(object())
    assert desk_of(alias).tasks.count() == 0


def test_retries_keep_every_attempts_error_and_worker(alias: str, shop: Shop) -> None:
    result = shop.flaky.enqueue()
    run_due(alias)
    run_due(alias)  # a retry that fell due while the first drain ran may wait for the next
    result.refresh()
    assert result.status == Status.SUCCESSFUL
    assert result.return_value == "second time lucky"
    assert result.attempts == 2
    [error] = result.errors
    assert error.exception_class_path == "builtins.ConnectionError"
    assert error.traceback.endswith("ConnectionError: the first attempt always fails\n")
    assert result.last_attempted_at is not None
    assert result.started_at is not None
    assert result.last_attempted_at >= result.started_at


def test_a_task_that_takes_context_gets_its_attempt_and_result(alias: str, shop: Shop) -> None:
    result = shop.attempt_number.enqueue()
    run_due(alias)
    assert shop.attempt_number.get_result(result.id).return_value == [1, result.id]


def test_run_after_an_hour_away_stays_ready(alias: str, shop: Shop) -> None:
    from django.utils import timezone

    later = timezone.now() + timedelta(hours=1)
    result = shop.add.using(run_after=later).enqueue(1, 1)
    run_due(alias)
    result.refresh()
    assert result.status == Status.READY
    assert desk_of(alias).tasks.get(int(result.id)).run_at == later


def test_priority_and_queue_are_kept_and_higher_runs_first(alias: str, shop: Shop) -> None:
    low = shop.add.using(priority=-5).enqueue(0, 1)
    high = shop.send_mail.enqueue("ann@example.com")
    stored = desk_of(alias).tasks.get(int(high.id))
    assert (stored.priority, stored.queue) == (10, "mail")
    run_due(alias)
    low.refresh()
    high.refresh()
    assert high.return_value == "sent to ann@example.com"
    assert high.finished_at is not None
    assert low.started_at is not None
    assert high.finished_at <= low.started_at


def test_bad_options_are_refused(alias: str, shop: Shop) -> None:
    with pytest.raises(compat.InvalidTask, match="Queue 'nowhere' is not valid"):
        shop.add.using(queue_name="nowhere")
    with pytest.raises(compat.InvalidTask, match="priority"):
        shop.add.using(priority=101)
    with pytest.raises(compat.InvalidTask):
        compat.task_backends[alias].task_class(func=shop.add.func, backend=alias,
                                               timeout=-1)
    assert desk_of(alias).tasks.count() == 0


def test_a_task_defined_in_a_function_is_refused(alias: str) -> None:
    def local() -> None: ...

    with pytest.raises(compat.InvalidTask, match="module level"):
        compat.task_backends[alias].task_class(func=local, backend=alias)


def test_cancelled_is_failed(alias: str, shop: Shop) -> None:
    result = shop.add.enqueue(1, 2)
    desk_of(alias).tasks.cancel([int(result.id)])
    result.refresh()
    assert result.status == Status.FAILED


def test_signals_are_sent_on_enqueue_start_and_finish(alias: str, shop: Shop) -> None:
    seen: list[tuple[str, str, str]] = []

    def receiver(name: str) -> Any:
        def record(sender: type, task_result: Any, **kwargs: Any) -> None:
            assert sender is TaskdeskBackend
            seen.append((name, task_result.id, str(task_result.status)))
        return record

    receivers = [(signal, receiver(name)) for name, signal in (
        ("enqueued", compat.task_enqueued), ("started", compat.task_started),
        ("finished", compat.task_finished))]
    for signal, record in receivers:
        signal.connect(record)
    try:
        good = shop.add.enqueue(1, 2)
        bad = shop.reserve.enqueue("pear")
        run_due(alias)
    finally:
        for signal, record in receivers:
            signal.disconnect(record)
    assert seen == [("enqueued", good.id, Status.READY), ("enqueued", bad.id, Status.READY),
                    ("started", good.id, Status.RUNNING),
                    ("finished", good.id, Status.SUCCESSFUL),
                    ("started", bad.id, Status.RUNNING), ("finished", bad.id, Status.FAILED)]


def test_the_system_check_refuses_a_database_taskdesk_cannot_use(alias: str) -> None:
    assert compat.task_backends[alias].check() == []
    missing = TaskdeskBackend("other", {"OPTIONS": {"DATABASE": "nowhere"}})
    [error] = missing.check()
    assert error.id == "taskdesk.E001"
    assert "nowhere" in error.msg
