"""The JSON API of Extensions > Tasks: the same views as the CLI's `--json`. Every change goes
through the admin's TaskChanges, which writes its audit entry (who made it, from where) in the
change's own transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BaseModel, Field

from taskdesk.admin import Actor, TaskChanges
from taskdesk.errors import BadInput
from taskdesk.views import (
    LogEntryView,
    RunStartView,
    TaskView,
    WhyView,
    log_entry_view,
    task_view,
)
from taskdesk.web.routes.answers import Changed
from taskdesk.web.routes.task_filters import (
    LIST_LIMIT,
    MAX_FILTER_TEXT,
    MAX_LIST_LIMIT,
    PREVIEW,
    TaskFilterBody,
    filter_from_query,
)
from taskdesk.web.security import actor_of, admin_of, desk_of
from taskdesk.web.table import RouteList

routes = RouteList()
MAX_SELECTED = 1000  # ids in one bulk request; more: select by filter

Text = Annotated[str | None, Query(max_length=MAX_FILTER_TEXT)]
Id = Annotated[int | None, Query(ge=1, le=2**63 - 1)]


class TaskPage(BaseModel):
    tasks: list[TaskView]
    next_cursor: int | None = Field(description="pass as `cursor` for the next (older) page")


class NewTaskBody(BaseModel):
    code: str = Field(max_length=128)
    action: str = Field(max_length=255)
    args: dict[str, Any] = Field(default_factory=dict)
    priority: int = 0
    run_at: str | None = Field(default=None, max_length=64, description="ISO 8601; UTC if naive")
    max_attempts: int | None = None


class Selection(BaseModel):
    """Some tasks by id, or every task matching a filter (`filter: {}` is every task)."""

    task_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(
        default=None, max_length=MAX_SELECTED)
    filter: TaskFilterBody | None = None


class StatusChange(Selection):
    status: str = Field(max_length=32)


class CodeBody(BaseModel):
    code: str = Field(max_length=128)



def _check(selection: Selection) -> None:
    if (selection.task_ids is None) == (selection.filter is None):
        raise BadInput("give either task_ids or filter")


@routes.get("/api/tasks", "tasks:access")
def list_tasks(request: Request, code: Text = None, status: Text = None, action: Text = None,
               args: Annotated[str | None, Query(max_length=4096)] = None,
               code_exact: bool = False, queue: Text = None, error_class: Text = None,
               cursor: Id = None,
               limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)] = LIST_LIMIT) -> TaskPage:
    """Tasks newest first, keyset-paginated: `next_cursor` fetches the next page."""
    where = filter_from_query(code, status, action, args, code_exact, queue, error_class)
    found = desk_of(request).tasks.list_tasks(**where.keywords(), cursor=cursor,
                                              limit=limit + 1, descending=True,
                                              preview=PREVIEW)
    page = found[:limit]
    more = len(found) > limit
    return TaskPage(tasks=[task_view(task) for task in page],
                    next_cursor=page[-1].task_id if more else None)


@routes.post("/api/tasks", "tasks:modify", status_code=201)
def add_task(request: Request, body: NewTaskBody) -> TaskView:
    """Add a task by registered name or allowed action (the allow-list applies here too)."""
    task = admin_of(request).task_changes.add(
        actor_of(request), body.code, body.action, body.args, priority=body.priority,
        run_at=body.run_at, max_attempts=body.max_attempts)
    return task_view(task)


@routes.get("/api/tasks/log", "tasks:access")
def task_log(request: Request, task_id: Id = None, cursor: Id = None,
             limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)] = LIST_LIMIT,
             ) -> list[LogEntryView]:
    """The task log, newest first; pass the last `task_log_id` as `cursor` for older ones."""
    entries = desk_of(request).tasks.log(task_id=task_id, cursor=cursor, limit=limit)
    return [log_entry_view(entry) for entry in entries]


@routes.post("/api/tasks/status", "tasks:modify")
def set_status(request: Request, body: StatusChange) -> Changed:
    changed = _bulk(request, body,
                    lambda changes, by, ids: changes.set_status(by, body.status, ids),
                    lambda changes, by, where: changes.set_status_matching(
                        by, body.status, **where))
    return Changed(changed=changed, message=f"{changed} task(s) set to {body.status}")


@routes.post("/api/tasks/delete", "tasks:modify")
def delete_tasks(request: Request, body: Selection) -> Changed:
    changed = _bulk(request, body, lambda changes, by, ids: changes.delete(by, ids),
                    lambda changes, by, where: changes.delete_matching(by, **where))
    return Changed(changed=changed, message=f"{changed} task(s) deleted")


@routes.post("/api/tasks/retry", "tasks:modify")
def retry_tasks(request: Request, body: Selection) -> Changed:
    changed = _bulk(request, body, lambda changes, by, ids: changes.retry(by, ids),
                    lambda changes, by, where: changes.retry_matching(by, **where))
    return Changed(changed=changed, message=f"{changed} task(s) will run again")


@routes.post("/api/tasks/cancel", "tasks:modify")
def cancel_tasks(request: Request, body: Selection) -> Changed:
    """Cancel the selected tasks, running ones too: a waiting task never runs, a running one
    is told to stop and its outcome is not stored. Complete tasks are left alone."""
    changed = _bulk(request, body, lambda changes, by, ids: changes.cancel(by, ids),
                    lambda changes, by, where: changes.cancel_matching(by, **where))
    return Changed(changed=changed, message=f"{changed} task(s) cancelled")


def _bulk(request: Request, selection: Selection,
          by_ids: Callable[[TaskChanges, Actor, list[int]], int],
          matching: Callable[[TaskChanges, Actor, dict[str, Any]], int]) -> int:
    """One bulk change, audited by TaskChanges: on the selected ids in one transaction, or on
    every task matching the filter a chunk at a time, the entry in the last chunk's."""
    _check(selection)  # exactly one of the two, or a clear error
    changes, by = admin_of(request).task_changes, actor_of(request)
    if selection.task_ids is not None:
        return by_ids(changes, by, selection.task_ids)
    assert selection.filter is not None
    return matching(changes, by, selection.filter.keywords())


