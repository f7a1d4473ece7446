"""The `taskdesk` command. `app` is the whole command (run it in-process with Typer's
CliRunner); `main()` is the console script, which also leaves no stray thread behind."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from taskdesk.app import leave_without_stray_threads
from taskdesk.cli import (
    extensions,
    logs,
    queues,
    runners,
    schedules,
    server,
    tasks,
    users,
    workflows,
)
from taskdesk.cli.context import Options
from taskdesk.cli.failure import RootGroup
from taskdesk.cli.verbosity import configure_logging

app = typer.Typer(
    cls=RootGroup,  # every failure ends as one `error:` line
    help="taskdesk: background tasks with a registry, runners that never lose one, and logs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(server.init)
app.command()(server.start)
app.command()(server.worker)
app.command()(runners.runners)
app.command()(runners.hosts)
app.command()(server.serve)
app.add_typer(tasks.app, name="task")
app.add_typer(extensions.app, name="extension")
app.add_typer(logs.app, name="log")
app.add_typer(users.app, name="user")
app.add_typer(schedules.app, name="schedule")
app.add_typer(queues.app, name="queue")
app.add_typer(workflows.app, name="workflow")


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(help="Data folder (env TASKDESK_HOME).")] = None,
    database_url: Annotated[str | None, typer.Option(
        help="sqlite:///PATH or postgresql://… (env TASKDESK_DATABASE_URL).")] = None,
    app: Annotated[str | None, typer.Option(
        help="module:attribute of the application's Taskdesk (env TASKDESK_APP).")] = None,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Log what runners do: a line per task (env TASKDESK_LOG_LEVEL).")]
    = False,
) -> None:
    configure_logging(verbose=verbose)
    ctx.obj = Options(home=home, database_url=database_url, app=app)


def main() -> None:
    try:
        app()
    except SystemExit as done:
        leave_without_stray_threads(done.code)  # a thread a task left must not hang us
        raise
