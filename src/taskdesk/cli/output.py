"""Everything the CLI prints: Rich tables for people, JSON for scripts.

Every value that came from outside (a package, a task's args, its response, a traceback) is
printed literally: the consoles read no markup and no emoji codes, and `shown`/`block` write
control characters as escapes, so a value can neither style, crash nor drive the terminal.
Only our own words (statuses, titles) carry styles, as Rich `Text`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from taskdesk.models.tasks import LogEntry, Status, Task
from taskdesk.models.workflows import waits_for_parents
from taskdesk.text import json_safe, visible
from taskdesk.views import TaskWorkflowView, WhyView, task_view

PIPED_WIDTH = 160  # columns when stdout is not a terminal and COLUMNS is unset
WIDE_COLUMN = 48  # characters; longer actions and responses end in an ellipsis
PREVIEW_CHARS = 60  # of a response or log comment in a table: its first line, cut here
PROGRESS_CHARS = 40  # of a progress message in the task list
PREVIEW_SCAN = 4_096  # characters of a long text read to find that first line
#: Of a task's args (as JSON text) and response in `task list --json`; `--whole` prints all.
LISTED_CHARS = 4_096
DETAIL_CHARS = 2_000  # of one value in `task show`'s table (args, worker id, …)
#: Of a response or traceback that `task show` prints: as much as a runner stores
#: (taskdesk.text.MAX_TEXT_BYTES); a longer one (an older row) is cut, with a note.
BLOCK_CHARS = 64 * 1024

STATUS_STYLES = {
    Status.PENDING: "yellow",
    Status.PROCESSING: "cyan",
    Status.PAUSED: "magenta",
    Status.COMPLETE: "green",
    Status.FAILED: "red",
    Status.CANCELLED: "dim",
}


def _width() -> int | None:
    return None if sys.stdout.isatty() or os.environ.get("COLUMNS") else PIPED_WIDTH


def _console(*, stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, markup=False, emoji=False, width=_width())


console = _console()
errors = _console(stderr=True)


def print_json(value: Any) -> None:
    """JSON as scripts read it; characters a terminal acts on are `\\u` escapes, and a lone
    surrogate (not UTF-8) in an old row is one too, so that one row never breaks a listing."""
    sys.stdout.write(json_safe(json.dumps(value, indent=2, ensure_ascii=False)) + "\n")


def listed_view(task: Task) -> dict[str, Any]:
    """A task as `task list --json` prints it: args and response longer than LISTED_CHARS
    cut (a cut args is the start of its JSON text, a string), and `cut` naming what was."""
    view: dict[str, Any] = dict(task_view(task))
    cut: list[str] = []
    args = json.dumps(task.args, ensure_ascii=False)
    if len(args) > LISTED_CHARS:
        view["args"] = clipped(args, LISTED_CHARS)
        cut.append("args")
    if task.response is not None and len(task.response) > LISTED_CHARS:
        view["response"] = clipped(task.response, LISTED_CHARS)
        cut.append("response")
    view["cut"] = cut
    return view


def shown(value: object) -> Text:
    """A value on one line, printed literally: control characters (newlines too) escaped."""
    return Text(visible(str(value)))


def clipped(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis, before it is escaped (linear)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def preview(text: str | None, width: int = PREVIEW_CHARS) -> Text:
    """The first non-blank line of a long text, cut to `width`; reads only its start."""
    head = (text or "")[:PREVIEW_SCAN].lstrip()
    line = head.split("\n", 1)[0].rstrip()
    return Text(visible(clipped(line, width)))


def block(text: str, *, limit: int = BLOCK_CHARS) -> tuple[Text, int]:
    """A multi-line text as printed under a heading: newlines and tabs kept, other control
    characters escaped, cut to `limit` characters; returns it and how many were left out."""
    return Text(visible(text[:limit], keep="\n\t")), max(len(text) - limit, 0)


def status_text(status: Status, label: str | None = None) -> Text:
    return Text(label or status.value, style=STATUS_STYLES[status])


def short_time(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def short_iso(text: str | None) -> str:
    """A view's ISO 8601 time as short_time shows it (2026-01-01 12:00:00)."""
    return "" if text is None else text[:19].replace("T", " ")


