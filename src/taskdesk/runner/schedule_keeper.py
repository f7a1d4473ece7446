"""ScheduleKeeper: a thread that fires due schedules every poll interval while a runner
works (and once as it starts). Every runner runs one: the firing claim in the database makes
sure each firing adds one task however many runners try (see taskdesk.schedules.firing)."""

from __future__ import annotations

from typing import Protocol

from taskdesk.runner.outage import Outage
from taskdesk.runner.periodic import Periodic


class DueFirings(Protocol):
    """What fires due schedules: taskdesk.schedules (the desk's, or a bare Firings)."""

    def fire_due(self) -> object: ...


class ScheduleKeeper(Periodic):
    """Fires due schedules every `interval` seconds; `rounds` counts finished rounds."""

    name = "taskdesk-schedules"

    def __init__(self, firings: DueFirings, interval: float,
                 outage: Outage | None = None) -> None:
        super().__init__(outage)
        self.firings = firings
        self.interval = interval
        self.rounds = 0

    def step(self) -> object:
        fired = self.firings.fire_due()
        self.rounds += 1
        return fired
