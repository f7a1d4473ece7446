"""Everything the CLI prints: Rich tables for people, JSON for scripts, and the one mapping
from taskdesk errors to a message on stderr and an exit code."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NoReturn

from rich.console import Console
from rich.table import Table

from taskdesk import LogEntry, Status, Task
from taskdesk.errors import BadInput, ConfigError, NotFound, StoreError, TaskdeskError
from taskdesk.views import task_view

PIPED_WIDTH = 160  # columns when stdout is not a terminal and COLUMNS is unset


def _width() -> int | None:
    return None if sys.stdout.isatty() or os.environ.get("COLUMNS") else PIPED_WIDTH


console = Console(highlight=False, width=_width())
errors = Console(stderr=True, highlight=False, width=_width())

#: Exit codes; 2 is also what Click uses for a bad command line.
EXIT_CODES: tuple[tuple[type[TaskdeskError], int], ...] = (
    (BadInput, 2),
    (ConfigError, 2),
    (NotFound, 3),
    (StoreError, 4),
    (TaskdeskError, 1),
)

WIDE_COLUMN = 48  # characters; longer actions and responses end in an ellipsis

STATUS_STYLES = {
    Status.PENDING: "yellow",
    Status.PROCESSING: "cyan",
    Status.PAUSED: "magenta",
    Status.COMPLETE: "green",
    Status.FAILED: "red",
}


def fail(error: TaskdeskError) -> NoReturn:
    """One clear line on stderr and the exit code of the error's kind."""
    errors.print(f"[bold red]error:[/] {error.message}", markup=True, soft_wrap=True)
    sys.exit(next(code for kind, code in EXIT_CODES if isinstance(error, kind)))


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def status_text(status: Status) -> str:
    return f"[{STATUS_STYLES[status]}]{status.value}[/]"


def first_line(text: str | None, width: int = 60) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


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
    columns = ("id", "code", "action", "status", "prio", "tries", "run at (UTC)", "response")
    table = new_table(title, columns, wide=("action", "response"))
    for task in tasks:
        table.add_row(
            str(task.task_id), task.code, task.action, status_text(task.status),
            str(task.priority), f"{task.attempts}/{task.max_attempts}",
            short_time(task.run_at), first_line(task.response),
        )
    return table


def log_table(entries: Iterable[LogEntry], *, title: str | None = None) -> Table:
    columns = ("log", "task", "code", "status", "try", "took", "date (UTC)", "comment")
    table = new_table(title, columns, wide=("comment",))
    for entry in entries:
        duration = "" if entry.duration is None else f"{entry.duration:.3f}s"
        table.add_row(
            str(entry.task_log_id), str(entry.task_id or ""), entry.code,
            status_text(entry.status), str(entry.attempt), duration,
            short_time(entry.date_added), first_line(entry.comment),
        )
    return table


def task_details(task: Task) -> Table:
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for key, value in task_view(task).items():
        shown = json.dumps(value) if key == "args" else ("" if value is None else str(value))
        table.add_row(key, status_text(task.status) if key == "status" else shown)
    return table
