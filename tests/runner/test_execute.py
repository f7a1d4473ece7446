"""execute: one attempt of one task → an Outcome, whatever the handler does."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from taskdesk.errors import BadAction, BadArgs
from taskdesk.models.retry import RetryPolicy
from taskdesk.models.tasks import JsonObject, Outcome, Status, Task
from taskdesk.resolve import Handler
from taskdesk.runner.execute import check_signature, execute

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(base_seconds=10)


def make_task(*, attempts: int = 1, max_attempts: int = 3, args: JsonObject | None = None,
              action: str = "tests.tasks.resolvable:greet") -> Task:
    """A task as a claim hands it over: processing, `attempts` already counts this one."""
    return Task(
        task_id=7, code="job", action=action, args=args or {}, status=Status.PROCESSING,
        response=None, priority=0, attempts=attempts, max_attempts=max_attempts, run_at=NOW,
        worker_id="w", lease_expires_at=NOW + timedelta(seconds=30), date_added=NOW,
        date_modified=NOW,
    )


def run(handler: Handler, task: Task | None = None) -> Outcome:
    return execute(task or make_task(), lambda _task: handler, retry=POLICY, clock=lambda: NOW)


def returning(value: object) -> Handler:
    def handler() -> object:
        return value

    return handler


def raising(error: BaseException) -> Handler:
    def handler() -> None:
        raise error

    return handler


# -- results --------------------------------------------------------------------------

def test_none_is_complete_without_response() -> None:
    outcome = run(returning(None))

    assert outcome.status is Status.COMPLETE
    assert outcome.response is None
    assert outcome.retry_at is None
    assert outcome.comment == "complete"
    assert outcome.duration >= 0


def test_string_is_the_response() -> None:
    outcome = run(returning("done: 3 rows"))

    assert outcome.status is Status.COMPLETE
    assert outcome.response == "done: 3 rows"
    assert outcome.comment == "done: 3 rows"


def test_opencart_success() -> None:
    outcome = run(returning({"success": "x"}))

    assert outcome.status is Status.COMPLETE
    assert outcome.response == "x"


def test_opencart_success_with_a_structured_value() -> None:
    outcome = run(returning({"success": {"rows": 3}}))

    assert outcome.status is Status.COMPLETE
    assert outcome.response == '{"rows": 3}'


def test_opencart_error_fails_at_once_even_with_attempts_left() -> None:
    outcome = run(returning({"error": "bad"}), make_task(attempts=1, max_attempts=5))

    assert outcome.status is Status.FAILED
    assert outcome.response == "bad"
    assert outcome.retry_at is None


def test_empty_error_is_not_a_failure() -> None:
    outcome = run(returning({"error": "", "success": "fine"}))

    assert outcome.status is Status.COMPLETE
    assert outcome.response == "fine"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ([1, 2], "[1, 2]"),
        (3, "3"),
        (True, "true"),
        ({"rows": 3}, '{"rows": 3}'),
        ({"nested": {"a": [1, None]}}, '{"nested": {"a": [1, null]}}'),
    ],
)
def test_other_json_is_complete_with_its_text(value: object, text: str) -> None:
    outcome = run(returning(value))

    assert outcome.status is Status.COMPLETE
    assert outcome.response == text


def test_non_json_value_is_complete_with_its_text() -> None:
    outcome = run(returning({"when": NOW}))

    assert outcome.status is Status.COMPLETE
    assert outcome.response == '{"when": "2026-01-01 12:00:00+00:00"}'


def test_dict_with_non_string_keys_still_ends_the_attempt() -> None:
    """The handler ran and returned: its result must not crash the runner's attempt."""
    outcome = run(returning({(1, 2): "tuple key"}))

    assert outcome.status is Status.COMPLETE
    assert outcome.response is not None
    assert "tuple key" in outcome.response


def test_circular_result_still_ends_the_attempt() -> None:
    circular: list[object] = []
    circular.append(circular)

    outcome = run(returning(circular))

    assert outcome.status is Status.COMPLETE
    assert outcome.response is not None


def test_args_are_passed_as_keywords() -> None:
    seen: dict[str, object] = {}

    def handler(name: str, count: int = 1) -> str:
        seen.update(name=name, count=count)
        return "ok"

    outcome = run(handler, make_task(args={"name": "x", "count": 2}))

    assert outcome.status is Status.COMPLETE
    assert seen == {"name": "x", "count": 2}


# -- exceptions -----------------------------------------------------------------------

def test_exception_with_attempts_left_is_retried() -> None:
    outcome = run(raising(RuntimeError("database is down")), make_task(attempts=2, max_attempts=3))

    assert outcome.status is Status.PENDING
    assert outcome.retry_at == NOW + timedelta(seconds=POLICY.delay(2))
    assert outcome.retry_at == NOW + timedelta(seconds=20)
    assert outcome.response is not None
    assert outcome.response.startswith("RuntimeError: database is down")
    assert "Traceback (most recent call last)" in outcome.response
    assert "retry 3 of 3" in outcome.comment