@routes.post("/api/tasks/delete-code", "tasks:modify")
def delete_code(request: Request, body: CodeBody) -> Changed:
    changed = admin_of(request).task_changes.delete_by_code(actor_of(request), body.code)
    return Changed(changed=changed, message=f"{changed} task(s) with code {body.code} deleted")


@routes.post("/api/tasks/clear", "tasks:modify")
def clear(request: Request) -> Changed:
    changed = admin_of(request).task_changes.clear(actor_of(request))
    return Changed(changed=changed, message=f"{changed} task(s) deleted")


@routes.post("/api/tasks/run", "tasks:modify")
def run_tasks(request: Request) -> RunStartView:
    """Run Tasks: start a background runner unless one is already working."""
    return admin_of(request).run_tasks(actor_of(request))


@routes.get("/api/tasks/{task_id}", "tasks:access")
def get_task(request: Request, task_id: int) -> dict[str, Any]:
    """The task, its attempts (each with timings and the runner that ran it) and its log."""
    return task_detail(request, task_id)


@routes.get("/api/tasks/{task_id}/why", "tasks:access")
def why_task(request: Request, task_id: int) -> WhyView:
    """Why the task is not running: the first reason that holds, with its facts and what
    to do about it (see docs/tasks.md, "Why isn't it running?")."""
    return admin_of(request).why(task_id)


@routes.delete("/api/tasks/{task_id}", "tasks:modify")
def delete_task(request: Request, task_id: int) -> Changed:
    changed = admin_of(request).task_changes.delete_one(actor_of(request), task_id)  # or 404
    message = "task deleted" if changed else "the task is running: it was not deleted"
    return Changed(changed=changed, message=message)


@routes.post("/api/tasks/{task_id}/retry", "tasks:modify")
def retry_task(request: Request, task_id: int) -> Changed:
    changed = admin_of(request).task_changes.retry_one(actor_of(request), task_id)
    message = "the task will run again" if changed else "the task is running: not retried"
    return Changed(changed=changed, message=message)


@routes.post("/api/tasks/{task_id}/cancel", "tasks:modify")
def cancel_task(request: Request, task_id: int) -> Changed:
    """Cancel one task (404 if there is none): a waiting one never runs, a running one is
    told to stop within seconds and its outcome is not stored."""
    changed = admin_of(request).task_changes.cancel_one(actor_of(request), task_id)
    message = "the task is cancelled" if changed else "the task had ended: not cancelled"
    return Changed(changed=changed, message=message)


def task_detail(request: Request, task_id: int) -> dict[str, Any]:
    desk = desk_of(request)
    task = desk.tasks.get(task_id)
    runners = {view["runner_id"]: view for view in admin_of(request).runners()}
    attempts = desk.tasks.attempts(task_id)
    return {"task": task_view(task), "attempts": attempts,
            "runner": runners.get(task.worker_id or ""),
            "workflow": desk.workflows.of_task(task_id),
            "log": [log_entry_view(entry) for entry in desk.tasks.log(task_id=task_id)]}
