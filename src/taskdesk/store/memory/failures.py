"""MemoryFailureStore: failed tasks grouped by error class in plain Python, the reference for
the SQL one. It shares its owner's lock (a MemoryStore)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from taskdesk.models.failures import FailureGroup
from taskdesk.models.tasks import Status, Task
from taskdesk.store.failures import MAX_GROUPS

if TYPE_CHECKING:
    from taskdesk.store.memory.state import MemoryState


class MemoryFailureStore:
    def __init__(self, owner: MemoryState, lock: threading.RLock) -> None:
        self.owner = owner
        self._lock = lock

    def groups(self, *, limit: int = MAX_GROUPS) -> list[FailureGroup]:
        with self._lock:
            by_class: dict[str | None, list[Task]] = {}
            for task in self.owner.tasks_now():
                if task.status is Status.FAILED:
                    by_class.setdefault(task.error_class, []).append(task)
        groups = [_group(name, tasks) for name, tasks in by_class.items()]
        groups.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(),
                                   g.error_class is None, g.error_class or ""))
        return groups[:max(0, limit)]


def _group(error_class: str | None, tasks: list[Task]) -> FailureGroup:
    latest = max(tasks, key=lambda t: (t.date_modified, t.task_id))
    return FailureGroup(error_class=error_class, count=len(tasks),
                        first_seen=min(t.date_modified for t in tasks),
                        last_seen=latest.date_modified, example_task_id=latest.task_id,
                        example_response=latest.response)
