"""Outage: while the database is away, the runner says so once, backs off, and says when it
is back, instead of logging a traceback per thread per poll."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from taskdesk.errors import StoreUnavailable, TaskdeskError

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BACKOFF_SECONDS = 15.0  # the longest an idle worker waits between tries in an outage


def backoff(poll_seconds: float, failures: int) -> float:
    """Seconds to wait after `failures` failed tries in a row: doubling, up to the cap."""
    exponent = min(max(failures - 1, 0), 32)
    return min(max(MAX_BACKOFF_SECONDS, poll_seconds), poll_seconds * 2.0**exponent)


class Outage:
    """Shared by a runner's threads: the first failure is logged, the rest counted until a
    write that changed rows ends the outage; that is logged too, with how long it lasted. A
    read, or a write that found nothing to change, proves nothing: a full disk or a read-only
    failover still answers those."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None
        self._failures = 0

    def failed(self, error: Exception) -> None:
        if self._since is None and stale_connection(error):
            logger.info("store.reconnecting %s", error)
            return
        with self._lock:
            self._failures += 1
            first, self._since = self._since is None, self._since or time.monotonic()
        if not first:
            logger.debug("store.still_failing %s", error)
        elif isinstance(error, TaskdeskError):
            logger.error("store.unavailable %s (retrying with backoff; logged once until it "
                         "works again)", error.message)
        else:
            logger.exception("runner.error (retrying with backoff; logged once until it works "
                             "again)")

    def succeeded(self) -> None:
        if self._since is None:  # the common case needs no lock
            return
        with self._lock:
            since, failures = self._since, self._failures
            self._since, self._failures = None, 0
        if since is not None:
            logger.warning("store.back after %.1fs and %s failed tries",
                           time.monotonic() - since, failures)

    def attempt(self, step: Callable[[], object], *, writes: bool = False) -> bool:
        """Run a background step; False when it failed, which is recorded. Only a step that
        always writes (`writes`: a heartbeat) ends an outage by succeeding."""
        try:
            step()
        except Exception as error:
            self.failed(error)
            return False
        if writes:
            self.succeeded()
        return True


def stale_connection(error: Exception) -> bool:
    """The database closed a pooled connection (a restart, a dropped database): the driver
    threw it away, and the next try opens a new one. Not an outage by itself: the next failure,
    if any, is. (Read from the driver's error by name: the runner imports no SQL library.)"""
    return bool(getattr(error.__cause__, "connection_invalidated", False))


def reconnecting(step: Callable[[], T], what: str) -> T:
    """Run `step`, once more if the database had closed the pooled connection it used (a
    restart, pg_terminate_backend): the driver threw that connection away, and the second try
    opens a new one. Any other failure, or a second one, is raised."""
    try:
        return step()
    except StoreUnavailable as error:
        if not stale_connection(error):
            raise
        logger.info("store.reconnecting to %s: %s", what, error)
        return step()
