"""The limits' storage seam, reached as `store.limits` on every Store: why a waiting task is
held by its limit. The limits themselves are enforced by every claim (sql/limits.py admits
held tasks before the claim; memory/limits.py filters the claim's candidates), so that a task
over its key's limit is never claimed. The contract suite (tests/store/test_limit_store.py)
runs on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Protocol

from taskdesk.models.limits import LimitHold


class LimitStore(Protocol):
    def holding(self, task_id: int) -> LimitHold | None:
        """The limit that keeps this pending task from being claimed: its key, how many of
        the key's tasks hold a slot, its limits, its starts in the rate's window and when
        the rate lets the next one start; None when the task is not pending, has no limit,
        or its key has a free slot (then something else keeps it waiting)."""
        ...
