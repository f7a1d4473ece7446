"""The storage seam: every backend implements these domain verbs, and one contract suite
(tests/store) checks each of them against every backend.

Times come from the store's clock, so that tests can move it (the PostgreSQL store's default
clock follows the server's, so that every runner compares leases and run_at on one clock). Ids
that do not exist make a verb raise TaskNotFound before anything is changed. No verb touches a
task that is `processing` unless it is the claim's holder finishing it, the reaper
recovering it, or a cancel (store/cancels.py), which takes the claim away so that its
runner's outcome is refused: no other verb tears a running task from under its runner.

Lease fencing: each claim gives its tasks a new `claim_token`. Finish, heartbeat and release
name the claim (ClaimKey: task id and token) and act only while the task still carries that
token, so an attempt that outlived its lease can never touch the attempt that replaced it, even
when the same runner made both claims.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from taskdesk.clock import Clock
from taskdesk.models.runners import ClaimKey, Finished, HostInfo, NextClaim, RunnerInfo
from taskdesk.models.tasks import (
    DurationHistogram,
    InstalledModule,
    LogEntry,
    NewTask,
    Outcome,
    Status,
    Task,
    TaskFilter,
)
from taskdesk.store.accounts import AccountStore
from taskdesk.store.cancels import CancelStore
from taskdesk.store.error_lines import ErrorLineStore
from taskdesk.store.failures import FailureStore
from taskdesk.store.limits import LimitStore
from taskdesk.store.notify import WakeAddress
from taskdesk.store.packages import PackageStore
from taskdesk.store.queues import QueueStore
from taskdesk.store.schedules import ScheduleStore
from taskdesk.store.workflows import WorkflowStore

#: Rows a prune deletes per transaction: each holds the write lock only briefly.
PRUNE_CHUNK = 1_000
#: Tasks a bulk change (set_status_matching, retry_matching, delete_matching) changes per
#: transaction: a million matching rows never hold one long write lock.
MATCH_CHUNK = 1_000
#: The progress a task that completed shows, whatever its attempt reported last.
COMPLETE_PERCENT = 100
#: Added to the logged comment of an attempt whose claim no longer held its task.
LEASE_LOST = " (lease lost: not stored)"
#: Upper bounds (seconds) of duration_histogram's buckets; +Inf follows.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                    60.0, 300.0)


#: What a bulk change by filter runs in its last chunk's transaction: the store bound to that
#: transaction and how many tasks the whole change changed.
AfterChunks = Callable[["Store", int], object]


class Store(Protocol):
    """Where tasks, the task log, runners and installed modules live (see the module doc)."""

    clock: Clock

    @property
    def accounts(self) -> AccountStore:
        """Users, API tokens, web sessions and the audit log (store/accounts.py)."""
        ...

    @property
    def schedules(self) -> ScheduleStore:
        """Recurring schedules and their firing claim (see store/schedules.py)."""
        ...

    @property
    def packages(self) -> PackageStore:
        """Uploaded extension packages, their bytes and sha256 (see store/packages.py)."""
        ...

    @property
    def queues(self) -> QueueStore:
        """Paused queues, which every claim obeys, and each queue's counts (store/queues.py)."""
        ...

    @property
    def cancels(self) -> CancelStore:
        """The one way tasks are cancelled, waiting or running (see store/cancels.py)."""
        ...

    @property
    def error_classes(self) -> FailureStore:
        """Failed tasks grouped by the class of what failed them (store/failures.py)."""
        ...

    @property
    def workflows(self) -> WorkflowStore:
        """Workflows: tasks with dependencies, and their cascade (store/workflows.py)."""
        ...

    @property
    def limits(self) -> LimitStore:
        """Why a task is held by its key's limit, which every claim obeys (store/limits.py)."""
        ...

    @property
    def error_lines(self) -> ErrorLineStore:
        """The error log's lines, every host's (see store/error_lines.py)."""
        ...

    # -- the registry -------------------------------------------------------------------
    def add(self, tasks: Sequence[NewTask], *, replace: bool = True) -> list[Task]:
        """Insert pending tasks in order. With `replace`, first delete the waiting tasks
        (pending, paused, failed) that share a code with a new one; running and completed
        tasks with that code stay. `max_attempts` must be set on each NewTask."""
        ...

    def get(self, task_id: int) -> Task | None:
        """The task with that id, or None."""
        ...

    def list_tasks(
        self, where: TaskFilter, *, cursor: int | None = None, limit: int = 50,
        descending: bool = False, preview: int | None = None,
    ) -> list[Task]:
        """At most `limit` tasks in id order, after (or, descending, before) `cursor`. With
        `preview`, each response holds only its first `preview` characters (a list page
        never loads a 50 MB response)."""
        ...

    def count(self, where: TaskFilter) -> int:
        """How many tasks match."""
        ...

    def set_status(self, task_ids: Sequence[int], status: Status) -> int:
        """Give these tasks a status (not `processing`, which only a claim sets); tasks that
        are processing are left alone. A task set back to `pending` gets a fresh attempt
        budget (attempts 0). Returns how many changed."""
        ...

    def retry(self, task_ids: Sequence[int]) -> int:
        """Give these tasks a fresh start: pending, attempts 0, due now. Processing tasks are
        left alone; returns how many changed."""
        ...

    def retry_matching(self, where: TaskFilter, *, chunk: int = MATCH_CHUNK,
                       then: AfterChunks | None = None) -> int:
        """`retry` every task that matches (as list_tasks does) and is not processing,
        `chunk` tasks per transaction (see set_status_matching)."""
        ...

    def set_status_matching(self, where: TaskFilter, status: Status, *,
                            chunk: int = MATCH_CHUNK, then: AfterChunks | None = None) -> int:
        """`set_status` every task that matches and is not processing, `chunk` tasks per
        transaction in id order (a concurrent claim may take a task between chunks: it is
        then left alone). Returns how many changed. `then(store, changed)` runs in the last
        chunk's transaction, with the total (the change's audit row)."""
        ...

    def delete_matching(self, where: TaskFilter, *, chunk: int = MATCH_CHUNK,
                        then: AfterChunks | None = None) -> int:
        """Delete every task that matches and is not processing, `chunk` per transaction."""
        ...

    def delete(self, task_ids: Sequence[int]) -> int:
        """Delete these tasks unless they are processing; returns how many went."""
        ...

    def delete_by_code(self, code: str) -> int:
        """Delete every task with exactly this code unless it is processing."""
        ...

    def count_extension_tasks(self, extension: str) -> int:
        """How many waiting or running tasks the extension added, or run one of its routes."""
        ...

    def delete_extension_tasks(self, extension: str) -> int:
        """Delete the waiting (pending, paused, failed) tasks the extension added, or that run
        one of its routes; running tasks finish."""
        ...

    def clear(self) -> int:
        """Delete every task that is not processing."""
        ...

    # -- the runner ---------------------------------------------------------------------
    def claim(self, worker_id: str, *, lease_seconds: float, limit: int = 1,
              queues: Sequence[str] | None = None) -> list[Task]:
        """Atomically take up to `limit` due pending tasks (priority, then id), mark them
        processing, owned by `worker_id`, leased for `lease_seconds`, attempts + 1, with a new
        claim token; only tasks of `queues` when given (None: every queue), still in one
        order over all of them. Two concurrent claims never return the same task. Its cost
        does not grow with the number of tasks whose run_at is still to come, nor with the
        tasks of other queues."""
        ...

    def heartbeat(self, runner: RunnerInfo, claims: Sequence[ClaimKey], *,
                  lease_seconds: float) -> int:
        """Extend the leases of these claims that `runner` still holds, and mark the runner
        seen, registering it again if recover() forgot it while it was paused; returns how
        many leases were extended."""
        ...

    def finish(self, task: Task, worker_id: str, outcome: Outcome, *,
               retention_seconds: float) -> bool:
        """End an attempt: log it, and if `worker_id` still holds this claim (the task's
        claim token), store the outcome (a complete task with no retention is deleted).
        False when the lease was lost."""
        ...

    def finish_many(self, worker_id: str, finished: Sequence[Finished], *,
                    retention_seconds: float,
                    then_claim: NextClaim | None = None) -> tuple[list[bool], list[Task]]:
        """finish() each attempt, in order, and with `then_claim` claim() the next tasks: all
        in one transaction, so that a runner pays one commit for a batch and the next claim.
        Returns whether each outcome was stored (False: its lease was lost) and what was
        claimed. If it fails, nothing is stored and nothing claimed."""
        ...

    def landed(self, worker_id: str, finished: Sequence[Finished],
               then_claim: NextClaim | None) -> tuple[list[bool | None], list[Task]]:
        """After a finish_many whose commit may or may not have happened (the connection
        failed during it): for each attempt, whether that commit stored it (True), logged it
        as lost (False) or did not happen (None), read from the task log; and the tasks that
        `then_claim`'s token still holds for `worker_id`. A read: retrying only what did not
        land stores each outcome once and leaves no claimed task orphaned."""
        ...

    def set_progress(self, worker_id: str, claim: ClaimKey, percent: int,
                     message: str) -> bool:
        """Store what a running attempt reports (`percent` 0-100 and a storable `message`,
        both checked by the caller), only while `worker_id` still holds this claim: one
        UPDATE that leaves date_modified and the lease alone. False when the claim is lost.
        The next claim clears progress; finish sets it to COMPLETE_PERCENT when complete
        and keeps the last report otherwise."""
        ...

    def release(self, worker_id: str, claims: Sequence[ClaimKey]) -> int:
        """Give back claimed tasks that were never started, as if never claimed (their
        progress cleared)."""
        ...

    def recover(self, *, lease_seconds: float) -> list[LogEntry]:
        """Return tasks whose lease expired to pending (or failed when they have used their
        attempts), logging each, and forget runners unseen for their own lease
        (`lease_seconds` for runners that recorded none) and hosts long unseen (hosts());
        idempotent, any runner may call it."""
        ...

    def lease_expired(self, before: datetime | None = None) -> int:
        """How many tasks are processing with a lease that ended before `before` (default:
        now), read without waiting on any lock. Right after a recovery that started at
        `before`, these are the tasks it could not take: a dead session still locks them."""
        ...

    def prune(self, *, retention_seconds: float, limit: int = PRUNE_CHUNK) -> int:
        """Delete at most `limit` completed tasks last modified more than `retention_seconds`
        ago, in one short transaction; call again while it returns `limit`."""
        ...

    def prune_log(self, *, retention_seconds: float, limit: int = PRUNE_CHUNK) -> int:
        """Delete at most `limit` task log entries older than `retention_seconds`, in one
        short transaction; call again while it returns `limit`. They stay counted in
        log_counts and duration_histogram (sql/log_totals.py)."""
        ...

    def clock_offset(self) -> float:
        """Seconds by which the database's clock is ahead of this machine's, measured now
        (0 where the database has no clock of its own)."""
        ...

    def wake_address(self) -> WakeAddress:
        """Where an idle runner waits to be told of adds (store/notify.py); None: it
        polls every TASKDESK_POLL_SECONDS."""
        ...

    # -- the task log -------------------------------------------------------------------
    def log(self, *, task_id: int | None = None, cursor: int | None = None,
            limit: int = 50) -> list[LogEntry]:
        """Log entries newest first, older than `cursor`, optionally of one task."""
        ...

    def count_log(self, *, task_id: int | None = None) -> int:
        """How many log entries there are (of one task)."""
        ...

    def clear_log(self) -> int:
        """Delete the whole task log; its entries stay counted (see prune_log)."""
        ...

    # -- the dashboard and /metrics ------------------------------------------------------
    def status_counts(self) -> dict[Status, int]:
        """How many tasks have each status; statuses no task has are absent."""
        ...

    def log_counts(self) -> dict[Status, int]:
        """How many task log entries were ever written with each status (complete, failed;
        pending for an attempt that will be retried or a recovered task), pruned and
        cleared ones included, so the counts never fall; absent when none. An attempt
        logged after its lease was lost counts under none of them (store/log_totals.py).
        Cheap however long the log is (sql/log_totals.py)."""
        ...

    def host_counts(self) -> dict[str, dict[str, int]]:
        """log_counts per host of the runner that wrote each entry, by kind: a status, or
        "lease_lost" (store/log_totals.py); a forgotten host's counts go with it."""
        ...

    def duration_histogram(self) -> DurationHistogram:
        """Every log entry ever written with a duration, counted cumulatively under each of
        DURATION_BUCKETS, with their sum and count; monotonic as log_counts."""
        ...

    def log_per_minute(self, since: datetime) -> dict[tuple[datetime, Status], int]:
        """Log entries added at or after `since` that ended complete or failed, counted per
        (minute, status); the minute is the UTC start of the minute. Minutes without
        entries are absent."""
        ...

    # -- runners ------------------------------------------------------------------------
    def register_runner(self, runner: RunnerInfo) -> None:
        """Record a starting runner; its id is new (host, pid and a random part)."""
        ...

    def unregister_runner(self, runner_id: str) -> None:
        """Forget a runner that stopped cleanly; when it was its host's last, the host is
        stopped (not lost)."""
        ...

    def runners(self) -> list[RunnerInfo]:
        """Registered runners, oldest first (recover() forgets the ones that died)."""
        ...

    def hosts(self) -> list[HostInfo]:
        """The hosts runners ran on, by name: each is written at a runner's start and clean
        stop, and when recover() forgets a dead runner of it (its last heartbeat), and
        forgotten by recover() once unseen for HOST_MEMORY_SECONDS with no runner left."""
        ...

    def forget_host(self, hostname: str) -> bool:
        """An operator forgets a host (and its counters); False if it was not known. A
        runner that starts there later records it again."""
        ...

    def claim_start(self, name: str, holder: str, *, seconds: float) -> bool:
        """Take the start claim `name` for `seconds` unless another holder's claim is still
        live (Run Tasks: one press among many admin processes starts the runner). Atomic:
        of concurrent callers, one gets True."""
        ...

    def release_start(self, name: str, holder: str) -> None:
        """Give the claim back early, if `holder` still holds it."""
        ...

    # -- extensions -----------------------------------------------------------------------
    def installed_modules(self, extension: str | None = None) -> list[InstalledModule]:
        """Modules whose install() has run, of one extension or all, in install order."""
        ...

    def mark_installed(self, extension: str, type_: str, code: str) -> bool:
        """Record a module as installed; False if it already was."""
        ...

    def mark_uninstalled(self, extension: str, type_: str, code: str) -> bool:
        """Forget an installed module; False if it was not installed."""
        ...

    # -- lifetime -----------------------------------------------------------------------
    def atomic(self) -> AbstractContextManager[Store]:
        """A store whose verbs all commit together when the block ends, or not at all."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def recovery_message(worker_id: str | None, attempt: int, retried: bool) -> str:
    """What a recovered task's response and log entry say (every backend says the same)."""
    then = "returned to pending" if retried else "no attempts left: failed"
    return f"lease of runner {worker_id or '?'} expired during attempt {attempt}; {then}"
