"""Tasks in child processes: a timeout that really stops a task, crash quarantine, and a
process of its own for a task that would stall its runner.

A task with a timeout (its definition's `timeout=`, else TASKDESK_TASK_TIMEOUT_SECONDS), or one
defined with `process=True`, runs each attempt in a fresh child process, forked from a
"forkserver" that imported taskdesk and the application once (so it inherits none of the
runner's threads, locks or database connections; see taskdesk.runner.child). The runner's
thread waits for it while the runner holds the claim and its heartbeats keep the lease alive,
as for any task; a task that holds the GIL (a long C call) stalls only its own process. Its
progress reports come back over the result pipe and are written by the runner.

The child leads a process group, and the attempt is the whole group (taskdesk.runner.family):
past the timeout the group gets SIGTERM, then SIGKILL after a short grace, and the attempt
fails "timed out after N s": a failed attempt, retried as usual. Whatever the task started and
left running is killed when the child ends, however it ends.

A cancelled task (store/cancels.py; its runner's LeaseKeeper raises the attempt's CancelSignal)
is told in its child by SIGUSR1, which the child turns into taskdesk.cancelled() being True
(taskdesk.runner.child), so that it can stop cleanly; a child still running
TASKDESK_CANCEL_GRACE_SECONDS later is terminated as on a timeout (SIGTERM, a short grace,
SIGKILL), and the attempt ends `cancelled` (its outcome refused by the store either way).

A child that exits without sending its outcome (a signal such as SIGSEGV or an OOM kill,
os._exit) fails the attempt with "the task's process died (…)": told by its exit, even while
a process it started still holds the pipe open. Such deaths are counted apart
in the task log; after TASKDESK_MAX_CRASHES of them the task is failed for good rather than
retried. Only a task that runs in a child can be counted: one that kills the runner's own
process (in a thread) takes the runner with it, and its lease brings it back.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Final

from taskdesk.app_path import Application, preload
from taskdesk.config import Settings
from taskdesk.errors import BadProgress
from taskdesk.models.failures import PROCESS_DIED, TIMEOUT
from taskdesk.models.retry import RetryPolicy
from taskdesk.models.tasks import Outcome, Status, Task
from taskdesk.runner.child import ProgressReport, run_child
from taskdesk.runner.execute import failed_attempt
from taskdesk.runner.family import signal_group
from taskdesk.store import Store
from taskdesk.task_cancel import CancelSignal
from taskdesk.text import error_text
from taskdesk.tracing import current_context

logger = logging.getLogger(__name__)

#: Children fork from a server process that imported taskdesk and the application once: a
#: fork of a threaded runner could deadlock, and "spawn" imports everything anew (~0.7 s).
START_METHOD: Final = "forkserver"
PRELOAD = ("taskdesk.runner.child",)  # and the application's modules (app_path.preload)
TERM_GRACE_SECONDS = 1.0  # between SIGTERM and SIGKILL
EXIT_SECONDS = 5.0  # a child that sent its outcome has this long to exit before it is killed
CANCEL_SIGNAL = signal.SIGUSR1  # tells the child its task was cancelled
CANCEL_POLL_SECONDS = 0.1  # how often a runner waiting on a child looks at its cancel
CRASHED = "the task's process died"  # how a crash's log comment starts: the count reads it
_CLOSED: Final = object()  # what reading a pipe whose every writer is closed gives

#: Where a child's progress reports go (the runner's ProgressReporter.report).
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ChildEnd:
    """How a child ended: its outcome if it sent one, else its exit code, or a timeout."""

    outcome: Outcome | None
    exit_code: int | None
    timed_out: bool = False
    cancelled: bool = False  # terminated after the cancel's grace


class ChildRunner:
    """Runs one attempt in a child process and turns its end into the attempt's Outcome."""

    def __init__(self, store: Store, settings: Settings,
                 app_class: type[Application] | None = None) -> None:
        self.store = store
        self.settings = settings
        #: What the child opens the application with (taskdesk.app_path.open_app).
        self.app_class = app_class

    def run(self, task: Task, *, timeout: float | None, retry: RetryPolicy,
            progress: Progress | None = None, cancel: CancelSignal | None = None) -> Outcome:
        """One attempt in a child: at most `timeout` seconds (None: no limit), and at most
        the cancel's grace once `cancel` is raised."""
        started = time.perf_counter()
        end = run_in_child(task, self.settings, self.app_class, timeout=timeout, retry=retry,
                           progress=progress, cancel=cancel)
        if end.outcome is not None:
            return end.outcome
        if cancel is not None and cancel():  # terminated, or died of the news: not a crash
            grace = self.settings.cancel_grace_seconds
            text = (f"cancelled: its process was terminated after {grace:g} s of grace"
                    if end.cancelled else "cancelled: its process ended without an outcome")
            return Outcome(status=Status.CANCELLED, response=None, comment=text,
                           duration=time.perf_counter() - started)
        if end.timed_out:
            logger.warning("task.timed_out task_id=%s timeout=%g", task.task_id, timeout)
            return failed_attempt(task, f"timed out after {timeout or 0:g} s", started=started,
                                  retry=retry, now=self.store.clock(), error_class=TIMEOUT)
        return self._crashed(task, end.exit_code, started=started, retry=retry)

    def _crashed(self, task: Task, exit_code: int | None, *, started: float,
                 retry: RetryPolicy) -> Outcome:
        crashes = self.crashes_before(task) + 1
        limit = self.settings.max_crashes
        reason = f"{CRASHED} ({death(exit_code)})"
        logger.error("task.crashed task_id=%s code=%s %s; crash %d of %d", task.task_id,
                     task.code, reason, crashes, limit)
        if crashes < limit:
            return failed_attempt(task, f"{reason}; crash {crashes} of at most {limit}",
                                  started=started, retry=retry, now=self.store.clock(),
                                  error_class=PROCESS_DIED)
        text = f"{reason}; failed for good after {crashes} crashes (TASKDESK_MAX_CRASHES={limit})"
        return Outcome(status=Status.FAILED, response=text, comment=text,
                       duration=time.perf_counter() - started, error_class=PROCESS_DIED)

    def crashes_before(self, task: Task) -> int:
        """Crashes among this task's earlier attempts since it was added or last retried
        by hand (which starts its attempts again): one log entry per earlier attempt."""
        earlier = task.attempts - 1
        if earlier <= 0:
            return 0
        entries = self.store.log(task_id=task.task_id, limit=earlier)
        return sum(1 for entry in entries if entry.comment.startswith(CRASHED))


