"""What the benchmark scripts share around their measurements: command-line value parsers,
the consoles (progress on stderr, the table on stdout), the PostgreSQL reachability check and
a SIGTERM that unwinds like Ctrl-C."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from types import FrameType

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from bench.databases import ADMIN_URL, BACKENDS
from bench.machine import postgres_server

PIPED_WIDTH = 160  # columns when stdout is not a terminal and COLUMNS is unset


def listed(parse: Callable[[str], object]) -> Callable[[str], tuple[object, ...]]:
    """A comma-separated list of `parse`d values, without repeats."""
    def parsed(text: str) -> tuple[object, ...]:
        items = tuple(dict.fromkeys(parse(item.strip()) for item in text.split(",")
                                    if item.strip()))
        if not items:
            raise argparse.ArgumentTypeError("give at least one value")
        return items
    return parsed


def backend_name(name: str) -> str:
    if name not in BACKENDS:
        raise argparse.ArgumentTypeError(f"unknown backend {name!r}: use {', '.join(BACKENDS)}")
    return name


def positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is not a positive integer")
    return number


def console(*, stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    piped = not stream.isatty() and not os.environ.get("COLUMNS")
    return Console(stderr=stderr, highlight=False, width=PIPED_WIDTH if piped else None)


def progress_bars(err: Console) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=err)


def server(backends: Sequence[str], err: Console) -> tuple[bool, str | None]:
    """(reachable, description) of the PostgreSQL server, when it is to be measured."""
    if "postgres" not in backends:
        return True, None
    try:
        return True, postgres_server()
    except Exception as error:  # any failure to connect: nothing can be measured
        err.print(f"[bold red]error:[/] PostgreSQL at {escape(ADMIN_URL)} is not reachable "
                  f"({escape(str(error).splitlines()[0])}); use --backends sqlite, or set "
                  "TASKDESK_BENCH_POSTGRES_URL")
        return False, None


def exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C: runners are stopped and the databases are dropped."""
    raise SystemExit(128 + signum)
