"""Periodic: a daemon thread that runs one step every interval while a runner works, through
the runner's Outage (a failing step is logged once per outage, never fatal)."""

from __future__ import annotations

import threading
from types import TracebackType

from taskdesk.runner.outage import Outage


class Periodic:
    """Subclasses set `interval` (seconds) and implement `step`; `with` starts and stops."""

    interval: float
    name = "taskdesk-periodic"
    writes = False  # whether each step writes, so that its success ends an outage (outage.py)

    def __init__(self, outage: Outage | None = None) -> None:
        self.outage = outage or Outage()  # the runner's: one log line per database outage
        self._stopped = threading.Event()
        self._nudged = threading.Event()  # a step now, not at the end of the interval
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def nudge(self) -> None:
        """Take the next step now (the interval then starts again)."""
        self._nudged.set()

    def step(self) -> object:
        """One round of the thread's work."""
        raise NotImplementedError

    def __enter__(self) -> Periodic:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stopped.set()
        self._nudged.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self._nudged.wait(self.interval)
            self._nudged.clear()
            if self._stopped.is_set():
                return
            self.outage.attempt(self.step, writes=self.writes)