def run_in_child(task: Task, settings: Settings, app_class: type[Application] | None, *,
                 timeout: float | None, retry: RetryPolicy,
                 progress: Progress | None = None,
                 cancel: CancelSignal | None = None) -> ChildEnd:
    """Start the child, wait for its outcome up to `timeout` seconds (None: as long as it
    takes), passing on its progress reports; neither it nor any process it started outlives
    this call."""
    context = multiprocessing.get_context(START_METHOD)
    context.set_forkserver_preload([*PRELOAD, *preload(settings, app_class)])
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=run_child,
                              args=(sender, task, settings, retry, app_class,
                                    current_context(enabled=settings.tracing)),
                              name=f"taskdesk-task-{task.task_id}")
    try:
        process.start()
        sender.close()  # only the child (and what it starts) holds the writer now
        watch = _CancelWatch(process, cancel, settings.cancel_grace_seconds)
        return _wait(process, receiver, timeout, progress or _ignore, watch)
    finally:
        stop_child(process)
        receiver.close()


class _CancelWatch:
    """While the runner waits on a child: the cancel, passed on to the child once raised
    (CANCEL_SIGNAL to the child alone), and the end of its grace."""

    def __init__(self, process: BaseProcess, cancel: CancelSignal | None,
                 grace: float) -> None:
        self.process = process
        self.cancel = cancel
        self.grace = grace
        self.until: float | None = None  # the grace's end, once the child was told

    def timeout(self, left: float | None) -> float | None:
        """How long to wait at most before looking at the cancel again."""
        if self.cancel is None:
            return left
        if self.until is None and self.cancel():
            self.until = time.monotonic() + self.grace
            with suppress(ProcessLookupError):
                os.kill(_pid(self.process), CANCEL_SIGNAL)
        if self.until is not None:
            grace_left = max(self.until - time.monotonic(), 0.0)
            return grace_left if left is None else min(left, grace_left)
        return CANCEL_POLL_SECONDS if left is None else min(left, CANCEL_POLL_SECONDS)

    def over(self) -> bool:
        return self.until is not None and time.monotonic() >= self.until


