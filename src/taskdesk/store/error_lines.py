"""The error log's storage seam, reached as `store.error_lines` on every Store (as schedules
are): the same contract suite (tests/store/test_error_lines.py) runs it on memory, SQLite and
PostgreSQL. Lines are ordered by their id, which grows as they are written."""

from __future__ import annotations

from typing import Protocol

from taskdesk.models.error_lines import ErrorLine, ErrorLineFilter, NewErrorLine


class ErrorLineStore(Protocol):
    def write(self, line: NewErrorLine) -> ErrorLine:
        """Store one line, dated by the store's clock."""
        ...

    def page(self, where: ErrorLineFilter, limit: int) -> list[ErrorLine]:
        """The newest `limit` lines that `where` selects, oldest first (newest last); the
        first line's id is the `before` of the page older than it."""
        ...

    def hosts(self) -> list[str]:
        """The hosts that wrote the lines kept, by name."""
        ...

    def prune(self, *, retention_seconds: float, limit: int) -> int:
        """Delete at most `limit` lines older than the retention, oldest first; how many."""
        ...

    def clear(self) -> int:
        """Delete every line; how many."""
        ...
