"""The Prometheus text format of `admin.insights.metrics()` and of `admin.hosts()`. The
counters count every task log entry ever written (store/log_totals.py): pruning or clearing
the log never makes them fall. Label values are escaped as the text format says (backslash,
double quote, line feed), so that no host name can break the exposition."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from taskdesk.clock import parse_moment
from taskdesk.views import HostView, MetricsView


def label(value: str) -> str:
    """A label value, escaped for the text format."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def host_lines(hosts: Sequence[HostView]) -> Iterator[str]:
    """The per-host series: runners up, attempts by outcome, when last seen, lost."""
    yield "# HELP taskdesk_host_runners Runners heartbeating on each host."
    yield "# TYPE taskdesk_host_runners gauge"
    for host in hosts:
        up = sum(1 for runner in host["runners"] if runner["alive"])
        yield f'taskdesk_host_runners{{host="{label(host["hostname"])}"}} {up}'
    yield ("# HELP taskdesk_host_tasks_total Attempts the host's runners logged, by outcome "
           "(lease_lost: it ended after its lease was lost, and was not stored).")
    yield "# TYPE taskdesk_host_tasks_total counter"
    for host in hosts:
        counts = {"complete": host["completed"], "failed": host["failed"],
                  "lease_lost": host["lease_lost"]}
        for status, count in counts.items():
            yield (f'taskdesk_host_tasks_total{{host="{label(host["hostname"])}",'
                   f'status="{status}"}} {count}')
    yield ("# HELP taskdesk_host_last_seen_timestamp_seconds When a runner of the host was "
           "last seen (Unix time).")
    yield "# TYPE taskdesk_host_last_seen_timestamp_seconds gauge"
    for host in hosts:
        seen = host["last_seen_at"]
        stamp = parse_moment(seen).timestamp() if seen else 0.0
        yield (f'taskdesk_host_last_seen_timestamp_seconds{{host="{label(host["hostname"])}"}} '
               f"{stamp:.3f}")
    yield ("# HELP taskdesk_host_lost 1 while the host is lost: its runners stopped "
           "heartbeating without a clean stop.")
    yield "# TYPE taskdesk_host_lost gauge"
    for host in hosts:
        yield f'taskdesk_host_lost{{host="{label(host["hostname"])}"}} {int(host["lost"])}'


def prometheus_text(metrics: MetricsView, hosts: Sequence[HostView] = ()) -> str:
    lines = [
        "# HELP taskdesk_tasks Tasks in the table, by status.",
        "# TYPE taskdesk_tasks gauge",
        *(f'taskdesk_tasks{{status="{status}"}} {count}'
          for status, count in metrics["tasks"].items()),
        "# HELP taskdesk_tasks_lease_expired Processing tasks whose lease ended, not yet "
        "recovered (stays up while a dead session locks them).",
        "# TYPE taskdesk_tasks_lease_expired gauge",
        f"taskdesk_tasks_lease_expired {metrics['lease_expired']}",
        "# HELP taskdesk_processed_total Attempts that ended (complete, failed or retried).",
        "# TYPE taskdesk_processed_total counter",
        f"taskdesk_processed_total {metrics['processed']}",
        "# HELP taskdesk_failed_total Attempts that ended failed.",
        "# TYPE taskdesk_failed_total counter",
        f"taskdesk_failed_total {metrics['failed']}",
        "# HELP taskdesk_task_log_entries_total Task log entries written, by status.",
        "# TYPE taskdesk_task_log_entries_total counter",
        *(f'taskdesk_task_log_entries_total{{status="{status}"}} {count}'
          for status, count in metrics["log"].items()),
        "# HELP taskdesk_run_duration_seconds How long attempts ran.",
        "# TYPE taskdesk_run_duration_seconds histogram",
        *(f'taskdesk_run_duration_seconds_bucket{{le="{bucket["le"]}"}} {bucket["count"]}'
          for bucket in metrics["duration"]["buckets"]),
        f"taskdesk_run_duration_seconds_sum {metrics['duration']['sum']}",
        f"taskdesk_run_duration_seconds_count {metrics['duration']['count']}",
        *host_lines(hosts),
    ]
    return "\n".join(lines) + "\n"
