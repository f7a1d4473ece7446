"""Failed logins slow down whoever keeps failing, counted per user name at an address and per
address (never per name alone: anyone could lock an admin out by failing on their name), in
the database, so that every web process behind a balancer counts the same guesses.

Each attempt is reserved before its password is checked: the count goes up first, in a
transaction that holds the keys' rows, so parallel guesses are counted one after another and
at most FREE_FAILURES are checked before the first wait, whatever the concurrency. A
successful login gives its reservation back. From the FREE_FAILURES-th failure on, each one
doubles the wait before the next is even checked (1 s, 2 s, 4 s … up to MAX_WAIT)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from taskdesk.models.accounts import LoginRecord
from taskdesk.store import Store

FREE_FAILURES = 3  # tries checked before any wait
FIRST_WAIT = 1.0  # seconds, after the FREE_FAILURES-th failure; then doubles
MAX_WAIT = 300.0  # seconds
FORGET_AFTER = timedelta(days=1)  # a key that has not failed for this long starts afresh


def wait_after(failures: int) -> float:
    """Seconds to wait after this many failures."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_WAIT, FIRST_WAIT * float(2 ** min(failures - FREE_FAILURES, 30)))


def charged(record: LoginRecord | None, now: datetime) -> LoginRecord:
    """The record with one more attempt counted as failed (until it succeeds)."""
    failures = 1 if record is None or _stale(record, now) else record.failures + 1
    return LoginRecord(failures=failures, last_failure_at=now,
                       blocked_until=now + timedelta(seconds=wait_after(failures)))


def refunded(record: LoginRecord) -> LoginRecord:
    """The record without the attempt that succeeded."""
    failures = max(0, record.failures - 1)
    return replace(record, failures=failures, blocked_until=record.last_failure_at
                   + timedelta(seconds=wait_after(failures)))


def _stale(record: LoginRecord, now: datetime) -> bool:
    return record.last_failure_at < now - FORGET_AFTER


class LoginThrottle:
    """Reserve an attempt, then say how it went. `store` opens the store when first needed
    (the login page must answer with the database down); `clock` is the store's unless given."""

    def __init__(self, store: Callable[[], Store],
                 clock: Callable[[], datetime] | None = None) -> None:
        self._store = store
        self._clock = clock

    @property
    def store(self) -> Store:
        return self._store()

    def clock(self) -> datetime:
        return self._clock() if self._clock is not None else self.store.clock()

    def reserve(self, name: str, address: str | None) -> float:
        """0 when this attempt may be checked (it is counted as failed until `succeeded`);
        else the seconds to wait, and nothing is counted."""
        now = self.clock()
        wait = 0.0

        def change(records: dict[str, LoginRecord | None]) -> dict[str, LoginRecord]:
            nonlocal wait
            live = [record for record in records.values()
                    if record is not None and not _stale(record, now)]
            wait = max((_seconds(record.blocked_until - now) for record in live), default=0.0)
            if wait > 0:
                return {}
            return {key: charged(record, now) for key, record in records.items()}

        self.store.accounts.change_logins(login_keys(name, address), change)
        return wait

    def succeeded(self, name: str, address: str | None) -> None:
        """The name at this address starts afresh; the address gets its attempt back; keys
        that stopped failing long ago are forgotten (the table never grows without bound)."""
        pair, alone = login_keys(name, address)
        accounts = self.store.accounts
        accounts.forget_logins((pair,), failed_before=self.clock() - FORGET_AFTER)
        accounts.change_logins((alone,), lambda records: {
            key: refunded(record) for key, record in records.items() if record is not None})


def _seconds(delta: timedelta) -> float:
    return max(0.0, delta.total_seconds())


def login_keys(name: str, address: str | None) -> tuple[str, str]:
    """(the name at the address, the address), each as a sha256 hex: any text fits."""
    where = address or "?"
    return (_hash(f"user\x00{name.casefold()}\x00{where}"), _hash(f"address\x00{where}"))


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
