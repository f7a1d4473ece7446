"""Completer: a worker thread's ended attempt, kept until it is stored.

Each outcome is stored in the same transaction that claims the thread's next task
(Store.finish_many): one short commit per task, taken before the next task starts, so that
no other task is held, and no attempt charged, while a task runs. A kill can then repeat only
the task that was running (the outcome before it is already stored).

An outcome is never dropped. Its claim stays with the LeaseKeeper (heartbeats go on) until the
database has stored it; a failed write leaves it waiting, and the thread's loop tries again
after a backoff. A write whose commit was never confirmed (the connection failed during it) may
have landed: the next try first asks the database what did (Store.landed), so that each
outcome is stored once and a task that commit claimed is run, not orphaned.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence

from taskdesk.config import Settings
from taskdesk.errors import StoreUnavailable
from taskdesk.models.failures import NOT_STORED
from taskdesk.models.runners import ClaimKey, Finished, NextClaim
from taskdesk.models.tasks import Outcome, Status, Task
from taskdesk.runner.lease import LeaseKeeper
from taskdesk.runner.outage import backoff, stale_connection
from taskdesk.store import Store
from taskdesk.text import error_text, storable

logger = logging.getLogger(__name__)

SHORT_FAILURE_BYTES = 4 * 1024  # of the failure stored when an outcome could not be
FIRST_RETRY_SECONDS = 0.05  # at the end of a thread's loop, the first wait between tries

#: Told of each stored outcome: the attempt (with what was stored) and whether the claim still
#: held the task.
Recorder = Callable[[Finished, bool], None]


class Completer:
    def __init__(self, store: Store, worker_id: str, settings: Settings,
                 keeper: LeaseKeeper, record: Recorder) -> None:
        self.store = store
        self.worker_id = worker_id
        self.settings = settings
        self.keeper = keeper
        self.record = record
        self._waiting: list[Finished] = []
        self._unsure = False  # the last write failed, and its commit may have landed
        self._last_claim: NextClaim | None = None  # the claim that write asked for

    def add(self, task: Task, outcome: Outcome) -> None:
        self._waiting.append(Finished(task, outcome))

    def store_then_claim(self, then_claim: NextClaim | None) -> list[Task]:
        """Store the waiting outcomes and claim the next tasks, in one transaction; tried
        once more at once when the database had closed the pooled connection (a restart,
        pg_terminate_backend). On failure nothing is dropped and the error is raised."""
        if then_claim is not None:
            then_claim = then_claim._replace(token=uuid.uuid4().hex)
        try:
            return self._attempt(then_claim)
        except StoreUnavailable as error:
            if not stale_connection(error):
                raise
            logger.info("store.reconnecting to store %d outcomes: %s", len(self._waiting),
                        error)
            return self._attempt(then_claim)

    def store_left(self) -> None:
        """At the end of a thread's loop: store what still waits, trying again with backoff
        for up to half a lease (the keeper still renews its leases); then leave it to them."""
        deadline = time.monotonic() + self.settings.lease_seconds / 2
        tries = 0
        while self._waiting or self._unsure:
            try:
                self.store_then_claim(None)
            except Exception as error:
                tries += 1
                if time.monotonic() >= deadline:
                    logger.warning("store.gave_up %d outcomes left to their leases: %s",
                                   len(self._waiting), error_text(error))
                    return
                time.sleep(min(backoff(FIRST_RETRY_SECONDS, tries),
                               max(0.0, deadline - time.monotonic())))

    def _attempt(self, then_claim: NextClaim | None) -> list[Task]:
        held = self._settle(then_claim) if self._unsure else []
        if held:
            then_claim = None  # the unconfirmed commit claimed them: nothing more to claim
        waiting = list(self._waiting)
        self._unsure, self._last_claim = True, then_claim
        with self.keeper.storing([ClaimKey.of(item.task) for item in waiting]):
            try:
                kept, stored, claimed = self._write(waiting, then_claim)
            except StoreUnavailable:
                raise  # still unsure: the commit may have landed
            except BaseException:
                self._unsure = False  # refused: rolled back, nothing landed
                raise
            self._unsure = False
            self._waiting = []
            self._stored(stored, kept)
        return held + claimed

    def _settle(self, then_claim: NextClaim | None) -> list[Task]:
        """After an unconfirmed commit: what it stored is recorded, what it claimed returned
        (or released, when no claim is wanted now); the rest still waits."""
        states, held = self.store.landed(self.worker_id, self._waiting, self._last_claim)
        landed = [(item, ok) for item, ok in zip(self._waiting, states, strict=True)
                  if ok is not None]
        self._waiting = [item for item, ok in zip(self._waiting, states, strict=True)
                         if ok is None]
        self._unsure = False
        self._stored([item for item, _ in landed], [ok for _, ok in landed])
        if held and then_claim is None:
            self.store.release(self.worker_id, [ClaimKey.of(t) for t in held])
            return []
        self.keeper.hold(held)
        return held

    def _stored(self, stored: Sequence[Finished], kept: Sequence[bool]) -> None:
        """Outcomes the database has: their claims are done with, their hooks called."""
        self.keeper.drop([ClaimKey.of(item.task) for item in stored])
        for item, ok in zip(stored, kept, strict=True):
            self.record(item, ok)
        if stored:
            self.keeper.outage.succeeded()  # a write landed: the database is back

    def _write(self, waiting: list[Finished], then_claim: NextClaim | None,
               ) -> tuple[list[bool], list[Finished], list[Task]]:
        try:
            kept, claimed = self._finish(waiting, then_claim)
            return kept, waiting, claimed
        except StoreUnavailable:
            raise
        except Exception as error:  # one outcome the database refuses: store each alone
            if not waiting:
                raise
            logger.warning("store.batch_refused storing %d outcomes one by one: %s",
                           len(waiting), error_text(error))
        stored = [self._alone(item) for item in waiting]
        claimed = self._finish([], then_claim)[1] if then_claim else []
        return [ok for ok, _ in stored], [item for _, item in stored], claimed

    def _finish(self, waiting: Sequence[Finished], then_claim: NextClaim | None,
                ) -> tuple[list[bool], list[Task]]:
        kept, claimed = self.store.finish_many(
            self.worker_id, waiting, retention_seconds=self.settings.retention_seconds,
            then_claim=then_claim)
        if claimed:
            self.keeper.hold(claimed)
            self.keeper.outage.succeeded()
        return kept, claimed

    def _alone(self, item: Finished) -> tuple[bool, Finished]:
        """Store one outcome; if the database refuses it, a short failure that says why."""
        try:
            return self._finish([item], None)[0][0], item
        except StoreUnavailable:
            raise
        except Exception as error:
            task, outcome = item
            reason = storable(f"the outcome ({outcome.status.value}) could not be stored: "
                              f"{error_text(error)}", SHORT_FAILURE_BYTES)
            logger.error("task.unstorable task_id=%s code=%s %s", task.task_id, task.code,
                         reason)
            short = Finished(task, Outcome(status=Status.FAILED, response=reason,
                                           comment=reason, duration=outcome.duration,
                                           error_class=NOT_STORED))
            return self._finish([short], None)[0][0], short
