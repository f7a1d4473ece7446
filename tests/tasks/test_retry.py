"""RetryPolicy: exponential backoff from the base delay, capped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskdesk.models.retry import MAX_DELAY_SECONDS, RetryPolicy

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempt", "delay"),
    [(1, 10.0), (2, 20.0), (3, 40.0), (4, 80.0), (9, 2560.0), (10, 3600.0), (50, 3600.0)],
)
def test_delay_doubles_from_the_base_up_to_an_hour(attempt: int, delay: float) -> None:
    assert RetryPolicy(base_seconds=10).delay(attempt) == delay


def test_attempt_zero_or_below_waits_the_base() -> None:
    policy = RetryPolicy(base_seconds=5)

    assert policy.delay(0) == 5
    assert policy.delay(-3) == 5


def test_custom_cap() -> None:
    policy = RetryPolicy(base_seconds=1, max_seconds=30)

    assert [policy.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_zero_base_retries_at_once() -> None:
    policy = RetryPolicy(base_seconds=0)

    assert policy.delay(1) == 0
    assert policy.next_run_at(3, NOW) == NOW


def test_next_run_at_is_now_plus_delay() -> None:
    policy = RetryPolicy(base_seconds=10)

    assert policy.next_run_at(1, NOW) == NOW + timedelta(seconds=10)
    assert policy.next_run_at(3, NOW) == NOW + timedelta(seconds=40)
    assert policy.next_run_at(99, NOW) == NOW + timedelta(seconds=MAX_DELAY_SECONDS)


@pytest.mark.parametrize("attempt", [1025, 5000, 10**6])
def test_very_late_attempts_wait_the_cap(attempt: int) -> None:
    """max_attempts has no upper bound, so attempt numbers can grow past float range of 2**n."""
    assert RetryPolicy(base_seconds=10).delay(attempt) == MAX_DELAY_SECONDS


@settings(max_examples=100, deadline=None)
@given(
    base=st.floats(min_value=0, max_value=MAX_DELAY_SECONDS),
    attempt=st.integers(min_value=1, max_value=10**6),
)
def test_delay_stays_between_zero_and_the_cap(base: float, attempt: int) -> None:
    policy = RetryPolicy(base_seconds=base)

    delay = policy.delay(attempt)

    assert 0 <= delay <= MAX_DELAY_SECONDS
    assert delay <= policy.delay(attempt + 1)
