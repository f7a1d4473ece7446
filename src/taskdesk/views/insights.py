"""The shapes of what the dashboard, /metrics, /healthz and `taskdesk init` report."""

from __future__ import annotations

from typing_extensions import TypedDict


class ActivityView(TypedDict):
    """Attempts that ended in one minute (its UTC start)."""

    minute: str
    complete: int
    failed: int


class BucketView(TypedDict):
    le: str  # the bucket's upper bound in seconds, as Prometheus writes it ("+Inf" last)
    count: int  # entries at most that long (cumulative)


class HistogramView(TypedDict):
    buckets: list[BucketView]
    sum: float
    count: int


class MetricsView(TypedDict):
    """What /metrics shows. The counters are counted from the task log, so they drop when
    the log is pruned (log_retention) or cleared."""

    tasks: dict[str, int]  # tasks by status, every status present
    log: dict[str, int]  # task log entries by status, every status present
    processed: int  # attempts that ended: complete + failed + retried (pending) entries
    failed: int  # failed entries
    duration: HistogramView  # attempt durations in seconds
    lease_expired: int  # processing tasks whose lease ended and that are not yet recovered


class HealthView(TypedDict):
    ok: bool
    detail: str


class DatabaseView(TypedDict):
    database: str
    schema: str
    home: str
