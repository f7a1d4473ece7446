"""`taskdesk queue …`: list the named queues (waiting, running, failed, the oldest waiting
task's age, paused, and the caps the live runners serve each with), pause and resume one.
A pause is stored in the database: every runner's claim obeys it at once."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from taskdesk.admin import Actor
from taskdesk.cli.context import opened
from taskdesk.cli.output import console, new_table, print_json, short_iso, shown
from taskdesk.cli.runners import plural
from taskdesk.views import QueueView

app = typer.Typer(help="Named queues: list, pause and resume.", no_args_is_help=True)

ACTOR = Actor("cli")  # who the audit log names for a pause made here
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Name = Annotated[str, typer.Argument(help="The queue's name (letters, digits, _ . -).")]


@app.command("list")
def list_(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """Every queue that holds tasks, is paused, or is served by name by a live runner."""
    with opened(ctx) as desk:
        found = desk.queues.list()
    if json_:
        print_json(found)
    else:
        console.print(queues_table(found))


@app.command()
def pause(ctx: typer.Context, name: Name, json_: JsonFlag = False) -> None:
    """Pause a queue: no runner claims its tasks until it is resumed; running ones finish."""
    with opened(ctx) as desk:
        paused = desk.queues.pause(name, by=ACTOR)
    waits = "waits" if paused["waiting"] == 1 else "wait"
    _said(paused, f"paused queue {name}: its {plural(paused['waiting'], 'waiting task')} "
          f"{waits}", json_)


@app.command()
def resume(ctx: typer.Context, name: Name, json_: JsonFlag = False) -> None:
    """Resume a paused queue: its tasks are claimed again at once."""
    with opened(ctx) as desk:
        resumed = desk.queues.resume(name, by=ACTOR)
    _said(resumed, f"resumed queue {name}: {plural(resumed['waiting'], 'waiting task')}", json_)


def _said(view: QueueView, sentence: str, json_: bool) -> None:
    if json_:
        print_json(view)
    else:
        console.print(shown(sentence))


def queues_table(found: list[QueueView]) -> Table:
    table = new_table(f"{len(found)} queues" if len(found) != 1 else "1 queue",
                      ("queue", "waiting", "running", "failed", "oldest waiting", "paused",
                       "served by"), wide=("queue",))
    for one in found:
        table.add_row(shown(one["queue"]), str(one["waiting"]), str(one["running"]),
                      str(one["failed"]), _age(one["oldest_waiting_seconds"]),
                      _paused(one), shown(_served(one)))
    return table


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.0f}s"
    return f"{seconds / 60:.0f}m" if seconds < 7200 else f"{seconds / 3600:.1f}h"


def _paused(one: QueueView) -> str:
    if not one["paused"]:
        return "no"
    by = f" by {one['paused_by']}" if one["paused_by"] else ""
    return f"since {short_iso(one['paused_at'])}{by}"


def _served(one: QueueView) -> str:
    """The live runners' caps: `2 runners (cap 2, no cap)`; none: `no live runner`."""
    servers = one["served_by"]
    if not servers:
        return "no live runner"
    caps = ", ".join("no cap" if s["cap"] is None else f"cap {s['cap']}" for s in servers)
    return f"{len(servers)} runner{'s' if len(servers) != 1 else ''} ({caps})"
