"""The Taskdesk a command works with: the application's (--app, TASKDESK_APP) or one built
from the settings, with the root flags over the environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk, load_app
from taskdesk.config import Settings


@dataclass(frozen=True)
class Options:
    """The root command's flags; they override the environment."""

    home: Path | None = None
    database_url: str | None = None
    app: str | None = None

    def desk(self, app: str | None = None) -> Taskdesk:
        """A Taskdesk, not yet opened; `app` (a command's own --app) wins over the root's."""
        settings = Settings.from_env(home=self.home, database_url=self.database_url,
                                     app=app or self.app)
        if not settings.app:
            return Taskdesk(settings)
        desk = load_app(settings.app)
        # The environment and the flags win over the application's own settings, so that a
        # background runner (given its parent's settings through its environment) and an
        # operator's TASKDESK_* reach the desk the application built in code.
        flags = {"home": self.home, "database_url": self.database_url, "app": settings.app}
        desk.configure(**{**Settings.set_in_env(),
                          **{key: value for key, value in flags.items() if value is not None}})
        return desk


def desk_of(ctx: typer.Context, app: str | None = None) -> Taskdesk:
    options = ctx.find_root().obj
    return (options if isinstance(options, Options) else Options()).desk(app)


@contextmanager
def opened(ctx: typer.Context, app: str | None = None,
           connections: int | None = None) -> Iterator[Taskdesk]:
    """The installation, its schema checked; closed when the command ends."""
    desk = desk_of(ctx, app)
    try:
        desk.open_store(connections=connections)
        yield desk
    finally:
        desk.close()


@contextmanager
def administered(ctx: typer.Context, app: str | None = None) -> Iterator[Admin]:
    """The installation's admin services (taskdesk.admin), its schema checked; closed when
    the command ends."""
    with opened(ctx, app) as desk:
        yield Admin(desk)
