"""The Prometheus text format of `admin.insights.metrics()`. The counters count every task
log entry ever written (store/log_totals.py): pruning or clearing the log never makes them
fall."""

from __future__ import annotations

from taskdesk.views import MetricsView


def prometheus_text(metrics: MetricsView) -> str:
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
    ]
    return "\n".join(lines) + "\n"
