"""Every route of the admin and its API, one module per OpenCart page, in one table."""

from __future__ import annotations

from taskdesk.web.routes import (
    auth,
    dashboard,
    error_log,
    extensions,
    failures,
    meta,
    queues,
    schedules,
    tasks_api,
    tasks_pages,
    users,
)
from taskdesk.web.table import Route

ROUTES: tuple[Route, ...] = tuple(
    route
    for module in (auth, meta, dashboard, tasks_api, failures, tasks_pages, queues, schedules,
                   extensions, error_log, users)
    for route in module.routes
)
