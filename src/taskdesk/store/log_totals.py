"""The task log's counters, as plain numbers: what each entry adds to them, and how they read
as log_counts, duration_histogram and host_counts. The memory store keeps them in a dict; the
SQL stores in the table `log_total`, folded from the task log as it is pruned
(sql/log_totals.py).

An entry is counted under its kind: its status, or LOST_KIND for an attempt whose outcome
arrived after its lease was lost (logged "(lease lost: not stored)"): the store kept nothing of
it, so it is neither a completion nor a failure. Entries of a runner whose id names its host
(models.runners.host_of) are also counted per host, under `host.entries.<kind>:<host>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from taskdesk.models.runners import host_of
from taskdesk.models.tasks import DurationHistogram, LogEntry, Status
from taskdesk.store.protocol import DURATION_BUCKETS, LEASE_LOST

DURATION_SUM = "duration.sum"
DURATION_COUNT = "duration.count"
LOST_KIND = "lease_lost"  # the kind of an attempt logged after its lease was lost
HOST_PREFIX = "host.entries."

Totals = dict[str, float]


def entries_name(status: str) -> str:
    return f"log.entries.{status}"


def bucket_name(bound: float) -> str:
    return f"duration.le.{bound:g}"


def host_name(kind: str, host: str) -> str:
    return f"{HOST_PREFIX}{kind}:{host}"


def kind_of(status: str, comment: str) -> str:
    """What an entry counts as: its status, or LOST_KIND (see the module doc)."""
    return LOST_KIND if comment.endswith(LEASE_LOST) else status


def entry_totals(entries: Iterable[LogEntry]) -> Totals:
    """The counters' increments for these entries (the memory store's fold)."""
    return row_totals((kind_of(e.status.value, e.comment), e.duration, e.worker_id)
                      for e in entries)


def row_totals(rows: Iterable[tuple[str, float | None, str | None]]) -> Totals:
    """The counters' increments for entries given as (kind, duration, worker id)."""
    found: Totals = {}
    for kind, duration, worker_id in rows:
        _bump(found, entries_name(kind), 1.0)
        host = host_of(worker_id)
        if host is not None:
            _bump(found, host_name(kind, host), 1.0)
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


def host_counts(totals: Mapping[str, float]) -> dict[str, dict[str, int]]:
    """Entries ever counted per host and kind (status or LOST_KIND)."""
    found: dict[str, dict[str, int]] = {}
    for name, value in totals.items():
        if name.startswith(HOST_PREFIX) and value:
            kind, _, host = name.removeprefix(HOST_PREFIX).partition(":")
            found.setdefault(host, {})[kind] = int(value)
    return found
