"""When a failed attempt is tried again: exponential backoff, pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_DELAY_SECONDS = 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    """The first retry waits `base_seconds`, each next one twice as long, up to an hour."""

    base_seconds: float
    max_seconds: float = MAX_DELAY_SECONDS

    def delay(self, attempt: int) -> float:
        """Seconds to wait after attempt number `attempt` (1 for the first) failed."""
        exponent = min(max(attempt - 1, 0), 64)  # 2**64 times any base is past any cap
        return min(self.max_seconds, self.base_seconds * 2.0**exponent)

    def next_run_at(self, attempt: int, now: datetime) -> datetime:
        return now + timedelta(seconds=self.delay(attempt))
