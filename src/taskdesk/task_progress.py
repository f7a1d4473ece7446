"""Progress of a running task: what its attempt reports, checked, throttled and stored.

    class Task(Controller):                      # a controller reports through itself
        def index(self) -> None:
            self.progress(50, "half of the tables copied")

    @desk.task()
    def rebuild_index() -> None:                 # a function task through taskdesk.progress
        taskdesk.progress(10, "reading products")

A value that is not a percent (not a number, NaN, out of 0-100) or a message that is not text
raises BadProgress in the task, where its author sees it. Everything else is contained: a
report made outside a runner (a direct call, a test) is checked and dropped, and one the
database refuses is logged, never fatal to the task or its runner. Reports are written at
most once per WRITE_INTERVAL seconds per task; the latest one is written before the attempt
finishes, so it always wins.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from numbers import Real
from typing import Protocol

from taskdesk.errors import BadProgress
from taskdesk.text import storable, type_name

logger = logging.getLogger(__name__)

WRITE_INTERVAL = 0.5  # seconds: the most often one task's progress is written
MESSAGE_BYTES = 1024  # of a stored progress message (UTF-8), as text.storable cuts it


class ClaimedProgress(Protocol):
    """Where a reporter writes: the store's set_progress verb, bound to one claim."""

    def __call__(self, percent: int, message: str) -> bool: ...


def checked(percent: object, message: object) -> tuple[int, str]:
    """The percent (rounded down to a whole number) and the message, or BadProgress."""
    if isinstance(percent, bool) or not isinstance(percent, Real):
        raise BadProgress(f"progress must be a number from 0 to 100, not "
                          f"{type_name(percent)}")
    try:
        value = float(percent)
    except (OverflowError, TypeError, ValueError):  # 10**400, or a number type that lies
        raise BadProgress(f"progress must be from 0 to 100, not a number that large or "
                          f"odd ({type_name(percent)})") from None
    if math.isnan(value) or not 0 <= value <= 100:
        raise BadProgress(f"progress must be from 0 to 100, not {value!r}")
    if not isinstance(message, str):
        raise BadProgress(f"a progress message must be text, not {type_name(message)}")
    return math.floor(value), message


class ProgressReporter:
    """One attempt's progress: checks each report, writes at most one per `interval`
    seconds, and `flush()` writes the latest one that was held back."""

    def __init__(self, write: ClaimedProgress, *, interval: float = WRITE_INTERVAL,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._write = write
        self._interval = interval
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._held: tuple[int, str] | None = None
        self._written_at: float | None = None
        self._closed = False

    def report(self, percent: float, message: str = "") -> None:
        """Record a report; BadProgress if it is not one."""
        value = checked(percent, message)
        with self._lock:
            if self._closed:
                return
            now = self._monotonic()
            if self._written_at is not None and now - self._written_at < self._interval:
                self._held = value
                return
            self._written_at, self._held = now, None
            self._store(value)

    def flush(self) -> None:
        """Write the report that the throttle held back, if any; then accept no more (the
        attempt has ended: a thread it left behind reports into the void)."""
        with self._lock:
            held, self._held, self._closed = self._held, None, True
            if held is not None:
                self._store(held)

    def _store(self, value: tuple[int, str]) -> None:
        percent, message = value
        try:
            self._write(percent, storable(message, MESSAGE_BYTES))
        except Exception:
            logger.warning("task.progress_unstored percent=%s", percent, exc_info=True)


_current: ContextVar[ProgressReporter | None] = ContextVar("taskdesk_progress", default=None)


@contextmanager
def reporting(reporter: ProgressReporter) -> Iterator[ProgressReporter]:
    """Make `reporter` what progress() reports to in this thread while the block runs."""
    token = _current.set(reporter)
    try:
        yield reporter
    finally:
        _current.reset(token)


def report(reporter: ProgressReporter | None, percent: float, message: str = "") -> None:
    """Report to `reporter`; without one (not in a runner), only check the values."""
    if reporter is None:
        checked(percent, message)
    else:
        reporter.report(percent, message)


def progress(percent: float, message: str = "") -> None:
    """Report the progress of the task running in this thread: `percent` from 0 to 100 and
    an optional short message. Outside a runner (a direct call, a test) it only checks the
    values. Raises BadProgress for a value that is not a percent."""
    report(_current.get(), percent, message)
