"""taskdesk as a Flask extension (the extra `taskdesk[flask]`), in Flask's own pattern:

    db = SQLAlchemy(model_class=Base)
    desk = Taskdesk()                       # a taskdesk.Taskdesk: @desk.task, runners, …

    def create_app() -> Flask:
        app = Flask(__name__)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///shop.db"
        db.init_app(app)
        desk.init_app(app)                  # after db: taskdesk uses the same database
        return app

    desk.in_session(send_receipt).enqueue(order_id=order.id)   # in db.session's transaction

Settings come from the app's config (`TASKDESK_*` keys, as the environment's names), and by
default the database is Flask-SQLAlchemy's. `flask taskdesk …` is the whole `taskdesk`
command with this desk (`flask taskdesk worker`), and every task runs in an app context, a
task in a child process (`timeout=`, `process=True`) too: the child loads the app as `flask`
did (taskdesk.contrib.flask.runtime).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from flask import Flask, current_app

from taskdesk.app import Taskdesk as Desk
from taskdesk.config import ENV_PREFIX, Settings
from taskdesk.contrib.flask.command import flask_command
from taskdesk.controller import Context, Handler
from taskdesk.definitions import TaskDefinition
from taskdesk.errors import ConfigError
from taskdesk.handlers import Handlers

__all__ = ["Taskdesk"]

P = ParamSpec("P")
R = TypeVar("R")
EXTENSION = "taskdesk"  # its key in app.extensions, and its command's name


class Taskdesk(Desk):
    """A taskdesk.Taskdesk that an app (or several, one at a time) configures: Flask's
    `init_app` pattern, as Flask-SQLAlchemy's `SQLAlchemy()`."""

    def __init__(self, app: Flask | None = None, *, settings: Settings | None = None,
                 **overrides: Any) -> None:
        super().__init__(settings, **overrides)
        self.app: Flask | None = None
        self.handlers = AppContextHandlers(self)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Settings from `app.config`, `flask taskdesk …`, and tasks in `app`'s context.
        Call it after Flask-SQLAlchemy's init_app, whose database it then shares."""
        self.configure(**settings_of(app))
        self.app = app
        app.extensions[EXTENSION] = self
        app.cli.add_command(flask_command(self), EXTENSION)

    def in_session(self, definition: TaskDefinition[P, R]) -> TaskDefinition[P, R]:
        """`definition.using(connection=db.session())`: its enqueue is written in the current
        app context's Flask-SQLAlchemy session transaction, so `db.session.commit()` commits
        the task with the app's rows and a rollback leaves neither. (`db.session` itself is
        a scoped_session, a registry of sessions: calling it gives this context's one.)"""
        sqlalchemy = current_app.extensions.get("sqlalchemy")
        if sqlalchemy is None:
            raise ConfigError("in_session needs Flask-SQLAlchemy on the app (db.init_app(app))")
        return definition.using(connection=sqlalchemy.session())


def settings_of(app: Flask) -> dict[str, Any]:
    """The settings `app.config` gives: its TASKDESK_* keys, the database of Flask-SQLAlchemy
    (unless TASKDESK_DATABASE_URL says otherwise), and a data folder in the app's instance
    folder (unless TASKDESK_HOME is set, in the config or the environment)."""
    given = {key: _text(value) for key, value in app.config.items()
             if key.startswith(ENV_PREFIX) and value is not None}
    values = Settings.set_in_env(given)
    if "database_url" not in values:
        shared = shared_database(app)
        if shared:
            values["database_url"] = shared
    if "home" not in values and not os.environ.get(f"{ENV_PREFIX}HOME"):
        values["home"] = Path(app.instance_path) / "taskdesk"
    return values


def shared_database(app: Flask) -> str | None:
    """Flask-SQLAlchemy's URL as its engine has it (a relative SQLite path already resolved
    in the instance folder), else SQLALCHEMY_DATABASE_URI as written, else None."""
    sqlalchemy = app.extensions.get("sqlalchemy")
    if sqlalchemy is not None:
        with app.app_context():
            url: str = sqlalchemy.engine.url.render_as_string(hide_password=False)
        return url
    written = app.config.get("SQLALCHEMY_DATABASE_URI")
    return str(written) if written else None


def _text(value: object) -> str:
    """A config value as the environment would hold it (a list of module prefixes too)."""
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(str(part) for part in value)
    return str(value)


class AppContextHandlers(Handlers):
    """The desk's allow-list, whose handlers run inside its Flask app's context (so tasks may
    use `db.session` and `current_app`); as the plain one before init_app."""

    def __init__(self, desk: Taskdesk) -> None:
        super().__init__(desk)
        self._desk = desk

    def resolve(self, action: str, context: Context) -> Handler:
        handler = super().resolve(action, context)
        app = self._desk.app
        return handler if app is None else InAppContext(app, handler)


class InAppContext:
    """A handler called inside an app context; its signature is the handler's (`__wrapped__`),
    so a runner checks a task's args against the task's own parameters."""

    def __init__(self, app: Flask, handler: Handler) -> None:
        self.app = app
        self.__wrapped__ = handler

    def __call__(self, *args: Any, **kwargs: Any) -> object:
        with self.app.app_context():
            return self.__wrapped__(*args, **kwargs)
