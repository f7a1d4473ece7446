"""ClaimSize: how many tasks a worker thread's next claim takes.

One at first, doubling after each claim whose tasks were quick, up to TASKDESK_CLAIM_BATCH; back
to one after a claim whose tasks were not. Quick tasks then share one claim and one commit for
their outcomes (runner/outcomes.py), while slow ones are claimed one at a time, so that a
worker never sits on tasks another worker could be running, nor delays their outcomes.
"""

from __future__ import annotations

#: A claim whose tasks took at most this long each, on average, counts as quick.
QUICK_SECONDS = 0.01


class ClaimSize:
    def __init__(self, maximum: int) -> None:
        self.maximum = max(1, maximum)
        self.current = 1

    def ran(self, tasks: int, seconds: float) -> None:
        """The last claim's `tasks` ran in `seconds` (with their start-up)."""
        if tasks and seconds <= QUICK_SECONDS * tasks:
            self.current = min(self.maximum, self.current * 2)
        else:
            self.current = 1
