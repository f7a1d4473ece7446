"""LeaseKeeper: a thread that keeps this runner's claims alive and does the housekeeping.

Every heartbeat interval it extends the leases of the tasks the runner holds (so that no other
runner recovers them while they run) and marks the runner seen. Every lease period it recovers
tasks whose lease expired elsewhere (their runner died) and prunes old completed tasks.
A database error is logged once per outage (see outage.py) and tried again on the next beat:
it never stops the runner.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType

from taskdesk.config import Settings
from taskdesk.errors import TaskdeskError
from taskdesk.runner.outage import Outage
from taskdesk.store.base import Store

logger = logging.getLogger(__name__)


class LeaseKeeper:
    """Heartbeats and housekeeping for one runner; `hold`/`drop` say which tasks it runs."""

    def __init__(self, store: Store, worker_id: str, settings: Settings) -> None:
        self.store = store
        self.worker_id = worker_id
        self.settings = settings
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="taskdesk-lease", daemon=True)
        self._last_housekeeping = time.monotonic()
        self.recovered = 0  # tasks this runner's housekeeping returned to pending or failed
        self.outage = Outage()  # shared with the runner's threads: one log line per outage

    def hold(self, task_ids: Iterable[int]) -> None:
        with self._lock:
            self._held.update(task_ids)

    def drop(self, task_ids: Iterable[int]) -> None:
        with self._lock:
            self._held.difference_update(task_ids)

    def held(self) -> list[int]:
        with self._lock:
            return sorted(self._held)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self.settings.heartbeat_interval):
            self.outage.attempt(self.beat)
            if time.monotonic() - self._last_housekeeping >= self.settings.lease_seconds:
                self.outage.attempt(self.housekeeping)

    def beat(self) -> None:
        held = self.held()
        extended = self.store.heartbeat(self.worker_id, held,
                                        lease_seconds=self.settings.lease_seconds)
        still_held = len(set(held) & set(self.held()))  # tasks finished meanwhile are fine
        if extended < still_held:
            logger.warning("lease.lost runner=%s held=%s extended=%s",
                           self.worker_id, still_held, extended)

    def housekeeping(self) -> int:
        """Recover expired leases and prune old completed tasks; returns tasks recovered."""
        self._last_housekeeping = time.monotonic()
        recovered = self.store.recover(lease_seconds=self.settings.lease_seconds)
        self.recovered += len(recovered)
        for entry in recovered:
            logger.warning("task.recovered task_id=%s code=%s %s",
                           entry.task_id, entry.code, entry.comment)
        self.store.prune(retention_seconds=self.settings.retention_seconds)
        return len(recovered)

    def expire_now(self) -> None:
        """On an abort: let any runner recover our tasks at once instead of after the lease."""
        self.contained(lambda: self.store.heartbeat(self.worker_id, self.held(),
                                                    lease_seconds=0))

    @staticmethod
    def contained(step: Callable[[], object]) -> None:
        """Run a background step; a failure is logged, never fatal to the runner."""
        try:
            step()
        except TaskdeskError as error:
            logger.warning("lease.error %s", error)
        except Exception:
            logger.exception("lease.error")
