"""`taskdesk task …`: add, list, show, change and delete tasks; read the task log."""

from __future__ import annotations

import getpass
import os
import socket
from typing import Annotated

import typer

from taskdesk.cli.context import administered, opened
from taskdesk.cli.failures import check_by_error, print_failures
from taskdesk.cli.output import (
    LISTED_CHARS,
    console,
    listed_view,
    log_table,
    print_block,
    print_json,
    print_why,
    task_details,
    tasks_table,
    workflow_line,
)
from taskdesk.cli.server import App
from taskdesk.errors import BadInput
from taskdesk.models.failures import check_error_class
from taskdesk.models.tasks import Status, parse_args
from taskdesk.text import visible
from taskdesk.views import failure_view, log_entry_view, task_view, task_with_log_view

MAX_FAILURE_GROUPS = 100  # error classes `task list --by-error` shows at most

app = typer.Typer(help="Add, list, change and delete tasks; read the task log.",
                  no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Ids = Annotated[list[int], typer.Argument(help="Task ids.", show_default=False)]
Limit = Annotated[int, typer.Option(help="At most this many rows (1-1000).")]
ErrorClass = Annotated[str | None, typer.Option(
    "--error", help="Only tasks whose latest failure was of this error class.")]


@app.command()
def add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Replace key: a waiting task with it is replaced.")],
    action: Annotated[str, typer.Argument(
        help="A registered task's name, task/catalog/<ext>.<controller>, or pkg.mod:func.")],
    args: Annotated[str, typer.Option(help="Keyword arguments as a JSON object.")] = "{}",
    run_at: Annotated[str | None, typer.Option(help="ISO 8601 time; UTC if no offset.")] = None,
    priority: Annotated[int, typer.Option(help="Higher runs first.")] = 0,
    max_attempts: Annotated[int | None, typer.Option(help="Starts allowed, retries included.")]
    = None,
    keep: Annotated[bool, typer.Option(help="Keep waiting tasks with the same code.")] = False,
    queue: Annotated[str, typer.Option(help="The named queue it waits in.")] = "default",
    json_: JsonFlag = False,
    app: App = None,
) -> None:
    """Add a pending task (the action must be allowed: see `taskdesk --help` on --app)."""
    arguments = parse_args(args)  # refused before the database is opened
    with opened(ctx, app) as desk:
        task = desk.tasks.add(code, action, arguments, priority=priority, run_at=run_at,
                              max_attempts=max_attempts, replace=not keep, queue=queue)
    if json_:
        print_json(task_view(task))
    else:
        console.print(f"added task {task.task_id} ({task.code}), {task.status.value}")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only tasks with this status.")] = None,
    code: Annotated[str | None, typer.Option(help="Only codes containing this text.")] = None,
    queue: Annotated[str | None, typer.Option(help="Only tasks of this queue.")] = None,
    error: ErrorClass = None,
    by_error: Annotated[bool, typer.Option(
        "--by-error", help="The failed tasks grouped by error class, with counts.")] = False,
    limit: Limit = 100,
    after: Annotated[int | None, typer.Option(help="Only ids after this one (next page).")]
    = None,
    json_: JsonFlag = False,
    whole: Annotated[bool, typer.Option(
        help="With --json: args and responses whole, however long.")] = False,
) -> None:
    """List tasks in id order (or, with --by-error, the failed ones grouped by cause)."""
    if by_error:
        check_by_error(status, code=code, queue=queue, error=error, after=after, whole=whole)
        with opened(ctx) as desk:
            groups = desk.tasks.failures(limit=min(limit, MAX_FAILURE_GROUPS))
        print_failures([failure_view(group) for group in groups], json_=json_)
        return
    with opened(ctx) as desk:  # a table shows a line of each response: load no more
        tasks = desk.tasks.list_tasks(code=code, status=status, queue=queue, error_class=error,
                                      cursor=after, limit=limit,
                                      preview=None if whole else LISTED_CHARS + 1)
        total = desk.tasks.count(code=code, status=status, queue=queue, error_class=error)
    if json_:
        print_json([task_view(task) if whole else listed_view(task) for task in tasks])
        return
    console.print(tasks_table(tasks, title=f"{len(tasks)} of {total} tasks"))
    if tasks and len(tasks) == limit:
        console.print(f"next page: --after {tasks[-1].task_id}")


@app.command()
def show(ctx: typer.Context, task_id: int, json_: JsonFlag = False) -> None:
    """One task, with its log."""
    with opened(ctx) as desk:
        task = desk.tasks.get(task_id)
        entries = desk.tasks.log(task_id=task_id, limit=20)
        workflow = desk.workflows.of_task(task_id)
        now = desk.now()
    if json_:
        print_json(task_with_log_view(task, entries, workflow))
        return
    console.print(task_details(task))
    if workflow is not None:
        console.print(workflow_line(workflow))
    if task.status is Status.PROCESSING:  # a task that never returns shows how long it runs
        seconds = (now - task.date_modified).total_seconds()
        console.print(f"running for {seconds:.0f} s, attempt {task.attempts}, "
                      f"on runner {visible(task.worker_id or '?')}")
    if task.response:
        print_block("response", task.response, whole=f"taskdesk task show {task_id} --json")
    console.print(log_table(entries, title="log"))


@app.command()
def why(ctx: typer.Context, task_id: int, json_: JsonFlag = False) -> None:
    """Why a task is not running: the first reason that holds, its facts, what to do."""
    with administered(ctx) as admin:
        found = admin.why(task_id)
    if json_:
        print_json(found)
    else:
        print_why(found)


