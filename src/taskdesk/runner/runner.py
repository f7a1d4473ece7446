"""Runner: claim → run → complete, until nothing is due (`drain`, for `taskdesk start`) or
until asked to stop (`run`, for `taskdesk worker`). Top to bottom: the session, each thread's
loop, a claim (`_step`), its run (`_run_claimed`), its outcome stored (`_record`).

Delivery is at least once: a task whose runner dies mid-attempt is recovered when its lease
expires and runs again. Each claim records the owner, so a runner that lost its lease can
never overwrite the outcome of the attempt that replaced it.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial

from taskdesk.app_path import Application
from taskdesk.config import Settings
from taskdesk.controller import Context, Handler
from taskdesk.errorlog import error_log_of, warnings_logged
from taskdesk.errors import WorkerFailed
from taskdesk.models.actions import route_extension
from taskdesk.models.queues import QueueLimit
from taskdesk.models.retry import RetryPolicy
from taskdesk.models.runners import ClaimKey, Finished, NextClaim, RunnerInfo, runner_id_of
from taskdesk.models.tasks import Outcome, Status, Task
from taskdesk.registry import TaskRegistry
from taskdesk.runner.contain import contained
from taskdesk.runner.execute import cancelled_attempt, execute
from taskdesk.runner.housekeeper import Housekeeper
from taskdesk.runner.lease import LeaseKeeper, register
from taskdesk.runner.outage import backoff, reconnecting
from taskdesk.runner.outcomes import Completer
from taskdesk.runner.pool import ChildRunner
from taskdesk.runner.queue_slots import QueueSlots
from taskdesk.runner.schedule_keeper import DueFirings, ScheduleKeeper
from taskdesk.runner.seams import ActionResolver, RunnerHooks, RunStats
from taskdesk.runner.shutdown import is_abort
from taskdesk.runner.wakeup import Wakeup, open_wakeup
from taskdesk.schedules.firing import Firings
from taskdesk.store import Store
from taskdesk.task_cancel import CancelSignal, watching
from taskdesk.task_progress import ProgressReporter, reporting
from taskdesk.text import error_text, visible
from taskdesk.tracing import attempting
from taskdesk.workflows import reading_parents

logger = logging.getLogger(__name__)

JOIN_SECONDS = 0.2  # how long the worker's main thread waits on a thread between signals


class Runner:
    """One runner process's work: its identity (worker_id), its claims and their outcomes."""

    def __init__(self, store: Store, settings: Settings, *, resolver: ActionResolver,
                 hooks: RunnerHooks | None = None, registry: TaskRegistry | None = None,
                 schedules: DueFirings | None = None, queues: Sequence[QueueLimit] = (),
                 app_class: type[Application] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.resolver = resolver
        self.hooks = hooks or RunnerHooks()
        self.worker_id = runner_id_of(settings.host_name, os.getpid(), uuid.uuid4().hex[:8])
        #: What a running controller's self.tasks is (the desk's: the same allow-list).
        self.registry = registry or TaskRegistry(store, settings)
        self.error_log = error_log_of(settings, lambda: store, clock=store.clock)
        self.retry = RetryPolicy(settings.retry_delay_seconds)
        self.stats = RunStats()
        #: The queues it claims from (all when none) and their caps (taskdesk.models.queues).
        self.slots = QueueSlots(queues)
        self.housekeeper = Housekeeper(store, settings)  # a new one for each session
        #: Fires due schedules (the desk's `schedules`, which also writes @desk.periodic ones).
        self.schedules = schedules or Firings(store, self.registry)
        self.schedule_keeper = ScheduleKeeper(self.schedules, settings.poll_seconds)
        #: Tasks with a timeout or process=True: each child opens the application again from
        #: `app_class` (taskdesk.app.Taskdesk) and `settings.app` (taskdesk.app_path).
        self.children = ChildRunner(store, settings, app_class)

    def drain(self, stop: threading.Event | None = None) -> RunStats:
        """Run due tasks until none is left (or `stop` is set), then return."""
        stop = stop or threading.Event()
        wakeup = open_wakeup(self.store.wake_address(), self.settings.poll_seconds)
        try:  # its listener only hears cancels here: a drain does not wait for adds
            with self._session(wakeup) as keeper:
                self._loop(stop, keeper, None)
        finally:
            wakeup.close()
        return self.stats

    def run(self, stop: threading.Event, *, concurrency: int = 1) -> RunStats:
        """Run due tasks as they come, on `concurrency` threads, until `stop` is set. A thread
        that dies stops the worker (WorkerFailed), so that a supervisor can restart it."""
        died: list[str] = []
        wakeup = open_wakeup(self.store.wake_address(), self.settings.poll_seconds)
        with self._session(wakeup) as keeper:
            threads = [
                threading.Thread(target=self._thread_main, args=(stop, keeper, wakeup, died),
                                 name=f"taskdesk-worker-{n}", daemon=True)
                for n in range(concurrency)
            ]
            for thread in threads:
                thread.start()
            try:
                self._join(threads, stop, wakeup)
            finally:
                wakeup.close()
        if died:
            raise WorkerFailed(f"worker stopped: {'; '.join(died)}; restart it")
        return self.stats

    @staticmethod
    def _join(threads: list[threading.Thread], stop: threading.Event, wakeup: Wakeup) -> None:
        for thread in threads:
            while thread.is_alive():
                thread.join(JOIN_SECONDS)  # a timed join lets signals reach us
                if stop.is_set():
                    wakeup.ring()  # idle threads wait on the wake-up, not on `stop`

    def _thread_main(self, stop: threading.Event, keeper: LeaseKeeper, wakeup: Wakeup,
                     died: list[str]) -> None:
        """A worker thread: the loop, and if it dies anyway, a record of why and a stop."""
        try:
            self._loop(stop, keeper, wakeup)
        except BaseException as error:
            name = threading.current_thread().name
            died.append(f"thread {name} died of {error_text(error)}")
            logger.critical("runner.thread_died thread=%s error=%s: the worker stops",
                            name, error_text(error), exc_info=True)
            stop.set()

    @contextmanager
    def _session(self, wakeup: Wakeup) -> Iterator[LeaseKeeper]:
        info = reconnecting(self._register, "register the runner")
        keeper = LeaseKeeper(self.store, info, self.settings)
        keeper.outage.attempt(self._check_clock)  # a database gone just now: the outage's line
        wakeup.on_cancel = keeper.check_cancels  # a cancel: heartbeat now (runner/lease.py)
        self.housekeeper = Housekeeper(self.store, self.settings, keeper.outage)
        self.schedule_keeper = ScheduleKeeper(self.schedules, self.settings.poll_seconds,
                                              keeper.outage)
        try:
            with warnings_logged(self.error_log):  # the runner's warnings: in the error log too
                keeper.outage.attempt(self.housekeeper.sweep)  # a database gone now: as later
                keeper.outage.attempt(self.schedule_keeper.step)  # start runs what is due now
                with keeper, self.housekeeper, self.schedule_keeper:
                    yield keeper
        except BaseException:
            keeper.expire_now()
            raise
        finally:
            self.stats.recovered = self.housekeeper.recovered
            contained(lambda: self.store.unregister_runner(self.worker_id))

    def _register(self) -> RunnerInfo:
        return register(self.store, self.worker_id, self.settings.lease_seconds,
                        hostname=self.settings.host_name, queues=self.slots.queues,
                        caps=self.slots.caps)

    def _check_clock(self) -> None:
        """Say so when this machine's clock and the database's disagree by more than a third
        of a lease: times this runner shows or logs are off, and on a store that uses the
        local clock, leases would be recovered early or late."""
        offset = self.store.clock_offset()
        if abs(offset) > self.settings.lease_seconds / 3:
            logger.warning("runner.clock_skew this machine's clock is %.1fs %s the database's "
                           "(more than a third of TASKDESK_LEASE_SECONDS=%g)", abs(offset),
                           "behind" if offset > 0 else "ahead of", self.settings.lease_seconds)

    def _loop(self, stop: threading.Event, keeper: LeaseKeeper,
              wakeup: Wakeup | None) -> None:
        """Without a wake-up (drain), return when nothing is due; with one, wait on it."""
        outcomes = Completer(self.store, self.worker_id, self.settings, keeper, self._record)
        try:
            self._rounds(stop, keeper, wakeup, outcomes)
        finally:
            outcomes.store_left()

    def _rounds(self, stop: threading.Event, keeper: LeaseKeeper, wakeup: Wakeup | None,
                outcomes: Completer) -> None:
        failures = 0  # in a row: a worker backs off while the database is away
        while not stop.is_set():
            ticket = wakeup.ticket() if wakeup else 0  # before the claim: no add is missed
            try:
                busy = self._step(stop, keeper, outcomes, recover_when_idle=wakeup is None)
            except Exception as error:
                if wakeup is None:
                    raise
                failures += 1
                keeper.outage.failed(error)
                stop.wait(backoff(self.settings.poll_seconds, failures))
                continue
            failures = 0
            if busy:
                continue
            if wakeup is None:
                return
            wakeup.wait(ticket, self.settings.poll_seconds)

    def _step(self, stop: threading.Event, keeper: LeaseKeeper, outcomes: Completer, *,
              recover_when_idle: bool) -> bool:
        """Store the last task's outcome and claim the next task, in one commit, then run
        it; False when nothing was due (or recovered). One task per claim: no task waits
        in this thread while another runs, and only a task that starts is charged an
        attempt."""
        reservation = self.slots.reserve(1)
        if reservation is None:  # every queue at its cap: wait as when nothing is due
            outcomes.store_then_claim(None)
            return False
        claimed: list[Task] = []
        try:
            claimed = outcomes.store_then_claim(NextClaim(
                reservation.limit, self.settings.lease_seconds, reservation.queues))
        finally:
            self.slots.settle(reservation, claimed)
        if claimed:
            self._run_claimed(claimed, stop, keeper, outcomes)
            return True
        if not recover_when_idle:  # a worker's Housekeeper recovers on its timer
            return False
        return self.housekeeper.recover() > 0

    def _run_claimed(self, claimed: list[Task], stop: threading.Event,
                     keeper: LeaseKeeper, outcomes: Completer) -> None:
        """Run the claimed task (its outcome then waits for the next claim, a moment later);
        if a stop came first, it is given back at once rather than left to its lease, and
        so is the running task if something other than an error or the abort ends this
        thread."""
        unstarted = [ClaimKey.of(task) for task in claimed]
        ended = 0  # tasks whose queue slot is free again
        try:
            for task in claimed:
                if stop.is_set():
                    break
                unstarted.remove(ClaimKey.of(task))
                outcomes.add(task, self._run_one(task, keeper.cancel_signal(ClaimKey.of(task))))
                self.slots.done(task)
                ended += 1
        except Exception:
            raise  # the database: the running task's lease brings it back
        except BaseException as error:
            if not is_abort(error):  # an abort expires every held lease instead
                self._release([ClaimKey.of(claimed[ended])], keeper)
            raise
        finally:
            if unstarted:
                self._release(unstarted, keeper)
            for task in claimed[ended:]:
                self.slots.done(task)

    def _release(self, claims: list[ClaimKey], keeper: LeaseKeeper) -> None:
        keeper.drop(claims)  # if the release fails too, their leases expire instead
        contained(lambda: self.store.release(self.worker_id, claims))

    def _run_one(self, task: Task, cancel: CancelSignal) -> Outcome:
        self._hook(self.hooks.before_task, task)
        reporter = self._reporter(task)
        parents = partial(self.store.workflows.parent_results, task.task_id)
        with attempting(task, enabled=self.settings.tracing) as traced:  # docs/tracing.md
            # taskdesk.progress(), .cancelled() and .parent_results() read the attempt's own
            with reporting(reporter), watching(cancel), reading_parents(parents):
                outcome = self._attempt(task, reporter, cancel)
            reporter.flush()  # the latest report wins: written before the outcome
            return traced.ended(cancelled_attempt(outcome) if cancel() else outcome)

    def _attempt(self, task: Task, reporter: ProgressReporter,
                 cancel: CancelSignal) -> Outcome:
        """One attempt: in this thread, or in a child process when the task has a timeout
        or asks for a process of its own."""
        own = self.resolver.timeout(task.action)
        timeout = self.settings.task_timeout_seconds if own is None else own
        if timeout > 0 or self.resolver.own_process(task.action):
            return self.children.run(task, timeout=timeout or None, retry=self._retry(task),
                                     progress=reporter.report, cancel=cancel)
        return execute(task, partial(self._resolve, progress=reporter, cancel=cancel),
                       retry=self._retry(task), clock=self.store.clock)

    def _reporter(self, task: Task) -> ProgressReporter:
        """The attempt's progress, written only while this claim holds the task."""
        claim = ClaimKey.of(task)
        return ProgressReporter(partial(self.store.set_progress, self.worker_id, claim))

    def _retry(self, task: Task) -> RetryPolicy:
        delay = self.resolver.retry_delay(task.action)
        return self.retry if delay is None else RetryPolicy(delay)

    def _resolve(self, task: Task, *, progress: ProgressReporter | None = None,
                 cancel: CancelSignal | None = None) -> Handler:
        tasks = self.registry.for_extension(task.extension or route_extension(task.action))
        context = Context(tasks=tasks, log=self.error_log.for_task(task.task_id),
                          config=self.settings, task=task, progress=progress, cancel=cancel)
        return self.resolver.resolve(task.action, context)

    def _record(self, finished: Finished, kept: bool) -> None:
        """An outcome is stored (the Completer): say so, count it, call the hook."""
        task, outcome = finished
        if not kept and outcome.status is Status.CANCELLED:
            logger.info("task.cancelled_outcome_refused task_id=%s code=%s", task.task_id,
                        task.code)
        elif not kept:
            logger.warning("task.lease_lost task_id=%s code=%s", task.task_id, task.code)
        if logger.isEnabledFor(logging.INFO):  # one line per task at --verbose
            logger.info("task.%s task_id=%s code=%s action=%s queue=%s attempt=%s "
                        "duration=%.3fs%s", outcome.status.value, task.task_id,
                        visible(task.code), visible(task.action), task.queue, task.attempts,
                        outcome.duration, _failure_suffix(outcome))
        self.stats.count(outcome.status)
        self._hook(self.hooks.after_task, task, outcome)

    @staticmethod
    def _hook(hook: Callable[..., None], *args: object) -> None:
        try:
            hook(*args)
        except Exception:
            logger.exception("runner.hook_failed %s", getattr(hook, "__name__", hook))


def _failure_suffix(outcome: Outcome) -> str:
    """What failed an attempt, for its log line (its class: the comment may be long)."""
    if outcome.error_class is None:
        return ""
    return f" error={visible(outcome.error_class)}"
