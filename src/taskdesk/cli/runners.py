"""`taskdesk runners` and `taskdesk hosts`: the runners, grouped by host with each host's
health — up, lost (its runners stopped heartbeating without a clean stop, and since when), or
stopped — and `hosts --forget HOST` to stop showing a host that will not come back."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from taskdesk.admin import Actor
from taskdesk.cli.context import administered
from taskdesk.cli.output import console, new_table, print_json, short_iso, shown
from taskdesk.errors import HostNotFound
from taskdesk.text import visible
from taskdesk.views import HostView, RunnerView

ACTOR = Actor("cli")  # who the audit log names for a host forgotten here
#: A host's row fills the first three and the last (its attempts); each runner's row under it
#: fills the others, and the last with what it is running.
COLUMNS = ("host", "state", "last seen (UTC)", "pid", "beat", "serves",
           "attempts / running now")


def runners(
    ctx: typer.Context,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Runners by host (start and worker processes, anywhere): each host up, lost (its
    runners stopped heartbeating; shown for a day, or until forgotten) or stopped. --json:
    the runners alone, as GET /api/runners (`taskdesk hosts --json` groups them)."""
    with administered(ctx) as admin:
        if json_:
            print_json(admin.runners())
            return
        _print(admin.hosts())


def hosts(
    ctx: typer.Context,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    forget: Annotated[str | None, typer.Option(
        "--forget", metavar="HOST", help="Forget a lost or stopped host, and its counts.")] = None,
) -> None:
    """Hosts, each with its runners and health (as `runners`); --json as GET /api/hosts;
    --forget HOST stops showing a host that will not come back (audited)."""
    with administered(ctx) as admin:
        if forget is not None:
            if not admin.forget_host(forget, by=ACTOR):
                raise HostNotFound(f"no host {visible(forget)} is known")
            console.print(Text(f"forgot host {visible(forget)}"))
            return
        found = admin.hosts()
    if json_:
        print_json(found)
        return
    _print(found)


def _print(found: list[HostView]) -> None:
    if not found:
        console.print("no runner has registered yet: `taskdesk start` drains the due tasks, "
                      "`taskdesk worker` keeps running")
        return
    count = sum(len(host["runners"]) for host in found)
    table = new_table(f"{plural(len(found), 'host')}, {plural(count, 'runner')}", COLUMNS)
    for host in found:
        table.add_row(shown(host["hostname"]), _state(host), short_iso(host["last_seen_at"]),
                      "", "", "", _counts(host))
        for runner in host["runners"]:
            table.add_row("", "up" if runner["alive"] else "not seen", "", str(runner["pid"]),
                          f"{runner['last_seen_seconds']:.0f} s ago", _serves(runner),
                          _running(runner))
    console.print(table)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _state(host: HostView) -> str:
    if host["lost"]:
        return f"LOST {host['last_seen_seconds']:.0f} s ago"
    return host["state"]


def _counts(host: HostView) -> str:
    lost = f", {host['lease_lost']} lease lost" if host["lease_lost"] else ""
    return f"{host['completed']} complete, {host['failed']} failed{lost}"


def _serves(runner: RunnerView) -> Text:
    queues = runner["queues"]
    return Text("every queue") if queues is None else shown(", ".join(queues))


def _running(runner: RunnerView) -> Text:
    return shown(", ".join(f"{task['code']} ({task['running_seconds']:.0f} s)"
                           for task in runner["running"]) or "—")