def new_table(title: str | None, columns: Iterable[str], *, wide: Iterable[str] = ()) -> Table:
    """A table whose `wide` columns are cut with an ellipsis instead of wrapping."""
    table = Table(title=title, title_justify="left")
    wide = set(wide)
    for name in columns:
        if name in wide:
            table.add_column(name, no_wrap=True, overflow="ellipsis", max_width=WIDE_COLUMN,
                             min_width=12)
        else:
            table.add_column(name, min_width=len(name))
    return table


def tasks_table(tasks: Iterable[Task], *, title: str | None = None) -> Table:
    columns = ("id", "code", "queue", "action", "status", "progress", "prio", "tries",
               "run at (UTC)", "response")
    table = new_table(title, columns, wide=("action", "progress", "response"))
    for task in tasks:
        table.add_row(
            str(task.task_id), shown(task.code), task.queue,
            shown(clipped(task.action, DETAIL_CHARS)),
            status_text(task.status), running_progress(task), str(task.priority),
            f"{task.attempts}/{task.max_attempts}",
            "after parents" if waits_for_parents(task.run_at) else short_time(task.run_at),
            preview(task.response),
        )
    return table


def progress_text(task: Task) -> Text:
    """`42% copying tables`: what the attempt reported last (empty if nothing)."""
    if task.progress is None:
        return Text("")
    message = preview(task.progress_message, PROGRESS_CHARS)
    return Text.assemble(f"{task.progress}%", " " if message.plain else "", message)


def running_progress(task: Task) -> Text:
    """The list shows progress while a task runs; the task's own page shows it always."""
    return progress_text(task) if task.status is Status.PROCESSING else Text("")


def log_table(entries: Iterable[LogEntry], *, title: str | None = None) -> Table:
    columns = ("log", "task", "code", "status", "try", "took", "date (UTC)", "comment")
    table = new_table(title, columns, wide=("comment",))
    for entry in entries:
        duration = "" if entry.duration is None else f"{entry.duration:.3f}s"
        table.add_row(
            str(entry.task_log_id), str(entry.task_id or ""), shown(entry.code),
            status_text(entry.status), str(entry.attempt), duration,
            short_time(entry.date_added), preview(entry.comment),
        )
    return table


def task_details(task: Task) -> Table:
    """`task show`'s table: one line per field, long ones cut (the response is printed whole
    below it, up to BLOCK_CHARS)."""
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for key, value in task_view(task).items():
        if key == "status":
            table.add_row(key, status_text(task.status))
        elif key == "response":
            table.add_row(key, preview(task.response))
        elif key == "progress":
            table.add_row(key, Text("" if value is None else f"{value}%"))
        elif key == "run_at" and value is None:
            table.add_row(key, Text("when its workflow parents have ended"))
        else:
            text = json.dumps(value, ensure_ascii=False) if key == "args" else (
                "" if value is None else str(value))
            table.add_row(key, shown(clipped(text, DETAIL_CHARS)))
    return table


def print_block(heading: str, text: str, *, whole: str) -> None:
    """A response or traceback under a bold heading, in linear time however long it is;
    a cut one ends with a note that says how to get it whole (`whole`)."""
    body, left_out = block(text)
    console.print(Text(heading, style="bold"))
    console.print(body, soft_wrap=True)
    if left_out:
        console.print(f"[… {left_out:,} more characters: {whole} prints the whole]")


def print_why(found: WhyView) -> None:
    """`task why`: the reason in words, its facts (each printed literally), what to do."""
    state = "waits" if found["waiting"] else "is not waiting"
    console.print(Text(f"task {found['task_id']} ({found['status']}) {state}: ", style="bold")
                  + shown(found["text"]))
    table = Table(show_header=False, box=None, padding=(0, 1, 0, 2))
    table.add_column(style="bold")
    table.add_column()
    for key, value in found["facts"].items():
        table.add_row(key, shown("—" if value is None else clipped(str(value), DETAIL_CHARS)))
    if found["facts"]:
        console.print(table)
    if found["hint"]:
        console.print(Text("what to do: ", style="bold") + shown(found["hint"]))
def workflow_line(workflow: TaskWorkflowView) -> Text:
    """`task show`'s line naming the task's workflow and its parents there."""
    parents = ", ".join(map(str, workflow["parents"])) or "none"
    line = f"workflow {workflow['workflow_id']} ({visible(workflow['name'])}), after: {parents}"
    if workflow["run_on_failure"]:
        line += ", runs however they end"
    if workflow["waiting_for_parents"]:
        line += "; waits for its parents"
    return Text(line)
