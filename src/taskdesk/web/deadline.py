"""Answers that never wait on the database past a deadline: when PostgreSQL stops answering
(packets dropped, not refused), a query can hang for minutes, and every request that waits on
it holds a worker thread and a pooled connection. /healthz shares one check in flight among
its callers, and a public route's look-up of its caller gives up in time, each in a daemon
thread that may stay behind on the hung connection while the answer goes out."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from taskdesk.views import HealthView

T = TypeVar("T")


class TooSlow(Exception):
    """The database did not answer within the deadline."""


def in_background(call: Callable[[], T]) -> Future[T]:
    """`call` in a daemon thread (a hung one never holds up the server's exit)."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(call())
        except BaseException as error:  # handed to whoever waits on the future
            future.set_exception(error)

    threading.Thread(target=run, name="taskdesk-deadline", daemon=True).start()
    return future


def within(seconds: float, call: Callable[[], T]) -> T:
    """`call`'s result, or TooSlow once `seconds` have passed."""
    try:
        return in_background(call).result(timeout=seconds)
    except FutureTimeout:
        raise TooSlow(f"the database did not answer within {seconds:g} s") from None


class HealthProbe:
    """One health check at a time: a caller joins the check in flight, or starts one; each
    waits at most `seconds`, so callers never pile up threads on a database that hangs."""

    def __init__(self, check: Callable[[], HealthView], seconds: float) -> None:
        self.check = check
        self.seconds = seconds
        self._lock = threading.Lock()
        self._in_flight: Future[HealthView] | None = None

    def __call__(self) -> HealthView:
        with self._lock:
            if self._in_flight is None or self._in_flight.done():
                self._in_flight = in_background(self.check)
            in_flight = self._in_flight
        try:
            return in_flight.result(timeout=self.seconds)
        except FutureTimeout:
            return HealthView(ok=False, detail=f"the database did not answer within "
                                               f"{self.seconds:g} s")
