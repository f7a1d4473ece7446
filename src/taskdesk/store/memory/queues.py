"""MemoryQueueStore: the queue verbs in plain Python, the reference for the SQL ones. It
shares its owner's lock and clock (a MemoryStore), whose claim asks `is_paused` under that
lock: a pause and a claim never interleave."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from taskdesk.models.queues import QueueCounts, QueuePause, counted
from taskdesk.models.tasks import Status

if TYPE_CHECKING:
    from taskdesk.store.memory.state import MemoryState


class MemoryQueueStore:
    def __init__(self, owner: MemoryState, lock: threading.RLock) -> None:
        self.owner = owner
        self._lock = lock
        self._paused: dict[str, QueuePause] = {}

    def snapshot(self) -> dict[str, QueuePause]:
        """Everything, for MemoryStore.atomic() to put back (the values are frozen)."""
        with self._lock:
            return dict(self._paused)

    def restore(self, saved: dict[str, QueuePause]) -> None:
        with self._lock:
            self._paused = saved

    def is_paused(self, queue: str) -> bool:
        return queue in self._paused

    def pause(self, queue: str, paused_by: str | None = None) -> bool:
        with self._lock:
            if queue in self._paused:
                return False
            self._paused[queue] = QueuePause(queue=queue, paused_at=self.owner.clock(),
                                             paused_by=paused_by)
            return True

    def resume(self, queue: str) -> bool:
        """(A memory store's runners poll: there is nobody to wake.)"""
        with self._lock:
            return self._paused.pop(queue, None) is not None

    def paused(self) -> list[QueuePause]:
        with self._lock:
            return [self._paused[name] for name in sorted(self._paused)]

    def counts(self) -> list[QueueCounts]:
        with self._lock:
            found: dict[str, QueueCounts] = {}
            for task in self.owner.tasks_now():
                counts = found.get(task.queue) or QueueCounts(queue=task.queue)
                found[task.queue] = counted(counts, task.status.value, 1, task.date_added)
        return [found[name] for name in sorted(found) if _any(found[name])]

    def ahead(self, queue: str, priority: int, task_id: int) -> int:
        with self._lock:
            now = self.owner.clock()
            return sum(1 for t in self.owner.tasks_now()
                       if t.queue == queue and t.status is Status.PENDING and t.run_at <= now
                       and (-t.priority, t.task_id) < (-priority, task_id))


def _any(counts: QueueCounts) -> bool:
    return bool(counts.waiting or counts.running or counts.failed)
