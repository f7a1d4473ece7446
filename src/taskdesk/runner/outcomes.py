"""PendingOutcomes: the ended attempts of one worker thread that are not stored yet.

They are stored together with the thread's next claim, in one transaction (Store.finish_many):
one commit per claim batch instead of two per task. An outcome waits until the next claim, or
is stored before the batch's next task once FLUSH_SECONDS have passed since the oldest waiting
attempt started; so a quick task's outcome can wait while a slow one later in its batch runs.
Meanwhile its task stays processing and its lease is kept alive: a runner that dies before
storing it only makes it run again (at-least-once, as documented). Its hooks and log lines
come once it is stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from taskdesk.config import Settings
from taskdesk.errors import StoreUnavailable
from taskdesk.models import Outcome, Status, Task
from taskdesk.runner.lease import LeaseKeeper
from taskdesk.runner.outage import reconnecting
from taskdesk.store.base import ClaimKey, Finished, NextClaim, Store
from taskdesk.text import error_text, storable

logger = logging.getLogger(__name__)

#: The longest an ended attempt waits for the batch's next tasks before it is stored alone.
FLUSH_SECONDS = 0.05
SHORT_FAILURE_BYTES = 4 * 1024  # of the failure stored when an outcome could not be

#: Told of each stored outcome: the attempt (with what was stored) and whether the claim still
#: held the task.
Recorder = Callable[[Finished, bool], None]


class PendingOutcomes:
    def __init__(self, store: Store, worker_id: str, settings: Settings,
                 keeper: LeaseKeeper, record: Recorder) -> None:
        self.store = store
        self.worker_id = worker_id
        self.retention_seconds = settings.retention_seconds
        self.keeper = keeper
        self.record = record
        self._waiting: list[Finished] = []
        self._since = 0.0

    def add(self, task: Task, outcome: Outcome) -> None:
        if not self._waiting:  # when the oldest waiting attempt started
            self._since = time.monotonic() - outcome.duration
        self._waiting.append(Finished(task, outcome))

    def store_if_overdue(self) -> None:
        """Between a batch's tasks: store what ended, if the batch has run FLUSH_SECONDS
        since the oldest of it started (a slow task is not held back by the next ones)."""
        if self._waiting and time.monotonic() - self._since >= FLUSH_SECONDS:
            self.store_then_claim(None)

    def store_then_claim(self, then_claim: NextClaim | None) -> list[Task]:
        """Store the waiting outcomes and claim the next tasks, in one transaction. Their
        claims are dropped first, so that no heartbeat races the finish; if the database is
        out of reach, their leases bring them back."""
        waiting, self._waiting = self._waiting, []
        self.keeper.drop([ClaimKey.of(item.task) for item in waiting])
        kept, stored, claimed = self._write(waiting, then_claim)
        for item, ok in zip(stored, kept, strict=True):
            self.record(item, ok)
        return claimed

    def store_left(self) -> None:
        """At the end of a thread's loop: store what is still waiting, or leave it to the
        leases if the database refuses."""
        if self._waiting:
            LeaseKeeper.contained(lambda: self.store_then_claim(None))

    def _write(self, waiting: list[Finished], then_claim: NextClaim | None,
               ) -> tuple[list[bool], list[Finished], list[Task]]:
        try:
            kept, claimed = self._reconnecting(waiting, then_claim)
            return kept, waiting, claimed
        except StoreUnavailable:
            raise
        except Exception as error:  # one outcome the database refuses: store each alone
            if not waiting:
                raise
            logger.warning("store.batch_refused storing %d outcomes one by one: %s",
                           len(waiting), error_text(error))
        stored = [self._alone(item) for item in waiting]
        claimed = self._reconnecting([], then_claim)[1] if then_claim else []
        return [ok for ok, _ in stored], [item for _, item in stored], claimed

    def _reconnecting(self, waiting: Sequence[Finished], then_claim: NextClaim | None,
                      ) -> tuple[list[bool], list[Task]]:
        """Tried once more when the database had closed the pooled connection (a restart,
        pg_terminate_backend): the next try opens a new one, and the claim tokens make it a
        no-op for outcomes stored after all. Without it, tasks that ran would be left to
        their leases, recovered and run again: repeats with no crash behind them."""
        def write() -> tuple[list[bool], list[Task]]:
            return self.store.finish_many(self.worker_id, waiting,
                                          retention_seconds=self.retention_seconds,
                                          then_claim=then_claim)
        return reconnecting(write, f"store {len(waiting)} outcomes")

    def _alone(self, item: Finished) -> tuple[bool, Finished]:
        """Store one outcome; if the database refuses it, a short failure that says why."""
        try:
            return self._reconnecting([item], None)[0][0], item
        except StoreUnavailable:
            raise
        except Exception as error:
            task, outcome = item
            reason = storable(f"the outcome ({outcome.status.value}) could not be stored: "
                              f"{error_text(error)}", SHORT_FAILURE_BYTES)
            logger.error("task.unstorable task_id=%s code=%s %s", task.task_id, task.code,
                         reason)
            short = Finished(task, Outcome(status=Status.FAILED, response=reason,
                                           comment=reason, duration=outcome.duration))
            return self._reconnecting([short], None)[0][0], short
