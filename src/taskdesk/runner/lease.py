"""LeaseKeeper: a thread that keeps this runner's claims alive, and nothing else.

Every heartbeat interval it extends the leases of the claims the runner holds (so that no other
runner recovers them while they run) and marks the runner seen (registering it again if it was
forgotten while paused). Housekeeping (recovery, pruning) runs on its own thread
(runner/housekeeper.py), so that a long prune never delays a heartbeat. A database error is
logged once per outage (see outage.py) and tried again on the next beat: it never stops the
runner.

It is also how a runner learns that a task it runs was cancelled (store/cancels.py). A cancel
takes the claim away, so the next heartbeat extends fewer leases than the runner holds; only
then does the keeper ask which of those tasks are cancelled (store.cancels.cancelled_among,
a read), raises their attempts' CancelSignal (taskdesk.cancelled() is True in the task) and
stops heartbeating them. A claim that is gone but not cancelled was recovered by another
runner after its lease ran out: a lost lease, as before, and the task is told nothing. So a
runner whose claims all hold pays nothing for cancels. The heartbeat interval alone (a third
of the 30 s lease by default: 10 s) is not "within seconds", so the cancel also tells every
runner (a PostgreSQL notification, a byte on SQLite's sockets: store/notify.py), whose
wake-up listener (runner/wakeup.py) nudges this keeper into a heartbeat at once when it
holds any claim: a cancel reaches a running task in well under a second there, and within one
heartbeat interval where nothing can be listened to (a memory store, a lost notification).
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
from taskdesk.task_cancel import CancelSignal

logger = logging.getLogger(__name__)

_NEVER = CancelSignal()  # never raised: a claim held without a signal of its own


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
        self._cancels: dict[ClaimKey, CancelSignal] = {}  # each held claim's attempt's
        self._lock = threading.Lock()

    def hold(self, tasks: Iterable[Task]) -> list[ClaimKey]:
        """Keep these claimed tasks' leases alive; returns their claim keys."""
        claims = [ClaimKey.of(t) for t in tasks]
        with self._lock:
            self._held.update(claims)
            for claim in claims:
                self._cancels.setdefault(claim, CancelSignal())
        return claims

    def drop(self, claims: Iterable[ClaimKey]) -> None:
        claims = set(claims)
        with self._lock:
            self._held.difference_update(claims)
            for claim in claims:
                self._cancels.pop(claim, None)

    def cancel_signal(self, claim: ClaimKey) -> CancelSignal:
        """What this claim's attempt reads as taskdesk.cancelled(), raised by a cancel."""
        with self._lock:
            return self._cancels.setdefault(claim, CancelSignal())

    def check_cancels(self) -> None:
        """A cancel was announced (the wake-up heard it): heartbeat now if any claim is
        held, so that a cancelled one is noticed at once."""
        if self.held():
            self.nudge()

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
        live = self._live()
        extended = self.store.heartbeat(self.runner, live,
                                        lease_seconds=self.settings.lease_seconds)
        unsettled = set(live) & self._unsettled()  # tasks finished meanwhile are fine
        if extended < len(unsettled):
            lost = len(unsettled) - self._notice_cancels(unsettled)
            if extended < lost:
                logger.warning("lease.lost runner=%s held=%s extended=%s",
                               self.runner.runner_id, lost, extended)

    def _live(self) -> list[ClaimKey]:
        """The held claims not known to be cancelled (those are not heartbeaten again)."""
        with self._lock:
            return sorted(claim for claim in self._held
                          if not self._cancels.get(claim, _NEVER)())

    def _notice_cancels(self, claims: set[ClaimKey]) -> int:
        """Raise the signal of each of these attempts whose task is cancelled; how many."""
        cancelled = set(self.store.cancels.cancelled_among([c.task_id for c in claims]))
        noticed = [claim for claim in claims if claim.task_id in cancelled]
        for claim in noticed:
            logger.info("task.cancelled task_id=%s runner=%s: the task is told to stop",
                        claim.task_id, self.runner.runner_id)
            with self._lock:
                signal = self._cancels.get(claim)
            if signal is not None:
                signal.set()
        return len(noticed)

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
