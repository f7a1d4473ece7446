"""Schedules: the front door's `desk.schedules` — add, list, show, delete, enable, disable
(views for the CLI and the web), and the firing that runners call.

Schedules defined in code (`@desk.periodic`) are written to the database idempotently by
`sync()`: at `taskdesk init`, and at the first firing round of every runner (`taskdesk start`
and `taskdesk worker`). A code-defined schedule keeps its next firing and its enabled flag
across restarts unless its rule changed; removing the decorator does not delete the stored
schedule (`taskdesk schedule delete` does).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from taskdesk.errors import ScheduleNotFound
from taskdesk.models.schedule_rules import Missed, Rule
from taskdesk.models.schedules import Firing, NewSchedule, Schedule
from taskdesk.models.tasks import JsonObject, NewTask
from taskdesk.registry import TaskRegistry, check_code
from taskdesk.schedules.firing import Firings
from taskdesk.store import Store
from taskdesk.views import ScheduleView, schedule_view


@dataclass(frozen=True)
class Plan:
    """A schedule defined in code: written by sync(), its task registered by the decorator."""

    code: str
    action: str
    rule: Rule
    missed: Missed = Missed.RUN_ONCE
    args: JsonObject = field(default_factory=dict)


class Schedules:
    """Schedules of one store, their tasks checked by one registry (the desk's)."""

    def __init__(self, store: Store, registry: TaskRegistry,
                 plans: Mapping[str, Plan] | None = None) -> None:
        self.store = store
        self.registry = registry
        self.plans = plans if plans is not None else {}
        self.firings = Firings(store, registry)
        self._synced = threading.Event()

    def add(self, code: str, action: str, args: JsonObject | None = None, *,
            cron: str | None = None, every: str | None = None, interval: int = 1,
            missed: str = Missed.RUN_ONCE.value) -> ScheduleView:
        """Store a new schedule; nothing is stored when anything is wrong."""
        new = self._checked(code, action, args, Rule.parse(cron=cron, every=every,
                                                           interval=interval), missed)
        return schedule_view(self.store.schedules.add(new))

    def list_schedules(self) -> list[ScheduleView]:
        """Every schedule, by code."""
        return [schedule_view(found) for found in self.store.schedules.all()]

    def show(self, code: str) -> ScheduleView:
        return schedule_view(self._get(code))

    def delete(self, code: str) -> None:
        """Forget a schedule; the tasks it added stay."""
        if not self.store.schedules.delete(check_code(code)):
            raise ScheduleNotFound(f"no schedule with code {code!r}")

    def enable(self, code: str) -> ScheduleView:
        """Fire again; firings missed while disabled follow the schedule's missed policy."""
        return self._set_enabled(code, True)

    def disable(self, code: str) -> ScheduleView:
        return self._set_enabled(code, False)

    def sync(self) -> list[ScheduleView]:
        """Write the schedules defined in code (idempotent; see the module doc)."""
        stored = [self.store.schedules.put(self._checked(plan.code, plan.action, plan.args,
                                                         plan.rule, plan.missed.value))
                  for plan in self.plans.values()]
        self._synced.set()
        return [schedule_view(found) for found in stored]

    def fire_due(self) -> list[Firing]:
        """A runner's round: the code-defined schedules written (first round), then each
        due firing claimed and its task added by exactly one runner."""
        if not self._synced.is_set():
            self.sync()
        return self.firings.fire_due()

    def _checked(self, code: str, action: str, args: JsonObject | None, rule: Rule,
                 missed: str) -> NewSchedule:
        check_code(code)
        task = self.registry.check(NewTask(code=code, action=action,
                                           args={} if args is None else args))
        return NewSchedule(code=code, action=task.action, args=task.args, rule=rule,
                           missed=Missed.parse(missed),
                           next_run_at=rule.first(self.store.clock()))

    def _get(self, code: str) -> Schedule:
        found = self.store.schedules.get(check_code(code))
        if found is None:
            raise ScheduleNotFound(f"no schedule with code {code!r}")
        return found

    def _set_enabled(self, code: str, enabled: bool) -> ScheduleView:
        changed = self.store.schedules.set_enabled(check_code(code), enabled)
        if changed is None:
            raise ScheduleNotFound(f"no schedule with code {code!r}")
        return schedule_view(changed)

