"""`flask taskdesk ARGS…`: the whole taskdesk command (its own parser, help and one-line
errors) with the app's desk, as `taskdesk --app taskdesk.contrib.flask.runtime:desk ARGS…`.

A child process the command starts (a task with `timeout=` or `process=True`, a background
runner) loads the app again through that runtime module, as `flask` found it, so that its
tasks run in an app context too. An app that a child cannot find that way (one a
FlaskGroup's create_app or a test's CLI runner made) falls back to the desk's own import
path: its children then import the desk's module only, without the app factory."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import click
from flask.cli import FlaskGroup, ScriptInfo

from taskdesk.app import Taskdesk as Desk
from taskdesk.app import leave_without_stray_threads
from taskdesk.cli import app as taskdesk_command
from taskdesk.contrib.flask.runtime import RUNTIME, handed_over

NAME = "taskdesk"


def flask_command(desk: Desk) -> click.Command:
    """`flask taskdesk ARGS…` for `desk` (a `--app` among ARGS still wins)."""

    @click.command(NAME, add_help_option=False,
                   context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                   help="taskdesk's commands, with this app's desk (try: flask taskdesk --help).")
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    @click.pass_context
    def command(ctx: click.Context, args: tuple[str, ...]) -> None:
        app_path, handing = where_children_find(desk, ctx.find_object(ScriptInfo))
        desk.close()  # if open: the command opens it again, its flags and TASKDESK_* applied
        with handing:
            run([*app_path, *args], leave=isinstance(ctx.find_root().command, FlaskGroup))

    return command


def where_children_find(desk: Desk, info: ScriptInfo | None
                        ) -> tuple[list[str], AbstractContextManager[None]]:
    """The `--app` option for the taskdesk command, and what to hold while it runs: the
    runtime module, handed `desk` and how `flask` found the app; else the desk's module."""
    if info is not None and info.create_app is None:  # `--app`, FLASK_APP or discovery
        return ["--app", RUNTIME], handed_over(desk, info.app_import_path or "")
    where = desk.import_path()
    if where is None:
        raise click.ClickException(
            "flask taskdesk cannot find this app's desk: define the Taskdesk and its tasks "
            "in an importable module (not a script run as __main__)")
    return ["--app", where], nullcontext()


def run(args: list[str], *, leave: bool) -> None:
    """The taskdesk command, which always ends in SystemExit (its exit code kept). With
    `leave` (a real `flask` process, not a test's CLI runner), as taskdesk's console script
    does: a non-daemon thread a task left must not keep the process alive once it is done."""
    try:
        taskdesk_command(args, prog_name="flask taskdesk")
    except SystemExit as done:
        if leave:
            leave_without_stray_threads(done.code)
        raise
