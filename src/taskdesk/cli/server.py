"""`taskdesk init | start | worker`: the schema, and the runners."""

from __future__ import annotations

import os
import sys
import threading
from typing import Annotated

import typer
from rich.table import Table

from taskdesk.app import Taskdesk
from taskdesk.cli.context import opened, settings_of
from taskdesk.cli.output import console, new_table, print_json, short_time, status_text
from taskdesk.cli.progress import ProgressHooks, progress_bar
from taskdesk.clock import isoformat
from taskdesk.models import Status
from taskdesk.runner import RunnerHooks, RunStats
from taskdesk.runner.shutdown import on_stop
from taskdesk.runner.spawn import spawn_start
from taskdesk.store.errors import describe
from taskdesk.store.migrate import SCHEMA_HEAD


def init(ctx: typer.Context) -> None:
    """Create the data folders and create or upgrade the database schema."""
    desk = Taskdesk.init(settings_of(ctx))
    try:
        console.print(f"database {describe(desk.store.engine.url)} is at schema {SCHEMA_HEAD}")
        console.print(f"data folder {desk.settings.home}")
    finally:
        desk.close()


def start(
    ctx: typer.Context,
    background: Annotated[bool, typer.Option(help="Detach and return at once.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar or summary.")] = False,
) -> None:
    """Run due tasks until none is left, then exit (what Run Tasks and cron start)."""
    if background:
        settings = settings_of(ctx)
        Taskdesk.open(settings).close()  # refuse now, not in the detached runner's log
        pid = spawn_start(settings)
        console.print(f"runner started in the background, pid {pid}; output: "
                      f"{settings.runner_log}")
        return
    _use_working_directory()
    stop = threading.Event()
    with opened(ctx) as desk, on_stop(stop):
        show = not quiet and console.is_terminal
        if not show:
            stats = desk.runner().drain(stop)
        else:
            with progress_bar() as progress:
                expected = desk.registry.count(status=Status.PENDING)
                stats = desk.runner(ProgressHooks(progress, expected)).drain(stop)
    if not quiet:
        console.print(summary(stats))


def worker(
    ctx: typer.Context,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Tasks run at once.")] = 1,
) -> None:
    """Run tasks as they become due until stopped (Ctrl-C finishes the running ones)."""
    _use_working_directory()
    stop = threading.Event()
    with opened(ctx) as desk, on_stop(stop):
        console.print(f"worker started with {concurrency} thread(s); Ctrl-C to stop")
        stats = desk.runner(RunnerHooks()).run(stop, concurrency=concurrency)
    console.print(summary(stats))


def runners(
    ctx: typer.Context,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Runners that registered and have not stopped: start and worker processes, anywhere."""
    with opened(ctx) as desk:
        found = desk.store.runners()
        lease = desk.settings.lease_seconds
        now = desk.store.clock()
    rows = [{"runner_id": r.runner_id, "hostname": r.hostname, "pid": r.pid,
             "started_at": isoformat(r.started_at), "last_seen_at": isoformat(r.last_seen_at),
             "alive": (now - r.last_seen_at).total_seconds() <= lease} for r in found]
    if json_:
        print_json(rows)
        return
    table = new_table(f"{len(rows)} runners",
                      ("runner", "host", "pid", "started (UTC)", "last seen (UTC)", "alive"))
    for info, row in zip(found, rows, strict=True):
        table.add_row(info.runner_id, info.hostname, str(info.pid), short_time(info.started_at),
                      short_time(info.last_seen_at), "yes" if row["alive"] else "no (unseen)")
    console.print(table)


def summary(stats: RunStats) -> Table:
    table = Table(title="runner summary", title_justify="left", show_header=False)
    table.add_column()
    table.add_column(justify="right")
    for status in (Status.COMPLETE, Status.FAILED, Status.PENDING):
        label = "retry scheduled" if status is Status.PENDING else status.value
        shown = status_text(status).replace(status.value, label)
        table.add_row(shown, str(stats.by_status.get(status, 0)))
    table.add_row("recovered", str(stats.recovered))
    return table


def _use_working_directory() -> None:
    """Import paths resolve from the current folder, as with `python -m` (Celery, RQ do too)."""
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
