"""The child side of a task that runs in its own process (see taskdesk.runner.pool).

The child gets the task as data (its action and args), the runner's settings and the
application's class, never code: it opens the application itself (taskdesk.app_path.open_app:
TASKDESK_APP, or the module its runner's desk was found in), resolves the action through the
same allow-list as any runner, runs one attempt with execute() and sends the Outcome back. If
it dies before sending, its parent counts a crash. Its progress reports (throttled here as in a
runner) go back over the same pipe, before the outcome. It leads its own process group and dies
with its runner (taskdesk.runner.family). When its task is cancelled, its runner sends it
SIGUSR1 (pool.CANCEL_SIGNAL), whose handler only raises the attempt's CancelSignal: the task
reads it as taskdesk.cancelled() and may stop cleanly before its grace runs out.
"""

from __future__ import annotations

import signal
import time
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection

from taskdesk.app_path import Application, open_app
from taskdesk.config import Settings
from taskdesk.controller import Context, Handler
from taskdesk.errorlog import error_log_of
from taskdesk.models.actions import route_extension
from taskdesk.models.failures import APP_NOT_LOADED
from taskdesk.models.retry import RetryPolicy
from taskdesk.models.tasks import Outcome, Status, Task
from taskdesk.runner.execute import execute
from taskdesk.runner.family import die_with_runner, end_warden, lead_own_group
from taskdesk.task_cancel import CancelSignal, watching
from taskdesk.task_progress import ProgressReporter, reporting
from taskdesk.text import error_text, storable
from taskdesk.tracing import flush as flush_spans
from taskdesk.tracing import resumed
from taskdesk.workflows import reading_parents


@dataclass(frozen=True)
class ProgressReport:
    """A progress report on its way from the child to its runner, which stores it."""

    percent: int
    message: str


def run_child(sender: Connection, task: Task, settings: Settings, retry: RetryPolicy,
              app_class: type[Application] | None, trace_context: str | None = None) -> None:
    """The child process's whole life: one attempt, its progress and outcome sent to the
    parent. `trace_context`: the attempt's span, the task's own spans' parent (tracing)."""
    lead_own_group()
    cancel = CancelSignal()
    signal.signal(signal.SIGUSR1, lambda signum, frame: cancel.set())  # only sets a flag
    warden = die_with_runner(sender)
    try:
        with resumed(trace_context, enabled=settings.tracing):
            outcome = _attempt(sender, task, settings, retry, app_class, cancel)
        sender.send(outcome)
    finally:
        end_warden(warden)
        flush_spans(enabled=settings.tracing)  # after the outcome, which is not kept waiting


def _attempt(sender: Connection, task: Task, settings: Settings, retry: RetryPolicy,
             app_class: type[Application] | None, cancel: CancelSignal) -> Outcome:
    started = time.perf_counter()
    try:
        app = open_app(settings, app_class)
    except Exception as error:  # the application would not load: the attempt fails, once
        reason = storable(f"the task's process could not load the application: "
                          f"{error_text(error)}")
        return Outcome(status=Status.FAILED, response=reason, comment=reason,
                       duration=time.perf_counter() - started, error_class=APP_NOT_LOADED)
    reporter = ProgressReporter(partial(_send_progress, sender))
    parents = partial(app.store.workflows.parent_results, task.task_id)
    with closing(app), reporting(reporter), watching(cancel), reading_parents(parents):
        outcome = execute(task, lambda claimed: _handler(app, claimed, reporter, cancel),
                          retry=retry, clock=app.store.clock)
    reporter.flush()  # the latest report goes before the outcome
    return outcome


def _send_progress(sender: Connection, percent: int, message: str) -> bool:
    sender.send(ProgressReport(percent, message))
    return True


def _handler(app: Application, task: Task, progress: ProgressReporter,
             cancel: CancelSignal) -> Handler:
    tasks = app.tasks.for_extension(task.extension or route_extension(task.action))
    log = error_log_of(app.settings, lambda: app.store, clock=app.store.clock)
    context = Context(tasks=tasks, log=log.for_task(task.task_id),
                      config=app.settings, task=task, progress=progress, cancel=cancel)
    return app.handlers.resolve(task.action, context)
