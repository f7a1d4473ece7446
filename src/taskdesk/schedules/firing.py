"""Firing: what runners do with due schedules (housekeeping, and `taskdesk start` as it
begins). Each due firing is claimed in the database; the winner adds its task in the same
transaction, so one firing adds one task however many runners race for it.

The task's code is the schedule's code, and it is added with `replace`: a firing that finds
the previous firing's task still waiting (pending, paused or failed) replaces it, so a
backlog never piles up behind slow runners; a previous task that is running is left to
finish beside the new one.

The task goes through this runner's allow-list like any other, before the claim: a runner
that cannot add the task (it was started without the application, runs an older build, or has
a narrower TASKDESK_ALLOWED_ACTIONS) leaves the firing due for one that can, and says so in
its log once per firing. So a firing is used up only by a runner that adds its task; one that
no runner can add (its extension uninstalled) stays due until the schedule is disabled or
deleted. A missed firing that the policy skips adds no task and needs no check.

A firing that adds a task opens an enqueue span, as any add does (docs/tracing.md): its task's
first attempt is that span's child. A runner that lost the race for the firing ends its span
with taskdesk.schedule.claimed false and no task.

A schedule whose rule cannot say when it fires next (a cron expression changed by hand in
the database into one that does not parse) is skipped and logged once per firing: the other
due schedules fire as usual.
"""

from __future__ import annotations

import logging
from datetime import datetime

from taskdesk.errors import BadInput
from taskdesk.models.schedule_rules import Missed
from taskdesk.models.schedules import Firing, Schedule
from taskdesk.models.tasks import NewTask
from taskdesk.registry import TaskRegistry
from taskdesk.store import Store
from taskdesk.tracing import enqueueing

logger = logging.getLogger(__name__)


class Firings:
    """Fires the due schedules of one store, through one registry's allow-list."""

    def __init__(self, store: Store, registry: TaskRegistry) -> None:
        self.store = store
        self.registry = registry
        self._refused: set[tuple[int, datetime]] = set()  # firings already logged as refused

    def fire_due(self) -> list[Firing]:
        """Try every due firing once; returns each attempt (claimed or lost)."""
        now = self.store.clock()
        return [self.fire(schedule) for schedule in self.store.schedules.due(now)]

    def fire(self, schedule: Schedule) -> Firing:
        """Claim this schedule's due firing and add its task (see the module doc)."""
        now = self.store.clock()
        try:
            next_run_at, missed = schedule.rule.next_after(schedule.next_run_at, now)
        except (ValueError, OverflowError) as error:  # croniter's errors are ValueErrors
            self._once(schedule, "schedule.broken code=%s due=%s: its rule gives no next "
                       "firing (%s: %s); it is skipped until it is fixed or deleted",
                       type(error).__name__, error)
            return Firing(schedule, claimed=False)
        task = None
        if not missed or schedule.missed is Missed.RUN_ONCE:
            task = self._task(schedule)
            if task is None:
                return Firing(schedule, claimed=False)  # left due for a runner that can
        tasks = [task] if task is not None else []
        with enqueueing(tasks, enabled=self.registry.settings.tracing) as traced:
            fired = self.store.schedules.fire(schedule, next_run_at,
                                              traced.tasks[0] if traced.tasks else None)
            traced.fired(schedule.code, fired.claimed, fired.task_id)
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
            self._once(schedule, "schedule.refused code=%s due=%s action=%s, left for a "
                       "runner that can add it: %s", schedule.action, error)
            return None

    def _once(self, schedule: Schedule, message: str, *details: object) -> None:
        """Log a broken firing once, however often runners find it due."""
        firing = (schedule.schedule_id, schedule.next_run_at)
        if firing not in self._refused:
            self._refused.add(firing)
            logger.warning(message, schedule.code, schedule.next_run_at.isoformat(), *details)
