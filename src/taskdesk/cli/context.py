"""The settings a command runs with, from the root options, and the Taskdesk built from them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer

from taskdesk.app import Taskdesk
from taskdesk.config import Settings


@dataclass(frozen=True)
class Options:
    """The root command's flags; they override the environment."""

    home: Path | None = None
    database_url: str | None = None

    def settings(self) -> Settings:
        return Settings.from_env(home=self.home, database_url=self.database_url)


def settings_of(ctx: typer.Context) -> Settings:
    options = ctx.find_root().obj
    return (options if isinstance(options, Options) else Options()).settings()


@contextmanager
def opened(ctx: typer.Context) -> Iterator[Taskdesk]:
    """The installation, its schema checked; closed when the command ends."""
    desk = Taskdesk.open(settings_of(ctx))
    try:
        yield desk
    finally:
        desk.close()