@app.command()
def status(
    ctx: typer.Context,
    new_status: Annotated[str, typer.Argument(metavar="STATUS",
                                              help="pending, paused, complete or failed.")],
    task_ids: Ids,
) -> None:
    """Change the status of tasks (running tasks are left alone)."""
    with opened(ctx) as desk:
        changed = desk.tasks.set_status(new_status, task_ids)
    console.print(_left_alone(f"{changed} changed", changed, task_ids))


@app.command()
def delete(ctx: typer.Context, task_ids: Ids) -> None:
    """Delete tasks (running tasks are left alone)."""
    with opened(ctx) as desk:
        deleted = desk.tasks.delete(task_ids)
    console.print(_left_alone(f"{deleted} deleted", deleted, task_ids))


def _left_alone(done: str, count: int, task_ids: list[int]) -> str:
    running = len(set(task_ids)) - count
    return f"{done}, {running} running left alone" if running else done


@app.command()
def retry(
    ctx: typer.Context,
    task_ids: Annotated[list[int] | None, typer.Argument(help="Task ids.",
                                                         show_default=False)] = None,
    code: Annotated[str | None, typer.Option(help="Every task whose code contains this.")]
    = None,
    status: Annotated[str | None, typer.Option(help="Every task with this status "
                                                    "(e.g. failed).")] = None,
    error: Annotated[str | None, typer.Option(
        help="Every task whose latest failure was of this error class (failed ones unless "
             "--status says otherwise).")] = None,
) -> None:
    """Run tasks again with a fresh attempt budget: these ids, or every one matching --code,
    --status and --error (running tasks are left alone)."""
    if bool(task_ids) == (code is not None or status is not None or error is not None):
        raise BadInput("task retry takes task ids, or --code, --status and/or --error, "
                       "not both")
    if error is not None and status is None:
        status = "failed"  # "retry all of this class": its failed tasks
    if error is not None:
        check_error_class(error)  # an empty one would filter nothing
    with opened(ctx) as desk:
        if task_ids:
            retried = desk.tasks.retry(task_ids)
        else:
            retried = desk.tasks.retry_matching(code=code, status=status, error_class=error)
    message = f"{retried} retried"
    console.print(_left_alone(message, retried, task_ids) if task_ids else message)


@app.command()
def cancel(
    ctx: typer.Context,
    task_ids: Annotated[list[int] | None, typer.Argument(help="Task ids.",
                                                         show_default=False)] = None,
    code: Annotated[str | None, typer.Option(help="Every task whose code contains this.")]
    = None,
    status: Annotated[str | None, typer.Option(
        help="Every task with this status: pending, paused, failed or processing.")] = None,
    queue: Annotated[str | None, typer.Option(help="Every task of this queue.")] = None,
    error: Annotated[str | None, typer.Option(
        help="Every task whose latest failure was of this error class (failed ones unless "
             "--status says otherwise).")] = None,
) -> None:
    """Cancel tasks: these ids, or every one matching --code, --status, --queue and --error.
    A waiting task never runs; a running one is told to stop (taskdesk.cancelled()) and its
    outcome is not stored. Complete tasks are left alone; `task retry` brings a cancelled
    task back."""
    if bool(task_ids) == any(value is not None for value in (code, status, queue, error)):
        raise BadInput("task cancel takes task ids, or --code, --status, --queue and/or "
                       "--error, not both")
    if error is not None:
        check_error_class(error)  # an empty one would filter nothing
        status = status or "failed"  # "cancel all of this class": its failed tasks
    with opened(ctx) as desk:
        by = f"taskdesk task cancel ({cli_user()})"
        if task_ids:
            cancelled = len(desk.tasks.cancel(task_ids, by=by))
        else:
            cancelled = desk.tasks.cancel_matching(by=by, code=code, status=status,
                                                   queue=queue, error_class=error)
    message = f"{cancelled} cancelled"
    ended = len(set(task_ids or ())) - cancelled
    console.print(f"{message}, {ended} already ended left alone" if ended > 0 else message)


def cli_user() -> str:
    """Who typed the command, as the task log names them: the login name, and the host."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        name = f"uid {os.getuid()}"
    return f"{name}@{socket.gethostname()}"


@app.command("delete-code")
def delete_code(ctx: typer.Context, code: str) -> None:
    """Delete every task with this code (OpenCart's deleteTaskByCode), except running ones."""
    with opened(ctx) as desk:
        deleted = desk.tasks.delete_by_code(code)
    console.print(f"{deleted} deleted")


@app.command()
def clear(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
) -> None:
    """Delete every task that is not running."""
    if not yes:
        if not console.is_interactive:
            raise BadInput("task clear deletes every task: pass --yes to confirm")
        typer.confirm("Delete every task that is not running?", abort=True)
    with opened(ctx) as desk:
        console.print(f"{desk.tasks.clear()} deleted")


@app.command()
def log(
    ctx: typer.Context,
    task_id: Annotated[int | None, typer.Option("--task", help="Only this task's entries.")]
    = None,
    limit: Limit = 50,
    before: Annotated[int | None, typer.Option(help="Only log ids before this one.")] = None,
    json_: JsonFlag = False,
) -> None:
    """The task log, newest first: one entry per attempt and per recovery."""
    with opened(ctx) as desk:
        entries = desk.tasks.log(task_id=task_id, cursor=before, limit=limit)
    if json_:
        print_json([log_entry_view(entry) for entry in entries])
        return
    console.print(log_table(entries))
    if entries and len(entries) == limit:
        console.print(f"older: --before {entries[-1].task_log_id}")
