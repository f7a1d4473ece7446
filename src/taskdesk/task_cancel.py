"""Cancel, as the running task sees it: a flag its runner raises when the task is cancelled.

    @desk.task()
    def export(rows: int) -> None:
        for start in range(0, rows, 1000):
            if taskdesk.cancelled():               # a function task asks the module
                return                              # stop cleanly: nothing more is stored
            copy(start, 1000)

    class Task(Controller):
        def index(self) -> None:
            while not self.cancelled():             # a controller asks itself
                ...

Once a task is cancelled its outcome is refused, whatever it returns: checking only lets it
stop early and clean up. A task that never checks runs to its end in a thread (its outcome is
then refused and logged); in a child process (a task with a timeout, or process=True) it is
terminated once TASKDESK_CANCEL_GRACE_SECONDS have passed. Outside a runner (a direct call,
a test) `cancelled()` is False.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class CancelSignal:
    """One attempt's cancel: raised once by its runner, read by the task. Call it (or test
    it: `if self.cancelled:` reads the same) for whether it was raised."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        """The attempt was cancelled (its runner says so; it cannot be lowered)."""
        self._event.set()

    def __call__(self) -> bool:
        return self._event.is_set()

    def __bool__(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Until raised (True) or `timeout` seconds passed (False): a task that sleeps
        between steps can sleep on this instead and wake at the cancel."""
        return self._event.wait(timeout)


_current: ContextVar[CancelSignal | None] = ContextVar("taskdesk_cancel", default=None)


@contextmanager
def watching(signal: CancelSignal) -> Iterator[CancelSignal]:
    """Make `signal` what cancelled() reads in this thread while the block runs."""
    token = _current.set(signal)
    try:
        yield signal
    finally:
        _current.reset(token)


def cancelled() -> bool:
    """Whether the task running in this thread was cancelled: it should stop, cleanly, as
    soon as it can (its outcome will not be stored anyway). False outside a runner."""
    signal = _current.get()
    return signal is not None and signal()
