"""The failures' storage seam, reached as `store.error_classes` on every Store (as queues are):
failed tasks grouped by the class of what failed them (task.error_class, set by each failed
attempt's finish and by the recovery of an expired lease; taskdesk.models.failures names the
classes). Retrying or cancelling a class is a bulk change by filter (TaskFilter.error_class
with retry_matching or set_status_matching), not a verb here. The contract suite
(tests/store/test_failure_store.py) runs it on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Protocol

from taskdesk.models.failures import FailureGroup

#: Classes a grouping returns at most: a handler raising a new class per task cannot make
#: the page (or the query) unbounded.
MAX_GROUPS = 100


class FailureStore(Protocol):
    def groups(self, *, limit: int = MAX_GROUPS) -> list[FailureGroup]:
        """The failed tasks by error class: most tasks first, then the latest failure, then
        the class's name (the unrecorded class, None, last among equals); at most `limit`
        classes."""
        ...
