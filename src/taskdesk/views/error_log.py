"""The error log's JSON shapes: what `taskdesk log show --json` prints and /api/error-log
returns. Lines are newest last; `next_cursor` (the oldest line's id) fetches the page before."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from taskdesk.clock import isoformat
from taskdesk.models.error_lines import ErrorLine


class ErrorLineView(TypedDict):
    error_log_id: int
    date_added: str | None
    host: str
    pid: int
    task_id: int | None
    message: str


class ErrorLogPageView(TypedDict):
    lines: list[ErrorLineView]  # oldest first: newest last
    next_cursor: int | None  # pass as cursor (--before) for the older lines; None: no more


def error_line_view(line: ErrorLine) -> ErrorLineView:
    return ErrorLineView(error_log_id=line.error_log_id, date_added=isoformat(line.date_added),
                         host=line.host, pid=line.pid, task_id=line.task_id,
                         message=line.message)


def error_log_page_view(found: Sequence[ErrorLine], limit: int) -> ErrorLogPageView:
    """A page from `limit + 1` lines fetched: the extra oldest one only says there are more."""
    shown = list(found[-limit:]) if limit > 0 else []
    more = len(found) > limit
    return ErrorLogPageView(lines=[error_line_view(line) for line in shown],
                            next_cursor=shown[0].error_log_id if more and shown else None)
