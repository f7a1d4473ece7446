"""`taskdesk workflow …`: list the workflows (their tasks' counts by status) and show one
(its tasks, parents first, each with its status and parents)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from taskdesk.cli.context import opened
from taskdesk.cli.output import console, new_table, print_json, short_iso, shown
from taskdesk.views import WorkflowSummaryView, WorkflowView

app = typer.Typer(help="Workflows: tasks that run after other tasks.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
LIMIT = 100  # the newest workflows `list` prints


@app.command("list")
def list_(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """The newest workflows, with how many of their tasks have each status."""
    with opened(ctx) as desk:
        found = desk.workflows.list(limit=LIMIT)
    if json_:
        print_json(found)
    else:
        console.print(workflows_table(found))


@app.command()
def show(ctx: typer.Context, workflow_id: int, json_: JsonFlag = False) -> None:
    """One workflow's tasks, parents first, with their status and parents."""
    with opened(ctx) as desk:
        found = desk.workflows.get(workflow_id)
    if json_:
        print_json(found)
    else:
        console.print(workflow_table(found))


def workflows_table(found: list[WorkflowSummaryView]) -> Table:
    table = new_table(f"{len(found)} workflows" if len(found) != 1 else "1 workflow",
                      ("id", "name", "added", "tasks", "by status"), wide=("name",))
    for one in found:
        table.add_row(str(one["workflow_id"]), shown(one["name"]), short_iso(one["date_added"]),
                      str(one["total"]), _counts(one["counts"]))
    return table


def workflow_table(found: WorkflowView) -> Table:
    table = new_table(f"workflow {found['workflow_id']}: {found['name']}",
                      ("task", "code", "status", "after", "run on failure"), wide=("code",))
    for node in found["tasks"]:
        status = "waiting for parents" if node["waiting_for_parents"] else node["status"]
        table.add_row(str(node["task_id"]), shown(node["code"]), status,
                      ", ".join(map(str, node["parents"])),
                      "yes" if node["run_on_failure"] else "")
    return table


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
