"""Housekeeper: a thread that recovers expired leases and prunes old rows, every lease period.

It runs apart from the LeaseKeeper, so that a prune of many rows never delays a heartbeat.
Pruning goes in chunks, each its own short transaction, with a pause after each as long as
the chunk took: other writers (heartbeats, claims; on SQLite, every writer) get the database
at least half of the time however much there is to prune.

Recovery holds off for a lease period after the store's clock steps forward (an NTP step,
`date -s`; taskdesk.clock.StepWatch): leases are written in that clock's time, so after a step
larger than a lease every live lease looks expired until its runner's next heartbeats renew
it in the new time. On SQLite every runner of the host shares the stepped clock; on
PostgreSQL the store's clock measures the server's again on a local step.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from taskdesk.clock import StepWatch
from taskdesk.config import Settings
from taskdesk.runner.outage import Outage, reconnecting
from taskdesk.runner.periodic import Periodic
from taskdesk.store import PRUNE_CHUNK, Store

logger = logging.getLogger(__name__)

MIN_PAUSE_SECONDS = 0.005  # between two prune chunks, at least


class Housekeeper(Periodic):
    """Recovery and pruning for one runner; `recovered` counts the tasks it recovered, and
    `stuck` the expired tasks its last pass could not take (report_stuck)."""

    name = "taskdesk-housekeeping"

    def __init__(self, store: Store, settings: Settings, outage: Outage | None = None, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__(outage)
        self.store = store
        self.settings = settings
        self.interval = settings.lease_seconds
        self.recovered = 0
        self.stuck = 0  # expired but locked processing tasks, at the last recovery pass
        self._monotonic = monotonic
        self._steps = StepWatch(store.clock, monotonic=monotonic)
        self._held_until = 0.0  # monotonic: no recovery before, after a clock step

    def step(self) -> int:
        return self.sweep()

    def sweep(self) -> int:
        """Recover, then prune both tables; returns the tasks recovered."""
        recovered = self.recover()
        self.prune()
        return recovered

    def recover(self) -> int:
        """Return tasks whose lease expired to pending (or failed); returns how many (none
        while held after a clock step)."""
        if self._held():
            return 0
        started = self.store.clock()
        recovered = self.store.recover(lease_seconds=self.settings.lease_seconds)
        self.recovered += len(recovered)
        for entry in recovered:
            logger.warning("task.recovered task_id=%s code=%s %s",
                           entry.task_id, entry.code, entry.comment)
        self.report_stuck(started)
        return len(recovered)

    def report_stuck(self, started: datetime) -> int:
        """Say so when tasks whose lease ended before this pass `started` are still
        processing: the pass skipped them because another session locks them (a host that
        died inside a transaction, until the server ends its session). Returns how many. The
        count reads on the main pool, which the recovery did not use: a connection of it that
        the server closed meanwhile is replaced (reconnecting), as the runner's own are."""
        stuck = self.stuck = reconnecting(lambda: self.store.lease_expired(before=started),
                                          "count the expired leases")
        if stuck:
            logger.warning("task.lease_expired_locked count=%s: processing tasks whose lease "
                           "expired are locked by another session and were not recovered (a "
                           "dead host's; the server ends its session within about a lease)",
                           stuck)
        return stuck

    def _held(self) -> bool:
        stepped = self._steps.step()
        if stepped > 0:
            self._held_until = self._monotonic() + self.settings.lease_seconds
            logger.warning("clock.stepped forward %.1fs: no recovery for %gs (a lease), until "
                           "live runners have renewed their leases", stepped,
                           self.settings.lease_seconds)
        return self._monotonic() < self._held_until

    def prune(self) -> int:
        """Delete completed tasks, task log entries and error log lines past their retention;
        returns how many."""
        tasks = self._in_chunks(lambda: self.store.prune(
            retention_seconds=self.settings.retention_seconds, limit=PRUNE_CHUNK))
        entries = self._in_chunks(lambda: self.store.prune_log(
            retention_seconds=self.settings.log_retention_seconds, limit=PRUNE_CHUNK))
        lines = self._in_chunks(lambda: self.store.error_lines.prune(
            retention_seconds=self.settings.error_log_retention_seconds, limit=PRUNE_CHUNK))
        if tasks or entries or lines:
            logger.info("prune.done tasks=%s log_entries=%s error_log_lines=%s",
                        tasks, entries, lines)
        return tasks + entries + lines

    def _in_chunks(self, chunk: Callable[[], int]) -> int:
        total = 0
        while not self._stopped.is_set():
            started = time.monotonic()
            deleted = chunk()
            total += deleted
            if deleted < PRUNE_CHUNK:
                break
            self._stopped.wait(max(time.monotonic() - started, MIN_PAUSE_SECONDS))
        return total
