"""Where an application's Taskdesk lives: from `module:attribute` to the desk (TASKDESK_APP,
`--app`), and from a desk back to the path a child process can import it by."""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING

from taskdesk.errors import ConfigError

if TYPE_CHECKING:
    from taskdesk.app import Taskdesk


def load_app(path: str) -> Taskdesk:
    """The Taskdesk at `module:attribute`, imported from the working folder as `python -m`
    would."""
    from taskdesk.app import Taskdesk  # the front door imports this module

    module_name, _, attribute = path.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise ConfigError(f"cannot import the application {path!r}: "
                          f"{type(error).__name__}: {error}") from None
    desk = getattr(module, attribute, None)
    if not isinstance(desk, Taskdesk):
        raise ConfigError(f"the application {path!r} is not a Taskdesk "
                          f"(found {type(desk).__name__})")
    return desk


def import_path_of(desk: Taskdesk) -> str | None:
    """`module:attribute` under which this desk can be imported, found through the modules
    of its registered tasks; None when it cannot be (a script run as __main__)."""
    for name in desk.handlers.names():
        definition = desk.handlers.get(name)
        module = sys.modules.get(getattr(definition.func, "__module__", "")
                                 if definition else "")
        if module is None or module.__name__ == "__main__":
            continue
        for attribute, value in vars(module).items():
            if value is desk:
                return f"{module.__name__}:{attribute}"
    return None
