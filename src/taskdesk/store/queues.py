"""The queues' storage seam, reached as `store.queues` on every Store (as schedules are):
which queues are paused, and how many tasks each queue holds. Every claim reads the pauses
itself (sql/claims.py, memory/claims.py): a paused queue's tasks are not claimed, whichever
runner asks, from the moment the pause commits; tasks already running finish. The contract
suite (tests/store/test_queue_store.py) runs it on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Protocol

from taskdesk.models.queues import QueueCounts, QueuePause


class QueueStore(Protocol):
    def pause(self, queue: str, paused_by: str | None = None) -> bool:
        """Pause the queue (a name: it need not hold tasks); False if it was already
        paused (its first pause is kept)."""
        ...

    def resume(self, queue: str) -> bool:
        """Let the queue's tasks be claimed again, and tell idle runners so; False if it
        was not paused."""
        ...

    def paused(self) -> list[QueuePause]:
        """The paused queues, by name."""
        ...

    def counts(self) -> list[QueueCounts]:
        """Every queue that holds pending, processing or failed tasks, by name."""
        ...

    def ahead(self, queue: str, priority: int, task_id: int) -> int:
        """How many due pending tasks of `queue` a claim takes before a task of that
        priority and id (a higher priority, or the same and a lower id): its place in line."""
        ...
