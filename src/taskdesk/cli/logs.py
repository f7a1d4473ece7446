"""`taskdesk log …`: the error log that tasks write with self.log.write(), every host's lines
(stored in the database), newest last, a page at a time."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from taskdesk.cli.context import opened
from taskdesk.cli.output import console, print_json
from taskdesk.models.error_lines import DEFAULT_PAGE, MAX_PAGE, ErrorLineFilter
from taskdesk.text import visible
from taskdesk.views import ErrorLineView

app = typer.Typer(help="Show or clear the error log (System > Maintenance > Error logs).",
                  no_args_is_help=True)


@app.command()
def show(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "--lines", "-n", min=1, max=MAX_PAGE,
                                       help="The last N lines (of those before --before).")]
    = DEFAULT_PAGE,
    before: Annotated[int | None, typer.Option(
        help="Only lines written before this error_log_id (the older page).")] = None,
    host: Annotated[str | None, typer.Option(help="Only lines this host wrote.")] = None,
    task_id: Annotated[int | None, typer.Option("--task", help="Only lines this task wrote.")]
    = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Print the error log: every host's lines, newest last."""
    where = ErrorLineFilter(host=host, task_id=task_id, before=before)
    with opened(ctx) as desk:
        page = desk.error_log.page_view(where, limit)
    if json_:
        print_json(page)
        return
    if not page["lines"]:
        console.print("the error log is empty" if where == ErrorLineFilter()
                      else "no error log lines match")
        return
    sys.stdout.write("".join(line_text(line) + "\n" for line in page["lines"]))
    if page["next_cursor"] is not None:
        console.print(f"older: --before {page['next_cursor']}")


def line_text(line: ErrorLineView) -> str:
    """`<date> <host> pid <pid> task <id> - <message>`, every character a terminal acts on
    written as an escape: what tasks wrote is shown, never obeyed."""
    task = "-" if line["task_id"] is None else str(line["task_id"])
    when = (line["date_added"] or "").replace("T", " ")[:19]  # as the file writes it
    head = f"{when} {line['host']} pid {line['pid']} task {task}"
    return visible(f"{head} - {line['message']}", keep="\t")


@app.command()
def clear(ctx: typer.Context) -> None:
    """Delete every host's error log lines (and empty this host's file)."""
    with opened(ctx) as desk:
        cleared = desk.error_log.clear()
        path = desk.error_log.path
    console.print(visible(f"cleared {cleared} lines from the database and {path}"))
