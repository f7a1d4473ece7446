"""Importable targets for the resolver tests (imported as tests.tasks.resolvable)."""

from __future__ import annotations

from taskdesk import Controller

NOT_CALLABLE = 42


def greet(name: str = "world") -> str:
    return f"hello {name}"


def _private() -> str:
    return "private"


class Report(Controller):
    """A controller: `index` by default, `build` by name, `_secret` never."""

    def index(self) -> str:
        return "report index"

    def build(self, pages: int) -> str:
        self.log.write(f"building {pages} pages")
        return f"built {pages}"

    def _secret(self) -> str:
        return "secret"

    summary = "not a method"


class NoIndex(Controller):
    """A controller without `index`."""

    def other(self) -> None:
        """Not the default method."""


class Plain:
    """Not a controller: resolving to it returns the class itself (a callable)."""

    def __init__(self, size: int = 1) -> None:
        self.size = size
