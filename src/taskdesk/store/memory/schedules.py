"""MemoryScheduleStore: the schedule verbs in plain Python, the reference for the SQL ones.
It shares its owner's lock and clock (a MemoryStore), so a firing's claim and its task's add
happen under one lock, as they happen in one transaction on SQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from taskdesk.errors import ScheduleExists
from taskdesk.models.schedules import Firing, NewSchedule, Schedule
from taskdesk.models.tasks import NewTask

if TYPE_CHECKING:
    from taskdesk.store.memory.store import MemoryStore


class MemoryScheduleStore:
    def __init__(self, owner: MemoryStore, lock: threading.RLock) -> None:
        self.owner = owner
        self._lock = lock
        self._by_code: dict[str, Schedule] = {}
        self._next_id = 1

    def snapshot(self) -> tuple[dict[str, Schedule], int]:
        """Everything, for MemoryStore.atomic() to put back (the values are frozen)."""
        with self._lock:
            return dict(self._by_code), self._next_id

    def restore(self, saved: tuple[dict[str, Schedule], int]) -> None:
        with self._lock:
            self._by_code, self._next_id = saved

    def add(self, new: NewSchedule) -> Schedule:
        with self._lock:
            if new.code in self._by_code:
                raise ScheduleExists(f"a schedule with code {new.code!r} exists already")
            now = self.owner.clock()
            stored = Schedule(schedule_id=self._next_id, code=new.code, action=new.action,
                              args=dict(new.args), rule=new.rule, missed=new.missed,
                              enabled=True, next_run_at=new.next_run_at, last_run_at=None,
                              date_added=now, date_modified=now)
            self._next_id += 1
            self._by_code[new.code] = stored
            return stored

    def put(self, new: NewSchedule) -> Schedule:
        with self._lock:
            found = self._by_code.get(new.code)
            if found is None:
                return self.add(new)
            next_run_at = found.next_run_at if found.rule == new.rule else new.next_run_at
            changed = replace(found, action=new.action, args=dict(new.args), rule=new.rule,
                              missed=new.missed, next_run_at=next_run_at,
                              date_modified=self.owner.clock())
            self._by_code[new.code] = changed
            return changed

    def get(self, code: str) -> Schedule | None:
        with self._lock:
            return self._by_code.get(code)

    def all(self) -> list[Schedule]:
        with self._lock:
            return [self._by_code[code] for code in sorted(self._by_code)]

    def delete(self, code: str) -> bool:
        with self._lock:
            return self._by_code.pop(code, None) is not None

    def set_enabled(self, code: str, enabled: bool) -> Schedule | None:
        with self._lock:
            found = self._by_code.get(code)
            if found is None:
                return None
            changed = replace(found, enabled=enabled, date_modified=self.owner.clock())
            self._by_code[code] = changed
            return changed

    def due(self, now: datetime) -> list[Schedule]:
        with self._lock:
            due = [s for s in self._by_code.values() if s.enabled and s.next_run_at <= now]
        return sorted(due, key=lambda s: (s.next_run_at, s.schedule_id))

    def fire(self, schedule: Schedule, next_run_at: datetime,
             task: NewTask | None) -> Firing:
        with self.owner.atomic():
            found = self._by_code.get(schedule.code)
            if (found is None or found.schedule_id != schedule.schedule_id
                    or not found.enabled or found.next_run_at != schedule.next_run_at):
                return Firing(schedule, claimed=False)
            now = self.owner.clock()
            self._by_code[schedule.code] = replace(found, next_run_at=next_run_at,
                                                   last_run_at=now, date_modified=now)
            added = self.owner.add([task], replace=True) if task is not None else []
        return Firing(schedule, claimed=True, task_id=added[0].task_id if added else None)
