"""`taskdesk task list --by-error`: the failed tasks grouped by the class of what failed them
(count, first and last failure, the latest as the example), printed literally: a class name
and a message are the task's text, whatever they hold."""

from __future__ import annotations

from rich.table import Table

from taskdesk.cli.output import console, new_table, preview, print_json, short_iso, shown
from taskdesk.errors import BadInput
from taskdesk.views import FailureView

NOT_RECORDED = "(not recorded)"  # failed tasks without a class: older ones, or set by hand


def check_by_error(status: str | None, **others: object) -> None:
    """--by-error groups every failed task: it takes --status failed (or none), no other
    filter."""
    if status is not None and status.strip().lower() != "failed":
        raise BadInput("--by-error groups failed tasks: give --status failed or no --status")
    given = [f"--{name.replace('_', '-')}" for name, value in others.items() if value]
    if given:
        raise BadInput(f"--by-error groups every failed task: {', '.join(given)} does not "
                       "apply (list a class's tasks with --status failed --error CLASS)")


def print_failures(groups: list[FailureView], *, json_: bool) -> None:
    if json_:
        print_json(groups)
        return
    if not groups:
        console.print("no failed tasks")
        return
    console.print(failures_table(groups))
    console.print("a class's tasks: task list --status failed --error CLASS; "
                  "retry them: task retry --error CLASS; an example's traceback: task show ID")


def failures_table(groups: list[FailureView]) -> Table:
    total = sum(group["count"] for group in groups)
    classes = f"{len(groups)} error class{'es' if len(groups) != 1 else ''}"
    table = new_table(f"{total} failed tasks, {classes}",
                      ("error class", "tasks", "first seen", "last seen", "example", "message"),
                      wide=("message",))  # a class is shown whole: --error takes it
    for group in groups:
        name = group["error_class"]
        table.add_row(shown(NOT_RECORDED if name is None else name), str(group["count"]),
                      short_iso(group["first_seen"]), short_iso(group["last_seen"]),
                      str(group["example_task_id"]), preview(group["example_response"]))
    return table
