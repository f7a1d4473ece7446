"""Queues: pause, resume and list the named queues (`desk.queues`). A pause is stored in the
database and obeyed by every claim of every runner from its commit (store/queues.py): a
paused queue's tasks wait, its running ones finish. A resume wakes idle runners.

    desk.queues.pause("mail")                     # by code: not audited
    desk.queues.pause("mail", by=Actor("ann"))    # by someone: audited as "queue.pause"
    desk.queues.list()                            # views: counts, paused, who serves it
"""

from __future__ import annotations

import builtins
from datetime import datetime

from taskdesk.accounts.audit import audited
from taskdesk.models.accounts import Actor
from taskdesk.models.queues import QueueCounts, check_queue
from taskdesk.models.runners import RunnerInfo
from taskdesk.store import SqlStore, Store
from taskdesk.views import QueueView, queue_view, queue_views


class Queues:
    """The queues of one store; `lease_seconds`: a runner seen within it serves its queues."""

    def __init__(self, store: Store, *, lease_seconds: float) -> None:
        self.store = store
        self.lease_seconds = lease_seconds

    def pause(self, name: str, *, by: Actor | None = None) -> QueueView:
        """Pause the queue `name` (it need not hold tasks yet); pausing it again changes
        nothing. BadQueue for a name that cannot be a queue's, before anything changes."""
        name = check_queue(name)
        with audited(self.store, by) as change:
            if change.store.queues.pause(name, None if by is None else by.name):
                change.record("queue.pause", f"queue {name}")
        return self.get(name)

    def resume(self, name: str, *, by: Actor | None = None) -> QueueView:
        """Let the queue's tasks be claimed again, at once: idle runners are woken."""
        name = check_queue(name)
        with audited(self.store, by) as change:
            if change.store.queues.resume(name):
                change.record("queue.resume", f"queue {name}")
        if isinstance(self.store, SqlStore):
            self.store.announce_after()  # after the commit: the woken runner sees it
        return self.get(name)

    def list(self) -> list[QueueView]:
        """Every queue that holds tasks, is paused, or is served by name by a live runner."""
        now = self.store.clock()
        return queue_views(self.store.queues.counts(), self.store.queues.paused(),
                           self._live(now), now=now)

    def get(self, name: str) -> QueueView:
        """One queue, by name (an unknown one: no tasks, not paused)."""
        name = check_queue(name)
        now = self.store.clock()
        counts = next((c for c in self.store.queues.counts() if c.queue == name),
                      QueueCounts(queue=name))
        pause = next((p for p in self.store.queues.paused() if p.queue == name), None)
        return queue_view(counts, pause, self._live(now), now=now)

    def _live(self, now: datetime) -> builtins.list[RunnerInfo]:
        return [info for info in self.store.runners() if info.alive(now, self.lease_seconds)]
