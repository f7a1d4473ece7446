"""The one mapping from a failure to one `error:` line on stderr and an exit code.

It lives in the root command's `main()`, so that `python -m taskdesk`, the console script and
an in-process `CliRunner` all end the same way: a taskdesk error, a command-line mistake, a
file system that refuses, even a bug, each print one line and never a traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from rich.text import Text
from typer import Abort, Exit, TyperException
from typer.core import TyperGroup

from taskdesk.cli.help_text import fold_help
from taskdesk.cli.output import errors
from taskdesk.errors import TaskdeskError
from taskdesk.text import os_error_text, visible

logger = logging.getLogger(__name__)

EXIT_USAGE = 2  # a bad command line (Click's code)
EXIT_FILES = 1  # the file system refused (read-only, not a folder, no space)
EXIT_BUG = 70  # anything else: a bug in taskdesk (sysexits' EX_SOFTWARE)


def error_line(message: str) -> None:
    """`error: <message>` on stderr, on one line whatever the message holds."""
    errors.print(Text.assemble(("error:", "bold red"), " ", visible(message)), soft_wrap=True)


def fail(error: TaskdeskError) -> NoReturn:
    """One clear line on stderr and the exit code its class carries (taskdesk/errors.py)."""
    error_line(error.message)
    sys.exit(error.exit_code)


def usage_message(error: TyperException) -> str:
    """A command-line mistake and where its help is, on one line."""
    message = error.format_message()
    ctx = getattr(error, "ctx", None)
    if ctx is None:
        return message
    return f"{message.rstrip('.')} (see: {ctx.command_path} --help)"


class RootGroup(TyperGroup):
    """The `taskdesk` command: Typer parses and runs it; failures end here, as one line."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        run = (args, prog_name, complete_var, False, windows_expand_args)
        fold_help(self)  # the subcommands' listings read as prose (help_text.py)
        if not standalone_mode:  # a caller that wants Click's exceptions gets them
            return super().main(*run, **extra)
        try:
            result = super().main(*run, **extra)
        except Exception as error:
            end(error)
        sys.exit(result if isinstance(result, int) else 0)


def end(error: Exception) -> NoReturn:
    """Print the failure as one line and exit with its code."""
    if isinstance(error, TaskdeskError):
        fail(error)
    if type(error).__name__ == "NoArgsIsHelpError":  # Typer printed its help already
        sys.exit(EXIT_USAGE)
    if isinstance(error, TyperException):  # Click's usage errors, bad parameters
        error_line(usage_message(error))
        sys.exit(error.exit_code)
    if isinstance(error, Abort):
        error_line("aborted")
        sys.exit(1)
    if isinstance(error, Exit):
        sys.exit(error.exit_code)
    if isinstance(error, OSError):
        error_line(f"the file system refused: {os_error_text(error)}")
        sys.exit(EXIT_FILES)
    logger.info("the traceback of the bug", exc_info=error)  # shown with --verbose
    error_line(f"taskdesk failed unexpectedly ({type(error).__name__}: {error}); this is a "
               "bug: please report it with the output of the same command with --verbose")
    sys.exit(EXIT_BUG)
