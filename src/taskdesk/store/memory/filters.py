"""Which tasks a TaskFilter selects, in its simplest form: the reference for the SQL stores'
WHERE (sql/filters.py), which one contract suite checks against it.

The args filter: every top-level key of the wanted object is in the task's args with an equal
JSON value. Equality is JSON's: nested objects and arrays compare whole, key order does not
matter, 1 equals 1.0, and true is not 1 (Python's `True == 1` is not used).
"""

from __future__ import annotations

from taskdesk.models.tasks import JsonObject, Task, TaskFilter


def matches(task: Task, where: TaskFilter) -> bool:
    """Whether a task passes the filter, as the SQL stores' WHERE decides."""
    if where.code and where.code_exact:
        code_ok = task.code == where.code
    else:
        code_ok = (where.code or "").lower() in task.code.lower()
    return (code_ok and (where.action or "").lower() in task.action.lower()
            and where.status in (None, task.status) and where.extension in (None, task.extension)
            and where.queue in (None, task.queue)
            and where.error_class in (None, task.error_class)
            and (not where.args or args_contain(task.args, where.args)))


def json_equal(left: object, right: object) -> bool:
    """JSON equality of two parsed values (True is not 1; 1 is 1.0)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    return type(left) is type(right) and left == right


def args_contain(args: JsonObject, wanted: JsonObject) -> bool:
    """Whether every key of `wanted` is in `args` with an equal value."""
    return all(key in args and json_equal(args[key], value) for key, value in wanted.items())
