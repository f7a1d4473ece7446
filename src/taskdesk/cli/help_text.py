"""Help texts as they read in a terminal: a docstring's paragraph is one line of prose.

Typer's rich help lists each subcommand with the first paragraph of its docstring, and keeps
that paragraph's source line breaks: a docstring wrapped at 100 columns then showed as ragged
lines in `taskdesk task --help`. Folding them here, once, keeps docstrings wrapped in the
source and the listing wrapped by the terminal's width."""

from __future__ import annotations

import inspect
from typing import Any

NO_REWRAP = "\b"  # Click's mark for a paragraph whose line breaks are meant


def fold(text: str) -> str:
    """Each paragraph's single line breaks as spaces (paragraphs marked NO_REWRAP kept)."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(part if part.startswith(NO_REWRAP) else " ".join(part.split("\n"))
                       for part in paragraphs)


def fold_help(command: Any) -> None:
    """Fold the help of `command` (a Click command of Typer's own Click) and of every
    command under it."""
    if command.help:
        command.help = fold(command.help)
    for sub in getattr(command, "commands", {}).values():
        fold_help(sub)
