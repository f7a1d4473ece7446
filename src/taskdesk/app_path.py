"""Where an application lives: from `module:attribute` to the application (TASKDESK_APP,
`--app`), from an application back to the path a child process can import it by, and the
application opened again in a child process (a task's, an extension hook's).

A child is an entry point, as the CLI is, but it never imports the front door itself: its
parent passes it the application's class (taskdesk.app.Taskdesk) and import path, and the
child opens the application with them. So this module, the runner and the extensions sit
below the front door (docs/architecture.md).
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import fields
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from taskdesk.config import Settings
from taskdesk.errors import ConfigError

if TYPE_CHECKING:  # the Protocols' types only: nothing of them runs here
    from taskdesk.handlers import Handlers
    from taskdesk.registry import TaskRegistry
    from taskdesk.store import Store

A = TypeVar("A", bound="Application")


class Application(Protocol):
    """What a child process uses of its application (taskdesk.app.Taskdesk is one)."""

    settings: Settings
    handlers: Handlers

    def __init__(self, settings: Settings | None = None) -> None:
        """An application with no tasks of its own, for a runner that loaded none."""

    @property
    def store(self) -> Store:
        """Its store, opened on first use."""
        ...

    @property
    def tasks(self) -> TaskRegistry:
        """Its task registry, with the allow-list."""
        ...

    def configure(self, **overrides: Any) -> None:
        """Change settings before the store opens."""

    def close(self) -> None:
        """Close the store."""


class Registered(Protocol):
    """An application's registered tasks (its `handlers`), for import_path_of."""

    @property
    def handlers(self) -> Handlers: ...


def load_app(path: str, kind: type[A]) -> A:
    """The application at `module:attribute`, imported from the working folder as `python -m`
    would; ConfigError unless it is a `kind`."""
    module_name, _, attribute = path.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise ConfigError(f"cannot import the application {path!r}: "
                          f"{type(error).__name__}: {error}") from None
    app = getattr(module, attribute, None)
    if not isinstance(app, kind):
        raise ConfigError(f"the application {path!r} is not a {kind.__name__} "
                          f"(found {type(app).__name__})")
    return app


def import_path_of(app: Registered) -> str | None:
    """`module:attribute` under which this application can be imported, found through the
    modules of its registered tasks; None when it cannot be (a script run as __main__)."""
    for name in app.handlers.names():
        definition = app.handlers.get(name)
        module = sys.modules.get(getattr(definition.func, "__module__", "")
                                 if definition else "")
        if module is None or module.__name__ == "__main__":
            continue
        for attribute, value in vars(module).items():
            if value is app:
                return f"{module.__name__}:{attribute}"
    return None


def open_app(settings: Settings, kind: type[A] | None) -> A:
    """In a child process: the application its parent runs (at `settings.app`, else a new
    `kind`, so that its registered tasks are known), with the parent's settings."""
    if kind is None:
        raise ConfigError("no application was given to open: build runners and extension "
                          "lifecycles from a Taskdesk (desk.runner(), Admin(desk).extensions)")
    app = load_app(settings.app, kind) if settings.app else kind(settings)
    app.configure(**{field.name: getattr(settings, field.name) for field in fields(settings)})
    return app


def preload(settings: Settings, kind: type[Application] | None) -> list[str]:
    """The modules of the application (its class's and its own) that a forkserver imports
    once, so that each child starts without importing them again."""
    app_module = settings.app.partition(":")[0]
    return [*([kind.__module__] if kind else []), *([app_module] if app_module else [])]