def _wait(process: BaseProcess, receiver: Connection, timeout: float | None,
          progress: Progress, watch: _CancelWatch) -> ChildEnd:
    """The child's outcome, read as it comes; its end is told by its exit, not by the pipe,
    which a process the task started may hold open after the child is gone."""
    deadline = None if timeout is None else time.monotonic() + timeout
    watched: list[Any] = [receiver, process.sentinel]
    while True:
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        ready = wait(watched, watch.timeout(left))
        if not ready and watch.over():
            return ChildEnd(outcome=None, exit_code=None, cancelled=True)
        if not ready and deadline is not None and time.monotonic() >= deadline:
            return ChildEnd(outcome=None, exit_code=None, timed_out=True)
        if not ready:
            continue
        if receiver in ready:
            message = _receive(receiver)
            if isinstance(message, Outcome):
                process.join(EXIT_SECONDS)
                return ChildEnd(outcome=message, exit_code=process.exitcode)
            if message is _CLOSED:
                watched.remove(receiver)  # nothing more can come: wait for the exit alone
            _pass_on(message, progress)
            continue
        return _after_exit(process, receiver if receiver in watched else None, progress)


def _after_exit(process: BaseProcess, receiver: Connection | None,
                progress: Progress) -> ChildEnd:
    """The child exited: what it started is ended (which closes the pipe for good), then
    the outcome it sent just before, if any, is read."""
    process.join()
    signal_group(_pid(process), signal.SIGKILL, leader_alive=False)
    while receiver is not None and receiver.poll(EXIT_SECONDS):
        message = _receive(receiver)
        if isinstance(message, Outcome):
            return ChildEnd(outcome=message, exit_code=process.exitcode)
        if message is _CLOSED:
            break
        _pass_on(message, progress)
    return ChildEnd(outcome=None, exit_code=process.exitcode)


def _receive(receiver: Connection) -> object:
    try:
        return receiver.recv()
    except (EOFError, OSError):
        return _CLOSED
    except Exception as error:  # a message that does not unpickle: the task's own doing
        logger.warning("task.child_message_unreadable %s", error_text(error))
        return None


def _pass_on(message: object, progress: Progress) -> None:
    if isinstance(message, ProgressReport):
        with suppress(BadProgress):  # the child checked it; what else came is ignored
            progress(message.percent, message.message)


def _ignore(percent: float, message: str) -> None:
    """Progress with nowhere to go."""


def stop_child(process: BaseProcess) -> None:
    """SIGTERM to the child's process group, a short grace, then SIGKILL; a child that
    already exited is only reaped, and whatever it left running in its group is killed."""
    if process.pid is None:  # it never started
        return
    pid = process.pid
    if process.is_alive():
        signal_group(pid, signal.SIGTERM, leader_alive=True)
        process.join(TERM_GRACE_SECONDS)
    if process.is_alive():
        signal_group(pid, signal.SIGKILL, leader_alive=True)
        process.join()
    signal_group(pid, signal.SIGKILL, leader_alive=False)


def _pid(process: BaseProcess) -> int:
    pid = process.pid
    assert pid is not None, "a started process has a pid"
    return pid


def death(exit_code: int | None) -> str:
    """How a child died, as the log says it: a signal's number, or its exit code."""
    if exit_code is None:
        return "unknown cause"
    if exit_code < 0:
        return f"signal {-exit_code}"
    return f"exit code {exit_code}"


