"""Insights: what the admin's dashboard and /metrics show, built from store counts.

    admin.insights.status_counts()       # {"pending": 3, "processing": 0, ...}
    admin.insights.activity(minutes=60)  # attempts ended per minute, oldest first
    admin.insights.metrics()             # tasks by status, log counters, duration histogram
    admin.insights.lease_expired()       # processing tasks whose lease ended: 0 normally

The counters of `metrics()` count every task log entry ever written, pruned and cleared ones
included, so they never fall (a Prometheus `rate()` sees no reset), and each read counts only
the entries since the last prune (store/log_totals.py).

Tasks per status are a count of the task table: at a million tasks that is about a tenth of a
second, and every open dashboard tab asks every few seconds, every scrape too. So one count
serves every caller of this process for TASKDESK_COUNTS_SECONDS (2 s), and callers that arrive
while it runs wait for it instead of starting their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from taskdesk.clock import isoformat
from taskdesk.errors import BadInput
from taskdesk.models.tasks import Status
from taskdesk.store import DURATION_BUCKETS as DURATION_BUCKETS
from taskdesk.store import Store
from taskdesk.views import ActivityView, BucketView, HistogramView, MetricsView

MAX_MINUTES = 24 * 60  # the longest activity chart: one day


class Insights:
    """Counts for the dashboard and /metrics; every method returns views."""

    def __init__(self, store: Store, *, counts_seconds: float = 0.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.counts_seconds = counts_seconds
        self._monotonic = monotonic
        self._counted: tuple[float, dict[Status, int]] | None = None
        self._counting = threading.Lock()

    def status_counts(self) -> dict[str, int]:
        """Tasks per status, every status present (zeros included), in Status order; at
        most `counts_seconds` old."""
        found = self._shared_count()
        return {status.value: found.get(status, 0) for status in Status}

    def _shared_count(self) -> dict[Status, int]:
        with self._counting:  # one count at a time: the others wait for it and share it
            now = self._monotonic()
            if self._counted is None or now - self._counted[0] >= self.counts_seconds:
                self._counted = (now, self.store.status_counts())
            return self._counted[1]

    def activity(self, *, minutes: int = 60) -> list[ActivityView]:
        """Attempts that ended complete or failed, per minute over the last `minutes`
        minutes of the store's clock (the current minute last), zeros included."""
        if isinstance(minutes, bool) or not isinstance(minutes, int) \
                or not 1 <= minutes <= MAX_MINUTES:
            raise BadInput(f"minutes must be an integer from 1 to {MAX_MINUTES}, "
                           f"not {minutes!r}")
        first = _minute_of(self.store.clock()) - timedelta(minutes=minutes - 1)
        counts = self.store.log_per_minute(first)
        timeline = (first + timedelta(minutes=step) for step in range(minutes))
        return [ActivityView(minute=isoformat(minute) or "",
                             complete=counts.get((minute, Status.COMPLETE), 0),
                             failed=counts.get((minute, Status.FAILED), 0))
                for minute in timeline]

    def metrics(self) -> MetricsView:
        """Tasks by status, task log entries ever written by status, and the duration
        histogram."""
        found = self.store.log_counts()
        log = {status.value: found.get(status, 0) for status in Status}
        return MetricsView(
            tasks=self.status_counts(),
            log=log,
            processed=log["complete"] + log["failed"] + log["pending"],
            failed=log["failed"],
            duration=self.durations(),
            lease_expired=self.lease_expired(),
        )

    def lease_expired(self) -> int:
        """Processing tasks whose lease has ended. Recovery takes them within a lease; a
        count that stays up means a dead session locks them (see docs/runners.md, "A dead
        host"). One indexed count, read without waiting on locks."""
        return self.store.lease_expired()

    def durations(self) -> HistogramView:
        """Attempt durations as a Prometheus histogram (cumulative buckets, sum, count)."""
        histogram = self.store.duration_histogram()
        buckets = [BucketView(le=f"{bound:g}", count=count)
                   for bound, count in zip(histogram.bounds, histogram.counts, strict=True)]
        buckets.append(BucketView(le="+Inf", count=histogram.count))
        return HistogramView(buckets=buckets, sum=histogram.total, count=histogram.count)


def _minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
