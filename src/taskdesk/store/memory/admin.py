"""The admin's bulk changes over every task a filter matches, the dashboard's counts and Run
Tasks' start claim, in memory (the SQL stores' are in sql/admin.py and sql/run_start.py; one
contract suite checks both)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

from taskdesk.errors import BadStatus
from taskdesk.models.tasks import Status, Task, TaskFilter
from taskdesk.store.memory.state import MemoryState
from taskdesk.store.memory.tasks import retried
from taskdesk.store.protocol import MATCH_CHUNK, AfterChunks


class MemoryAdminVerbs(MemoryState):
    def claim_start(self, name: str, holder: str, *, seconds: float) -> bool:
        with self._lock:
            now = self.clock()
            held = self._starts.get(name)
            if held is not None and held[1] > now:
                return False
            self._starts[name] = (holder, now + timedelta(seconds=seconds))
            return True

    def release_start(self, name: str, holder: str) -> None:
        with self._lock:
            if self._starts.get(name, ("", None))[0] == holder:
                del self._starts[name]

    def _idle_matching(self, where: TaskFilter) -> list[Task]:
        return sorted((t for t in self._matching(where) if t.status is not Status.PROCESSING),
                      key=lambda t: t.task_id)

    def set_status_matching(self, where: TaskFilter, status: Status, *,
                            chunk: int = MATCH_CHUNK, then: AfterChunks | None = None) -> int:
        if status is Status.PROCESSING:
            raise BadStatus("only a runner's claim sets a task processing")
        with self._lock:
            idle = self._idle_matching(where)
            self._then(then, len(idle))  # first: if it raises, nothing has changed
            now = self.clock()
            for t in idle:  # set back to pending by hand: a fresh attempt budget
                attempts = 0 if status is Status.PENDING else t.attempts
                self._tasks[t.task_id] = replace(t, status=status, date_modified=now,
                                                 attempts=attempts)
            return len(idle)

    def retry_matching(self, where: TaskFilter, *, chunk: int = MATCH_CHUNK,
                       then: AfterChunks | None = None) -> int:
        with self._lock:
            idle = self._idle_matching(where)
            self._then(then, len(idle))
            now = self.clock()
            for t in idle:
                self._tasks[t.task_id] = retried(t, now)
            return len(idle)

    def delete_matching(self, where: TaskFilter, *, chunk: int = MATCH_CHUNK,
                        then: AfterChunks | None = None) -> int:
        with self._lock:
            idle = self._idle_matching(where)
            self._then(then, len(idle))
            return self._delete_waiting([t.task_id for t in idle])

    def _then(self, then: AfterChunks | None, changed: int) -> None:
        """The last chunk's `then` (one chunk here), run before the change so that if it
        raises nothing is changed, as a rolled-back transaction."""
        if then is not None:
            then(self, changed)  # type: ignore[arg-type]  # MemoryStore is a Store

    def status_counts(self) -> dict[Status, int]:
        with self._lock:
            return dict(Counter(t.status for t in self._tasks.values()))
