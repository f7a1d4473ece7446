"""The domain: tasks, log entries and the outcome of an attempt. Frozen values, no I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from taskdesk.errors import BadArgs, BadStatus
from taskdesk.models.limits import TaskLimit
from taskdesk.models.queues import DEFAULT_QUEUE

JsonObject = dict[str, Any]


class Status(StrEnum):
    """OpenCart's five task statuses, and ours: `cancelled`, a task told to stop or never to
    run (it keeps its history and can be retried)."""

    PENDING = "pending"
    PROCESSING = "processing"
    PAUSED = "paused"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @classmethod
    def parse(cls, text: str) -> Status:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise BadStatus(f"unknown status {text!r}: use one of {', '.join(cls)}") from None


#: Statuses of a task that is not running and has not succeeded: a new add with its code
#: replaces it.
WAITING = frozenset({Status.PENDING, Status.PAUSED, Status.FAILED, Status.CANCELLED})


@dataclass(frozen=True, kw_only=True)
class NewTask:
    """What `add` needs to create a task; unset fields take the registry's defaults."""

    code: str
    action: str
    args: JsonObject = field(default_factory=dict)
    priority: int = 0
    run_at: datetime | None = None
    max_attempts: int | None = None
    extension: str | None = None  # set by an extension's registry (TaskRegistry.origin)
    queue: str = DEFAULT_QUEUE  # the named queue it waits in (taskdesk.models.queues)
    limit: TaskLimit | None = None  # set by the registry from its definition's limits
    #: The enqueue span's W3C traceparent, set by taskdesk.tracing when tracing is on.
    trace_context: str | None = None


@dataclass(frozen=True, kw_only=True)
class Task:
    """One row of the registry."""

    task_id: int
    code: str
    action: str
    args: JsonObject
    status: Status
    response: str | None
    priority: int
    attempts: int
    max_attempts: int
    run_at: datetime
    worker_id: str | None
    lease_expires_at: datetime | None
    date_added: datetime
    date_modified: datetime
    #: Set by each claim, unique to it: the store accepts the attempt's finish, heartbeats
    #: and release only while the task still carries it (lease fencing). Not shown in views.
    claim_token: str | None = None
    extension: str | None = None  # the extension whose install() or task added it
    #: What the running attempt last reported (0-100, and a short text): cleared by the next
    #: claim, 100 once complete, kept as it was when the task failed or waits for a retry.
    progress: int | None = None
    progress_message: str | None = None
    queue: str = DEFAULT_QUEUE  # the named queue it waits in (taskdesk.models.queues)
    #: The class of what failed its latest failed attempt (taskdesk.models.failures); None
    #: once an attempt completes, and before any attempt failed.
    error_class: str | None = None
    #: Its definition's limits by key (taskdesk.models.limits), as added; None: unlimited.
    limit: TaskLimit | None = None
    #: The W3C traceparent of the span that enqueued it (taskdesk.tracing), as stored: text
    #: from the database, read only through taskdesk.tracing, which ignores what is not one.
    trace_context: str | None = None


@dataclass(frozen=True, kw_only=True)
class LogEntry:
    """One row of the task log: the end of one attempt, or a recovery."""

    task_log_id: int
    task_id: int | None
    code: str
    status: Status
    comment: str
    duration: float | None
    attempt: int
    worker_id: str | None
    date_added: datetime


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """How an attempt ended, as the runner reports it to the store.

    `status` is COMPLETE, FAILED, or PENDING for a retry at `retry_at`.
    """

    status: Status
    response: str | None
    comment: str
    duration: float
    retry_at: datetime | None = None
    #: What failed it, for a failed attempt (taskdesk.models.failures); None when complete.
    error_class: str | None = None


@dataclass(frozen=True, kw_only=True)
class InstalledModule:
    """A module of an extension whose install() has run (OpenCart's `extension` row)."""

    extension: str
    type: str
    code: str
    date_added: datetime


@dataclass(frozen=True, kw_only=True)
class TaskFilter:
    """Filters of list and count. `code` and `action` are case-insensitive substrings, as
    OpenCart's LIKE (wildcards taken literally); with `code_exact` the code must be equal,
    which an index answers at once. Every top-level key of `args` must be in the task's args
    with an equal JSON value (nested values compare whole; true is not 1)."""

    code: str | None = None
    status: Status | None = None
    extension: str | None = None  # exactly: the tasks this extension added
    action: str | None = None
    args: JsonObject | None = None
    code_exact: bool = False
    queue: str | None = None  # exactly: the tasks of this queue
    error_class: str | None = None  # exactly: the tasks whose latest failure was of this class

    def is_empty(self) -> bool:
        """Whether every task matches: bulk changes refuse such a slip."""
        return not (self.code or self.status or self.extension or self.action or self.args
                    or self.queue or self.error_class)


@dataclass(frozen=True, kw_only=True)
class DurationHistogram:
    """Attempt durations from the task log: `counts[i]` entries took at most `bounds[i]`
    seconds (cumulative, as Prometheus counts); `total` seconds over `count` entries."""

    bounds: tuple[float, ...]
    counts: tuple[int, ...]
    total: float
    count: int


def parse_args(text: str) -> JsonObject:
    """Args from their JSON text: an object, never a list, a number or malformed JSON."""
    try:
        value = json.loads(text)
    except ValueError as error:  # malformed JSON, or a number too long to convert
        raise BadArgs(f"args are not valid JSON: {error}") from None
    except RecursionError:
        raise BadArgs("args are nested too deeply") from None
    return check_args(value)


def check_args(value: object) -> JsonObject:
    """The args themselves if they are a JSON object with string keys that round-trips."""
    if not isinstance(value, dict):
        raise BadArgs(f"args must be a JSON object, not {type(value).__name__}")
    if not all(isinstance(key, str) for key in value):
        raise BadArgs("args keys must be strings")
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)  # refuses cycles too
    except (TypeError, ValueError, RecursionError) as error:
        raise BadArgs(f"args are not JSON-serialisable: {error}") from None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate ("\ud800"): no text holds it
        bad = text[error.start:error.end].encode("utf-8", "backslashreplace").decode()
        raise BadArgs(f"args hold {bad}, a lone surrogate that is not text: "
                      "send valid UTF-8") from None
    if not _string_keys(value):
        raise BadArgs("args keys must be strings, at every level")
    return value


def _string_keys(value: object) -> bool:
    """json.dumps would turn other keys into strings silently: args would not round-trip."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return False
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return True
