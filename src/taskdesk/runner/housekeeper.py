"""Housekeeper: a thread that recovers expired leases and prunes old rows, every lease period.

It runs apart from the LeaseKeeper, so that a prune of many rows never delays a heartbeat.
Pruning goes in chunks, each its own short transaction, with a pause after each as long as
the chunk took: other writers (heartbeats, claims; on SQLite, every writer) get the database
at least half of the time however much there is to prune.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from taskdesk.config import Settings
from taskdesk.runner.outage import Outage
from taskdesk.runner.periodic import Periodic
from taskdesk.store.base import PRUNE_CHUNK, Store

logger = logging.getLogger(__name__)

MIN_PAUSE_SECONDS = 0.005  # between two prune chunks, at least


class Housekeeper(Periodic):
    """Recovery and pruning for one runner; `recovered` counts the tasks it recovered."""

    name = "taskdesk-housekeeping"

    def __init__(self, store: Store, settings: Settings, outage: Outage | None = None) -> None:
        super().__init__(outage)
        self.store = store
        self.settings = settings
        self.interval = settings.lease_seconds
        self.recovered = 0

    def step(self) -> int:
        return self.sweep()

    def sweep(self) -> int:
        """Recover, then prune both tables; returns the tasks recovered."""
        recovered = self.recover()
        self.prune()
        return recovered

    def recover(self) -> int:
        """Return tasks whose lease expired to pending (or failed); returns how many."""
        recovered = self.store.recover(lease_seconds=self.settings.lease_seconds)
        self.recovered += len(recovered)
        for entry in recovered:
            logger.warning("task.recovered task_id=%s code=%s %s",
                           entry.task_id, entry.code, entry.comment)
        return len(recovered)

    def prune(self) -> int:
        """Delete completed tasks and log entries past their retention; returns how many."""
        tasks = self._in_chunks(lambda: self.store.prune(
            retention_seconds=self.settings.retention_seconds, limit=PRUNE_CHUNK))
        entries = self._in_chunks(lambda: self.store.prune_log(
            retention_seconds=self.settings.log_retention_seconds, limit=PRUNE_CHUNK))
        if tasks or entries:
            logger.info("prune.done tasks=%s log_entries=%s", tasks, entries)
        return tasks + entries

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
