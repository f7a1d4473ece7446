"""The task log's counters, as plain numbers: what each entry adds to them, and how they read
as log_counts and duration_histogram. The memory store keeps them in a dict; the SQL stores
in the table `log_total`, folded from the task log as it is pruned (sql/log_totals.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from taskdesk.models.tasks import DurationHistogram, LogEntry, Status
from taskdesk.store.protocol import DURATION_BUCKETS

DURATION_SUM = "duration.sum"
DURATION_COUNT = "duration.count"

Totals = dict[str, float]


def entries_name(status: str) -> str:
    return f"log.entries.{status}"


def bucket_name(bound: float) -> str:
    return f"duration.le.{bound:g}"


def entry_totals(entries: Iterable[LogEntry]) -> Totals:
    """The counters' increments for these entries (the memory store's fold)."""
    return row_totals((entry.status.value, entry.duration) for entry in entries)


def row_totals(rows: Iterable[tuple[str, float | None]]) -> Totals:
    """The counters' increments for entries given as (status, duration)."""
    found: Totals = {}
    for status, duration in rows:
        _bump(found, entries_name(status), 1.0)
        if duration is not None:
            _bump(found, DURATION_SUM, duration)
            _bump(found, DURATION_COUNT, 1.0)
            for bound in DURATION_BUCKETS:
                _bump(found, bucket_name(bound), float(duration <= bound))
    return found


def merged(*parts: Mapping[str, float]) -> Totals:
    found: Totals = {}
    for part in parts:
        for name, value in part.items():
            _bump(found, name, value)
    return found


def _bump(totals: Totals, name: str, value: float) -> None:
    totals[name] = totals.get(name, 0.0) + value


def log_counts(totals: Mapping[str, float]) -> dict[Status, int]:
    return {status: int(totals[entries_name(status.value)]) for status in Status
            if totals.get(entries_name(status.value))}


def histogram(totals: Mapping[str, float]) -> DurationHistogram:
    return DurationHistogram(
        bounds=DURATION_BUCKETS,
        counts=tuple(int(totals.get(bucket_name(bound), 0)) for bound in DURATION_BUCKETS),
        total=totals.get(DURATION_SUM, 0.0), count=int(totals.get(DURATION_COUNT, 0)))
