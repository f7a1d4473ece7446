"""TASKDESK_HOST_NAME: the host a runner registers with (this machine's name by default); a
blank or over-long name is one clear error naming the variable."""

from __future__ import annotations

import socket

import pytest

from taskdesk.config import MAX_HOST_NAME, Settings
from taskdesk.errors import ConfigError
from taskdesk.models.runners import host_of
from taskdesk.runner.runner import Runner
from taskdesk.store.memory import MemoryStore


def test_the_default_is_this_machine() -> None:
    assert Settings.from_env({}).host_name == socket.gethostname()


def test_the_setting_names_the_runners_host() -> None:
    settings = Settings.from_env({"TASKDESK_HOST_NAME": "web-7:blue"})
    runner = Runner(MemoryStore(), settings, resolver=None)  # type: ignore[arg-type]
    assert host_of(runner.worker_id) == "web-7:blue"
    assert Settings.from_env(settings.to_env()).host_name == "web-7:blue"  # a child's too


@pytest.mark.parametrize("value", [" ", "x" * (MAX_HOST_NAME + 1)])
def test_a_bad_host_name_is_one_clear_error(value: str) -> None:
    with pytest.raises(ConfigError, match="TASKDESK_HOST_NAME"):
        Settings.from_env({"TASKDESK_HOST_NAME": value})
    with pytest.raises(ConfigError, match="TASKDESK_HOST_NAME"):
        Settings(host_name=value)
