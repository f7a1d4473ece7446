"""The values an add writes and the Tasks it returns, built once per task without SQLAlchemy's
per-row machinery (adds.py runs the statements).

Only `task_id` is the database's own: every other column of a new task is known before it is
written, so the returned Task is built from the same values the row holds (args as the JSON
text read back, times in UTC) and equals what `get` reads later.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Dialect

from taskdesk.models.tasks import NewTask, Status, Task
from taskdesk.store.sql.rows import limit_columns
from taskdesk.store.sql.schema import task

#: The columns whose values differ between tasks of one add, in the order of `values`; the
#: others are the same for every new task (see adds.CONSTANT_COLUMNS).
VARYING_COLUMNS = ("code", "action", "args", "priority", "max_attempts", "run_at",
                   "date_added", "date_modified", "delayed", "extension", "queue",
                   "limit_key", "concurrency_limit", "rate_limit", "held", "trace_context")

Bind = Callable[[Any], Any]


@dataclass(frozen=True)
class AddedRows:
    """The new tasks of one add: their column values in order, and the Tasks they become."""

    news: Sequence[NewTask]
    now: datetime  # aware, UTC
    texts: list[str]  # each task's args as stored
    values: list[tuple[Any, ...]]  # VARYING_COLUMNS, ready for the driver

    def tasks(self, task_ids: Sequence[int]) -> list[Task]:
        """The added tasks, given their ids in the order of `news`."""
        now = self.now
        return [
            Task(task_id=task_id, code=new.code, action=new.action, args=json.loads(text),
                 status=Status.PENDING, response=None, priority=new.priority, attempts=0,
                 max_attempts=new.max_attempts or 0, run_at=_utc(new.run_at) or now,
                 worker_id=None, lease_expires_at=None, date_added=now, date_modified=now,
                 claim_token=None, extension=new.extension, progress=None,
                 progress_message=None, queue=new.queue, limit=new.limit,
                 trace_context=new.trace_context)
            for task_id, new, text in zip(task_ids, self.news, self.texts, strict=True)
        ]


def added_rows(news: Sequence[NewTask], now: datetime, bind: Bind) -> AddedRows:
    """The rows of these tasks, times converted by `bind` (see time_binder); ValueError
    (before anything is written) if one has no max_attempts."""
    now = now.astimezone(UTC)
    stored_now = bind(now)
    texts: list[str] = []
    values: list[tuple[Any, ...]] = []
    for new in news:
        if new.max_attempts is None:
            raise ValueError("NewTask.max_attempts must be set before it reaches the store")
        text = json.dumps(new.args, separators=(",", ":"))
        run_at = new.run_at or now
        texts.append(text)
        values.append((new.code, new.action, text, new.priority, new.max_attempts,
                       bind(run_at), stored_now, stored_now, run_at > now, new.extension,
                       new.queue, *limit_columns(new), new.trace_context))
    return AddedRows(news, now, texts, values)


def time_binder(dialect: Dialect) -> Bind:
    """What SQLAlchemy would hand the driver for a time column: naive UTC, as text on
    SQLite ('YYYY-MM-DD HH:MM:SS.ffffff', never sqlite3's own format, which drops zero
    microseconds and would then compare wrongly as text)."""
    processor = task.c.run_at.type.dialect_impl(dialect).bind_processor(dialect)
    assert processor is not None  # UtcDateTime always converts
    return processor


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)
