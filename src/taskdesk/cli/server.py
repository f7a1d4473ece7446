"""`taskdesk init | start | worker | runners`: the schema, and the runners."""

from __future__ import annotations

import os
import socket
import sys
import threading
from typing import Annotated

import typer
from rich.table import Table

from taskdesk.admin import Actor, Admin
from taskdesk.app import RunStats, Taskdesk, on_stop
from taskdesk.cli.context import desk_of, opened
from taskdesk.cli.output import console, shown, status_text
from taskdesk.cli.progress import ProgressHooks, progress_bar
from taskdesk.cli.verbosity import be_verbose
from taskdesk.errors import BadPassword, BadQueue, ConfigError
from taskdesk.models.account_rules import check_password, check_user_name
from taskdesk.models.tasks import Status

App = Annotated[str | None, typer.Option(
    help="module:attribute of the application's Taskdesk, whose tasks this runs "
         "(env TASKDESK_APP).")]
Verbose = Annotated[bool, typer.Option(
    "--verbose", "-v", help="Log a line per task to stderr (as `taskdesk --verbose`).")]


def init(
    ctx: typer.Context,
    admin_user: Annotated[str | None, typer.Option(
        help="Also add this admin user (or reset its password and make it admin).")] = None,
    admin_password: Annotated[str | None, typer.Option(
        envvar="TASKDESK_ADMIN_PASSWORD", show_envvar=True,
        help="The admin user's password (else TASKDESK_ADMIN_PASSWORD).")] = None,
) -> None:
    """Create the data folders and create or upgrade the database schema."""
    if admin_user is not None:  # refused before anything is created
        if admin_password is None:
            raise BadPassword("--admin-user needs --admin-password or TASKDESK_ADMIN_PASSWORD")
        check_user_name(admin_user)
        check_password(admin_password)
    desk = desk_of(ctx)
    try:
        view = desk.init()
        if admin_user is not None and admin_password is not None:
            Admin(desk).accounts.ensure_admin(admin_user, admin_password, by=Actor("cli"))
    finally:
        desk.close()
    console.print(shown(f"database {view['database']} is at schema {view['schema']}"))
    console.print(shown(f"data folder {view['home']}"))
    if admin_user is not None:
        console.print(shown(f"admin user {admin_user} is ready"))


def start(
    ctx: typer.Context,
    background: Annotated[bool, typer.Option(help="Detach and return at once.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar or summary.")] = False,
    app: App = None,
    queue: Annotated[list[str] | None, typer.Option(
        help="Run only this queue's tasks (repeat for more; default: every queue).")] = None,
    verbose: Verbose = False,
) -> None:
    """Run due tasks until none is left, then exit (what Run Tasks and cron start)."""
    if verbose:
        be_verbose()
    queues = queue or []
    if background and queues:
        raise BadQueue("--queue runs in the foreground: a background runner runs every queue")
    if background:
        with opened(ctx, app) as desk:
            pid = desk.run_in_background()
        console.print(shown(f"runner started in the background, pid {pid}; output: "
                            f"{desk.settings.runner_log}"))
        return
    _use_working_directory()
    stop = threading.Event()
    with opened(ctx, app) as desk, on_stop(stop):
        stats = _drain(desk, stop, queues, show=not quiet and console.is_terminal)
    if not quiet:
        console.print(summary(stats))


def _drain(desk: Taskdesk, stop: threading.Event, queues: list[str], *,
           show: bool) -> RunStats:
    if not show:
        return desk.runner(queues=queues).drain(stop)
    with progress_bar() as progress:
        expected = desk.tasks.count(status=Status.PENDING)
        return desk.runner(ProgressHooks(progress, expected), queues=queues).drain(stop)


def worker(
    ctx: typer.Context,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Tasks run at once.")] = 1,
    app: App = None,
    queue: Annotated[list[str] | None, typer.Option(
        help="Claim only from this queue; NAME:N runs at most N of its tasks at once "
             "(repeat for more; default: every queue).")] = None,
    verbose: Verbose = False,
) -> None:
    """Run tasks as they become due until stopped (Ctrl-C finishes the running ones)."""
    if verbose:
        be_verbose()
    queues = queue or []
    _use_working_directory()
    stop = threading.Event()
    with opened(ctx, app, connections=concurrency + 2) as desk, on_stop(stop):
        runner = desk.runner(queues=queues)  # a bad --queue is refused before it starts
        console.print(f"worker started with {concurrency} thread(s); Ctrl-C to stop")
        stats = runner.run(stop, concurrency=concurrency)
    console.print(summary(stats))


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    app: App = None,
) -> None:
    """Serve the admin and its JSON API (log in with a user from `taskdesk init
    --admin-user` or `taskdesk user add`)."""
    import uvicorn  # the web's dependencies load only for the command that serves it

    from taskdesk.web import create_app, protocol_with_head_deadline

    _use_working_directory()
    _check_address(host, port)
    with opened(ctx, app) as desk:
        console.print(shown(f"taskdesk admin on http://{host}:{port}/ (Ctrl-C to stop)"))
        uvicorn.run(create_app(desk), host=host, port=port, log_level="warning",
                    proxy_headers=False, server_header=False,  # web/proxies.py reads them
                    http=protocol_with_head_deadline(desk.settings.read_timeout_seconds))


def _check_address(host: str, port: int) -> None:
    """Refuse, as one error line and before the database opens, an address nobody can serve
    on (a port in use, a host this machine does not have)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        raise ConfigError(f"cannot serve on {host}:{port}: "
                          f"{error.strerror or error}") from None


def summary(stats: RunStats) -> Table:
    table = Table(title="runner summary", title_justify="left", show_header=False)
    table.add_column()
    table.add_column(justify="right")
    for status in (Status.COMPLETE, Status.FAILED, Status.PENDING):
        label = "retry scheduled" if status is Status.PENDING else status.value
        table.add_row(status_text(status, label), str(stats.by_status.get(status, 0)))
    if stats.by_status.get(Status.CANCELLED):  # attempts whose task was cancelled as they ran
        table.add_row(status_text(Status.CANCELLED, "cancelled while running"),
                      str(stats.by_status[Status.CANCELLED]))
    table.add_row("recovered", str(stats.recovered))
    return table


def _use_working_directory() -> None:
    """Import paths resolve from the current folder, as with `python -m` (Celery, RQ do too)."""
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
