"""ScheduleChanges: the admin's Schedules page and its API. Its reads are the CLI's views
(`taskdesk schedule list --json`) with what a page adds: the next firings and the task the
last firing added. Its changes are the CLI's verbs (the service of `desk.schedules`), plus Run
now, each made for someone (`by`) with its audit entry in the change's own transaction.

    changes.run_now(Actor("ann", "10.0.0.7"), "refresh_rates")  # "schedules.run"
    changes.disable(Actor("ann"), "tidy")                        # "schedules.disable"
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime

from typing_extensions import TypedDict

from taskdesk.accounts.audit import Audited, audited
from taskdesk.clock import isoformat
from taskdesk.errors import ScheduleNotFound
from taskdesk.models.accounts import Actor
from taskdesk.models.schedules import Schedule
from taskdesk.models.tasks import Task
from taskdesk.registry import TaskRegistry, check_code
from taskdesk.schedules.service import Plan, Schedules
from taskdesk.store import SqlStore, Store
from taskdesk.views import ScheduleView, TaskView, schedule_view, task_view

UPCOMING = 3  # firings the page shows ahead


class ScheduleRow(TypedDict):
    """One schedule as the Schedules page shows it."""

    schedule: ScheduleView
    args: str  # its args as JSON text, to be shown literally
    upcoming: list[str]  # its next firings (ISO, UTC), the first being next_run_at
    last_task: TaskView | None  # the newest task with its code, if one is still stored


class ScheduleChanges:
    """Schedules read and changed for the admin; every change returns what it changed."""

    def __init__(self, store: Store, registry: Callable[[Store], TaskRegistry],
                 plans: Mapping[str, Plan]) -> None:
        self.store = store
        self._registry = registry
        self.plans = plans

    def rows(self) -> list[ScheduleRow]:
        """Every schedule by code, with its next firings and its last firing's task."""
        registry = self._registry(self.store)
        return [ScheduleRow(schedule=schedule_view(found), upcoming=upcoming(found),
                            args=json.dumps(found.args, ensure_ascii=False),
                            last_task=_last_task(registry, found.code))
                for found in self.store.schedules.all()]

    @contextmanager
    def _change(self, by: Actor) -> Iterator[tuple[Schedules, TaskRegistry, Audited]]:
        """The service and the registry bound to one transaction with the entry."""
        with audited(self.store, by) as change:
            registry = self._registry(change.store)
            yield Schedules(change.store, registry, self.plans), registry, change

    def run_now(self, by: Actor, code: str) -> Task:
        """Add the schedule's task now, as a firing does (replacing a waiting task with its
        code); its next firing stays where it was."""
        with self._change(by) as (_, registry, change):
            found = change.store.schedules.get(check_code(code))
            if found is None:
                raise ScheduleNotFound(f"no schedule with code {code!r}")
            task = registry.add(found.code, found.action, found.args, replace=True)
            change.record("schedules.run", f"schedule {code}", f"task {task.task_id}")
        if isinstance(self.store, SqlStore):
            self.store.announce_after()  # idle runners wake for the new task
        return task

    def enable(self, by: Actor, code: str) -> ScheduleView:
        with self._change(by) as (schedules, _, change):
            changed = schedules.enable(code)
            change.record("schedules.enable", f"schedule {code}")
        return changed

    def disable(self, by: Actor, code: str) -> ScheduleView:
        with self._change(by) as (schedules, _, change):
            changed = schedules.disable(code)
            change.record("schedules.disable", f"schedule {code}")
        return changed

    def delete(self, by: Actor, code: str) -> None:
        with self._change(by) as (schedules, _, change):
            schedules.delete(code)
            change.record("schedules.delete", f"schedule {code}")


def upcoming(found: Schedule, count: int = UPCOMING) -> list[str]:
    """The schedule's next `count` firings: its stored next one, then its rule's."""
    moments: list[datetime] = [found.next_run_at]
    try:
        while len(moments) < count:
            moments.append(found.rule.after(moments[-1]))
    except (ValueError, OverflowError):  # a rule that stops firing (the year 9999) ends it
        pass
    return [isoformat(moment) or "" for moment in moments]


def _last_task(registry: TaskRegistry, code: str) -> TaskView | None:
    found = registry.list_tasks(code=code, code_exact=True, limit=1, descending=True,
                                preview=80)
    return task_view(found[0]) if found else None
