"""The filters of the registry's lists, counts and bulk changes, checked once here.

    desk.tasks.list_tasks(status="failed", args={"user_id": 42})
    desk.tasks.count(code="backup", code_exact=True)

`code` and `action` match case-insensitive substrings (OpenCart's LIKE, wildcards literal).
An exact code (`code_exact=True`) is answered from the index (code, task_id): use it for a
code the user picked from a list, so that a page stays fast at a million tasks; a substring
filter reads every row until the page is full. `args` is a JSON object (or its text): every
top-level key must be in the task's args with an equal JSON value.
"""

from __future__ import annotations

from typing import TypedDict

from taskdesk.errors import BadArgs, BadInput
from taskdesk.models.failures import check_error_class
from taskdesk.models.queues import check_queue
from taskdesk.models.tasks import JsonObject, Status, TaskFilter, check_args, parse_args

MAX_TEXT = 255  # longer than any code (128) or action (255): nothing could match
MAX_ARGS_DEPTH = 8  # levels of nesting an args filter may have
MAX_ARGS_VALUES = 100  # values (at every level) an args filter may hold


class Filters(TypedDict, total=False):
    """Keyword filters of list_tasks, count and the *_matching verbs."""

    code: str | None
    status: Status | str | None
    action: str | None
    args: JsonObject | str | None
    code_exact: bool
    extension: str | None  # exactly: the tasks this extension added
    queue: str | None  # exactly: the tasks of this queue
    error_class: str | None  # exactly: the tasks whose latest failure was of this class


def task_filter(filters: Filters) -> TaskFilter:
    """The filters checked: unknown status -> BadStatus, args not an object -> BadArgs."""
    status = filters.get("status")
    return TaskFilter(
        code=_text("code", filters.get("code")),
        status=None if status is None else _status(status),
        action=_text("action", filters.get("action")),
        args=_args(filters.get("args")),
        code_exact=bool(filters.get("code_exact", False)),
        extension=_text("extension", filters.get("extension")),
        queue=_queue(filters.get("queue")),
        error_class=_error_class(filters.get("error_class")),
    )


def _error_class(value: str | None) -> str | None:
    return None if value is None or value == "" else check_error_class(value)


def _queue(value: str | None) -> str | None:
    return None if value is None or value == "" else check_queue(value)


def _status(status: Status | str) -> Status:
    return status if isinstance(status, Status) else Status.parse(str(status))


def _text(name: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadInput(f"{name} filter must be text, not {type(value).__name__}")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise BadInput(f"{name} filter must be at most {MAX_TEXT} characters, without NUL")
    return value


def _args(value: JsonObject | str | None) -> JsonObject | None:
    if value is None or value == "":
        return None
    wanted = parse_args(value) if isinstance(value, str) else check_args(value)
    _check_size(wanted)
    return wanted or None


def _check_size(wanted: JsonObject) -> None:
    """Refuse filters whose SQL would be huge (a filter names a few values, not a document),
    and NUL, which PostgreSQL's jsonb cannot hold."""
    values = 0
    stack: list[tuple[JsonObject | list[object], int]] = [(wanted, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_ARGS_DEPTH:
            raise BadArgs(f"an args filter is nested at most {MAX_ARGS_DEPTH} levels deep")
        pairs = list(item.items()) if isinstance(item, dict) else list(enumerate(item))
        values += len(pairs)
        if values > MAX_ARGS_VALUES:
            raise BadArgs(f"an args filter holds at most {MAX_ARGS_VALUES} values")
        for key, child in pairs:
            if "\x00" in str(key) or (isinstance(child, str) and "\x00" in child):
                raise BadArgs("an args filter cannot hold NUL characters")
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
