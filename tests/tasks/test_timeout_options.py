"""The timeout options: a definition's `timeout=` and TASKDESK_TASK_TIMEOUT_SECONDS /
TASKDESK_MAX_CRASHES are checked once, with one clear message."""

from __future__ import annotations

import pytest

from taskdesk import Taskdesk
from taskdesk.config import Settings
from taskdesk.errors import BadInput, ConfigError
from taskdesk.runner.pool import death


@pytest.mark.parametrize("bad", [-1, 86_401, True, "2", float("nan")])
def test_a_bad_timeout_is_refused(bad: object) -> None:
    desk = Taskdesk(Settings())
    with pytest.raises(BadInput, match="timeout must be 0 to 86400 seconds"):
        desk.task(name="t.bad", timeout=bad)(lambda: None)  # type: ignore[call-overload]
    assert desk.handlers.names() == []


def test_a_definition_keeps_its_timeout_through_using() -> None:
    desk = Taskdesk(Settings())
    definition = desk.task(name="t.slow", timeout=2.5)(lambda: None)

    assert definition.using(priority=3).timeout == 2.5
    assert desk.handlers.timeout("t.slow") == 2.5
    assert desk.handlers.timeout("t.unknown") is None


def test_a_definition_keeps_process_through_using_and_plain_actions_have_none() -> None:
    desk = Taskdesk(Settings())
    definition = desk.task(name="t.cpu", process=True)(lambda: None)

    assert definition.using(priority=3).process is True
    assert desk.handlers.own_process("t.cpu") is True
    assert desk.handlers.own_process("t.unknown") is False
    assert desk.handlers.own_process("tests.support.handlers:noop") is False


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_a_process_option_that_is_not_true_or_false_is_refused(bad: object) -> None:
    desk = Taskdesk(Settings())
    with pytest.raises(BadInput, match="process must be True or False"):
        desk.task(name="t.bad", process=bad)(lambda: None)  # type: ignore[call-overload]
    assert desk.handlers.names() == []


@pytest.mark.parametrize(("env", "message"), [
    ({"TASKDESK_TASK_TIMEOUT_SECONDS": "-1"}, "TASK_TIMEOUT_SECONDS must not be negative"),
    ({"TASKDESK_TASK_TIMEOUT_SECONDS": "90000"}, "TASK_TIMEOUT_SECONDS must be at most 86400"),
    ({"TASKDESK_MAX_CRASHES": "0"}, "MAX_CRASHES must be greater than 0"),
    ({"TASKDESK_MAX_CRASHES": "two"}, "MAX_CRASHES='two' is not a valid int"),
])
def test_bad_timeout_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_the_defaults_keep_tasks_in_threads_and_quarantine_after_two_crashes() -> None:
    settings = Settings.from_env({})

    assert (settings.task_timeout_seconds, settings.max_crashes) == (0.0, 2)


@pytest.mark.parametrize(("exit_code", "said"), [
    (-9, "signal 9"), (-11, "signal 11"), (1, "exit code 1"), (None, "unknown cause"),
])
def test_how_a_child_died_is_said(exit_code: int | None, said: str) -> None:
    assert death(exit_code) == said
