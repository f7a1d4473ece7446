"""Every JSON shape taskdesk shows: built once here, printed by the CLI's `--json` and returned
by the HTTP API alike, so the two can never disagree.

Names follow OpenCart's columns where they exist (`task_id`, `code`, `action`, `args`,
`status`, `response`, `date_added`, `date_modified`); ours stand beside them. Times are ISO
8601 in UTC with a `Z`. A layer over taskdesk.models: it imports the models and the base
(errors, clock, text) only, so that every service may return these shapes.
"""

from __future__ import annotations

from taskdesk.views.accounts import (
    AuditView,
    SessionView,
    TokenView,
    UserView,
    audit_view,
    token_view,
    user_view,
)
from taskdesk.views.error_log import ErrorLineView, ErrorLogPageView, error_log_page_view
from taskdesk.views.extensions import (
    ExtensionView,
    ModuleView,
    PackageView,
    UninstallView,
    extension_view,
)
from taskdesk.views.failures import FailureView, failure_view
from taskdesk.views.insights import (
    ActivityView,
    BucketView,
    DatabaseView,
    HealthView,
    HistogramView,
    MetricsView,
)
from taskdesk.views.queues import QueueServerView, QueueView, queue_view, queue_views
from taskdesk.views.runners import (
    HostView,
    RunnerView,
    RunningTaskView,
    RunStartView,
    host_views,
    runner_view,
    running_task_view,
)
from taskdesk.views.schedules import ScheduleView, schedule_view
from taskdesk.views.tasks import (
    STATUSES,
    AttemptView,
    LogEntryView,
    TaskView,
    attempt_view,
    log_entry_view,
    task_view,
    task_with_log_view,
)
from taskdesk.views.why import WhyView, why_view

__all__ = [
    "STATUSES",
    "ActivityView",
    "AttemptView",
    "AuditView",
    "BucketView",
    "DatabaseView",
    "ErrorLineView",
    "ErrorLogPageView",
    "ExtensionView",
    "FailureView",
    "HealthView",
    "HistogramView",
    "HostView",
    "LogEntryView",
    "MetricsView",
    "ModuleView",
    "PackageView",
    "QueueServerView",
    "QueueView",
    "RunStartView",
    "RunnerView",
    "RunningTaskView",
    "ScheduleView",
    "SessionView",
    "TaskView",
    "TokenView",
    "UninstallView",
    "UserView",
    "WhyView",
    "attempt_view",
    "audit_view",
    "error_log_page_view",
    "extension_view",
    "failure_view",
    "host_views",
    "log_entry_view",
    "queue_view",
    "queue_views",
    "runner_view",
    "running_task_view",
    "schedule_view",
    "task_view",
    "task_with_log_view",
    "token_view",
    "user_view",
    "why_view",
]
