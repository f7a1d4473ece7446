"""When a claim must look for delayed tasks that came due (claims.NEXT_DELAYED).

A task written with a run_at in the future is `delayed`, outside the claim's index, until a
claim promotes it. Probing before every claim cost a statement per task (a round trip on
PostgreSQL); a store now probes when its last probe is PROBE_SECONDS old, at once when the
earliest delayed run_at it saw has come, and at its next claim after it wrote a task that may
be delayed itself (an add, a status change, a retry with a delay). So a task this store
delayed is claimable the moment it is due, and one delayed by another process or machine at
most PROBE_SECONDS after its run_at: a run_at is a "not before" time.

Shared by the worker threads of a store (and its atomic copies): a race between two of them
costs at most one extra probe or one probe PROBE_SECONDS late, never a lost task.
"""

from __future__ import annotations

from datetime import datetime, timedelta

PROBE_SECONDS = 0.05  # the longest a claim goes without looking for due delayed tasks
_PROBE = timedelta(seconds=PROBE_SECONDS)


class Promotions:
    def __init__(self) -> None:
        self._next: datetime | None = None  # None: probe at the next claim
        self._last: datetime | None = None

    def due(self, now: datetime) -> bool:
        """Whether this claim probes: nothing known, the time has come, or the clock went
        back (a step of the machine's clock must not postpone promotions)."""
        next_, last = self._next, self._last
        return next_ is None or last is None or now >= next_ or now < last

    def probed(self, now: datetime, earliest: datetime | None) -> None:
        """A probe at `now` found the earliest delayed run_at (after promoting the due ones,
        None: none is left, or it is not known)."""
        soon = now + _PROBE
        self._last = now
        self._next = soon if earliest is None or earliest <= now else min(soon, earliest)

    def delayed(self, run_at: datetime) -> None:
        """This store wrote a task delayed until run_at: probe by then."""
        next_ = self._next
        if next_ is not None and run_at < next_:
            self._next = run_at

    def forget(self) -> None:
        """This store wrote tasks that may be delayed: probe at the next claim."""
        self._next = None
