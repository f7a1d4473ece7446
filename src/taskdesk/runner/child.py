"""The child side of a task that runs in its own process (see taskdesk.runner.pool).

The child gets the task as data (its action and args) and the runner's settings, never code:
it imports the application itself (TASKDESK_APP, or the module its runner's desk was found
in), resolves the action through the same allow-list as any runner, runs one attempt with
execute() and sends the Outcome back. If it dies before sending, its parent counts a crash.
Its progress reports (throttled here as in a runner) go back over the same pipe, before the
outcome. It leads its own process group and dies with its runner (taskdesk.runner.family).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from functools import partial
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from taskdesk.config import Settings
from taskdesk.controller import Context, Handler
from taskdesk.errorlog import ErrorLog
from taskdesk.models.actions import route_extension
from taskdesk.models.retry import RetryPolicy
from taskdesk.models.tasks import Outcome, Status, Task
from taskdesk.runner.execute import execute
from taskdesk.runner.family import die_with_runner, end_warden, lead_own_group
from taskdesk.task_progress import ProgressReporter, reporting
from taskdesk.text import error_text, storable

if TYPE_CHECKING:
    from taskdesk.app import Taskdesk


@dataclass(frozen=True)
class ProgressReport:
    """A progress report on its way from the child to its runner, which stores it."""

    percent: int
    message: str


def run_child(sender: Connection, task: Task, settings: Settings, retry: RetryPolicy) -> None:
    """The child process's whole life: one attempt, its progress and outcome sent to the
    parent."""
    lead_own_group()
    warden = die_with_runner(sender)
    try:
        sender.send(_attempt(sender, task, settings, retry))
    finally:
        end_warden(warden)


def _attempt(sender: Connection, task: Task, settings: Settings, retry: RetryPolicy) -> Outcome:
    started = time.perf_counter()
    try:
        desk = open_desk(settings)
    except Exception as error:  # the application would not load: the attempt fails, once
        reason = storable(f"the task's process could not load the application: "
                          f"{error_text(error)}")
        return Outcome(status=Status.FAILED, response=reason, comment=reason,
                       duration=time.perf_counter() - started)
    reporter = ProgressReporter(partial(_send_progress, sender))
    with desk, reporting(reporter):
        outcome = execute(task, lambda claimed: _handler(desk, claimed, reporter), retry=retry,
                          clock=desk.store.clock)
    reporter.flush()  # the latest report goes before the outcome
    return outcome


def _send_progress(sender: Connection, percent: int, message: str) -> bool:
    sender.send(ProgressReport(percent, message))
    return True


def open_desk(settings: Settings) -> Taskdesk:
    """The application's desk (so its registered tasks are known) with the runner's settings."""
    from taskdesk.app import Taskdesk, load_app  # the child is an entry point, as the CLI is

    desk = load_app(settings.app) if settings.app else Taskdesk(settings)
    desk.configure(**{field.name: getattr(settings, field.name) for field in fields(settings)})
    return desk


def _handler(desk: Taskdesk, task: Task, progress: ProgressReporter) -> Handler:
    tasks = desk.tasks.for_extension(task.extension or route_extension(task.action))
    context = Context(tasks=tasks, log=ErrorLog(desk.settings.error_log, clock=desk.store.clock),
                      config=desk.settings, task=task, progress=progress)
    return desk.handlers.resolve(task.action, context)
