"""`taskdesk.contrib.flask.runtime:desk`, the desk `flask taskdesk` hands to the taskdesk
command, and that the command's child processes load (a task with `timeout=` or
`process=True`, a background runner). A child imports this module without any app: it loads
the app as `flask` found it (TASKDESK_FLASK_APP, which `flask taskdesk` sets and children
inherit, as Django's children inherit DJANGO_SETTINGS_MODULE; else FLASK_APP; else Flask's
own discovery in the working folder). So the app factory runs, calls `desk.init_app(app)`,
and the child's tasks get their app context, as in the runner itself.

The variable is taken as FLASK_APP is (both name code to run): whoever sets the environment
already decides what runs. A value that does not load is one ConfigError naming it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.cli import ScriptInfo

from taskdesk.app import Taskdesk as Desk
from taskdesk.errors import ConfigError
from taskdesk.text import type_name

#: Where `flask taskdesk` points the taskdesk command's `--app`.
RUNTIME = f"{__name__}:desk"
#: How `flask` found the app (its `--app` or FLASK_APP; empty: its discovery), for children.
ENV = "TASKDESK_FLASK_APP"
#: The desk of the app this process already runs (`flask taskdesk` loaded it): no second app.
_handed: list[Desk] = []


def __getattr__(name: str) -> Any:
    if name != "desk":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _handed:
        return _handed[-1]
    where = os.environ.get(ENV) or os.environ.get("FLASK_APP") or None
    return desk_of(load_flask_app(where))


@contextmanager
def handed_over(desk: Desk, where: str) -> Iterator[None]:
    """While `flask taskdesk` runs: this process's desk is `desk`, and the children it
    starts find the app at `where` (an `--app` value; empty: Flask's discovery)."""
    previous = os.environ.get(ENV)
    os.environ[ENV] = where
    _handed.append(desk)
    try:
        yield
    finally:
        _handed.pop()
        if previous is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = previous


def load_flask_app(where: str | None) -> Flask:
    """The app at `where` as `flask --app where` loads it (its factory called); None:
    Flask's discovery (wsgi.py, app.py) in the working folder."""
    try:
        return ScriptInfo(app_import_path=where, set_debug_flag=False).load_app()
    except Exception as error:  # an import, a factory or a name that failed: one line
        shown = repr(where) if where else "found by Flask's discovery"
        raise ConfigError(f"cannot load the Flask app {shown} ({ENV}, else FLASK_APP): "
                          f"{type_name(error)}: {summary(error)}") from None


def desk_of(app: Flask) -> Desk:
    desk = app.extensions.get("taskdesk")
    if not isinstance(desk, Desk):
        raise ConfigError(f"the Flask app {app.name!r} ({ENV}, else FLASK_APP) has no "
                          "taskdesk: its factory must call desk.init_app(app)")
    return desk


def summary(error: Exception) -> str:
    """The error's message on one line: Flask's for a module that failed to import holds a
    whole traceback, whose first and last lines say what and why."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else ""
    return f"{lines[0]} {lines[-1]}"
