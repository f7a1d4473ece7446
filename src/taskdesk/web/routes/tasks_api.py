"""The JSON API of Extensions > Tasks: the same views as the CLI's `--json`. Every change is
written to the audit log with who made it and from where."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BaseModel, Field

from taskdesk.app import Actor, AfterChunks, Audited, TaskRegistry, chunk_audit
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
    """An audit row of its own, for a change that is not in the database (a file, a runner
    started): database changes write theirs in their own transaction (`change`)."""
    desk_of(request).audit.record(actor=caller_of(request).name, action=action, target=target,
                                  detail=detail, address=client_address(request))


def change(request: Request) -> AbstractContextManager[Audited]:
    """The caller's change and its audit row, in one transaction."""
    return desk_of(request).audited(caller_of(request).name, address=client_address(request))


def after_chunks(request: Request, action: str, target: str,
                 detail: Callable[[int], str]) -> AfterChunks:
    """The audit row of a change by filter, in its last chunk's transaction."""
    return chunk_audit(Actor(caller_of(request).name, client_address(request)), action,
                       target, detail)


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
    with change(request) as audited:
        task = audited.tasks.add(body.code, body.action, body.args, priority=body.priority,
                                 run_at=body.run_at, max_attempts=body.max_attempts)
        audited.record("tasks.add", f"task {task.task_id}", f"{task.code} {task.action}")
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
    changed = _bulk(request, body, "tasks.status",
                    lambda n: f"status {body.status}, {n} changed",
                    lambda tasks, ids: tasks.set_status(body.status, ids),
                    lambda tasks, then, where: tasks.set_status_matching(
                        body.status, then=then, **where))
    return Changed(changed=changed, message=f"{changed} task(s) set to {body.status}")


@routes.post("/api/tasks/delete", "tasks:modify")
def delete_tasks(request: Request, body: Selection) -> Changed:
    changed = _bulk(request, body, "tasks.delete", lambda n: f"{n} deleted",
                    lambda tasks, ids: tasks.delete(ids),
                    lambda tasks, then, where: tasks.delete_matching(then=then, **where))
    return Changed(changed=changed, message=f"{changed} task(s) deleted")


@routes.post("/api/tasks/retry", "tasks:modify")
def retry_tasks(request: Request, body: Selection) -> Changed:
    changed = _bulk(request, body, "tasks.retry", lambda n: f"{n} retried",
                    lambda tasks, ids: tasks.retry(ids),
                    lambda tasks, then, where: tasks.retry_matching(then=then, **where))
    return Changed(changed=changed, message=f"{changed} task(s) will run again")


def _bulk(request: Request, selection: Selection, action: str, detail: Callable[[int], str],
          by_ids: Callable[[TaskRegistry, list[int]], int],
          matching: Callable[[TaskRegistry, AfterChunks, dict[str, Any]], int]) -> int:
    """One bulk change with its audit row: on the selected ids in one transaction, or on
    every task matching the filter a chunk at a time, the row in the last chunk's."""
    target = _target(selection)  # exactly one of the two, or a clear error
    if selection.task_ids is not None:
        with change(request) as audited:
            changed = by_ids(audited.tasks, selection.task_ids)
            audited.record(action, target, detail(changed))
        return changed
    assert selection.filter is not None
    return matching(desk_of(request).tasks, after_chunks(request, action, target, detail),
                    selection.filter.keywords())


@routes.post("/api/tasks/delete-code", "tasks:modify")
def delete_code(request: Request, body: CodeBody) -> Changed:
    with change(request) as audited:
        changed = audited.tasks.delete_by_code(body.code)
        audited.record("tasks.delete_code", f"code {body.code}", f"{changed} deleted")
    return Changed(changed=changed, message=f"{changed} task(s) with code {body.code} deleted")


@routes.post("/api/tasks/clear", "tasks:modify")
def clear(request: Request) -> Changed:
    with change(request) as audited:
        changed = audited.tasks.clear()
        audited.record("tasks.clear", "all tasks", f"{changed} deleted")
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
    with change(request) as audited:
        audited.tasks.get(task_id)  # 404 for a task that does not exist
        changed = audited.tasks.delete([task_id])
        audited.record("tasks.delete", f"task {task_id}", f"{changed} deleted")
    message = "task deleted" if changed else "the task is running: it was not deleted"
    return Changed(changed=changed, message=message)


@routes.post("/api/tasks/{task_id}/retry", "tasks:modify")
def retry_task(request: Request, task_id: int) -> Changed:
    with change(request) as audited:
        audited.tasks.get(task_id)
        changed = audited.tasks.retry([task_id])
        audited.record("tasks.retry", f"task {task_id}", f"{changed} retried")
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
