"""enqueued / assert_enqueued: what an application's code under test put on the queue.

    signup(client, email="ann@example.com")
    assert_enqueued(send_welcome, user_id=42)

A task is enqueued while it will run: pending (due now or later, a retry too) or paused. Args
are compared as a subset: each argument named must be in the task's args with an equal JSON
value (1 is not true nor 1.0, a tuple is a list); arguments not named are not compared, so
`assert_enqueued(send_welcome)` passes when any welcome is waiting.
"""

from __future__ import annotations

import json
from typing import Any

from taskdesk.definitions import TaskDefinition
from taskdesk.models.tasks import JsonObject, Status, Task, check_args

ENQUEUED = (Status.PENDING, Status.PAUSED)
PAGE = 1000  # the registry's largest page
SHOWN = 20  # tasks a failure message lists


def enqueued(definition: TaskDefinition[..., Any]) -> list[Task]:
    """Every enqueued task of this definition on its desk's current store, oldest first."""
    registry = definition._desk.tasks  # the desk it was registered with, as it is now
    found: list[Task] = []
    for status in ENQUEUED:
        cursor = None
        while page := registry.list_tasks(status=status, action=definition.name,
                                          cursor=cursor, limit=PAGE):
            found += [task for task in page if task.action == definition.name]  # not a
            cursor = page[-1].task_id  # substring: the list's action filter is one
    return sorted(found, key=lambda task: task.task_id)


def assert_enqueued(definition: TaskDefinition[..., Any], /, **args: Any) -> Task:
    """The oldest enqueued task of this definition whose args hold these; AssertionError
    listing what is enqueued for it when there is none."""
    __tracebackhide__ = True  # pytest shows the test's line, not this function's
    wanted = _as_stored(args)
    waiting = enqueued(definition)
    for task in waiting:
        if all(key in task.args and _same(task.args[key], value)
               for key, value in wanted.items()):
            return task
    raise AssertionError(_missing(definition, wanted, waiting))


def _as_stored(args: dict[str, Any]) -> JsonObject:
    """The args as a task's args read back from the store (JSON's values)."""
    loaded: JsonObject = json.loads(json.dumps(check_args(args)))
    return loaded


def _same(stored: object, wanted: object) -> bool:
    """Equal as JSON: Python's 1 == True and 1 == 1.0 are not."""
    return json.dumps(stored, sort_keys=True) == json.dumps(wanted, sort_keys=True)


def _missing(definition: TaskDefinition[..., Any], wanted: JsonObject,
             waiting: list[Task]) -> str:
    with_args = f" with args {wanted!r:.300}" if wanted else ""
    head = f"no enqueued task of {definition.name}{with_args}"
    if not waiting:
        return f"{head}: none of it is enqueued"
    lines = [f"  task {task.task_id} ({task.status.value}): {task.args!r:.300}"
             for task in waiting[:SHOWN]]
    more = [f"  … and {len(waiting) - SHOWN} more"] if len(waiting) > SHOWN else []
    return "\n".join([f"{head}; enqueued for it:", *lines, *more])
