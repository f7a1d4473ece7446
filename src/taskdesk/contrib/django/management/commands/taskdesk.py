"""`python manage.py taskdesk …`: the whole `taskdesk` command line, on Django's database,
with Django set up and every app's tasks registered (`worker`, `start`, `task list`, `serve`)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from taskdesk.app import leave_without_stray_threads
from taskdesk.contrib.django.desks import APP_PATH


class Command(BaseCommand):  # type: ignore[misc]
    help = "taskdesk's command line on this project's database (manage.py taskdesk --help)."

    def run_from_argv(self, argv: list[str]) -> None:
        """Hand every argument to taskdesk's CLI (its own --help included)."""
        prog = f"{Path(argv[0]).name} {argv[1]}"
        try:
            run(without_django_options(argv[2:]), prog)
        except SystemExit as done:
            leave_without_stray_threads(done.code)
            raise

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("arguments", nargs=argparse.REMAINDER,
                            help="taskdesk's command and its options")

    def handle(self, *args: Any, **options: Any) -> None:
        """call_command("taskdesk", "task", "list"): a failure is a CommandError."""
        try:
            run([*args, *options.get("arguments", [])], "taskdesk")
        except SystemExit as done:
            if done.code not in (0, None):
                raise CommandError(f"taskdesk exited with {done.code}") from None


#: manage.py's own options, which Django has read already (it sets them up before any command).
DJANGO_OPTIONS = ("--settings", "--pythonpath")


def without_django_options(arguments: list[str]) -> list[str]:
    """The arguments less `--settings X`, `--pythonpath=X` and the like."""
    kept: list[str] = []
    skip = False
    for argument in arguments:
        if skip:
            skip = False
        elif argument in DJANGO_OPTIONS:
            skip = True
        elif not argument.startswith(tuple(f"{option}=" for option in DJANGO_OPTIONS)):
            kept.append(argument)
    return kept


def run(arguments: list[str], prog: str) -> None:
    from taskdesk.cli import app

    print_django_logs_once()
    app(args=["--app", APP_PATH, *arguments], prog_name=prog)


def print_django_logs_once() -> None:
    """Django's own logging already prints its loggers' records (the task lines of
    django.tasks) where a handler of its LOGGING says; the CLI's handler on the root logger
    would print each a second time, so they stop at Django's when Django has any."""
    django = logging.getLogger("django")
    if django.handlers:
        django.propagate = False
