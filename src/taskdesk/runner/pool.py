"""Tasks in child processes: a timeout that really stops a task, and crash quarantine.

A task with a timeout (its definition's `timeout=`, else TASKDESK_TASK_TIMEOUT_SECONDS) runs
each attempt in a fresh child process, forked from a "forkserver" that imported taskdesk and
the application once (so it inherits none of the runner's threads, locks or database
connections; see taskdesk.runner.child). The runner's thread waits for it
while the runner holds the claim and its heartbeats keep the lease alive, as for any task.
Past the timeout the child gets SIGTERM, then SIGKILL after a short grace, and the attempt
fails "timed out after N s": a failed attempt, retried as usual.

A child that dies without sending its outcome (a signal such as SIGSEGV or an OOM kill,
os._exit) fails the attempt with "the task's process died (…)". Such deaths are counted apart
in the task log; after TASKDESK_MAX_CRASHES of them the task is failed for good rather than
retried. Only a task that runs in a child can be counted: one that kills the runner's own
process (no timeout, so in a thread) takes the runner with it, and its lease brings it back.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Final

from taskdesk.config import Settings
from taskdesk.models import Outcome, Status, Task
from taskdesk.runner.child import run_child
from taskdesk.runner.execute import failed_attempt
from taskdesk.runner.retry import RetryPolicy
from taskdesk.store.base import Store

logger = logging.getLogger(__name__)

#: Children fork from a server process that imported taskdesk and the application once: a
#: fork of a threaded runner could deadlock, and "spawn" imports everything anew (~0.7 s).
START_METHOD: Final = "forkserver"
PRELOAD = ("taskdesk.runner.child", "taskdesk.app")
TERM_GRACE_SECONDS = 1.0  # between SIGTERM and SIGKILL
EXIT_SECONDS = 5.0  # a child that sent its outcome has this long to exit before it is killed
CRASHED = "the task's process died"  # how a crash's log comment starts: the count reads it


@dataclass(frozen=True)
class ChildEnd:
    """How a child ended: its outcome if it sent one, else its exit code, or a timeout."""

    outcome: Outcome | None
    exit_code: int | None
    timed_out: bool = False


class ChildRunner:
    """Runs one attempt in a child process and turns its end into the attempt's Outcome."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def run(self, task: Task, *, timeout: float, retry: RetryPolicy) -> Outcome:
        started = time.perf_counter()
        end = run_in_child(task, self.settings, timeout=timeout, retry=retry)
        if end.outcome is not None:
            return end.outcome
        if end.timed_out:
            logger.warning("task.timed_out task_id=%s timeout=%g", task.task_id, timeout)
            return failed_attempt(task, f"timed out after {timeout:g} s", started=started,
                                  retry=retry, now=self.store.clock())
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
                                  started=started, retry=retry, now=self.store.clock())
        text = f"{reason}; failed for good after {crashes} crashes (TASKDESK_MAX_CRASHES={limit})"
        return Outcome(status=Status.FAILED, response=text, comment=text,
                       duration=time.perf_counter() - started)

    def crashes_before(self, task: Task) -> int:
        """Crashes among this task's earlier attempts since it was added or last retried
        by hand (which starts its attempts again): one log entry per earlier attempt."""
        earlier = task.attempts - 1
        if earlier <= 0:
            return 0
        entries = self.store.log(task_id=task.task_id, limit=earlier)
        return sum(1 for entry in entries if entry.comment.startswith(CRASHED))


def run_in_child(task: Task, settings: Settings, *, timeout: float,
                 retry: RetryPolicy) -> ChildEnd:
    """Start the child, wait for its outcome up to `timeout` seconds; it never outlives this."""
    context = multiprocessing.get_context(START_METHOD)
    app_module = settings.app.partition(":")[0]
    context.set_forkserver_preload([*PRELOAD, *([app_module] if app_module else [])])
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=run_child, args=(sender, task, settings, retry),
                              name=f"taskdesk-task-{task.task_id}")
    try:
        process.start()
        sender.close()  # the child holds the only writer: its death reads as end of file
        return _wait(process, receiver, timeout)
    finally:
        receiver.close()
        stop_child(process)


def _wait(process: BaseProcess, receiver: Connection, timeout: float) -> ChildEnd:
    if not receiver.poll(timeout):  # True as well when the child died: end of file
        return ChildEnd(outcome=None, exit_code=None, timed_out=True)
    try:
        outcome = receiver.recv()
    except (EOFError, OSError):  # it died before it sent its outcome
        process.join()
        return ChildEnd(outcome=None, exit_code=process.exitcode)
    process.join(EXIT_SECONDS)
    if not isinstance(outcome, Outcome):
        return ChildEnd(outcome=None, exit_code=process.exitcode)
    return ChildEnd(outcome=outcome, exit_code=process.exitcode)


def stop_child(process: BaseProcess) -> None:
    """SIGTERM, a short grace, then SIGKILL; a child that already exited is only reaped."""
    if process.is_alive():
        process.terminate()
        process.join(TERM_GRACE_SECONDS)
    if process.is_alive():
        process.kill()
        process.join()


def death(exit_code: int | None) -> str:
    """How a child died, as the log says it: a signal's number, or its exit code."""
    if exit_code is None:
        return "unknown cause"
    if exit_code < 0:
        return f"signal {-exit_code}"
    return f"exit code {exit_code}"


