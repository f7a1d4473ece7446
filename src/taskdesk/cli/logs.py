"""`taskdesk log …`: the error log that tasks write with self.log.write()."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from taskdesk.app import ErrorLog
from taskdesk.cli.context import desk_of
from taskdesk.cli.output import console
from taskdesk.text import visible

app = typer.Typer(help="Show or clear the error log (System > Maintenance > Error logs).",
                  no_args_is_help=True)


def _error_log(ctx: typer.Context) -> ErrorLog:
    return desk_of(ctx).error_log


@app.command()
def show(
    ctx: typer.Context,
    lines: Annotated[int | None, typer.Option("--lines", "-n", min=1,
                                              help="Only the last N lines.")] = None,
) -> None:
    """Print the error log."""
    error_log = _error_log(ctx)
    text = error_log.read(tail=lines)
    if not text:
        console.print(visible(f"the error log {error_log.path} is empty"))
        return
    sys.stdout.write(visible(text, keep="\n\t"))  # what tasks wrote: shown, never obeyed


@app.command()
def clear(ctx: typer.Context) -> None:
    """Empty the error log."""
    error_log = _error_log(ctx)
    error_log.clear()
    console.print(visible(f"cleared {error_log.path}"))
