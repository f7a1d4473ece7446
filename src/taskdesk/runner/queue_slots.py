"""QueueSlots: which queues a worker's thread may claim from now, and how many tasks, so that
a queue capped at N (`taskdesk worker --queue mail:2`) never has more than N tasks held by
this worker at once, however many threads it has.

A thread reserves before it claims: each capped queue of the claim gives up `limit` slots at
once, so two threads can never both take a queue's last slot. After the claim, the slots it
did not fill go back; each task's slot goes back when its attempt ends (or it is released).
A held task counts whether it runs or waits its turn in the thread's batch: the cap holds on
tasks claimed, which is stricter than on tasks running.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from taskdesk.models.queues import QueueLimit, queue_names
from taskdesk.models.tasks import Task


@dataclass(frozen=True)
class Reservation:
    """What one claim may take: from `queues` (None: every queue), at most `limit` tasks."""

    queues: tuple[str, ...] | None
    limit: int


class QueueSlots:
    """The caps of one worker's queues, shared by its threads."""

    def __init__(self, limits: Sequence[QueueLimit] = ()) -> None:
        self.limits = tuple(limits)
        self._caps = {limit.name: limit.cap for limit in self.limits if limit.cap is not None}
        self._held: Counter[str] = Counter()
        self._lock = threading.Lock()

    @property
    def queues(self) -> tuple[str, ...] | None:
        """The queues served (None: every queue)."""
        return queue_names(self.limits)

    @property
    def caps(self) -> tuple[tuple[str, int], ...]:
        """The capped queues and their caps, as the runner's row records them."""
        return tuple(self._caps.items())

    def reserve(self, batch: int) -> Reservation | None:
        """The next claim's queues and limit, its slots taken; None while every queue of
        this worker is at its cap."""
        if not self._caps:
            return Reservation(queue_names(self.limits), batch)
        with self._lock:
            room = {name: cap - self._held[name] for name, cap in self._caps.items()}
            open_queues = tuple(limit.name for limit in self.limits
                                if room.get(limit.name, batch) > 0)
            if not open_queues:
                return None
            limit = min([batch, *(room[name] for name in open_queues if name in room)])
            self._held.update({name: limit for name in open_queues if name in self._caps})
            return Reservation(open_queues, limit)

    def settle(self, reservation: Reservation, claimed: Sequence[Task]) -> None:
        """Give back the reserved slots the claim did not fill."""
        if not self._caps:
            return
        taken = Counter(task.queue for task in claimed)
        with self._lock:
            for name in reservation.queues or ():
                if name in self._caps:
                    self._held[name] -= reservation.limit - taken[name]

    def done(self, task: Task) -> None:
        """A held task's attempt ended (or it was given back): its slot is free again."""
        if task.queue in self._caps:
            with self._lock:
                self._held[task.queue] -= 1
