"""MemoryLimitStore: limits by key in plain Python, the reference for sql/limits.py. It shares
its owner's lock (a MemoryStore), whose claim lets a candidate through `admit` under that
lock: a task holds a slot of its key while it runs, and each claim is a start."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from taskdesk.models.limits import LimitHold, Rate, TaskLimit
from taskdesk.models.tasks import Status, Task

if TYPE_CHECKING:
    from taskdesk.store.memory.state import MemoryState


class MemoryLimitStore:
    def __init__(self, owner: MemoryState, lock: threading.RLock) -> None:
        self.owner = owner
        self._lock = lock
        self._starts: dict[str, list[datetime]] = {}  # per key, oldest first

    def snapshot(self) -> dict[str, list[datetime]]:
        with self._lock:
            return {key: list(starts) for key, starts in self._starts.items()}

    def restore(self, saved: dict[str, list[datetime]]) -> None:
        with self._lock:
            self._starts = saved

    def admit(self, due: Iterable[Task], limit: int, now: datetime) -> list[Task]:
        """The first `limit` of these (in the claim's order) that their keys' limits let
        start now; their starts are counted."""
        running = self._running()
        taken: list[Task] = []
        for task in due:
            if len(taken) >= limit:
                break
            if task.limit is not None:
                if not self._free(task.limit, running, now):
                    continue
                running[task.limit.key] += 1
                if task.limit.rate is not None:
                    self._starts.setdefault(task.limit.key, []).append(now)
            taken.append(task)
        return taken

    def holding(self, task_id: int) -> LimitHold | None:
        with self._lock:
            task = self.owner.tasks_by_id().get(task_id)
            if task is None or task.limit is None or task.status is not Status.PENDING:
                return None
            now, limit = self.owner.clock(), task.limit
            running = self._running()
            if self._free(limit, running, now):
                return None
            rate = limit.parsed_rate()
            starts = [] if rate is None else self._recent(limit.key, rate, now)
            full = rate is not None and len(starts) >= rate.count
            next_slot = (starts[len(starts) - rate.count] + timedelta(seconds=rate.seconds)
                         if full and rate is not None else None)
            return LimitHold(key=limit.key, running=running[limit.key],
                             concurrency_limit=limit.concurrency, rate_limit=limit.rate,
                             started=len(starts), next_slot_at=next_slot)

    def _running(self) -> Counter[str]:
        return Counter(t.limit.key for t in self.owner.tasks_now()
                       if t.limit is not None and t.status is Status.PROCESSING)

    def _free(self, limit: TaskLimit, running: Counter[str], now: datetime) -> bool:
        if limit.concurrency is not None and running[limit.key] >= limit.concurrency:
            return False
        rate = limit.parsed_rate()
        return rate is None or len(self._recent(limit.key, rate, now)) < rate.count

    def _recent(self, key: str, rate: Rate, now: datetime) -> list[datetime]:
        """The key's starts within the rate's window (older ones forgotten)."""
        since = now - timedelta(seconds=rate.seconds)
        kept = [moment for moment in self._starts.get(key, []) if moment > since]
        self._starts[key] = kept
        return kept
