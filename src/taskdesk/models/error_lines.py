"""The error log's lines: what `self.log.write()` wrote, with where and for which task.

One log for the installation: every host's lines are stored in the database, so each host's
admin reads them all. Frozen values, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

#: Lines a page of the error log holds unless told otherwise, and at most.
DEFAULT_PAGE = 200
MAX_PAGE = 10_000
#: The most a stored line keeps, in UTF-8 bytes; a longer one is cut with a visible note.
MAX_LINE_BYTES = 16 * 1024
#: How long a host name may be, in characters (longer ones are cut).
MAX_HOST_CHARS = 255


@dataclass(frozen=True, kw_only=True)
class NewErrorLine:
    """What `write` stores: the message already storable (taskdesk.text.storable)."""

    host: str
    pid: int
    task_id: int | None
    message: str


@dataclass(frozen=True, kw_only=True)
class ErrorLine:
    """One stored line; `date_added` is when it was written (the store's clock)."""

    error_log_id: int
    date_added: datetime
    host: str
    pid: int
    task_id: int | None
    message: str


@dataclass(frozen=True, kw_only=True)
class ErrorLineFilter:
    """Which lines a page shows: one host's, one task's, those before a line (keyset)."""

    host: str | None = None
    task_id: int | None = None
    before: int | None = None  # error_log_id: only lines written before this one
