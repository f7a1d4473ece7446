"""Time in one place, so that tests can move it and every stored time is UTC."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]

#: How far a wall clock may drift from the monotonic clock between two looks before it counts
#: as a step: NTP slews at most 0.5 ms a second, an NTP step or `date -s` moves it at once.
STEP_SECONDS = 1.0


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC; the default Clock."""
    return datetime.now(UTC)


def isoformat(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a 'Z', the form every JSON output uses."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_moment(text: str) -> datetime:
    """An ISO 8601 time; a time without an offset is taken as UTC. ValueError if it is not
    one, or falls outside the years 1 to 9999 once in UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is out of range in UTC") from None


class StepWatch:
    """Notices a step of a wall clock (an NTP step, `date -s`, a resumed virtual machine):
    between two looks it moved by more, or less, than the monotonic clock did. Leases are wall
    clock times, so a forward step makes every live lease look expired. The first look only
    takes the baseline (a store's clock may need the database)."""

    def __init__(self, wall: Clock = utcnow, *, monotonic: Callable[[], float] = time.monotonic,
                 threshold: float = STEP_SECONDS) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self._threshold = threshold
        self._lock = threading.Lock()
        self._last: tuple[datetime, float] | None = None

    def step(self) -> float:
        """Seconds the wall clock jumped since the last look (forward: positive), or 0.0;
        each step is told once."""
        with self._lock:
            wall, mono = self._wall(), self._monotonic()
            last, self._last = self._last, (wall, mono)
        if last is None:
            return 0.0
        jump = (wall - last[0]).total_seconds() - (mono - last[1])
        return jump if abs(jump) > self._threshold else 0.0
