"""The child side of a task that runs in its own process (see taskdesk.runner.pool).

The child gets the task as data (its action and args) and the runner's settings, never code:
it imports the application itself (TASKDESK_APP, or the module its runner's desk was found
in), resolves the action through the same allow-list as any runner, runs one attempt with
execute() and sends the Outcome back. If it dies before sending, its parent counts a crash.
"""

from __future__ import annotations

import time
from dataclasses import fields
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from taskdesk.actions import route_extension
from taskdesk.config import Settings
from taskdesk.controller import Context, Handler
from taskdesk.errorlog import ErrorLog
from taskdesk.models import Outcome, Status, Task
from taskdesk.runner.execute import execute
from taskdesk.runner.retry import RetryPolicy
from taskdesk.text import error_text, storable

if TYPE_CHECKING:
    from taskdesk.app import Taskdesk


def run_child(sender: Connection, task: Task, settings: Settings, retry: RetryPolicy) -> None:
    """The child process's whole life: one attempt, its outcome sent to the parent."""
    started = time.perf_counter()
    try:
        desk = open_desk(settings)
    except Exception as error:  # the application would not load: the attempt fails, once
        reason = storable(f"the task's process could not load the application: "
                          f"{error_text(error)}")
        sender.send(Outcome(status=Status.FAILED, response=reason, comment=reason,
                            duration=time.perf_counter() - started))
        return
    with desk:
        outcome = execute(task, lambda claimed: _handler(desk, claimed), retry=retry,
                          clock=desk.store.clock)
    sender.send(outcome)


def open_desk(settings: Settings) -> Taskdesk:
    """The application's desk (so its registered tasks are known) with the runner's settings."""
    from taskdesk.app import Taskdesk, load_app  # the child is an entry point, as the CLI is

    desk = load_app(settings.app) if settings.app else Taskdesk(settings)
    desk.configure(**{field.name: getattr(settings, field.name) for field in fields(settings)})
    return desk


def _handler(desk: Taskdesk, task: Task) -> Handler:
    tasks = desk.tasks.for_extension(task.extension or route_extension(task.action))
    context = Context(tasks=tasks, log=ErrorLog(desk.settings.error_log, clock=desk.store.clock),
                      config=desk.settings, task=task)
    return desk.handlers.resolve(task.action, context)
