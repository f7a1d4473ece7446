"""Issue 7, item 12 (settings): TASKDESK_LEASE_SECONDS, _RETENTION_SECONDS, _POLL_SECONDS (and
_RETRY_DELAY_SECONDS) of 1e300 used to end in an OverflowError, or in a worker whose thread
died while the worker exited 0. Each has an upper bound now, named in the one error."""

from __future__ import annotations

import pytest

from taskdesk.config import MAX_SECONDS, Settings
from taskdesk.errors import ConfigError

pytestmark = pytest.mark.hostile

BOUNDS = [("TASKDESK_LEASE_SECONDS", 86_400, "a day"),
          ("TASKDESK_POLL_SECONDS", 3_600, "an hour"),
          ("TASKDESK_RETRY_DELAY_SECONDS", 3_600, "an hour"),
          ("TASKDESK_RETENTION_SECONDS", 3_155_760_000, "100 years"),
          ("TASKDESK_ERROR_LOG_RETENTION_SECONDS", 3_155_760_000, "100 years"),
          ("TASKDESK_SESSION_SECONDS", 31_536_000, "a year"),
          ("TASKDESK_TASK_TIMEOUT_SECONDS", 86_400, "a day"),
          ("TASKDESK_HEALTH_TIMEOUT_SECONDS", 3_600, "an hour"),
          ("TASKDESK_READ_TIMEOUT_SECONDS", 3_600, "an hour"),
          ("TASKDESK_BODY_TIMEOUT_SECONDS", 86_400, "a day"),
          ("TASKDESK_ADD_WAIT_SECONDS", 3_600, "an hour"),
          ("TASKDESK_COUNTS_SECONDS", 3_600, "an hour"),
          ("TASKDESK_CANCEL_GRACE_SECONDS", 3_600, "an hour")]


def test_every_bounded_setting_is_tested() -> None:
    assert {f"TASKDESK_{name.upper()}" for name in MAX_SECONDS} == {name for name, *_ in BOUNDS}


@pytest.mark.parametrize(("variable", "bound", "words"), BOUNDS)
def test_a_value_past_the_bound_is_refused_with_the_bound(variable: str, bound: int,
                                                           words: str) -> None:
    for value in ("1e300", str(bound + 1)):
        with pytest.raises(ConfigError) as refused:
            Settings.from_env({variable: value})
        assert variable in refused.value.message
        assert f"at most {bound} ({words}" in refused.value.message


@pytest.mark.parametrize(("variable", "bound", "words"), BOUNDS)
def test_the_bound_itself_is_accepted(variable: str, bound: int, words: str) -> None:
    settings = Settings.from_env({variable: str(bound)})
    assert getattr(settings, variable.removeprefix("TASKDESK_").lower()) == bound
