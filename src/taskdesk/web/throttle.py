"""Failed logins slow down whoever keeps failing: per user name and per address, each failure
past the first few doubles the wait before the next try is even checked (up to a cap)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

FREE_FAILURES = 3  # failures allowed before any wait
FIRST_WAIT = 1.0  # seconds, after the first failure past the free ones; then doubles
MAX_WAIT = 300.0  # seconds
MAX_TRACKED = 100_000  # keys remembered; the oldest go first, so memory stays bounded


@dataclass
class _Record:
    failures: int
    blocked_until: float


class LoginThrottle:
    """Remembers failures in this process (each web process throttles on its own)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def wait(self, *keys: str) -> float:
        """Seconds before these keys may try again; 0 if they may now."""
        now = self._clock()
        with self._lock:
            return max((max(0.0, record.blocked_until - now)
                        for key in keys if (record := self._records.get(key))), default=0.0)

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                record = self._records.pop(key, None) or _Record(0, now)
                record.failures += 1
                extra = record.failures - FREE_FAILURES
                if extra > 0:
                    record.blocked_until = now + min(MAX_WAIT, FIRST_WAIT * 2 ** min(extra - 1, 30))
                self._records[key] = record  # re-inserted: the newest stay longest
            while len(self._records) > MAX_TRACKED:
                del self._records[next(iter(self._records))]

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._records.pop(key, None)


def login_keys(name: str, address: str | None) -> tuple[str, str]:
    return (f"user:{name.casefold()}", f"address:{address or '?'}")
