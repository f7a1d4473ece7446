"""Firing: what runners do with due schedules (housekeeping, and `taskdesk start` as it
begins). Each due firing is claimed in the database; the winner adds its task in the same
transaction, so one firing adds one task however many runners race for it.

The task's code is the schedule's code, and it is added with `replace`: a firing that finds
the previous firing's task still waiting (pending, paused or failed) replaces it, so a
backlog never piles up behind slow runners; a previous task that is running is left to
finish beside the new one. The task goes through the allow-list like any other: a schedule
whose action may no longer run (its extension uninstalled) moves on without adding a task,
and says so in the log.
"""

from __future__ import annotations

import logging

from taskdesk.errors import BadInput
from taskdesk.models import NewTask
from taskdesk.registry import TaskRegistry
from taskdesk.schedules.model import Firing, Schedule
from taskdesk.schedules.rule import Missed
from taskdesk.store.base import Store

logger = logging.getLogger(__name__)


class Firings:
    """Fires the due schedules of one store, through one registry's allow-list."""

    def __init__(self, store: Store, registry: TaskRegistry) -> None:
        self.store = store
        self.registry = registry

    def fire_due(self) -> list[Firing]:
        """Try every due firing once; returns each attempt (claimed or lost)."""
        now = self.store.clock()
        return [self.fire(schedule) for schedule in self.store.schedules.due(now)]

    def fire(self, schedule: Schedule) -> Firing:
        """Claim this schedule's due firing and add its task (see the module doc)."""
        now = self.store.clock()
        next_run_at, missed = schedule.rule.next_after(schedule.next_run_at, now)
        run = not missed or schedule.missed is Missed.RUN_ONCE
        fired = self.store.schedules.fire(schedule, next_run_at,
                                          self._task(schedule) if run else None)
        if fired.claimed:
            logger.info("schedule.fired code=%s due=%s task_id=%s missed=%s next=%s",
                        schedule.code, schedule.next_run_at.isoformat(), fired.task_id,
                        missed, next_run_at.isoformat())
        return fired

    def _task(self, schedule: Schedule) -> NewTask | None:
        new = NewTask(code=schedule.code, action=schedule.action, args=schedule.args)
        try:
            return self.registry.check(new)
        except BadInput as error:
            logger.warning("schedule.refused code=%s action=%s: %s", schedule.code,
                           schedule.action, error)
            return None
