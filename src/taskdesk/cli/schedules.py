"""`taskdesk schedule …`: add, list, show, delete, enable and disable recurring schedules."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from taskdesk.cli.context import opened
from taskdesk.cli.output import console, new_table, print_json, short_iso, shown
from taskdesk.cli.server import App
from taskdesk.models.tasks import parse_args
from taskdesk.views import ScheduleView

app = typer.Typer(help="Recurring schedules: each firing adds one task.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Code = Annotated[str, typer.Argument(help="The schedule's code (also its tasks' code).")]


@app.command()
def add(
    ctx: typer.Context,
    code: Code,
    action: Annotated[str, typer.Argument(
        help="A registered task's name, task/catalog/<ext>.<controller>, or pkg.mod:func.")],
    cron: Annotated[str | None, typer.Option(help="A 5-field cron expression, in UTC.")] = None,
    every: Annotated[str | None, typer.Option(
        help="A cycle: minute, hour, day, week or month.")] = None,
    interval: Annotated[int, typer.Option(help="Cycles between firings (1-1000).")] = 1,
    args: Annotated[str, typer.Option(help="Keyword arguments as a JSON object.")] = "{}",
    missed: Annotated[str, typer.Option(
        help="A firing missed while no runner ran: run-once or skip.")] = "run-once",
    json_: JsonFlag = False,
    app: App = None,
) -> None:
    """Add a schedule (--cron or --every); its action must be allowed, as a task's is."""
    arguments = parse_args(args)  # refused before the database is opened
    with opened(ctx, app) as desk:
        added = desk.schedules.add(code, action, arguments, cron=cron, every=every,
                                   interval=interval, missed=missed)
    if json_:
        print_json(added)
    else:
        console.print(shown(f"added schedule {added['code']} ({added['rule']}), "
                            f"first firing {added['next_run_at']}"))


@app.command("list")
def list_(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """List schedules by code."""
    with opened(ctx) as desk:
        found = desk.schedules.list_schedules()
    if json_:
        print_json(found)
    else:
        console.print(schedules_table(found))


@app.command()
def show(ctx: typer.Context, code: Code, json_: JsonFlag = False) -> None:
    """Show one schedule."""
    with opened(ctx) as desk:
        found = desk.schedules.show(code)
    if json_:
        print_json(found)
    else:
        console.print(schedules_table([found]))


@app.command()
def delete(ctx: typer.Context, code: Code) -> None:
    """Delete a schedule; the tasks it added stay."""
    with opened(ctx) as desk:
        desk.schedules.delete(code)
    console.print(shown(f"deleted schedule {code}"))


@app.command()
def enable(ctx: typer.Context, code: Code) -> None:
    """Fire again (a firing missed meanwhile follows the schedule's --missed policy)."""
    with opened(ctx) as desk:
        desk.schedules.enable(code)
    console.print(shown(f"enabled schedule {code}"))


@app.command()
def disable(ctx: typer.Context, code: Code) -> None:
    """Stop firing until enabled."""
    with opened(ctx) as desk:
        desk.schedules.disable(code)
    console.print(shown(f"disabled schedule {code}"))


def schedules_table(found: list[ScheduleView]) -> Table:
    table = new_table(f"{len(found)} schedules", ("code", "action", "rule", "missed",
                                                  "enabled", "next (UTC)", "last (UTC)"))
    for one in found:
        table.add_row(shown(one["code"]), shown(one["action"]), shown(one["rule"]),
                      one["missed"], "yes" if one["enabled"] else "no",
                      short_iso(one["next_run_at"]), short_iso(one["last_run_at"]))
    return table