def test_first_attempt_waits_the_base_delay() -> None:
    outcome = run(raising(ValueError("nope")), make_task(attempts=1, max_attempts=3))

    assert outcome.status is Status.PENDING
    assert outcome.retry_at == NOW + timedelta(seconds=10)


def test_exception_on_the_last_attempt_fails() -> None:
    outcome = run(raising(RuntimeError("still down")), make_task(attempts=3, max_attempts=3))

    assert outcome.status is Status.FAILED
    assert outcome.retry_at is None
    assert outcome.response is not None
    assert outcome.response.startswith("RuntimeError: still down")
    assert "Traceback (most recent call last)" in outcome.response
    assert 'raise error' in outcome.response


def test_system_exit_is_a_failure_not_an_exit() -> None:
    outcome = run(raising(SystemExit(3)), make_task(attempts=1, max_attempts=1))

    assert outcome.status is Status.FAILED
    assert outcome.response is not None
    assert outcome.response.startswith("SystemExit: 3")


def test_system_exit_with_attempts_left_is_retried() -> None:
    outcome = run(raising(SystemExit("bye")), make_task(attempts=1, max_attempts=2))

    assert outcome.status is Status.PENDING
    assert outcome.retry_at == NOW + timedelta(seconds=10)


def test_keyboard_interrupt_is_not_swallowed() -> None:
    """With Python's own Ctrl-C handler in place, as in a terminal (a shell's background job
    starts with SIGINT ignored, which would make this a task's failure instead)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            run(raising(KeyboardInterrupt()))
    finally:
        signal.signal(signal.SIGINT, previous)


def test_retry_far_into_the_attempts_still_ends_the_attempt() -> None:
    """A task allowed thousands of attempts waits the capped delay; it never crashes."""
    outcome = run(raising(RuntimeError("again")), make_task(attempts=2000, max_attempts=5000))

    assert outcome.status is Status.PENDING
    assert outcome.retry_at == NOW + timedelta(seconds=POLICY.max_seconds)


# -- resolving and args ---------------------------------------------------------------

def test_bad_action_fails_at_once_with_its_message() -> None:
    def resolve(task: Task) -> Handler:
        raise BadAction(f"action {task.action!r}: nothing there")

    task = make_task(attempts=1, max_attempts=5, action="pkg.mod:nothing")
    outcome = execute(task, resolve, retry=POLICY, clock=lambda: NOW)

    assert outcome.status is Status.FAILED
    assert outcome.response == "action 'pkg.mod:nothing': nothing there"
    assert outcome.retry_at is None


def test_unexpected_error_while_resolving_ends_the_attempt() -> None:
    """A controller whose __init__ raises (a resolver error that is not BadAction) is an
    attempt that failed like any handler exception, not an exception out of execute."""

    def resolve(task: Task) -> Handler:
        raise RuntimeError("controller could not start")

    outcome = execute(make_task(attempts=1, max_attempts=3), resolve, retry=POLICY,
                      clock=lambda: NOW)

    assert outcome.status is Status.PENDING
    assert outcome.retry_at == NOW + timedelta(seconds=10)
    assert outcome.response is not None
    assert "RuntimeError: controller could not start" in outcome.response


def two_args(name: str, count: int = 1) -> str:
    return f"{name} {count}"


@pytest.mark.parametrize(
    "args",
    [
        {"name": "x", "extra": 1},  # a kwarg the handler does not take
        {"count": 2},  # a required kwarg missing
    ],
)
def test_args_that_do_not_fit_fail_at_once(args: JsonObject) -> None:
    task = make_task(attempts=1, max_attempts=5, args=args, action="pkg.mod:two_args")

    outcome = run(two_args, task)

    assert outcome.status is Status.FAILED
    assert outcome.retry_at is None
    assert outcome.response is not None
    assert "pkg.mod:two_args" in outcome.response
    assert "do not fit" in outcome.response


def test_check_signature_raises_bad_args_naming_the_action() -> None:
    task = make_task(args={"nope": 1}, action="pkg.mod:two_args")

    with pytest.raises(BadArgs) as caught:
        check_signature(two_args, task)

    assert "pkg.mod:two_args(name" in caught.value.message
    assert "missing a required argument: 'name'" in caught.value.message
    assert '{"nope": 1}' in caught.value.message


def test_check_signature_accepts_var_keywords() -> None:
    def anything(**kwargs: Any) -> None:
        """Takes any args."""

    check_signature(anything, make_task(args={"a": 1, "b": 2}))


def test_handler_without_a_signature_is_called_anyway() -> None:
    maker: Callable[..., object] = dict

    outcome = run(maker, make_task(args={"a": 1}))

    assert outcome.status is Status.COMPLETE
    assert outcome.response == '{"a": 1}'


def test_duration_is_not_negative() -> None:
    for handler in (returning("x"), raising(RuntimeError("x"))):
        assert run(handler).duration >= 0
