"""The schedules' storage seam, reached as `store.schedules` on every Store (as accounts
are): the same contract suite (tests/store/test_schedule_store.py) runs it on memory,
SQLite and PostgreSQL. Verbs take checked values (taskdesk.schedules.service checks input).

The one rule that needs the database: each firing is claimed by exactly one caller. `fire`
moves `next_run_at` from the due time to the next one only where it still holds the due time,
and adds the firing's task in the same transaction; the caller whose update changed the row
is the one that adds it, however many runners on however many machines try at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from taskdesk.models.schedules import Firing, NewSchedule, Schedule
from taskdesk.models.tasks import NewTask


class ScheduleStore(Protocol):
    def add(self, new: NewSchedule) -> Schedule:
        """Store an enabled schedule; ScheduleExists if its code is taken."""
        ...

    def put(self, new: NewSchedule) -> Schedule:
        """Store a schedule, or update the one with its code (action, args, rule, missed):
        idempotent. Its next firing and `enabled` are kept unless the rule changed (then
        next_run_at becomes the new one's)."""
        ...

    def get(self, code: str) -> Schedule | None:
        ...

    def all(self) -> list[Schedule]:
        """Every schedule, by code."""
        ...

    def delete(self, code: str) -> bool:
        """Forget a schedule (tasks it added stay); False if unknown."""
        ...

    def set_enabled(self, code: str, enabled: bool) -> Schedule | None:
        """Enable or disable a schedule; None if unknown."""
        ...

    def due(self, now: datetime) -> list[Schedule]:
        """Enabled schedules whose next firing is at or before `now`, soonest first."""
        ...

    def fire(self, schedule: Schedule, next_run_at: datetime,
             task: NewTask | None) -> Firing:
        """Claim the firing at `schedule.next_run_at` (still enabled and unchanged), move it
        to `next_run_at` and add `task` (replacing a waiting task with its code), all in one
        transaction; a caller that lost the claim changes nothing."""
        ...
