"""Failures by cause: each failed attempt records the class of what failed it (a task's
`error_class`), so that failed tasks can be grouped, retried and cancelled a class at a time.

    taskdesk task list --status failed --by-error
    taskdesk task retry --error ValueError

What an attempt records:

- an exception: its class, qualified by its module unless it is a builtin (`ValueError`,
  `requests.exceptions.HTTPError`, `taskdesk.errors.BadArgs` for args that do not fit);
- a timeout (a child process that ran past its `timeout`): `TimeoutError`;
- a handler that returned OpenCart's {"error": ...}: `error result`;
- a child process that died (a crash, a signal): `process died`;
- an application that would not load in the child: `application not loaded`;
- an outcome that could not be read or stored: `outcome not stored`;
- a lease that expired (its runner died or stalled; recovered by the reaper): `lease expired`.

The names with spaces cannot be a Python class's, so they never merge with a handler's own.
A class name is text from the task (any class may name itself anything): it is capped at
CLASS_BYTES and stored escaped like any other text (taskdesk.text.storable).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from taskdesk.errors import BadInput

CLASS_BYTES = 200  # of an error class's name as stored (the column holds 255 characters)

TIMEOUT = "TimeoutError"
ERROR_RESULT = "error result"
PROCESS_DIED = "process died"
APP_NOT_LOADED = "application not loaded"
NOT_STORED = "outcome not stored"
LEASE_EXPIRED = "lease expired"


def class_name(error: BaseException) -> str:
    """`module.QualName` of the error's class (`QualName` for builtins); guarded, since a
    class can fake its names."""
    try:
        kind = type(error)
        module, name = kind.__module__, kind.__qualname__
        if type(name) is not str or type(module) is not str:
            return "object"
        return name if module == "builtins" else f"{module}.{name}"
    except Exception:
        return "object"


def check_error_class(value: object) -> str:
    """An error class named by a user (a filter): text, not empty, at most 255 characters,
    without NUL; else BadInput."""
    if not isinstance(value, str):
        raise BadInput(f"an error class must be text, not {type(value).__name__}")
    if not value or len(value) > 255 or "\x00" in value:
        raise BadInput("an error class is 1 to 255 characters, without NUL")
    return value


@dataclass(frozen=True, kw_only=True)
class FailureGroup:
    """The failed tasks of one error class (None: failed without a class recorded, such as
    tasks failed before classes were recorded, or set failed by hand): how many, when the
    first and the last of them failed (their date_modified), and the latest one as the
    example (its id and response: the message and traceback)."""

    error_class: str | None
    count: int
    first_seen: datetime
    last_seen: datetime
    example_task_id: int
    example_response: str | None
