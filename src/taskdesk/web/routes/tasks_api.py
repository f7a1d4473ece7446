"""The JSON API of Extensions > Tasks: the same views as the CLI's `--json`. Every change is
written to the audit log with who made it and from where."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BaseModel, Field

from taskdesk.errors import BadInput
from taskdesk.views import (
    LogEntryView,
    RunStartView,
    TaskView,
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
from taskdesk.web.security import caller_of, client_address, desk_of
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



def audit(request: Request, action: str, target: str, detail: str = "") -> None:
    desk_of(request).audit.record(actor=caller_of(request).name, action=action, target=target,
                                  detail=detail, address=client_address(request))


def _target(selection: Selection) -> str:
    if (selection.task_ids is None) == (selection.filter is None):
        raise BadInput("give either task_ids or filter")
    if selection.task_ids is not None:
        return "tasks " + ", ".join(map(str, selection.task_ids[:20])) + (
            " …" if len(selection.task_ids) > 20 else "")
    assert selection.filter is not None
    shown = selection.filter.query()
    return "tasks matching " + (", ".join(f"{k}={v}" for k, v in shown.items()) or "anything")


@routes.get("/api/tasks", "tasks:access")
def list_tasks(request: Request, code: Text = None, status: Text = None, action: Text = None,
               args: Annotated[str | None, Query(max_length=4096)] = None,
               code_exact: bool = False, queue: Text = None,
               cursor: Id = None,
               limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)] = LIST_LIMIT) -> TaskPage:
    """Tasks newest first, keyset-paginated: `next_cursor` fetches the next page."""
    where = filter_from_query(code, status, action, args, code_exact, queue)
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
    task = desk_of(request).tasks.add(body.code, body.action, body.args, priority=body.priority,
                                      run_at=body.run_at, max_attempts=body.max_attempts)
    audit(request, "tasks.add", f"task {task.task_id}", f"{task.code} {task.action}")
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
    tasks = desk_of(request).tasks
    changed = _change(body, lambda ids: tasks.set_status(body.status, ids),
                      lambda **where: tasks.set_status_matching(body.status, **where))
    audit(request, "tasks.status", _target(body), f"status {body.status}, {changed} changed")
    return Changed(changed=changed, message=f"{changed} task(s) set to {body.status}")


@routes.post("/api/tasks/delete", "tasks:modify")
def delete_tasks(request: Request, body: Selection) -> Changed:
    tasks = desk_of(request).tasks
    changed = _change(body, tasks.delete, tasks.delete_matching)
    audit(request, "tasks.delete", _target(body), f"{changed} deleted")
    return Changed(changed=changed, message=f"{changed} task(s) deleted")


@routes.post("/api/tasks/retry", "tasks:modify")
def retry_tasks(request: Request, body: Selection) -> Changed:
    tasks = desk_of(request).tasks
    changed = _change(body, tasks.retry, tasks.retry_matching)
    audit(request, "tasks.retry", _target(body), f"{changed} retried")
    return Changed(changed=changed, message=f"{changed} task(s) will run again")


def _change(selection: Selection, by_ids: Callable[[list[int]], int],
            matching: Callable[..., int]) -> int:
    """One bulk change: on the selected ids, or on every task matching the filter."""
    _target(selection)  # exactly one of the two, or a clear error
    if selection.task_ids is not None:
        return by_ids(selection.task_ids)
    assert selection.filter is not None
    return matching(**selection.filter.keywords())


@routes.post("/api/tasks/delete-code", "tasks:modify")
def delete_code(request: Request, body: CodeBody) -> Changed:
    changed = desk_of(request).tasks.delete_by_code(body.code)
    audit(request, "tasks.delete_code", f"code {body.code}", f"{changed} deleted")
    return Changed(changed=changed, message=f"{changed} task(s) with code {body.code} deleted")


@routes.post("/api/tasks/clear", "tasks:modify")
def clear(request: Request) -> Changed:
    changed = desk_of(request).tasks.clear()
    audit(request, "tasks.clear", "all tasks", f"{changed} deleted")
    return Changed(changed=changed, message=f"{changed} task(s) deleted")


@routes.post("/api/tasks/run", "tasks:modify")
def run_tasks(request: Request) -> RunStartView:
    """Run Tasks: start a background runner unless one is already working."""
    result = desk_of(request).background.start()
    audit(request, "tasks.run", "runner", result["message"])
    return result


@routes.get("/api/tasks/{task_id}", "tasks:access")
def get_task(request: Request, task_id: int) -> dict[str, Any]:
    """The task, its attempts (each with timings and the runner that ran it) and its log."""
    return task_detail(request, task_id)


@routes.delete("/api/tasks/{task_id}", "tasks:modify")
def delete_task(request: Request, task_id: int) -> Changed:
    desk_of(request).tasks.get(task_id)  # 404 for a task that does not exist
    changed = desk_of(request).tasks.delete([task_id])
    audit(request, "tasks.delete", f"task {task_id}", f"{changed} deleted")
    message = "task deleted" if changed else "the task is running: it was not deleted"
    return Changed(changed=changed, message=message)


@routes.post("/api/tasks/{task_id}/retry", "tasks:modify")
def retry_task(request: Request, task_id: int) -> Changed:
    desk_of(request).tasks.get(task_id)
    changed = desk_of(request).tasks.retry([task_id])
    audit(request, "tasks.retry", f"task {task_id}", f"{changed} retried")
    message = "the task will run again" if changed else "the task is running: not retried"
    return Changed(changed=changed, message=message)


def task_detail(request: Request, task_id: int) -> dict[str, Any]:
    desk = desk_of(request)
    task = desk.tasks.get(task_id)
    runners = {view["runner_id"]: view for view in desk.runners()}
    attempts = desk.tasks.attempts(task_id)
    return {"task": task_view(task), "attempts": attempts,
            "runner": runners.get(task.worker_id or ""),
            "log": [log_entry_view(entry) for entry in desk.tasks.log(task_id=task_id)]}
