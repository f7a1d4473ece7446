"""Extensions > Tasks: the list with its filters, keyset pages, bulk actions and Run Tasks; a
task's own page; the Log tab. Each page renders the views its API twin returns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from starlette.responses import Response

from taskdesk.admin import Admin
from taskdesk.views import STATUSES, log_entry_view, task_view
from taskdesk.web.render import render
from taskdesk.web.routes.task_filters import LIST_LIMIT, PREVIEW, filter_from_query
from taskdesk.web.routes.tasks_api import Id, Text, task_detail
from taskdesk.web.security import admin_of, desk_of
from taskdesk.web.table import RouteList

routes = RouteList()


@routes.get("/tasks", "tasks:access", page=True)
def tasks_page(request: Request, code: Text = None, status: Text = None, action: Text = None,
               args: Annotated[str | None, Query(max_length=4096)] = None,
               code_exact: bool = False, queue: Text = None, error_class: Text = None,
               cursor: Id = None,
               before: Id = None) -> Response:
    """The list, newest first. `cursor`: older than this id; `before`: newer than this id."""
    where = filter_from_query(code, status, action, args, code_exact, queue, error_class)
    tasks = desk_of(request).tasks
    if before is not None:  # the newer page: ascending from `before`, shown newest first
        found = tasks.list_tasks(**where.keywords(), cursor=before, limit=LIST_LIMIT + 1,
                                 preview=PREVIEW)
        newer = len(found) > LIST_LIMIT
        page = list(reversed(found[:LIST_LIMIT]))
        older = True
    else:
        found = tasks.list_tasks(**where.keywords(), cursor=cursor, limit=LIST_LIMIT + 1,
                                 descending=True, preview=PREVIEW)
        page, older, newer = found[:LIST_LIMIT], len(found) > LIST_LIMIT, cursor is not None
    if request.headers.get("HX-Target") == "task-list":  # the list alone, refreshed
        banner: dict[str, Any] = {}
        template = "tasks_list.html"
    else:  # the whole page shows the runner banner at once, not after its first refresh
        admin = admin_of(request)
        banner = runner_banner(admin)
        template = "tasks.html"
    return render(request, template, **banner, tasks=[task_view(task) for task in page],
                  filters=where.query(), filter_body=where.keywords(), statuses=STATUSES,
                  older=page[-1].task_id if older and page else None,
                  newer=page[0].task_id if newer and page else None)


@routes.get("/tasks/runners", "tasks:access", page=True)
def runners_fragment(request: Request) -> Response:
    """The Tasks page's runner banner, refreshed on its own."""
    return render(request, "runners_banner.html", **runner_banner(admin_of(request)))


def runner_banner(admin: Admin) -> dict[str, Any]:
    """The banner's runners (every host's), its lost hosts, and a Run Tasks starting."""
    hosts = admin.hosts()
    return {"hosts": hosts, "runners": [runner for host in hosts for runner in host["runners"]],
            "starting": admin.background.running()}


@routes.get("/tasks/log", "tasks:access", page=True)
def log_page(request: Request, task_id: Id = None, cursor: Id = None) -> Response:
    entries = desk_of(request).tasks.log(task_id=task_id, cursor=cursor, limit=LIST_LIMIT + 1)
    page = entries[:LIST_LIMIT]
    return render(request, "task_log.html", entries=[log_entry_view(entry) for entry in page],
                  task_id=task_id, first=cursor is None,
                  older=page[-1].task_log_id if len(entries) > LIST_LIMIT else None)


@routes.get("/tasks/{task_id}", "tasks:access", page=True)
def task_page(request: Request, task_id: int) -> Response:
    return render(request, "task.html", **task_detail(request, task_id), statuses=STATUSES,
                  why=admin_of(request).why(task_id))
