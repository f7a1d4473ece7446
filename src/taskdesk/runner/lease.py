"""LeaseKeeper: a thread that keeps this runner's claims alive, and nothing else.

Every heartbeat interval it extends the leases of the claims the runner holds (so that no other
runner recovers them while they run) and marks the runner seen (registering it again if it was
forgotten while paused). Housekeeping (recovery, pruning) runs on its own thread
(runner/housekeeper.py), so that a long prune never delays a heartbeat. A database error is
logged once per outage (see outage.py) and tried again on the next beat: it never stops the
runner.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from taskdesk.config import Settings
from taskdesk.errors import ConfigError
from taskdesk.models.runners import ClaimKey, RunnerInfo
from taskdesk.models.tasks import Task
from taskdesk.runner.contain import contained
from taskdesk.runner.outage import Outage
from taskdesk.runner.periodic import Periodic
from taskdesk.store import Store

logger = logging.getLogger(__name__)


class LeaseKeeper(Periodic):
    """Heartbeats for one runner; `hold`/`drop` say which claims it runs, by claim key, so
    that a late attempt and the attempt that replaced it are never confused."""

    name = "taskdesk-lease"
    writes = True  # each beat marks the runner seen: a write that always changes a row

    def __init__(self, store: Store, runner: RunnerInfo, settings: Settings,
                 outage: Outage | None = None) -> None:
        super().__init__(outage)  # the outage is shared with the runner's threads
        self.store = store
        self.runner = runner
        self.settings = settings
        self.interval = settings.heartbeat_interval
        self._held: set[ClaimKey] = set()
        self._storing: set[ClaimKey] = set()  # held, their outcomes being written now
        self._lock = threading.Lock()

    def hold(self, tasks: Iterable[Task]) -> list[ClaimKey]:
        """Keep these claimed tasks' leases alive; returns their claim keys."""
        claims = [ClaimKey.of(t) for t in tasks]
        with self._lock:
            self._held.update(claims)
        return claims

    def drop(self, claims: Iterable[ClaimKey]) -> None:
        with self._lock:
            self._held.difference_update(claims)

    def held(self) -> list[ClaimKey]:
        with self._lock:
            return sorted(self._held)

    @contextmanager
    def storing(self, claims: Iterable[ClaimKey]) -> Iterator[None]:
        """While these claims' outcomes are written: still held (renewed until the database
        has them), and a heartbeat that misses one meanwhile has not lost it."""
        claims = set(claims)
        with self._lock:
            self._storing.update(claims)
        try:
            yield
        finally:
            with self._lock:
                self._storing.difference_update(claims)

    def _unsettled(self) -> set[ClaimKey]:
        with self._lock:
            return self._held - self._storing

    def step(self) -> None:
        self.beat()

    def beat(self) -> None:
        held = self.held()
        extended = self.store.heartbeat(self.runner, held,
                                        lease_seconds=self.settings.lease_seconds)
        still_held = len(set(held) & self._unsettled())  # tasks finished meanwhile are fine
        if extended < still_held:
            logger.warning("lease.lost runner=%s held=%s extended=%s",
                           self.runner.runner_id, still_held, extended)

    def expire_now(self) -> None:
        """On an abort: let any runner recover our tasks at once instead of after the lease."""
        contained(lambda: self.store.heartbeat(self.runner, self.held(), lease_seconds=0))


def register(store: Store, runner_id: str, lease_seconds: float, *,
             hostname: str | None = None,
             queues: tuple[str, ...] | None = None,
             caps: tuple[tuple[str, int], ...] = ()) -> RunnerInfo:
    """Register a starting runner with its host (TASKDESK_HOST_NAME; this machine's name by
    default), pid, lease and the queues it serves (None: all) with their caps, once its lease
    agrees with the live runners' (check_lease_agrees)."""
    check_lease_agrees(store, lease_seconds)
    now = store.clock()
    info = RunnerInfo(runner_id=runner_id, hostname=hostname or socket.gethostname(),
                      pid=os.getpid(), started_at=now, last_seen_at=now,
                      lease_seconds=lease_seconds, queues=queues, caps=caps)
    store.register_runner(info)
    return info


def check_lease_agrees(store: Store, lease_seconds: float) -> None:
    """Refuse to start beside a live runner (seen within its own lease) whose lease differs:
    runners judge each other's claims and registrations by the lease, so hosts that disagree
    recover live tasks early, or dead ones late. Runners from before leases were recorded
    say nothing and are not judged."""
    now = store.clock()
    for other in store.runners():
        if other.lease_seconds is None or other.lease_seconds == lease_seconds:
            continue
        if other.alive(now, lease_seconds):
            raise ConfigError(
                f"TASKDESK_LEASE_SECONDS is {lease_seconds:g} here, but runner "
                f"{other.runner_id} on host {other.hostname} runs with "
                f"{other.lease_seconds:g}: every runner sharing a database must use the same "
                "lease; set the same value on every host")
