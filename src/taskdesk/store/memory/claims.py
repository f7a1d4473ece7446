"""The claim, the lease and the end of an attempt, in memory: claim, heartbeat, finish,
finish_many, landed, progress, release, recover and prune (the SQL stores' are in
sql/claims.py and sql/finish.py). The lock makes each verb one atomic step."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from taskdesk.models.failures import LEASE_EXPIRED
from taskdesk.models.runners import ClaimKey, Finished, NextClaim, RunnerInfo
from taskdesk.models.tasks import LogEntry, Outcome, Status, Task
from taskdesk.models.workflows import ENDED
from taskdesk.store.memory.limits import MemoryLimitStore
from taskdesk.store.memory.queues import MemoryQueueStore
from taskdesk.store.memory.state import MemoryState
from taskdesk.store.memory.workflows import MemoryWorkflowStore
from taskdesk.store.protocol import COMPLETE_PERCENT, LEASE_LOST, PRUNE_CHUNK, recovery_message


class MemoryClaimVerbs(MemoryState):
    queues: MemoryQueueStore  # the store's pauses, which the claim obeys
    workflows: MemoryWorkflowStore  # finish and recover settle a workflow's children
    limits: MemoryLimitStore  # the limits by key, which the claim obeys

    def claim(self, worker_id: str, *, lease_seconds: float, limit: int = 1,
              queues: Sequence[str] | None = None, token: str | None = None) -> list[Task]:
        with self._lock:
            now = self.clock()
            due = self.limits.admit(sorted(
                (t for t in self._tasks.values()
                 if t.status is Status.PENDING and t.run_at <= now
                 and (queues is None or t.queue in queues)
                 and not self.queues.is_paused(t.queue)),
                key=lambda t: (-t.priority, t.task_id),
            ), limit, now)
            expires = now + timedelta(seconds=lease_seconds)
            token = token or uuid.uuid4().hex
            claimed = [
                replace(t, status=Status.PROCESSING, worker_id=worker_id,
                        lease_expires_at=expires, attempts=t.attempts + 1, date_modified=now,
                        claim_token=token, progress=None, progress_message=None)
                for t in due
            ]
            self._tasks.update((t.task_id, t) for t in claimed)
            return claimed

    def _owned(self, worker_id: str, claims: Sequence[ClaimKey]) -> list[Task]:
        """The tasks of these claims that `worker_id` still holds."""
        found = ((self._tasks.get(key.task_id), key.token) for key in dict.fromkeys(claims))
        return [t for t, token in found if t is not None and t.worker_id == worker_id
                and t.status is Status.PROCESSING and t.claim_token == token]

    def heartbeat(self, runner: RunnerInfo, claims: Sequence[ClaimKey], *,
                  lease_seconds: float) -> int:
        with self._lock:
            now = self.clock()
            if runner.runner_id not in self._runners:  # forgotten while it was paused
                self._host_seen(runner.hostname, now)
            seen = self._runners.get(runner.runner_id, runner)
            self._runners[runner.runner_id] = replace(seen, last_seen_at=now)
            owned = self._owned(runner.runner_id, claims)
            expires = now + timedelta(seconds=lease_seconds)
            self._tasks.update((t.task_id, replace(t, lease_expires_at=expires)) for t in owned)
            return len(owned)

    def finish(self, task: Task, worker_id: str, outcome: Outcome, *,
               retention_seconds: float) -> bool:
        with self._lock:
            now = self.clock()
            kept = task.claim_token is not None and bool(
                self._owned(worker_id, [ClaimKey.of(task)]))
            if kept and outcome.status is Status.COMPLETE and retention_seconds <= 0:
                del self._tasks[task.task_id]
            elif kept:
                current = self._tasks[task.task_id]
                self._tasks[task.task_id] = replace(
                    current, status=outcome.status, response=outcome.response, worker_id=None,
                    lease_expires_at=None, run_at=outcome.retry_at or current.run_at,
                    date_modified=now, claim_token=None, progress=COMPLETE_PERCENT
                    if outcome.status is Status.COMPLETE else current.progress,
                    error_class=outcome.error_class,
                )
            comment = outcome.comment if kept else f"{outcome.comment}{LEASE_LOST}"
            self._append_log(task, outcome.status, comment, outcome.duration, worker_id)
            if kept and outcome.status.value in ENDED:
                self.workflows.settle([(task.task_id, outcome.status.value, outcome.response)])
            return kept

    def finish_many(self, worker_id: str, finished: Sequence[Finished], *,
                    retention_seconds: float,
                    then_claim: NextClaim | None = None) -> tuple[list[bool], list[Task]]:
        with self._lock:  # reentrant: one block, as one transaction
            kept = [self.finish(task, worker_id, outcome, retention_seconds=retention_seconds)
                    for task, outcome in finished]
            if then_claim is None:
                return kept, []
            return kept, self.claim(worker_id, limit=then_claim.limit,
                                    lease_seconds=then_claim.lease_seconds,
                                    queues=then_claim.queues, token=then_claim.token)

    def landed(self, worker_id: str, finished: Sequence[Finished],
               then_claim: NextClaim | None) -> tuple[list[bool | None], list[Task]]:
        with self._lock:
            logged = {(e.task_id, e.attempt): not e.comment.endswith(LEASE_LOST)
                      for e in self._log if e.worker_id == worker_id and e.duration is not None}
            token = then_claim.token if then_claim else None
            held = [t for t in self._tasks.values() if token is not None
                    and t.claim_token == token and t.worker_id == worker_id
                    and t.status is Status.PROCESSING]
            return [logged.get((t.task_id, t.attempts)) for t, _ in finished], held

    def set_progress(self, worker_id: str, claim: ClaimKey, percent: int,
                     message: str) -> bool:
        with self._lock:
            owned = self._owned(worker_id, [claim])
            self._tasks.update((t.task_id, replace(t, progress=percent,
                                                   progress_message=message)) for t in owned)
            return bool(owned)

    def release(self, worker_id: str, claims: Sequence[ClaimKey]) -> int:
        with self._lock:
            owned = self._owned(worker_id, claims)
            for t in owned:
                self._tasks[t.task_id] = replace(
                    t, status=Status.PENDING, worker_id=None, lease_expires_at=None,
                    attempts=t.attempts - 1, date_modified=self.clock(), claim_token=None,
                    progress=None, progress_message=None,
                )
            return len(owned)

    def recover(self, *, lease_seconds: float) -> list[LogEntry]:
        with self._lock:
            now = self.clock()
            dead = [info for info in self._runners.values()
                    if not info.alive(now, lease_seconds)]
            for info in dead:
                del self._runners[info.runner_id]
            self._note_dead(dead, now)
            expired = [t for t in self._tasks.values() if t.status is Status.PROCESSING
                       and t.lease_expires_at is not None and t.lease_expires_at < now]
            return [self._recover_one(t) for t in expired]

    def lease_expired(self, before: datetime | None = None) -> int:
        with self._lock:
            before = before or self.clock()
            return sum(1 for t in self._tasks.values() if t.status is Status.PROCESSING
                       and t.lease_expires_at is not None and t.lease_expires_at < before)

    def _recover_one(self, task: Task) -> LogEntry:
        retried = task.attempts < task.max_attempts
        status = Status.PENDING if retried else Status.FAILED
        message = recovery_message(task.worker_id, task.attempts, retried)
        self._tasks[task.task_id] = replace(
            task, status=status, response=message, worker_id=None, lease_expires_at=None,
            run_at=self.clock(), date_modified=self.clock(), claim_token=None,
            error_class=LEASE_EXPIRED,
        )
        if not retried:
            self.workflows.settle([(task.task_id, "failed", message)])
        return self._append_log(task, status, message, None, task.worker_id)

    def prune(self, *, retention_seconds: float, limit: int = PRUNE_CHUNK) -> int:
        with self._lock:
            before = self.clock() - timedelta(seconds=retention_seconds)
            return self._drop([t.task_id for t in self._tasks.values()
                               if t.status is Status.COMPLETE and t.date_modified < before]
                              [:limit])
