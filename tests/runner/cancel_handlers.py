"""Task handlers for the cancel's tests (imported as tests.runner.cancel_handlers, which the
runner processes' allow-list admits)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import taskdesk
from taskdesk import Controller

LONGEST_SECONDS = 30.0  # a task left running past this would fail its test anyway


def until_cancelled(marker: str, out: str) -> str:
    """Write `marker`, then look at taskdesk.cancelled() until it turns True; write to `out`
    how long that took."""
    Path(marker).write_text(str(os.getpid()))
    started = time.monotonic()
    while time.monotonic() - started < LONGEST_SECONDS:
        if taskdesk.cancelled():
            Path(out).write_text(f"told after {time.monotonic() - started:.2f} s")
            return "stopped cleanly"
        time.sleep(0.02)
    Path(out).write_text("never told")
    return "ran out"


def ignores_cancel(marker: str) -> str:
    """The first attempt writes `marker` (its pid) and sleeps, never looking at the cancel;
    a later one returns at once."""
    flag = Path(marker)
    if flag.exists():
        return "second attempt done"
    flag.write_text(str(os.getpid()))
    time.sleep(LONGEST_SECONDS)
    return "first attempt done"


def runs_to_its_end(marker: str, seconds: float) -> str:
    """Never looks at the cancel: runs `seconds` and returns."""
    Path(marker).write_text(str(os.getpid()))
    time.sleep(seconds)
    return "done anyway"


def record_run(out: str) -> None:
    with Path(out).open("a") as file:
        file.write("ran\n")


class Polite(Controller):
    """A controller that stops when told, through self.cancelled."""

    def index(self, marker: str) -> str:
        Path(marker).write_text("started")
        started = time.monotonic()
        while not self.cancelled() and time.monotonic() - started < LONGEST_SECONDS:
            self.cancelled.wait(0.05)
        return "stopped" if self.cancelled else "ran out"
